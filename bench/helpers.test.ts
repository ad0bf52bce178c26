// Unit tests of the benchmark's helpers: percentiles and ratios, per-user order, CPU profile categories, other work's CPU, and the report's tables, goals and plots.
import { describe, expect, it } from "vitest";
import { otherCores, sampleCpu } from "./contention";
import { categoryOf, summarizeProfile } from "./planning";
import { sourceOf, summarizeWrites } from "./profile-summary";
import { contention, goals, markdown, plots, renderSvg, table } from "./report";
import type { BenchResults } from "./results";
import { judge } from "./scaling";
import { formatMs, formatRate, formatRatio, ratio, summarize } from "./stats";

describe("summaries and ratios", () => {
  it("gives HdrHistogram percentiles in ms at microsecond resolution", () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => (i + 1) / 10); // 0.1 … 100 ms
    const summary = summarize(latencies);
    expect(summary.count).toBe(1000);
    expect(summary.p50).toBeCloseTo(50, 1);
    expect(summary.p99).toBeCloseTo(99, 0);
    expect(summary.max).toBeCloseTo(100, 0);
    expect(summarize([])).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
  });

  it("states no ratio without a baseline, and prints ratios, times and rates", () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
    expect([formatRatio(1.5), formatRatio(12.4), formatRatio(undefined)]).toEqual(["×1.50", "×12", "n/a"]);
    expect([formatMs(1.234), formatMs(12.34), formatMs(1234.5)]).toEqual(["1.23 ms", "12.3 ms", "1,235 ms"]);
    expect(formatRate(1234.4)).toBe("1,234/s");
  });
});

describe("scaling judgement", () => {
  it("counts a user's event delivered after a later one, and redeliveries, by delivery time", () => {
    const verdict = judge([
      ["ann", 0, 1000],
      ["bob", 0, 1001],
      ["ann", 2, 1002],
      ["ann", 1, 1003], // after ann's 2
      ["bob", 0, 1004], // again
      ["bob", 1, 1500],
    ]);
    expect(verdict).toMatchObject({ delivered: 5, orderViolations: 1, duplicates: 1 });
    expect(verdict.throughput).toBeCloseTo(10, 5); // 5 events over 500 ms
  });
});

describe("planning profile", () => {
  it("charges each sample's time to where its code comes from", () => {
    expect(categoryOf("file:///x/node_modules/typescript/lib/typescript.js", "checkSourceFile")).toMatch(/TypeScript/);
    expect(categoryOf("file:///x/node_modules/@pulumi/pulumi/runtime/rpc.js", "f")).toMatch(/Pulumi/);
    expect(categoryOf("node:internal/modules/cjs/loader", "f")).toMatch(/Node\.js internals/);
    expect(categoryOf("file:///x/components/platform.ts", "f")).toMatch(/the program/);
    expect(categoryOf("", "(garbage collector)")).toBe("garbage collection");
    const profile = summarizeProfile({
      nodes: [
        { id: 1, callFrame: { url: "file:///x/node_modules/typescript/lib/typescript.js", functionName: "check" } },
        { id: 2, callFrame: { url: "file:///x/specs/apps.ts", functionName: "apps" } },
      ],
      samples: [1, 1, 2],
      timeDeltas: [1000, 3000, 2000],
    });
    expect(profile).toEqual({
      "TypeScript (ts-node compiling and type-checking)": 4,
      "the program (infra/, components/, specs/, stacks/, events/)": 2,
    });
  });
});

describe("task-write profile", () => {
  it("names packages and repository files, and charges Node's internals to the nearest caller with a concern", () => {
    expect(sourceOf("file:///r/node_modules/@platformatic/kafka/dist/x.js", "f")).toBe("@platformatic/kafka");
    expect(sourceOf("file:///r/node_modules/jose/dist/webapi/jwt/verify.js", "f")).toBe("jose");
    expect(sourceOf("file:///r/service-kit/src/auth.ts", "f")).toBe("service-kit/src/auth.ts");
    expect(sourceOf("node:net", "write")).toBe("node:net");
    expect(sourceOf("", "(garbage collector)")).toBe("(garbage collector)");
    expect(sourceOf("", "writeBuffer")).toBe("native code (C++ builtins)");
    const summary = summarizeWrites({
      nodes: [
        { id: 1, callFrame: { url: "", functionName: "(root)" }, children: [2, 4] },
        { id: 2, callFrame: { url: "file:///r/node_modules/pg/lib/client.js", functionName: "query" }, children: [3] },
        { id: 3, callFrame: { url: "node:net", functionName: "write" } },
        { id: 4, callFrame: { url: "node:net", functionName: "onread" } },
      ],
      samples: [2, 3, 3, 4],
      timeDeltas: [1000, 2000, 2000, 500],
    });
    expect(summary.bySource).toEqual({ pg: 1, "node:net": 4.5 });
    expect(summary.byConcern).toEqual({
      "database client (pg, Kysely)": 5,
      "Node.js runtime (I/O callbacks, HTTP parser, timers)": 0.5,
    });
  });
});

describe("other work on the machine", () => {
  it("counts the machine's busy time outside the bench's own process tree, in cores", () => {
    const before = { at: 0, busyTicks: 1_000, ownTicks: 400 };
    // 10 s: 1,500 busy ticks (15 CPU-seconds), 500 of them the bench's own: others used 1 core on average.
    expect(otherCores(before, { at: 10_000, busyTicks: 2_500, ownTicks: 900 })).toBeCloseTo(1, 5);
    expect(otherCores(before, { at: 10_000, busyTicks: 1_500, ownTicks: 900 })).toBe(0);
    expect(otherCores(before, before)).toBe(0);
  });

  it("reads procfs: the bench's own busy work counts as its own, not as other work", () => {
    const before = sampleCpu();
    if (!before) throw new Error("no /proc/stat on this machine");
    // Spin until this process has used 0.3 CPU-seconds (not 0.3 s of wall time: on a loaded machine it gets less).
    const start = process.cpuUsage();
    let spins = 0;
    while (cpuMsSince(start) < 300) spins++;
    const after = sampleCpu();
    if (!after) throw new Error("no /proc/stat on this machine");
    expect(spins).toBeGreaterThan(0);
    // 0.3 CPU-seconds of this process: at least 20 ticks (10 ms each) of its own, whatever else runs.
    expect(after.ownTicks - before.ownTicks).toBeGreaterThanOrEqual(20);
    expect(after.busyTicks - before.busyTicks).toBeGreaterThanOrEqual(after.ownTicks - before.ownTicks - 5);
  });
});

const results: BenchResults = {
  startedAt: "2026-12-01T00:00:00.000Z",
  finishedAt: "2026-12-01T00:10:00.000Z",
  quick: true,
  machine: {
    cores: 2,
    cpuModel: "cpu",
    memoryGiB: 8,
    node: "v24",
    kafka: "4.3.1",
    postgres: "15.18",
    platform: "linux x64",
  },
  phaseSeconds: 2,
  kafka: {
    points: [{ rate: 500, sent: 10, delivered: 10, latency: { count: 10, p50: 2, p99: 4, max: 5 } }],
    maxThroughput: 2000,
    maxSent: 10,
    maxDelivered: 10,
  },
  sidecar: {
    points: [{ rate: 500, sent: 10, delivered: 10, latency: { count: 10, p50: 3, p99: 5.5, max: 6 } }],
    maxThroughput: 1000,
    maxSent: 10,
    maxDelivered: 10,
  },
  planning: {
    runs: [
      { stack: "dev", seconds: [4], medianSeconds: 4, peakMiB: 500, resources: 70, kubernetesObjects: 40 },
      { stack: "prod", seconds: [6], medianSeconds: 6, peakMiB: 600, resources: 80, kubernetesObjects: 50 },
    ],
  },
  errors: { drain: "the broker went away" },
};

describe("report", () => {
  it("writes Markdown tables", () => {
    expect(table(["a", "b"], [["1", "2"]])).toBe("| a | b |\n| --- | --- |\n| 1 | 2 |");
  });

  it("judges the issue's goals, and leaves the unmeasured ones open", () => {
    const rows = goals(results);
    expect(rows[0]).toEqual({
      goal: "sidecar publish-to-delivery p99 overhead ≤ 2 ms over raw Kafka at 500 events/s",
      measured: "+1.50 ms",
      met: true,
    });
    expect(rows.find((row) => row.goal.includes("plan"))).toMatchObject({ measured: "6.0 s", met: false });
    expect(rows.find((row) => row.goal.includes("WebSocket"))?.met).toBeUndefined();
  });

  it("names each figure's baseline, links the plots it has, and lists failed sections", () => {
    const specs = plots(results);
    expect(Object.keys(specs).sort()).toEqual(["event-latency.svg", "planning.svg"]);
    const doc = markdown(results, "benchmarks", Object.keys(specs), "## Analysis");
    expect(doc).toContain("![event-latency.svg](benchmarks/event-latency.svg)");
    expect(doc).toContain("| 500/s | 2.00 ms / 4.00 ms | 3.00 ms / 5.50 ms | ×1.50 / ×1.38 | 10 of 10 |");
    expect(doc).toContain("- drain: the broker went away");
    for (const spec of Object.values(specs)) expect(String(spec.title)).toMatch(/baseline/);
  });

  it("says per section how much CPU other work took, and which sections ran on a shared machine", () => {
    expect(contention(results)).toBe("");
    const shared = { ...results, otherCores: { "raw Kafka (baseline)": 0.04, "sidecar publish": 1.2 } };
    const paragraph = contention(shared);
    expect(paragraph).toContain("raw Kafka (baseline) 0.04, sidecar publish 1.20");
    expect(paragraph).toContain("sidecar publish ran on a shared machine: read its ratios");
    expect(markdown(shared, "benchmarks", [], "")).toContain(paragraph);
    expect(contention({ ...results, otherCores: { planning: 0.01 } })).toContain("No section shared the machine");
  });

  it("draws a plot as SVG in Node", async () => {
    const spec = plots(results)["event-latency.svg"];
    if (!spec) throw new Error("no event latency plot");
    const svg = await renderSvg(spec);
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain("raw Kafka (baseline)");
  });
});

/** CPU milliseconds (user + system) this process used since `start` (a `process.cpuUsage()` reading). */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}
