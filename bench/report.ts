// Renders docs/benchmarks.md and its SVG plots (vega-lite compiled, vega rendering in Node) from one run's results.
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import type { PlanRun } from "./planning";
import type { BenchResults } from "./results";
import { formatMs, formatRate, formatRatio, ratio } from "./stats";
import type { LoadPoint } from "./task-writes";

/** A Markdown table from a header row and body rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** One goal of the issue, measured: the value as printed, and whether it is met (undefined: not measured). */
export interface GoalRow {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

/** The issue's goals against a run's results. */
export function goals(results: BenchResults): GoalRow[] {
  const at = <T extends { rate?: number }>(points: readonly T[] | undefined, rate: number) =>
    points?.find((p) => p.rate === rate);
  const kafka500 = at(results.kafka?.points, 500);
  const sidecar500 = at(results.sidecar?.points, 500);
  const overhead = sidecar500 && kafka500 ? sidecar500.latency.p99 - kafka500.latency.p99 : undefined;
  const ws500 = at(results.websocket, 500);
  const pgMax = results.restPostgres?.find((p) => p.rate === undefined);
  const bareMax = results.bare?.find((p) => p.rate === undefined);
  const pg1000 = at(results.restPostgres, 1000);
  const lagWorst = results.restPostgres
    ?.filter((p) => p.rate !== undefined)
    .reduce((worst, p) => Math.max(worst, p.outboxLag.p99), 0);
  const prod = results.planning?.runs.find((r) => r.stack === "prod");
  return [
    {
      goal: "sidecar publish-to-delivery p99 overhead ≤ 2 ms over raw Kafka at 500 events/s",
      measured: overhead === undefined ? "n/a" : `+${formatMs(overhead)}`,
      met: overhead === undefined ? undefined : overhead <= 2,
    },
    {
      goal: "REST-to-WebSocket p99 ≤ 20 ms at 500 tasks/s",
      measured: formatMs(ws500?.latency.p99),
      met: ws500 ? ws500.latency.p99 <= 20 : undefined,
    },
    {
      goal: "task writes on PostgreSQL ≥ 1,000/s",
      measured: formatRate(pgMax?.throughput),
      met: pgMax ? pgMax.throughput >= 1000 : undefined,
    },
    {
      goal: "task writes on PostgreSQL p99 ≤ 50 ms (at 1,000 writes/s offered)",
      measured: formatMs(pg1000?.p99),
      met: pg1000 ? pg1000.p99 <= 50 && pg1000.failures === 0 : undefined,
    },
    {
      goal: "task writes ≥ half the bare baseline's throughput",
      measured: formatRatio(ratio(pgMax?.throughput, bareMax?.throughput)),
      met: pgMax && bareMax ? pgMax.throughput >= bareMax.throughput / 2 : undefined,
    },
    {
      goal: "outbox lag p99 ≤ 50 ms (worst offered rate, PostgreSQL)",
      measured: formatMs(lagWorst),
      met: lagWorst === undefined ? undefined : lagWorst <= 50,
    },
    {
      goal: "`npm run plan` of prod ≤ 2 s",
      measured: prod ? `${prod.medianSeconds.toFixed(1)} s` : "n/a",
      met: prod ? prod.medianSeconds <= 2 : undefined,
    },
  ];
}

/**
 * Renders a vega-lite spec to SVG text in Node (vega's SVG renderer needs no canvas). Both packages are ES modules
 * whose dependency `vega-canvas` awaits at top level, which a CommonJS `require` cannot load: imported dynamically.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

type Row = Record<string, string | number>;

/** A point with percentiles: a rate phase's latency, or a load phase's request latency. */
interface Percentiles {
  rate?: number;
  p50: number;
  p99: number;
}

/** A grouped bar chart: `x` categories, one bar per `series`, faceted by `facet` when given. */
function bars(title: string, rows: Row[], x: string, y: string, series: string, facet?: string): TopLevelSpec {
  const unit = {
    mark: { type: "bar" as const, tooltip: true },
    encoding: {
      x: { field: x, type: "ordinal" as const, title: x },
      xOffset: { field: series },
      y: { field: y, type: "quantitative" as const, title: y },
      color: { field: series, type: "nominal" as const, title: null },
    },
  };
  return facet
    ? {
        title,
        data: { values: rows },
        facet: { column: { field: facet, type: "nominal", title: null } },
        spec: { ...unit, width: 260, height: 200 },
        resolve: { scale: { y: "independent" } },
      }
    : { title, data: { values: rows }, ...unit, width: 420, height: 220 };
}

/** The plots of a run, by file name. */
export function plots(results: BenchResults): Record<string, TopLevelSpec> {
  const out: Record<string, TopLevelSpec> = {};
  /** Bars of p50 and p99 per offered rate, one series per path; `points` as `[label, {rate, p50, p99}[]]`. */
  const latencyChart = (title: string, axis: string, series: [string, readonly Percentiles[]][]) =>
    bars(
      title,
      series.flatMap(([label, points]) =>
        points.flatMap((p) =>
          (["p50", "p99"] as const).map((percentile) => ({
            path: label,
            [axis]: p.rate ?? 0,
            percentile,
            "latency (ms)": p[percentile],
          })),
        ),
      ),
      axis,
      "latency (ms)",
      "path",
      "percentile",
    );
  const ofLatency = (points: readonly { rate?: number; latency: Percentiles }[]) =>
    points.map((p) => ({ ...p.latency, ...(p.rate === undefined ? {} : { rate: p.rate }) }));
  if (results.kafka && results.sidecar) {
    out["event-latency.svg"] = latencyChart(
      "Publish to delivery; baseline: raw Kafka produce-to-consume (same client, 1 KB CloudEvents)",
      "offered rate (events/s)",
      [
        ["raw Kafka (baseline)", ofLatency(results.kafka.points)],
        ["through the sidecar", ofLatency(results.sidecar.points)],
      ],
    );
  }
  const paced = (points: readonly LoadPoint[] | undefined) => (points ?? []).filter((p) => p.rate !== undefined);
  if (results.bare || results.restPostgres || results.restPglite) {
    out["task-writes.svg"] = latencyChart(
      "Write latency; baseline: a bare fastify route inserting one row in the same PostgreSQL",
      "offered rate (writes/s)",
      [
        ["bare route (baseline)", paced(results.bare)],
        ["REST on PostgreSQL", paced(results.restPostgres)],
        ["REST on PGlite", paced(results.restPglite)],
      ],
    );
    const max = (label: string, points: readonly { rate?: number; throughput: number }[] | undefined) => {
      const p = points?.find((point) => point.rate === undefined);
      return p ? [{ path: label, kind: "writes", "per second": Math.round(p.throughput) }] : [];
    };
    const events = [
      ...(results.kafka
        ? [{ path: "raw Kafka (baseline)", kind: "events", "per second": Math.round(results.kafka.maxThroughput) }]
        : []),
      ...(results.sidecar
        ? [{ path: "through the sidecar", kind: "events", "per second": Math.round(results.sidecar.maxThroughput) }]
        : []),
    ];
    out["throughput.svg"] = bars(
      "Maximum throughput; baselines: raw Kafka (events), the bare route (writes)",
      [
        ...events,
        ...max("bare route (baseline)", results.bare),
        ...max("REST on PostgreSQL", results.restPostgres),
        ...max("REST on PGlite", results.restPglite),
      ],
      "path",
      "per second",
      "path",
      "kind",
    );
  }
  if (results.websocket) {
    const kafkaAt = (rate: number) => results.kafka?.points.filter((p) => p.rate === rate) ?? [];
    out["websocket.svg"] = latencyChart(
      "REST task creation to WebSocket frame; baseline: raw Kafka produce-to-consume at the same rate",
      "offered rate (events/s)",
      [
        ["raw Kafka (baseline)", ofLatency(results.websocket.flatMap((p) => kafkaAt(p.rate)))],
        ["REST → WebSocket", ofLatency(results.websocket)],
      ],
    );
  }
  if (results.scaling) {
    out["scaling.svg"] = bars(
      "Subscriber throughput by instances; baseline: 1 instance on 3 partitions",
      results.scaling.map((p) => ({
        configuration: `${p.instances} on ${p.partitions} partitions`,
        "events/s": Math.round(p.throughput),
        series: "throughput",
      })),
      "configuration",
      "events/s",
      "series",
    );
  }
  if (results.planning) {
    out["planning.svg"] = bars(
      "`npm run plan` per stack; baseline: the dev stack",
      results.planning.runs.flatMap((r) => [
        { stack: r.stack, measure: "wall seconds (median)", value: r.medianSeconds },
        { stack: r.stack, measure: "peak memory (MiB)", value: r.peakMiB },
      ]),
      "stack",
      "value",
      "stack",
      "measure",
    );
  }
  return out;
}

/** Growth per resource between the smallest and the largest synthetic catalog: a line's slope through its ends. */
function growth(runs: readonly PlanRun[]): string {
  const synthetic = runs.filter((r) => r.catalogSize !== undefined).sort((a, b) => a.resources - b.resources);
  const first = synthetic[0];
  const last = synthetic.at(-1);
  if (!first || !last || last.resources === first.resources) return "";
  const per = (a: number, b: number) => (b - a) / (last.resources - first.resources);
  return `From ${first.resources} to ${last.resources} resources, each further resource adds ${(
    per(first.medianSeconds, last.medianSeconds) * 1000
  ).toFixed(1)} ms of wall time and ${(per(first.peakMiB, last.peakMiB) * 1024).toFixed(0)} KiB of peak memory.`;
}

/**
 * The paragraph on how shared the machine was: per section, the CPU other work used while it ran (cores); empty for
 * results from before it was recorded.
 */
export function contention(results: BenchResults): string {
  const entries = Object.entries(results.otherCores ?? {});
  if (entries.length === 0) return "";
  const cores = results.machine.cores;
  const busy = entries.filter(([, used]) => used >= SHARED_CORES);
  const verdict =
    busy.length === 0
      ? "No section shared the machine with other work worth counting."
      : `${busy.length === entries.length ? "Every section" : busy.map(([name]) => name).join(", ")} ran on a shared machine: read ${busy.length === 1 ? "its" : "their"} ratios (baseline and platform measured under the same sharing), not ${busy.length === 1 ? "its" : "their"} absolute values.`;
  return `

**Other work on the machine** while each section ran (CPU used outside the bench's own processes, in cores of
${cores}; bench/contention.ts): ${entries.map(([name, used]) => `${name} ${used.toFixed(2)}`).join(", ")}. ${verdict}`;
}

/** Other work's CPU, in cores, from which a section counts as run on a shared machine. */
const SHARED_CORES = 0.25;

const yesNo = (met: boolean | undefined) => (met === undefined ? "not measured" : met ? "met" : "**missed**");

/** The Markdown of the report; `plotDir` is where the SVGs are, relative to the document. */
export function markdown(
  results: BenchResults,
  plotDir: string,
  plotNames: readonly string[],
  analysis: string,
): string {
  const m = results.machine;
  const img = (name: string) => (plotNames.includes(name) ? `\n![${name}](${plotDir}/${name})\n` : "");
  const kafkaAt = (rate?: number) => results.kafka?.points.find((p) => p.rate === rate);
  const bareAt = (rate?: number) => results.bare?.find((p) => p.rate === rate);
  /** A rate's cells against the raw Kafka baseline at that rate: rate, baseline, path, ratios. */
  const againstKafka = (p: { rate: number; latency: Percentiles }) => {
    const base = kafkaAt(p.rate);
    return [
      formatRate(p.rate),
      `${formatMs(base?.latency.p50)} / ${formatMs(base?.latency.p99)}`,
      `${formatMs(p.latency.p50)} / ${formatMs(p.latency.p99)}`,
      `${formatRatio(ratio(p.latency.p50, base?.latency.p50))} / ${formatRatio(ratio(p.latency.p99, base?.latency.p99))}`,
    ];
  };
  const sections: string[] = [];
  sections.push(`# Benchmarks

Generated by \`npm run bench${results.quick ? " -- --quick" : ""}\` from \`bench/results/${results.startedAt.replace(/[:.]/g, "-")}.json\`
(run ${results.startedAt} to ${results.finishedAt}). Every figure names its baseline; the baselines ran in the same
run, on the same broker and server. Ratios are *platform ÷ baseline* (latency: higher is slower; throughput: lower
is slower). Each rate was offered for ${results.phaseSeconds} s.

**Machine**: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, ${m.platform}, Node.js ${m.node},
Apache Kafka ${m.kafka} (one KRaft broker, local/kafka), PostgreSQL ${m.postgres} (local/postgres.ts, \`fsync=off\`,
\`synchronous_commit=off\`: a throwaway server for tests). Every latency at a rate is measured with evenly spaced
arrivals (open model: one request or send every 1000/rate ms, whatever the answers do), baselines and platform
alike; the maximum throughputs with autocannon (or 32 sends in flight for raw Kafka). The load generators, the
backend and the REST → WebSocket topology run in the bench's Node.js process, as \`npm run demo\` runs the
services; the sidecar publish path's subscriber (app and sidecar) and each scaling instance in a process of their
own; Kafka and PostgreSQL in theirs.${contention(results)}`);
  sections.push(
    `## Goals\n\n${table(
      ["goal (issue #16)", "measured", ""],
      goals(results).map((g) => [g.goal, g.measured, yesNo(g.met)]),
    )}`,
  );
  if (results.kafka && results.sidecar) {
    const rows = results.sidecar.points.map((p) => [...againstKafka(p), `${p.delivered} of ${p.sent}`]);
    rows.push([
      "maximum",
      formatRate(results.kafka.maxThroughput),
      formatRate(results.sidecar.maxThroughput),
      formatRatio(ratio(results.sidecar.maxThroughput, results.kafka.maxThroughput)),
      `${results.sidecar.maxDelivered} of ${results.sidecar.maxSent}`,
    ]);
    sections.push(`## Publish through the sidecar to a subscriber route

Baseline: raw Kafka produce-to-consume with @platformatic/kafka (the client the sidecar uses), a producer with
acks from all replicas and one record per send, a group consumer with the sidecar's 250 ms fetch wait; 1 KB
CloudEvents keyed by 100 users on 3 partitions, timed from the send call to the consumer having the record. The
platform: \`POST /v1.0/publish/<pubsub>/<topic>?metadata.partitionKey=<user>\` to the development sidecar, which
also delivers the subscription to its app (both a process apart from the publisher), timed from the request being
built to the subscriber route receiving the event.

${table(["offered", "raw Kafka p50 / p99", "sidecar p50 / p99", "ratio p50 / p99", "delivered"], rows)}
${img("event-latency.svg")}`);
  }
  if (results.bare || results.restPostgres || results.restPglite) {
    const writeRows = (label: string, points: BenchResults["restPostgres"]) =>
      (points ?? []).map((p) => {
        const base = bareAt(p.rate);
        return [
          label,
          p.rate === undefined ? "maximum" : formatRate(p.rate),
          formatRate(p.throughput),
          `${formatMs(p.p50)} / ${formatMs(p.p99)}`,
          `${formatRatio(ratio(p.throughput, base?.throughput))} / ${formatRatio(ratio(p.p99, base?.p99))}`,
          `${formatMs(p.outboxLag.p50)} / ${formatMs(p.outboxLag.p99)}`,
          String(p.failures),
          String(p.eventsMissing),
        ];
      });
    const bareRows = (results.bare ?? []).map((p) => [
      "bare route (baseline)",
      p.rate === undefined ? "maximum" : formatRate(p.rate),
      formatRate(p.throughput),
      `${formatMs(p.p50)} / ${formatMs(p.p99)}`,
      "×1.00 / ×1.00",
      "",
      String(p.failures),
      "",
    ]);
    sections.push(`## Task writes through REST

Baseline: a bare fastify route inserting one row with \`pg\` (pool of 10, the service kit's default) into a fresh
database on the same PostgreSQL server. The platform: the backend (its own \`startBackend\`) with its development
sidecar; tasks are created (\`POST /api/tasks\`) and completed (\`POST /api/tasks/:id/complete\`) by 100 users in
turn; a write is either request. Latency: request sent to answer. Outbox lag: the Kafka record's timestamp minus the write's transaction time in its answer
(\`created_at\`, \`updated_at\`, ms resolution). "maximum": as fast as the connections go.

${table(
  [
    "path",
    "offered",
    "throughput",
    "p50 / p99",
    "ratio throughput / p99",
    "outbox lag p50 / p99",
    "failed",
    "events missing",
  ],
  [
    ...bareRows,
    ...writeRows("REST on PostgreSQL", results.restPostgres),
    ...writeRows("REST on PGlite", results.restPglite),
  ],
)}
${img("task-writes.svg")}${img("throughput.svg")}`);
  }
  if (results.websocket) {
    const rows = results.websocket.map((p) => [...againstKafka(p), `${p.framed} of ${p.created}`]);
    sections.push(`## REST task creation to the WebSocket frame

The demo's whole topology (\`startSystem\`: every app with its sidecar) on PostgreSQL; 10 users each with a
WebSocket open at the gateway; tasks created through REST at evenly spaced arrivals, timed from the request being built to
the \`task-updates\` frame about that task. The path is a REST write, the outbox relay, two sidecar hops through
Kafka (\`task-events\` to \`task-updates\` via the backend's publishing and the gateway's subscription) and the socket.
Baseline: raw Kafka produce-to-consume at the same rate (one hop, no HTTP).

${table(["offered", "raw Kafka p50 / p99", "REST → frame p50 / p99", "ratio p50 / p99", "frames"], rows)}
${img("websocket.svg")}`);
  }
  if (results.scaling) {
    const one = results.scaling.find((p) => p.instances === 1)?.throughput;
    sections.push(`## Subscriber scaling

Each instance is its own process (a subscriber route answering 200 behind its own development sidecar), all in
one consumer group; events produced by a raw producer once the group is stable, keyed by 200 users with a
sequence number per user; throughput from the first delivery to the last. Baseline: 1 instance on 3 partitions.
Order: a delivery of a user's event after a later event of that user counts as a violation.

${table(
  ["instances", "partitions", "delivered", "throughput", "ratio", "order violations", "duplicates"],
  results.scaling.map((p) => [
    String(p.instances),
    String(p.partitions),
    `${p.delivered} of ${p.published}`,
    formatRate(p.throughput),
    formatRatio(ratio(p.throughput, one)),
    String(p.orderViolations),
    String(p.duplicates),
  ]),
)}
${img("scaling.svg")}`);
  }
  if (results.drain) {
    const d = results.drain;
    sections.push(`## Outbox drain after a sidecar outage

The backend on PostgreSQL keeps taking task creations while its sidecar is down for ${d.outageSeconds} s; their
events queue in the outbox. Then the sidecar starts again on the same port. Baseline: the relay's publish rate at
the maximum-throughput phase of the sidecar benchmark above (${formatRate(results.sidecar?.maxThroughput)}).

${table(
  [
    "queued",
    "first event after return",
    "all events after return",
    "drain rate",
    "ratio to the sidecar's maximum",
    "lost",
    "duplicates",
    "order violations",
  ],
  [
    [
      String(d.queued),
      formatMs(d.resumeMs),
      formatMs(d.drainMs),
      formatRate(d.drainRate),
      formatRatio(ratio(d.drainRate, results.sidecar?.maxThroughput)),
      String(d.lost),
      String(d.duplicates),
      String(d.orderViolations),
    ],
  ],
)}`);
  }
  if (results.planning) {
    const dev = results.planning.runs.find((r) => r.stack === "dev");
    const profile = results.planning.profile;
    sections.push(`## Planning cost

\`node infra/plan.js --stack <stack> --out <tmp>\` (what \`npm run plan\` runs) under GNU time, each a child
process; median of ${results.planning.runs[0]?.seconds.length ?? 0} run(s). Baseline: the dev stack. The
synthetic catalogs (\`bench/synthetic-program.ts\`: N apps and N topics, app i subscribing to topic i and
publishing to topic i + 1) are planned with the prod stack's config, through the same program function
(\`infra/program.ts\`) under the same mock runtime. ${growth(results.planning.runs)}

${table(
  ["stack", "resources", "Kubernetes objects", "wall (median)", "runs", "peak memory", "ratio time / memory"],
  results.planning.runs.map((r) => [
    r.stack,
    String(r.resources),
    String(r.kubernetesObjects),
    `${r.medianSeconds.toFixed(2)} s`,
    r.seconds.map((s) => s.toFixed(2)).join(", "),
    `${r.peakMiB} MiB`,
    `${formatRatio(ratio(r.medianSeconds, dev?.medianSeconds))} / ${formatRatio(ratio(r.peakMiB, dev?.peakMiB))}`,
  ]),
)}
${img("planning.svg")}
${
  profile
    ? `Where a ${profile.stack} plan's CPU time goes (\`node --cpu-prof\`, self time by where the code comes from):\n\n${table(
        ["where", "self time", "share"],
        Object.entries(profile.selfMs)
          .sort((a, b) => b[1] - a[1])
          .map(([name, ms]) => [
            name,
            `${ms.toLocaleString("en-US")} ms`,
            `${Math.round((ms * 100) / Object.values(profile.selfMs).reduce((s, v) => s + v, 0))} %`,
          ]),
      )}\n`
    : ""
}`);
  }
  const errors = Object.entries(results.errors);
  if (errors.length > 0) {
    sections.push(
      `## Sections that failed in this run\n\n${errors.map(([name, error]) => `- ${name}: ${error}`).join("\n")}`,
    );
  }
  sections.push(analysis);
  return `${sections.join("\n\n").trim()}\n`;
}

/**
 * Writes `docs/benchmarks.md` under `root` and its plots under `docs/benchmarks/`. `analysis` is the hand-written
 * part (bench/analysis.md: where the time goes, what would move it), appended as it is.
 */
export async function writeReport(root: string, results: BenchResults, analysis: string): Promise<string> {
  const plotDir = join(root, "docs", "benchmarks");
  await mkdir(plotDir, { recursive: true });
  const specs = plots(results);
  for (const [name, spec] of Object.entries(specs)) await writeFile(join(plotDir, name), await renderSvg(spec));
  const doc = join(root, "docs", "benchmarks.md");
  await writeFile(doc, markdown(results, relative(join(root, "docs"), plotDir), Object.keys(specs), analysis));
  return doc;
}
