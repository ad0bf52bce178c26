// Child processes for local services (Kafka, PostgreSQL, ...): free ports, a log file, clean stops and no orphans.
import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/**
 * Where picked ports start: below it are the well-known and registered ports our own fixed ones live among (the
 * demo's 3000-3004, 3500-3504, 8025).
 */
const PICKED_PORTS_FROM = 20_000;

/**
 * The kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`, Linux; 32768-60999 by default),
 * from which it takes the local port of every outgoing connection and of a listen on port 0.
 */
function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low as number, high as number];
  } catch {
    // Not Linux: the IANA dynamic range, which macOS and Windows use.
  }
  return [49_152, 65_535];
}

/** The folder of port reservations, one file per port holding the reserving process's pid; shared by every process of the user. */
export const RESERVATIONS = join(tmpdir(), `event-platform-ports-${process.getuid?.() ?? "user"}`);

/** True when the process `pid` is alive (signal 0 tests for it without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Reserves `port` for this process until it exits: creates `<RESERVATIONS>/<port>` exclusively (O_EXCL), after
 * removing a reservation whose process is gone. False when a live process holds it.
 */
export function reservePort(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(file, { encoding: "utf8", flag: "r" }) || "0");
      // 0: its writer has created it and not yet written its pid.
      if (holder === 0 || holder === process.pid || alive(holder)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

/**
 * A port on 127.0.0.1 for a server that will listen on it soon, in another process or later in this one. Between
 * the pick and the listen nothing else may take it, so it is picked where nothing else takes ports on its own:
 * below the kernel's ephemeral range (an outgoing connection's local port, to Kafka or PostgreSQL, comes from that
 * range and once made a service's listen fail with EADDRINUSE), at random, reserved for this process by a file (so
 * parallel test files never pick the same one) and free right now. Throws when no port is free after many tries.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  const span = ephemeralLow - PICKED_PORTS_FROM;
  if (span > 1_000) {
    mkdirSync(RESERVATIONS, { recursive: true });
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = PICKED_PORTS_FROM + randomInt(span);
      if (reservePort(port) && (await tryPort(port)) !== undefined) return port;
    }
  }
  // No room below the ephemeral range (a tuned kernel): any free port the kernel gives.
  const port = await tryPort(0);
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
