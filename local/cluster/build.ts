// Builds the cluster harness's programs (etcd, kube-apiserver, kubectl, Helm) from source served by the Go module proxy, once per machine, into the project cache.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { cachePath } from "../cache";
import { goCommand, goEnv, goModDownload, makeWritable } from "../go-module";

/**
 * The pinned versions, in one place. Kubernetes publishes its staging modules (`k8s.io/api`, `k8s.io/apiserver`, ...)
 * as `v0.<minor>.<patch>` beside each `v1.<minor>.<patch>` release; etcd's server module is released in step with the
 * modules its `../` replaces point at.
 */
export const CLUSTER_VERSIONS = {
  kubernetes: "v1.34.4",
  kubernetesStaging: "v0.34.4",
  etcd: "v3.6.16",
  helm: "v3.22.0",
} as const;

/** Absolute paths of the harness's programs. */
export interface ClusterBinaries {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  helm: string;
}

/** One thing built from one Go module: its programs, the environment variables that can name existing ones instead. */
interface Piece {
  /** Short name for the command line: `etcd`, `kubernetes`, `helm`. */
  id: string;
  /** Such as "kube-apiserver and kubectl v1.34.4", for log lines and errors. */
  title: string;
  /** Folder in the cache holding the programs and the `.complete` marker. */
  dir: string;
  /** Program file name in `dir` → environment variable that may name an existing program instead. */
  programs: Partial<Record<keyof ClusterBinaries, { file: string; env: string }>>;
  /** What the marker holds: changes whenever the build recipe changes, so an old build is not taken for a new one. */
  recipe: string;
  /** Builds the programs into `stage` (a fresh folder beside `dir`); `source` is a scratch folder inside it. */
  build(stage: string, log: (line: string) => void): Promise<void>;
}

const BIN_ROOT = cachePath("bin");
const MARKER = ".complete";

/** A build failed or cannot start: the message says what could not be built and how to provide it instead. */
export class ClusterBuildError extends Error {
  override name = "ClusterBuildError";
}

/**
 * Runs `go` with its output kept for the error message. Go's own build cache stays where Go keeps it
 * (`go env GOCACHE`), so a rebuild after a change of recipe reuses every compiled package.
 */
async function go(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(goCommand(), args, {
      cwd: options.cwd,
      env: options.env ?? goEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "ENOENT" ? new Error("Go is not installed (https://go.dev/doc/install)") : error),
    );
    child.once("close", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`go ${args.join(" ")} exited with ${code}:\n${output.trim()}`)),
    );
  });
}

/** Copies a module out of Go's read-only module cache into `dest`, writable, so its go.mod can be edited. */
async function writableCopy(from: string, dest: string): Promise<void> {
  // vendor/ is not used (-mod=mod) and is most of the Kubernetes module's files.
  await cp(from, dest, { recursive: true, filter: (source) => path.relative(from, source) !== "vendor" });
  await makeWritable(dest);
}

/**
 * Re-points each `replace X => <prefix>...` of a go.mod at the published module `X <version>`: the module proxy
 * serves a module without its sibling folders (Kubernetes' `./staging/src/k8s.io/<x>`, etcd's `../api` ...), which are
 * published as modules of their own. Other local replaces (etcd's `./FORBIDDEN_DEPENDENCY` guards) are left alone.
 * Throws when the go.mod has not exactly `expected` such replaces, so a new upstream layout is noticed rather than
 * half-built.
 */
export function repointLocalReplaces(goMod: string, prefix: string, version: string, expected: number): string {
  let count = 0;
  const result = goMod.replace(
    /^(\s*(?:replace\s+)?)(\S+)(\s+=>\s+)(\.{1,2}\/\S+)[ \t]*$/gm,
    (line, lead, mod, arrow, target) => {
      if (!target.startsWith(prefix)) return line;
      count += 1;
      return `${lead}${mod}${arrow}${mod} ${version}`;
    },
  );
  if (count !== expected) throw new Error(`expected ${expected} replaces => ${prefix}... in go.mod, found ${count}`);
  return result;
}

/** The version fields that Kubernetes' own build stamps into its programs (hack/lib/version.sh, kube::version::ldflags). */
function kubernetesLdflags(): string {
  const version = CLUSTER_VERSIONS.kubernetes;
  const [major, minor] = version.replace(/^v/, "").split(".");
  const fields = { gitVersion: version, gitMajor: major, gitMinor: minor, gitTreeState: "clean" };
  return Object.entries(fields)
    .flatMap(([key, value]) => [
      `-X k8s.io/client-go/pkg/version.${key}=${value}`,
      `-X k8s.io/component-base/version.${key}=${value}`,
    ])
    .join(" ");
}

const kubernetes: Piece = {
  id: "kubernetes",
  title: `kube-apiserver and kubectl ${CLUSTER_VERSIONS.kubernetes}`,
  dir: path.join(BIN_ROOT, `kubernetes-${CLUSTER_VERSIONS.kubernetes}`),
  programs: {
    kubeApiserver: { file: "kube-apiserver", env: "KUBE_APISERVER" },
    kubectl: { file: "kubectl", env: "KUBECTL" },
  },
  recipe: `k8s.io/kubernetes@${CLUSTER_VERSIONS.kubernetes} staging@${CLUSTER_VERSIONS.kubernetesStaging} trimpath ldflags=version`,
  async build(stage, log) {
    const source = path.join(stage, "src");
    const module = await goModDownload(`k8s.io/kubernetes@${CLUSTER_VERSIONS.kubernetes}`, stage);
    await writableCopy(module, source);
    const goMod = path.join(source, "go.mod");
    // 31 staging modules in v1.34 (k8s.io/api ... k8s.io/sample-controller).
    await writeFile(
      goMod,
      repointLocalReplaces(await readFile(goMod, "utf8"), "./staging/", CLUSTER_VERSIONS.kubernetesStaging, 31),
    );
    for (const program of ["kube-apiserver", "kubectl"]) {
      const started = Date.now();
      await withHeartbeat(`${program} ${CLUSTER_VERSIONS.kubernetes}`, log, () =>
        go(
          ["build", "-trimpath", "-ldflags", kubernetesLdflags(), "-o", path.join(stage, program), `./cmd/${program}`],
          {
            cwd: source,
          },
        ),
      );
      log(`built ${program} ${CLUSTER_VERSIONS.kubernetes} in ${seconds(started)}`);
    }
  },
};

const etcd: Piece = {
  id: "etcd",
  title: `etcd ${CLUSTER_VERSIONS.etcd}`,
  dir: path.join(BIN_ROOT, `etcd-${CLUSTER_VERSIONS.etcd}`),
  programs: { etcd: { file: "etcd", env: "ETCD" } },
  recipe: `go.etcd.io/etcd/server/v3@${CLUSTER_VERSIONS.etcd} trimpath`,
  async build(stage, log) {
    const source = path.join(stage, "src");
    await writableCopy(await goModDownload(`go.etcd.io/etcd/server/v3@${CLUSTER_VERSIONS.etcd}`, stage), source);
    const goMod = path.join(source, "go.mod");
    // api, client/pkg, client/v3 and pkg: the etcd modules released together with the server.
    await writeFile(goMod, repointLocalReplaces(await readFile(goMod, "utf8"), "../", CLUSTER_VERSIONS.etcd, 4));
    await withHeartbeat(this.title, log, () =>
      go(["build", "-trimpath", "-o", path.join(stage, "etcd"), "."], { cwd: source }),
    );
  },
};

const helm: Piece = {
  id: "helm",
  title: `Helm ${CLUSTER_VERSIONS.helm}`,
  dir: path.join(BIN_ROOT, `helm-${CLUSTER_VERSIONS.helm}`),
  programs: { helm: { file: "helm", env: "HELM" } },
  recipe: `helm.sh/helm/v3/cmd/helm@${CLUSTER_VERSIONS.helm} ldflags=version`,
  async build(stage, log) {
    // The version stamp Helm's own Makefile sets (`helm version` says only "v3.22" without it).
    const ldflags = `-X helm.sh/helm/v3/internal/version.version=${CLUSTER_VERSIONS.helm}`;
    await withHeartbeat(this.title, log, () =>
      go(["install", "-ldflags", ldflags, `helm.sh/helm/v3/cmd/helm@${CLUSTER_VERSIONS.helm}`], {
        cwd: stage,
        env: goEnv({ GOBIN: stage, GOFLAGS: "" }),
      }),
    );
  },
};

/** Every piece, in the order the harness needs them. */
const PIECES: readonly Piece[] = [etcd, kubernetes, helm];

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`;
}

/** Logs a line every minute while `work` runs, so a five-minute compile does not look stuck. */
async function withHeartbeat<T>(what: string, log: (line: string) => void, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => log(`still building ${what} (${seconds(started)})`), 60_000);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The programs named by environment variables; all of a piece's, or none. */
function fromEnvironment(piece: Piece, env: NodeJS.ProcessEnv): Partial<ClusterBinaries> | undefined {
  const entries = Object.entries(piece.programs).map(([key, program]) => [key, env[program.env]] as const);
  if (entries.every(([, value]) => !value)) return undefined;
  const missing = Object.values(piece.programs).filter((program) => !env[program.env]);
  if (missing.length > 0) {
    throw new ClusterBuildError(
      `${Object.values(piece.programs)
        .map((p) => p.env)
        .join(" and ")} go together: set ${missing.map((p) => p.env).join(" and ")} too.`,
    );
  }
  for (const [key, value] of entries) {
    const program = piece.programs[key as keyof ClusterBinaries];
    if (!existsSync(value as string))
      throw new ClusterBuildError(
        `${program?.env}=${value}: no such file (it should be the path of ${program?.file}).`,
      );
  }
  return Object.fromEntries(entries.map(([key, value]) => [key, path.resolve(value as string)]));
}

function cached(piece: Piece): Partial<ClusterBinaries> {
  return Object.fromEntries(
    Object.entries(piece.programs).map(([key, program]) => [key, path.join(piece.dir, program.file)]),
  );
}

async function isComplete(piece: Piece): Promise<boolean> {
  const marker = path.join(piece.dir, MARKER);
  return existsSync(marker) && (await readFile(marker, "utf8")).trim() === piece.recipe;
}

function unavailable(piece: Piece, reason: string): ClusterBuildError {
  const envs = Object.values(piece.programs).map((p) => `${p.env}=/path/to/${p.file}`);
  return new ClusterBuildError(
    `${piece.title} (for the cluster tests) could not be built from the Go module proxy: ${reason}\n` +
      `Provide it instead by setting ${envs.join(" and ")} (existing programs of that version), ` +
      "or make Go (https://go.dev/doc/install) and the Go module proxy (GOPROXY) reachable and run again.",
  );
}

/**
 * Makes one piece's programs present: the programs named by its environment variables, else the cache, else a build
 * from the Go module proxy (minutes; one log line when it starts and one with its time when done). The build goes to a
 * staging folder that is renamed into place with its marker inside, so an interrupted build never looks complete, and a
 * second run with the same recipe builds nothing. Returns whether it built now. Throws {@link ClusterBuildError} saying
 * what could not be built and how to provide it.
 */
async function ensurePiece(piece: Piece, log: (line: string) => void): Promise<boolean> {
  if (fromEnvironment(piece, process.env) || (await isComplete(piece))) return false;
  await mkdir(BIN_ROOT, { recursive: true });
  const stage = `${piece.dir}.stage-${process.pid}`;
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  const started = Date.now();
  log(`building ${piece.title} from the Go module proxy into ${piece.dir} (once per machine)`);
  try {
    await piece.build(stage, log);
    await rm(path.join(stage, "src"), { recursive: true, force: true });
    await writeFile(path.join(stage, MARKER), `${piece.recipe}\n`);
    await rm(piece.dir, { recursive: true, force: true });
    await rename(stage, piece.dir);
  } catch (error) {
    // Another run may have finished the same build meanwhile: its result is as good as ours.
    if (await isComplete(piece)) return false;
    throw error instanceof ClusterBuildError ? error : unavailable(piece, (error as Error).message);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  log(`built ${piece.title} in ${seconds(started)}`);
  return true;
}

/** One entry per piece for test/prepare.ts: title, and ensure() resolving to true when it was built now. */
export const CLUSTER_BUILDS: readonly { title: string; ensure(log: (line: string) => void): Promise<boolean> }[] =
  PIECES.map((piece) => ({ title: piece.title, ensure: (log) => ensurePiece(piece, log) }));

/**
 * The harness's programs: those named by `ETCD`, `KUBE_APISERVER` with `KUBECTL`, and `HELM`, else the cached builds.
 * Throws {@link ClusterBuildError} when a program is neither named nor built (`npm test` builds them first:
 * `tsx test/prepare.ts`).
 */
export async function clusterBinaries(env: NodeJS.ProcessEnv = process.env): Promise<ClusterBinaries> {
  const found: Partial<ClusterBinaries> = {};
  for (const piece of PIECES) {
    const named = fromEnvironment(piece, env);
    if (!named && !(await isComplete(piece)))
      throw new ClusterBuildError(
        `${piece.title} is not built yet: run \`npx tsx test/prepare.ts\` (npm test does), or set ${Object.values(
          piece.programs,
        )
          .map((p) => p.env)
          .join(" and ")}.`,
      );
    Object.assign(found, named ?? cached(piece));
  }
  return found as ClusterBinaries;
}

/** `npx tsx local/cluster/build.ts [etcd|kubernetes|helm]...`: builds whatever is missing (of the pieces named). */
async function main(): Promise<void> {
  const log = (line: string) => console.log(`[cluster-build] ${line}`);
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((id) => !PIECES.some((piece) => piece.id === id));
  if (unknown.length > 0) {
    console.error(`unknown piece ${unknown.join(", ")}; pieces: ${PIECES.map((piece) => piece.id).join(", ")}`);
    process.exit(2);
  }
  const pieces = PIECES.filter((piece) => wanted.length === 0 || wanted.includes(piece.id));
  const results = await Promise.allSettled(pieces.map((piece) => ensurePiece(piece, log)));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  if (failures.length > 0) {
    console.error(failures.join("\n\n"));
    process.exit(1);
  }
  if (wanted.length === 0) console.log(JSON.stringify(await clusterBinaries(), null, 2));
}

if (require.main === module) void main();
