// Planning cost: wall time and peak memory of `npm run plan` (infra/plan.js) per stack and for synthetic catalogs (bench/synthetic-program.ts), and where a prod plan's CPU time goes, from a V8 CPU profile.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PlanRun {
  /** The stack, or `<size> apps and topics` for a synthetic catalog planned with the prod stack's config. */
  stack: string;
  /** Apps (and as many topics) of a synthetic catalog; absent for the bundled one. */
  catalogSize?: number;
  /** Wall seconds of each run, and their median. */
  seconds: number[];
  medianSeconds: number;
  /** Peak resident memory of the largest run, MiB (GNU time's maximum RSS). */
  peakMiB: number;
  resources: number;
  kubernetesObjects: number;
}

/** Self CPU time of a profiled plan by where the code comes from, ms. */
export type PlanProfile = Record<string, number>;

/**
 * Runs `node infra/plan.js --stack <stack> --out <tmp>` under GNU time `runs` times (as `npm run plan` does), each a
 * child process; with `catalogSize`, the prod stack's config on a synthetic catalog of that many apps and topics.
 */
export async function planCost(stack: string, runs: number, catalogSize?: number): Promise<PlanRun> {
  const synthetic = catalogSize === undefined ? [] : ["--program", "bench/synthetic-program.ts"];
  const seconds: number[] = [];
  let peakKiB = 0;
  let resources = 0;
  let kubernetesObjects = 0;
  for (let i = 0; i < runs; i++) {
    const out = await mkdtemp(join(tmpdir(), "bench-plan-"));
    try {
      const { stdout, stderr } = await run(
        "/usr/bin/time",
        ["-f", "BENCH_TIME %e %M", process.execPath, "infra/plan.js", "--stack", stack, "--out", out, ...synthetic],
        { maxBuffer: 64 * 2 ** 20, env: { ...process.env, BENCH_CATALOG_SIZE: String(catalogSize ?? "") } },
      );
      const [, wall, rss] = /BENCH_TIME ([\d.]+) (\d+)/.exec(stderr) ?? [];
      seconds.push(Number(wall));
      peakKiB = Math.max(peakKiB, Number(rss));
      const counts = /: (\d+) resources, (\d+) Kubernetes objects/.exec(stdout);
      resources = Number(counts?.[1] ?? 0);
      kubernetesObjects = Number(counts?.[2] ?? 0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  return {
    stack: catalogSize === undefined ? stack : `${catalogSize} apps and topics`,
    ...(catalogSize === undefined ? {} : { catalogSize }),
    seconds,
    medianSeconds: sorted[Math.floor(sorted.length / 2)] ?? 0,
    peakMiB: Math.round(peakKiB / 1024),
    resources,
    kubernetesObjects,
  };
}

/** Where code in a CPU profile comes from, by its script URL. */
export function categoryOf(url: string, functionName: string): string {
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return "idle and native";
  if (/\/node_modules\/(typescript|ts-node)\//.test(url)) return "TypeScript (ts-node compiling and type-checking)";
  if (/\/node_modules\/@pulumi\//.test(url)) return "Pulumi SDK and providers' packages";
  if (url.includes("/node_modules/")) return "other libraries";
  if (url.startsWith("node:") || url === "") return "Node.js internals (module loading, fs, gRPC I/O)";
  if (url.endsWith("/infra/plan.js")) return "the plan command (mocks, rendering)";
  return "the program (infra/, components/, specs/, stacks/, events/)";
}

/** The parts of a V8 CPU profile (`Profiler.stop`, `--cpu-prof`) the summaries read. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; functionName: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Profiles one plan of `stack` with `node --cpu-prof` and sums self time by `categoryOf`. */
export async function planProfile(stack: string): Promise<PlanProfile> {
  const dir = await mkdtemp(join(tmpdir(), "bench-plan-prof-"));
  try {
    await run(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, "infra/plan.js", "--stack", stack], {
      maxBuffer: 64 * 2 ** 20,
    });
    const file = (await readdir(dir)).find((name) => name.endsWith(".cpuprofile"));
    if (!file) throw new Error("node --cpu-prof wrote no profile");
    return summarizeProfile(JSON.parse(await readFile(join(dir, file), "utf8")) as CpuProfile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Self time (ms) per category of a V8 CPU profile: each sample's time delta charged to the sampled node. */
export function summarizeProfile(profile: CpuProfile): PlanProfile {
  const category = new Map(
    profile.nodes.map((node) => [node.id, categoryOf(node.callFrame.url, node.callFrame.functionName)]),
  );
  const totals: PlanProfile = {};
  profile.samples.forEach((id, i) => {
    const name = category.get(id) ?? "idle and native";
    totals[name] = (totals[name] ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000;
  });
  return Object.fromEntries(Object.entries(totals).map(([name, ms]) => [name, Math.round(ms)]));
}
