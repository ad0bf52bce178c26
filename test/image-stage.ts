// Reproduces an app image's final stage (apps/Dockerfile) as a folder without a Docker engine: the final stage's own instructions, over what scripts/app-image.sh makes of the earlier stages, cached by their inputs.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { cachePath } from "../local/cache";

const run = promisify(execFile);

export const ROOT = path.resolve(__dirname, "..");
export const DOCKERFILE = path.join(ROOT, "apps/Dockerfile");
const SCRIPT = path.join(ROOT, "scripts/app-image.sh");

/** One instruction of a Dockerfile: its keyword in upper case and the rest of its line. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** One stage: its base, its name (`AS <name>`) and its instructions after `FROM`. */
export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** The instructions before the first `FROM` (global `ARG`s) and the stages, continuation lines joined, comments dropped. */
export function parseDockerfile(text: string): { globals: Instruction[]; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const globals: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of lines.map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, " ") };
    if (instruction.keyword === "FROM") {
      const [base = "", as, name] = instruction.args.split(" ");
      stages.push({ base, ...(as?.toUpperCase() === "AS" && name ? { name } : {}), instructions: [] });
    } else {
      (stages.at(-1)?.instructions ?? globals).push(instruction);
    }
  }
  return { globals, stages };
}

/** What the final stage of an app's image is made of and how it starts. */
export interface FinalStage {
  workdir: string;
  env: Record<string, string>;
  /** `COPY --from=<stage> <source> <destination>`, in order. */
  copies: { from: string; source: string; destination: string }[];
  user: { uid: number; gid: number };
  cmd: string[];
}

/**
 * Reads the final stage. Only what a folder can reproduce is allowed there (ENV, WORKDIR, COPY from another stage,
 * a numeric USER, CMD in exec form); anything else, such as a RUN, fails here until the reproduction learns it.
 */
export function finalStage(stages: Stage[]): FinalStage {
  const last = stages.at(-1);
  if (!last) throw new Error("apps/Dockerfile has no stage.");
  const stage: FinalStage = { workdir: "/", env: {}, copies: [], user: { uid: 0, gid: 0 }, cmd: [] };
  for (const { keyword, args } of last.instructions) {
    if (keyword === "ENV") {
      for (const pair of args.split(" ")) {
        const [name = "", ...value] = pair.split("=");
        stage.env[name] = value.join("=");
      }
    } else if (keyword === "WORKDIR") {
      stage.workdir = path.posix.resolve(stage.workdir, args);
    } else if (keyword === "COPY" && /^--from=\S+ \S+ \S+$/.test(args)) {
      const [from = "", source = "", destination = ""] = args.replace(/^--from=/, "").split(" ");
      stage.copies.push({ from, source, destination });
    } else if (keyword === "USER" && /^\d+:\d+$/.test(args)) {
      const [uid = 0, gid = 0] = args.split(":").map(Number);
      stage.user = { uid, gid };
    } else if (keyword === "CMD" && args.startsWith("[")) {
      stage.cmd = JSON.parse(args) as string[];
    } else {
      throw new Error(`The final stage of apps/Dockerfile has "${keyword} ${args}", which the reproduction cannot do.`);
    }
  }
  return stage;
}

/**
 * A sha256 over files and folders under `base` (every file under a folder but dependencies, tests and local data, by
 * its path from `base` and its content), and extra text.
 */
function digestOf(base: string, paths: string[], extra: string[] = []): string {
  const hash = createHash("sha256");
  const add = (file: string) => {
    if (statSync(file).isDirectory()) {
      for (const entry of readdirSync(file).sort()) {
        if (!["node_modules", "test", "data", "dist", ".cache"].includes(entry)) add(path.join(file, entry));
      }
      return;
    }
    hash
      .update(`${path.relative(base, file)}\0`)
      .update(readFileSync(file))
      .update("\0");
  };
  for (const p of paths) add(path.join(base, p));
  for (const text of extra) hash.update(`${text}\0`);
  return hash.digest("hex").slice(0, 24);
}

/**
 * A cache entry `app-images/<name>`, made once by `make` in a fresh folder beside it and renamed into place, so a run
 * that stops half-way, or a parallel run making the same entry, never leaves a partial one.
 */
async function cached(name: string, make: (dir: string) => Promise<void>): Promise<string> {
  const entry = cachePath("app-images", name);
  if (existsSync(entry)) {
    const now = new Date();
    utimesSync(entry, now, now);
    return entry;
  }
  mkdirSync(path.dirname(entry), { recursive: true });
  pruneStale(entry);
  const staging = `${entry}.${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    mkdirSync(staging);
    await make(staging);
    if (!existsSync(entry)) renameSync(staging, entry);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return entry;
}

/** Entries left unused for {@link STALE_MS}, of the same kind and app as `entry` (their inputs have changed since). */
const STALE_MS = 7 * 24 * 60 * 60 * 1000;
function pruneStale(entry: string): void {
  const kind = path.basename(entry).replace(/-[0-9a-f]+$/, "-");
  for (const sibling of readdirSync(path.dirname(entry))) {
    const file = path.join(path.dirname(entry), sibling);
    if (/-[0-9a-f]+$/.test(sibling) && sibling.startsWith(kind) && Date.now() - statSync(file).mtimeMs > STALE_MS) {
      rmSync(file, { recursive: true, force: true });
    }
  }
}

/** The `production-dependencies` stage's /repo: the manifests and `app-image.sh install <app>`, by their content. */
async function productionDependencies(app: string): Promise<string> {
  const manifests = cachePath("app-images", `manifests.${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await run(SCRIPT, ["manifests", ROOT, manifests], { cwd: ROOT });
    const key = digestOf(manifests, ["."], [app, process.version]);
    return await cached(`dependencies-${app}-${key}`, async (dir) => {
      await run("cp", ["-a", `${manifests}/.`, dir]);
      await run(SCRIPT, ["install", app], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    });
  } finally {
    rmSync(manifests, { recursive: true, force: true });
  }
}

/** The `build` stage's /out: `app-image.sh compile <app>`, by the content of everything the compiler reads. */
async function compiled(app: string): Promise<string> {
  const inputs = [
    "tsconfig.json",
    "apps/tsconfig.build.json",
    "package-lock.json",
    "scripts/app-image.sh",
    "events",
    "service-kit",
    "specs",
    `apps/${app}`,
  ];
  return cached(`build-${app}-${digestOf(ROOT, inputs)}`, async (dir) => {
    await run(SCRIPT, ["compile", app, dir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  });
}

/**
 * What each earlier stage's folder is made by, and the instruction of that stage it stands for: the Dockerfile must
 * still say so, or the reproduction would run something else than the image build.
 */
const PRODUCERS: Record<string, { stage: string; instructions: string[]; make(app: string): Promise<string> }> = {
  "build:/out": {
    stage: "build",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, not a template literal
    instructions: ['RUN scripts/app-image.sh compile "${APP}" /out'],
    make: compiled,
  },
  "production-dependencies:/repo": {
    stage: "production-dependencies",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, not a template literal
    instructions: ["WORKDIR /repo", "COPY --from=manifests /manifests ./", 'RUN /build/app-image.sh install "${APP}"'],
    make: productionDependencies,
  },
};

/**
 * Makes `<into><workdir>` the final stage of `app`'s image: each COPY of the final stage applied in order (hard
 * links into the cache where the file system allows it, never writing through them), then every file and folder made
 * read-only, all owned by the user running this (root in the tests, as COPY makes them in the image).
 */
export async function reproduceFinalStage(app: string, into: string): Promise<FinalStage & { root: string }> {
  const { stages } = parseDockerfile(readFileSync(DOCKERFILE, "utf8"));
  const stage = finalStage(stages);
  const root = path.join(into, stage.workdir);
  mkdirSync(root, { recursive: true });
  for (const copy of stage.copies) {
    const producer = PRODUCERS[`${copy.from}:${copy.source}`];
    if (!producer) {
      throw new Error(
        `The final stage copies ${copy.source} from stage ${copy.from}, which the reproduction cannot make.`,
      );
    }
    const made = stages.find((s) => s.name === producer.stage)?.instructions.map((i) => `${i.keyword} ${i.args}`);
    for (const instruction of producer.instructions) {
      if (!made?.includes(instruction)) {
        throw new Error(`Stage ${producer.stage} of apps/Dockerfile no longer has "${instruction}".`);
      }
    }
    const source = `${await producer.make(app)}/.`;
    const destination = path.posix.resolve(stage.workdir, copy.destination);
    const target = path.join(into, destination);
    await run("cp", ["-al", "--remove-destination", source, target]).catch(() =>
      run("cp", ["-a", "--remove-destination", source, target]),
    );
  }
  await run("chmod", ["-R", "a-w", root]);
  return { ...stage, root };
}
