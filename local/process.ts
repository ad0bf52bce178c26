// Child processes for local services (Kafka, PostgreSQL, ...): free ports, a log file, clean stops and no orphans.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Listens on 127.0.0.1:`port` (0: any) and closes again: the port it got, or undefined when `port` is taken. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" && port !== 0 ? resolve(undefined) : reject(error),
    );
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const got = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(got));
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const port = await tryPort(0);
  // Only a taken non-zero port answers undefined.
  if (port === undefined) throw new Error("No free port on 127.0.0.1");
  return port;
}

/** `port` when nothing listens on 127.0.0.1:`port` right now, else a free one. */
export async function portOrFree(port: number): Promise<number> {
  return (await tryPort(port)) ?? freePort();
}

/** Resolves once something accepts TCP connections on host:port; rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Nothing listens on ${host}:${port} after ${timeoutMs} ms.`);
    await sleep(100);
  }
}

export interface ServiceProcessOptions {
  /** Short name used in messages, such as "kafka". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr of the process go here. */
  logFile: string;
  /** Signal for a clean stop; the process is killed if it has not exited `stopTimeoutMs` later. */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
}

/** A running service process. */
export class ServiceProcess {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(
    readonly options: ServiceProcessOptions,
    child: ChildProcess,
  ) {
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /**
   * Starts the process with its output in `logFile`, and a watchdog that kills it if this Node process dies
   * without stopping it (a crashed or killed test runner must not leave a JVM or a postgres behind).
   */
  static start(options: ServiceProcessOptions): ServiceProcess {
    const log = createWriteStream(options.logFile, { flags: "a" });
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    child.once("error", (error) => log.write(`\n[${options.name}] failed to start: ${error.message}\n`));
    child.once("close", () => log.end());
    if (child.pid !== undefined) startWatchdog(child.pid, options.stopSignal ?? "SIGTERM");
    return new ServiceProcess(options, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of the process's log, for error messages. */
  async logTail(lines = 30): Promise<string> {
    const text = await readFile(this.options.logFile, "utf8").catch(() => "");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Kills the process as `kill -9` does (SIGKILL: no shutdown code runs) and resolves once it has exited. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Stops the process with its stop signal, then kills it if it has not exited in time. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill(this.options.stopSignal ?? "SIGTERM");
    const timeout = this.options.stopTimeoutMs ?? 15_000;
    const stopped = await Promise.race([
      this.exited.then(() => true),
      sleep(timeout, false, { ref: false }).then(() => false),
    ]);
    if (!stopped) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}

function startWatchdog(childPid: number, signal: NodeJS.Signals): void {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done`,
    `if kill -0 ${childPid} 2>/dev/null; then kill -${signal.replace(/^SIG/, "")} ${childPid}; sleep 10; kill -9 ${childPid} 2>/dev/null; fi`,
  ].join("; ");
  const watchdog = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  watchdog.unref();
}
