// A PostgreSQL server for tests: the one in DATABASE_URL, or a throwaway one started from Debian's binaries.
import { execFile } from "node:child_process";
import { access, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import pg from "pg";
import { freePort, ServiceProcess, waitForPort } from "./process";

const execFileAsync = promisify(execFile);

const POSTGRES_ROOT = "/usr/lib/postgresql";
const READY_TIMEOUT_MS = 30_000;

export interface PostgresServer {
  /** Connection URL of a superuser on the `postgres` database. */
  url: string;
  /** Server version, such as "15.18". */
  version: string;
  /** True when the server comes from DATABASE_URL and is not ours to stop. */
  external: boolean;
  /** Stops the server and removes its data (a no-op for an external server). */
  stop(): Promise<void>;
  /**
   * Shuts the server down (fast shutdown: clients are disconnected) and keeps its data and port, as a database
   * restart or failover looks to its clients; `startServer` brings it back. Throws for an external server.
   */
  stopServer(): Promise<void>;
  /** Starts a server stopped with `stopServer` again, on the same port and data; resolves once it answers queries. */
  startServer(): Promise<void>;
}

export interface StartPostgresOptions {
  log?: (line: string) => void;
}

/** The server in DATABASE_URL if set, otherwise a new throwaway server on a free port. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const log = options.log ?? (() => {});
  const external = process.env.DATABASE_URL;
  if (external) {
    let version: string;
    try {
      version = await serverVersion(external);
    } catch (error) {
      throw new Error(`Cannot connect to DATABASE_URL (${redact(external)}): ${errorMessage(error)}`);
    }
    log(`Using PostgreSQL ${version} from DATABASE_URL (${redact(external)})`);
    const notOurs = async () => {
      throw new Error("The PostgreSQL server in DATABASE_URL is not ours to stop or start.");
    };
    return { url: external, version, external: true, stop: async () => {}, stopServer: notOurs, startServer: notOurs };
  }

  const bin = await findBinDir();
  const dir = await mkdtemp(join(tmpdir(), "postgres-test-"));
  try {
    const user = process.getuid?.() === 0 ? await unprivilegedUser() : undefined;
    if (user) await execFileAsync("chown", ["-R", `${user.uid}:${user.gid}`, dir]);
    const dataDir = join(dir, "data");

    const initdb = join(bin, "initdb");
    const initdbArgs = ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"];
    // runuser is fine for a command that runs to completion...
    const initdbRun = user
      ? execFileAsync("runuser", ["-u", user.name, "--", initdb, ...initdbArgs], { cwd: dir })
      : execFileAsync(initdb, initdbArgs, { cwd: dir });
    await initdbRun.catch((error: unknown) => {
      throw new Error(`initdb failed: ${errorMessage(error)}`);
    });

    const port = await freePort();
    const postgres = join(bin, "postgres");
    const postgresArgs = [
      ...["-D", dataDir, "-p", String(port), "-k", dir],
      ...["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"],
      ...["-c", "full_page_writes=off", "-c", "max_connections=200"],
    ];
    // ...but not for the server: runuser ignores SIGINT and turns SIGTERM into a postgres "smart" shutdown followed
    // by SIGKILL two seconds later. setpriv execs postgres in place, so the stop signal (and the watchdog's) reach it.
    const launch = () =>
      ServiceProcess.start({
        name: "postgres",
        ...(user
          ? {
              command: "setpriv",
              args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", "--", postgres, ...postgresArgs],
            }
          : { command: postgres, args: postgresArgs }),
        cwd: dir,
        logFile: join(dir, "postgres.log"),
        stopSignal: "SIGINT", // fast shutdown: disconnect clients, then exit cleanly
      });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const ready = async (started: ServiceProcess): Promise<string> => {
      try {
        return await waitUntilReady(started, port, url);
      } catch (error) {
        await started.stop();
        throw new Error(`PostgreSQL did not start: ${errorMessage(error)}\n${await started.logTail()}`);
      }
    };
    let proc = launch();
    const version = await ready(proc);

    log(`PostgreSQL ${version} started for the tests at 127.0.0.1:${port} (data in ${dir})`);
    let stopped: Promise<void> | undefined;
    return {
      url,
      version,
      external: false,
      stop: () => {
        stopped ??= proc.stop().then(() => rm(dir, { recursive: true, force: true }));
        return stopped;
      },
      stopServer: () => proc.stop(),
      startServer: async () => {
        if (proc.running) return;
        proc = launch();
        await ready(proc);
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The bin directory of the newest PostgreSQL major version under /usr/lib/postgresql. */
async function findBinDir(): Promise<string> {
  const entries = await readdir(POSTGRES_ROOT).catch(() => []);
  const majors = entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .sort((a, b) => b - a);
  for (const major of majors) {
    const bin = join(POSTGRES_ROOT, String(major), "bin");
    const complete = await Promise.all([access(join(bin, "postgres")), access(join(bin, "initdb"))]).then(
      () => true,
      () => false,
    );
    if (complete) return bin;
  }
  throw new Error(
    "PostgreSQL server binaries not found under /usr/lib/postgresql: install them (apt-get install -y postgresql) or set DATABASE_URL.",
  );
}

interface User {
  name: string;
  uid: number;
  gid: number;
}

/** initdb and postgres refuse to run as root: the `postgres` user, or `nobody` if there is none. */
async function unprivilegedUser(): Promise<User> {
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = (await execFileAsync("id", ["-u", name])).stdout.trim();
      const gid = (await execFileAsync("id", ["-g", name])).stdout.trim();
      return { name, uid: Number(uid), gid: Number(gid) };
    } catch {
      // no such user: try the next one
    }
  }
  throw new Error("Running as root, but neither a `postgres` nor a `nobody` user exists to run PostgreSQL as.");
}

/** Waits until the server answers queries, and returns its version; fails early if the process exits. */
async function waitUntilReady(proc: ServiceProcess, port: number, url: string): Promise<string> {
  const exited = proc.exited.then((code) => {
    throw new Error(`postgres exited with code ${code}.`);
  });
  exited.catch(() => {}); // only awaited through the races below
  await Promise.race([waitForPort("127.0.0.1", port, READY_TIMEOUT_MS), exited]);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      return await Promise.race([serverVersion(url), exited]);
    } catch (error) {
      if (!proc.running || Date.now() > deadline) throw error;
      await sleep(100); // "the database system is starting up"
    }
  }
}

/** `SHOW server_version` without the distribution suffix: "15.18 (Debian 15.18-0+deb12u1)" gives "15.18". */
async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {}); // a dropped connection also rejects the pending query
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>("SHOW server_version");
    return result.rows[0]?.server_version.split(" ")[0] ?? "unknown";
  } finally {
    await client.end().catch(() => {});
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "an unparsable URL";
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
