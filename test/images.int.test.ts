// Each app starts from its image's final stage, reproduced as a folder (test/image-stage.ts): as the image's non-root user, on a read-only tree, answering /healthz (the gateway its board too), and exiting cleanly on SIGTERM.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../local/process";
import { waitFor } from "../local/sidecar/test-kit";
import { appEnvironment } from "../specs/app-env";
import { APP_LIST, type AppSpec } from "../specs/apps";
import { dev } from "../stacks/dev";
import { type FinalStage, ROOT, reproduceFinalStage } from "./image-stage";

/** The apps of the catalog that have their folder under apps/ (an app's folder is its id). */
const APPS_WITH_FOLDERS = APP_LIST.filter((app) => existsSync(path.join(ROOT, "apps", app.id, "package.json")));
/** The first run installs each app's production dependencies and compiles it (minutes on 2 cores); then the cache has them. */
const PREPARE_TIMEOUT = 900_000;

/** The environment the app's Deployment gives it (specs/app-env.ts), for this machine: no sidecar, no PostgreSQL. */
async function environmentOf(
  app: AppSpec,
  stage: FinalStage,
  dataDir: string,
  nodeDir: string,
): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...stage.env, PATH: `${nodeDir}:/usr/local/bin:/usr/bin:/bin` };
  // The dev profile's settings, as the program passes a dev stack's to appEnvironment.
  for (const variable of appEnvironment(app, { ...dev, logLevel: dev.dapr.logLevel })) {
    // Without DATABASE_URL the app keeps its data in the embedded PostgreSQL under DATA_DIR, the one writable folder.
    if (variable.name === "DATABASE_URL") continue;
    env[variable.name] = variable.value ?? randomBytes(32).toString("hex");
  }
  return {
    ...env,
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    // No sidecar here: a port nothing listens on, so the app never reaches another test's sidecar on this machine.
    DAPR_HTTP_PORT: String(await freePort()),
  };
}

/** Every file and folder under `root` that is not owned by root or that anyone but root could write to. */
async function writableOrForeign(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (file: string) => {
    const stats = await lstat(file);
    if (!stats.isSymbolicLink() && (stats.uid !== 0 || (stats.mode & 0o222) !== 0)) found.push(file);
    if (stats.isDirectory()) for (const entry of await readdir(file)) await visit(path.join(file, entry));
  };
  await visit(root);
  return found;
}

/** The user id a running process has (the `Uid:` line of /proc/<pid>/status: real, effective, saved, file system). */
async function uidsOf(pid: number): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return /^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).join(" ") ?? "";
}

// Starting a process as another user takes root, as the tests run here and in CI.
describe("app images", () => {
  const base = mkdtempSync(path.join(tmpdir(), "app-images-"));
  const children: ChildProcess[] = [];
  /** The Node.js binary, linked where the image's user can reach it (the runner's may sit under root's home). */
  const nodeDir = path.join(base, "node", "bin");
  const stages = new Map<string, FinalStage & { root: string }>();

  beforeAll(async () => {
    chmodSync(base, 0o755);
    mkdirSync(nodeDir, { recursive: true });
    const node = path.join(nodeDir, "node");
    try {
      linkSync(process.execPath, node);
    } catch {
      spawnSync("cp", [process.execPath, node]);
    }
    // Two at a time: a cold run compiles with tsc and installs with npm, each busy on one core.
    const queue = [...APPS_WITH_FOLDERS];
    const worker = async () => {
      for (let app = queue.shift(); app; app = queue.shift()) {
        const into = path.join(base, app.id);
        mkdirSync(into);
        chmodSync(into, 0o755);
        stages.set(app.id, await reproduceFinalStage(app.id, into));
      }
    };
    await Promise.all([worker(), worker()]);
  }, PREPARE_TIMEOUT);

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(base, { recursive: true, force: true });
  });

  it("covers every app folder, each an app of the catalog", () => {
    const folders = readdirSync(path.join(ROOT, "apps")).filter((f) =>
      existsSync(path.join(ROOT, "apps", f, "package.json")),
    );
    expect(folders.sort()).toEqual(APPS_WITH_FOLDERS.map((app) => app.id).sort());
    expect(APPS_WITH_FOLDERS.length).toBeGreaterThanOrEqual(4);
  });

  it.concurrent.each(APPS_WITH_FOLDERS.map((app) => [app.id, app] as const))(
    "%s starts from its final stage as the image's non-root user on a read-only tree, answers /healthz and exits 0 on SIGTERM",
    async (id, app) => {
      const stage = stages.get(id);
      if (!stage) throw new Error(`No final stage was reproduced for ${id}.`);
      expect(stage.user).toEqual({ uid: 10001, gid: 10001 });
      expect(stage.cmd).toEqual(["node", "main.js"]);
      expect(await writableOrForeign(stage.root)).toEqual([]);

      const dataDir = path.join(base, `${id}-data`);
      mkdirSync(dataDir);
      chownSync(dataDir, stage.user.uid, stage.user.gid);
      const env = await environmentOf(app, stage, dataDir, nodeDir);
      const asImageUser = { cwd: stage.root, env, uid: stage.user.uid, gid: stage.user.gid };

      // The image's user cannot change the image's files.
      const write = spawnSync("node", ["-e", 'require("node:fs").writeFileSync("main.js", "")'], asImageUser);
      expect(write.status, write.stderr.toString()).not.toBe(0);
      expect(write.stderr.toString()).toContain("EACCES");

      const [command = "", ...args] = stage.cmd;
      const child = spawn(command, args, { ...asImageUser, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

      const status = await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`${id} exited with ${child.exitCode}:\n${output}`);
          const answer = await fetch(`http://127.0.0.1:${env.PORT}/healthz`).catch(() => undefined);
          return answer?.status;
        },
        `${id} answers /healthz`,
        45_000,
      );
      expect(status, output).toBe(200);
      expect(await uidsOf(child.pid ?? 0)).toBe("10001 10001 10001 10001");
      if (existsSync(path.join(ROOT, "apps", id, "board"))) {
        // The gateway's live board: files the app reads at run time from its folder, beside its code.
        const board = await fetch(`http://127.0.0.1:${env.PORT}/`);
        expect(board.status, output).toBe(200);
        expect(await board.text()).toMatch(/<html/i);
      }

      child.kill("SIGTERM");
      expect(await exited, output).toBe(0);
    },
    90_000,
  );
});
