// The pinned upstream files the tests judge the platform with (Strimzi's and Dapr's Helm charts, CRDs and examples, the mission's event contract): fetched once into the cache, from ../shared when it is there, else from upstream.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { cachePath } from "../../local/cache";
import { goModDownload, makeWritable } from "../../local/go-module";

const REPO_ROOT = path.resolve(__dirname, "../..");

/**
 * The folder that holds the upstream files, laid out like the project's `shared/` reference folder:
 * `charts/<chart>-<version>/`, `crds/<product>-<version>/`, `examples/<product>-<version>/`, `contract/`.
 */
export const UPSTREAM_DIR = cachePath("upstream");

/** Environment variable naming a folder laid out like `shared/` to copy the upstream files from. */
export const SHARED_ENV = "EVENT_PLATFORM_SHARED";

export const STRIMZI_VERSION = "1.2.0";
export const DAPR_VERSION = "1.18.3";

/** The CRDs the platform renders objects of, laid out like shared/crds/ (the cluster tests apply every CRD of the charts' own crds/ folders). */
const STRIMZI_CRDS = [
  "040-Crd-kafka.yaml",
  "043-Crd-kafkatopic.yaml",
  "044-Crd-kafkauser.yaml",
  "045-Crd-kafkanodepool.yaml",
];
const DAPR_CRDS = ["components.yaml", "configuration.yaml", "resiliency.yaml", "subscription.yaml"];

/** Where one product's files land inside {@link UPSTREAM_DIR}. */
export const upstreamPaths = {
  strimziChart: path.join(UPSTREAM_DIR, "charts", `strimzi-kafka-operator-${STRIMZI_VERSION}`),
  strimziExamples: path.join(UPSTREAM_DIR, "examples", `strimzi-${STRIMZI_VERSION}`),
  daprChart: path.join(UPSTREAM_DIR, "charts", `dapr-${DAPR_VERSION}`),
  /** One sub-folder per product version (`strimzi-1.2.0/`, `dapr-1.18.3/`), each with the CRDs the platform uses. */
  crds: path.join(UPSTREAM_DIR, "crds"),
  /** The mission's published event schemas (JSON Schema draft-07): `task-event.schema.json`, ... */
  contract: path.join(UPSTREAM_DIR, "contract"),
} as const;

/** One product's pinned files, and the two places they can come from. */
interface UpstreamProduct {
  /** Such as "Strimzi 1.2.0". */
  title: string;
  /** What the tests take from it, for the log line and the error message. */
  contents: string;
  /** A file whose presence marks the product as complete in the cache (written last). */
  marker: string;
  /** Copies the files from a folder laid out like `shared/`; returns false when that folder lacks them. */
  fromShared(shared: string, stage: string): Promise<boolean>;
  /** Where the pinned upstream copy comes from, for the log line and the error message; none when only shared/ has it. */
  upstream?: { source: string; fetch(stage: string): Promise<void> };
}

/** A product could not be fetched from anywhere: the message says what was tried and how to provide the files. */
export class UpstreamUnavailableError extends Error {
  override name = "UpstreamUnavailableError";
}

/** Copies the chart's CRDs that the platform uses into `crds/<folder>/`. */
async function copyCrds(chart: string, folder: string, files: readonly string[]): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const file of files) await cp(path.join(chart, "crds", file), path.join(folder, file));
}

/** Lays out a product in `stage` (a fresh folder shaped like UPSTREAM_DIR) from an unpacked chart and examples. */
async function layOut(
  stage: string,
  parts: { chart: string; chartDir: string; crdDir: string; crds: readonly string[] },
) {
  const chartDest = path.join(stage, "charts", path.basename(parts.chartDir));
  await cp(parts.chart, chartDest, { recursive: true });
  await copyCrds(chartDest, path.join(stage, "crds", path.basename(parts.crdDir)), parts.crds);
}

const STRIMZI_TAG_ARCHIVE = `https://github.com/strimzi/strimzi-kafka-operator/archive/refs/tags/${STRIMZI_VERSION}.tar.gz`;
/** The example manifests the tests use, by their path under `packaging/examples/` of Strimzi's source. */
const STRIMZI_EXAMPLES = [
  "kafka/kafka-single-node.yaml",
  "kafka/kafka-ephemeral.yaml",
  "kafka/kafka-persistent.yaml",
  "topic/kafka-topic.yaml",
  "user/kafka-user.yaml",
];

const strimzi: UpstreamProduct = {
  title: `Strimzi ${STRIMZI_VERSION}`,
  contents: "Helm chart, CRDs and example manifests",
  marker: path.join("examples", `strimzi-${STRIMZI_VERSION}`, ".complete"),
  async fromShared(shared, stage) {
    const chart = path.join(shared, "charts", `strimzi-kafka-operator-${STRIMZI_VERSION}`);
    const examples = path.join(shared, "examples", `strimzi-${STRIMZI_VERSION}`);
    if (!existsSync(chart) || !existsSync(examples)) return false;
    await layOut(stage, {
      chart,
      chartDir: upstreamPaths.strimziChart,
      crdDir: path.join(upstreamPaths.crds, `strimzi-${STRIMZI_VERSION}`),
      crds: STRIMZI_CRDS,
    });
    await cp(examples, path.join(stage, "examples", path.basename(examples)), { recursive: true });
    return true;
  },
  // The source as tagged: the chart under packaging/helm-charts/helm3 (its crds/ included), examples under packaging/.
  upstream: { source: STRIMZI_TAG_ARCHIVE, fetch: fetchStrimzi },
};

async function fetchStrimzi(stage: string): Promise<void> {
  const unpacked = path.join(stage, ".source");
  await mkdir(unpacked, { recursive: true });
  await downloadTarGz(STRIMZI_TAG_ARCHIVE, unpacked, [
    "*/packaging/helm-charts/helm3/strimzi-kafka-operator/*",
    ...STRIMZI_EXAMPLES.map((file) => `*/packaging/examples/${file}`),
  ]);
  const source = path.join(unpacked, `strimzi-kafka-operator-${STRIMZI_VERSION}`, "packaging");
  const chart = path.join(source, "helm-charts", "helm3", "strimzi-kafka-operator");
  await layOut(stage, {
    chart,
    chartDir: upstreamPaths.strimziChart,
    crdDir: path.join(upstreamPaths.crds, `strimzi-${STRIMZI_VERSION}`),
    crds: STRIMZI_CRDS,
  });
  const examples = path.join(stage, "examples", `strimzi-${STRIMZI_VERSION}`);
  await mkdir(examples, { recursive: true });
  for (const file of STRIMZI_EXAMPLES) {
    await cp(path.join(source, "examples", file), path.join(examples, path.basename(file)));
  }
  // shared/ carries the chart's default values beside the examples; keep the same layout.
  await cp(path.join(chart, "values.yaml"), path.join(examples, "helm-values.yaml"));
  await rm(unpacked, { recursive: true, force: true });
}

const DAPR_MODULE = `github.com/dapr/dapr@v${DAPR_VERSION}`;

const dapr: UpstreamProduct = {
  title: `Dapr ${DAPR_VERSION}`,
  contents: "Helm chart and CRDs",
  marker: path.join("crds", `dapr-${DAPR_VERSION}`, ".complete"),
  async fromShared(shared, stage) {
    const chart = path.join(shared, "charts", `dapr-${DAPR_VERSION}`);
    if (!existsSync(chart)) return false;
    await layOut(stage, {
      chart,
      chartDir: upstreamPaths.daprChart,
      crdDir: path.join(upstreamPaths.crds, `dapr-${DAPR_VERSION}`),
      crds: DAPR_CRDS,
    });
    return true;
  },
  // Dapr's chart is part of its Go module (charts/dapr), so the Go module proxy serves it, checksum-verified.
  upstream: { source: `the Go module proxy (${DAPR_MODULE}, charts/dapr)`, fetch: fetchDapr },
};

async function fetchDapr(stage: string): Promise<void> {
  await mkdir(UPSTREAM_DIR, { recursive: true });
  const dir = await goModDownload(DAPR_MODULE, UPSTREAM_DIR);
  await layOut(stage, {
    chart: path.join(dir, "charts", "dapr"),
    chartDir: upstreamPaths.daprChart,
    crdDir: path.join(upstreamPaths.crds, `dapr-${DAPR_VERSION}`),
    crds: DAPR_CRDS,
  });
  // The module's chart folder carries a Go embed file that is no part of the chart.
  const embed = path.join(stage, "charts", `dapr-${DAPR_VERSION}`, "embed.go");
  await chmod(path.dirname(embed), 0o755);
  await rm(embed, { force: true });
}

/** The mission's published event schemas: the wire contract the events we emit must validate against. */
const CONTRACT_FILES = ["task-event.schema.json", "reminder-event.schema.json", "task-update-event.schema.json"];

const contract: UpstreamProduct = {
  title: "The mission's event contract",
  contents: "JSON Schemas of task, reminder and task-update events",
  marker: path.join("contract", ".complete"),
  async fromShared(shared, stage) {
    const dir = path.join(shared, "contract");
    if (!CONTRACT_FILES.every((file) => existsSync(path.join(dir, file)))) return false;
    await mkdir(path.join(stage, "contract"), { recursive: true });
    for (const file of CONTRACT_FILES) await cp(path.join(dir, file), path.join(stage, "contract", file));
    return true;
  },
  // Published with the mission's design only: there is no other pinned source to fetch it from.
};

/** Every upstream product the tests use. */
export const UPSTREAM_PRODUCTS: readonly UpstreamProduct[] = [strimzi, dapr, contract];

/** How long a download may take to start answering before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 20_000;

/** Streams a `.tar.gz` from `url` through `tar`, unpacking only the members matching `patterns` (shell globs). */
async function downloadTarGz(url: string, dest: string, patterns: readonly string[]): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
    CONNECT_TIMEOUT_MS,
  );
  let response: Response;
  try {
    response = await fetch(url, { signal: controller.signal });
  } catch (error) {
    throw new Error(describeFetchError(error));
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const tar = spawn("tar", ["-xzf", "-", "-C", dest, "--wildcards", ...patterns], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  tar.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number>((resolve, reject) => {
    tar.on("error", reject);
    tar.on("close", (code) => resolve(code ?? 1));
  });
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), tar.stdin);
  const code = await exited;
  if (code !== 0) throw new Error(`tar exited with ${code}: ${stderr.trim()}`);
}

/** fetch() rejects with "fetch failed" and the reason in `cause` (such as `getaddrinfo ENOTFOUND github.com`). */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const reason = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return reason;
}

/** The folder laid out like `shared/` to copy from: `$EVENT_PLATFORM_SHARED`, else `../shared` beside the repository. */
export function sharedSource(env: NodeJS.ProcessEnv = process.env): { dir: string; fromEnv: boolean } | undefined {
  if (env[SHARED_ENV]) return { dir: path.resolve(env[SHARED_ENV]), fromEnv: true };
  const beside = path.resolve(REPO_ROOT, "../shared");
  return existsSync(beside) ? { dir: beside, fromEnv: false } : undefined;
}

export interface EnsureResult {
  title: string;
  /** Where the files came from this time: "cache", a shared folder, or the upstream source. */
  source: string;
  fetched: boolean;
}

/**
 * Makes one product's files present in {@link UPSTREAM_DIR}: a cache hit does nothing; otherwise copies them from
 * `$EVENT_PLATFORM_SHARED` or `../shared`, else fetches the pinned upstream copy, logging one line saying what and
 * from where. Files are staged and moved into place, so an interrupted run never leaves a product looking complete.
 * Throws {@link UpstreamUnavailableError} naming the product, what was tried, and how to provide the files.
 */
async function ensureProduct(product: UpstreamProduct, log: (line: string) => void): Promise<EnsureResult> {
  if (existsSync(path.join(UPSTREAM_DIR, product.marker))) {
    return { title: product.title, source: "cache", fetched: false };
  }
  await mkdir(UPSTREAM_DIR, { recursive: true });
  const stage = path.join(UPSTREAM_DIR, `.stage-${process.pid}-${product.title.replace(/\W+/g, "-")}`);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  try {
    const source = await obtain(product, stage, log);
    await moveIntoPlace(stage, product);
    return { title: product.title, source, fetched: true };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Lays out the product's files in `stage`, from shared/ or upstream; returns where they came from. */
async function obtain(product: UpstreamProduct, stage: string, log: (line: string) => void): Promise<string> {
  const what = `${product.title} (${product.contents})`;
  const shared = sharedSource();
  if (shared && (await product.fromShared(shared.dir, stage))) {
    log(`${what}: copied from ${shared.dir} into ${UPSTREAM_DIR}`);
    return shared.dir;
  }
  // A folder named on purpose that lacks the files is a mistake to report, not a reason to go elsewhere.
  if (shared?.fromEnv) {
    throw new UpstreamUnavailableError(
      `${product.title}'s ${product.contents} are not in ${SHARED_ENV}=${shared.dir}.`,
    );
  }
  if (!product.upstream) {
    throw new UpstreamUnavailableError(
      `${product.title}'s ${product.contents} are published only in shared/, and no shared/ folder was found.`,
    );
  }
  log(`${what}: fetching from ${product.upstream.source} into ${UPSTREAM_DIR}`);
  try {
    await product.upstream.fetch(stage);
  } catch (error) {
    throw new UpstreamUnavailableError(
      `${product.title}'s ${product.contents} could not be fetched from ${product.upstream.source}: ${(error as Error).message}.`,
    );
  }
  return product.upstream.source;
}

/** Moves each top-level folder of the staged product into UPSTREAM_DIR, then writes its marker. */
async function moveIntoPlace(stage: string, product: UpstreamProduct): Promise<void> {
  await makeWritable(stage);
  for (const kind of ["charts", "crds", "examples", "contract"]) {
    const from = path.join(stage, kind);
    if (!existsSync(from)) continue;
    for (const entry of await readdir(from)) {
      const target = path.join(UPSTREAM_DIR, kind, entry);
      await mkdir(path.dirname(target), { recursive: true });
      await rm(target, { recursive: true, force: true });
      await rename(path.join(from, entry), target);
    }
  }
  await mkdir(path.dirname(path.join(UPSTREAM_DIR, product.marker)), { recursive: true });
  await writeFile(path.join(UPSTREAM_DIR, product.marker), `${product.title}\n`);
}

/**
 * Makes every upstream product present in the cache (see {@link ensureProduct}), all at once. Throws one
 * {@link UpstreamUnavailableError} whose message lists every product that could not be had.
 */
export async function ensureUpstream(log: (line: string) => void = () => {}): Promise<EnsureResult[]> {
  const settled = await Promise.allSettled(UPSTREAM_PRODUCTS.map((product) => ensureProduct(product, log)));
  const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as Error] : []));
  if (failures.length > 0) {
    const unexpected = failures.find((error) => !(error instanceof UpstreamUnavailableError));
    if (unexpected) throw unexpected;
    const provide =
      `Provide them by setting ${SHARED_ENV} to a folder laid out like the project's shared/ folder ` +
      "(charts/, crds/, examples/, contract/), or by putting that folder beside the repository as ../shared.";
    throw new UpstreamUnavailableError([...failures.map((error) => `- ${error.message}`), provide].join("\n"));
  }
  return settled.map((s) => (s as PromiseFulfilledResult<EnsureResult>).value);
}
