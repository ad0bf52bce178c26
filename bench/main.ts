// `npm run bench [-- --quick] [-- --report-only <results.json>]`: runs every benchmark on a real Kafka broker and PostgreSQL server, writes bench/results/<timestamp>.json and regenerates docs/benchmarks.md with its plots.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { uniqueTag } from "../local/sidecar/test-kit";
import { otherCores, sampleCpu } from "./contention";
import { outboxDrain } from "./drain";
import { rawKafka, sidecarPath } from "./event-path";
import { planCost, planProfile } from "./planning";
import { Progress } from "./progress";
import { writeReport } from "./report";
import type { BenchResults } from "./results";
import { startRig } from "./rig";
import { scaling } from "./scaling";
import { bareWrites, restWrites } from "./task-writes";
import { restToWebSocket } from "./websocket";

const ROOT = resolve(__dirname, "..");

/** What a full run and a `--quick` smoke run measure. */
const PROFILES = {
  full: {
    phaseSeconds: 10,
    kafkaRates: [50, 100, 200, 500, 1000],
    rates: [100, 500, 1000],
    writeRates: [100, 500, 1000],
    wsRates: [50, 200, 500],
    maxEvents: 20_000,
    scaling: [
      { instances: 1, partitions: 3 },
      { instances: 2, partitions: 3 },
      { instances: 3, partitions: 3 },
      { instances: 6, partitions: 6 },
    ],
    scalingEvents: 20_000,
    drain: { targetEvents: 10_000, outageSeconds: 30 },
    planRuns: 3,
    syntheticCatalogs: [10, 50, 200],
    profilePlan: true,
  },
  quick: {
    phaseSeconds: 2,
    kafkaRates: [50, 100, 500],
    rates: [100, 500],
    // One paced rate for the REST writes: each later one waits for the outbox backlog it leaves.
    writeRates: [100],
    wsRates: [50],
    maxEvents: 2_000,
    scaling: [
      { instances: 1, partitions: 3 },
      { instances: 3, partitions: 3 },
    ],
    scalingEvents: 2_000,
    drain: { targetEvents: 1_000, outageSeconds: 5 },
    planRuns: 1,
    syntheticCatalogs: [10],
    profilePlan: false,
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      "report-only": { type: "string" },
      /** Comma-separated sections to run (kafka, sidecar, bare, rest-pg, rest-pglite, ws, scaling, drain, planning) (a part of the run, to profile it); no results file, no report. */
      only: { type: "string" },
    },
  });
  const analysis = await readFile(join(ROOT, "bench", "analysis.md"), "utf8");
  if (values["report-only"]) {
    const results = JSON.parse(await readFile(values["report-only"], "utf8")) as BenchResults;
    console.log(`Wrote ${await writeReport(ROOT, results, analysis)}`);
    return;
  }
  const profile = values.quick ? PROFILES.quick : PROFILES.full;
  const progress = new Progress();
  const startedAt = new Date().toISOString();
  progress.begin("setup");
  const rig = await startRig((line) => progress.step(line));
  const results: BenchResults = {
    startedAt,
    finishedAt: startedAt,
    quick: values.quick ?? false,
    machine: rig.machine,
    phaseSeconds: profile.phaseSeconds,
    errors: {},
  };
  const bootstrap = rig.kafka.bootstrap;
  const postgresUrl = rig.postgres.url;
  const tag = uniqueTag();
  /** Runs one section; a failure is recorded and the run goes on. */
  const only = values.only?.split(",");
  const section = async (key: string, name: string, work: (step: (detail: string) => void) => Promise<void>) => {
    if (only && !only.includes(key)) return;
    progress.begin(name);
    const before = sampleCpu();
    try {
      await work((detail) => progress.step(detail));
    } catch (error) {
      results.errors[name] = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
      progress.step(`failed: ${results.errors[name]}`);
    }
    const after = sampleCpu();
    if (before && after) results.otherCores = { ...results.otherCores, [name]: otherCores(before, after) };
  };
  const eventSettings = (prefix: string, rates: readonly number[], step: (d: string) => void) => ({
    bootstrap,
    prefix,
    rates,
    phaseSeconds: profile.phaseSeconds,
    maxEvents: profile.maxEvents,
    concurrency: 32,
    step,
  });
  try {
    await section("kafka", "raw Kafka (baseline)", async (step) => {
      results.kafka = await rawKafka(eventSettings(`bench-${tag}-raw.`, profile.kafkaRates, step));
    });
    await section("sidecar", "sidecar publish", async (step) => {
      results.sidecar = await sidecarPath(eventSettings(`bench-${tag}-sidecar.`, profile.rates, step));
    });
    const writeSettings = (step: (d: string) => void) => ({
      rates: profile.writeRates,
      phaseSeconds: profile.phaseSeconds,
      connections: 32,
      step,
    });
    await section("bare", "bare route (baseline)", async (step) => {
      results.bare = await bareWrites(postgresUrl, writeSettings(step));
    });
    await section("rest-pg", "REST writes (PostgreSQL)", async (step) => {
      const rig = { bootstrap, postgresUrl, prefix: `bench-${tag}-pg.` };
      results.restPostgres = await restWrites("postgres", rig, writeSettings(step));
    });
    await section("rest-pglite", "REST writes (PGlite)", async (step) => {
      const rig = { bootstrap, postgresUrl, prefix: `bench-${tag}-pglite.` };
      results.restPglite = await restWrites("pglite", rig, writeSettings(step));
    });
    await section("ws", "REST → WebSocket", async (step) => {
      const rig = { bootstrap, postgresUrl, prefix: `bench-${tag}-ws.` };
      results.websocket = await restToWebSocket(rig, {
        rates: profile.wsRates,
        phaseSeconds: profile.phaseSeconds,
        step,
      });
    });
    await section("scaling", "subscriber scaling", async (step) => {
      results.scaling = await scaling(
        { bootstrap, prefix: `bench-${tag}-scale.` },
        profile.scaling,
        profile.scalingEvents,
        step,
      );
    });
    await section("drain", "outbox drain", async (step) => {
      const rig = { bootstrap, postgresUrl, prefix: `bench-${tag}-drain.` };
      results.drain = await outboxDrain(rig, { ...profile.drain, step });
    });
  } finally {
    progress.begin("teardown");
    await rig.stop();
  }
  // Planning last and alone: no broker or server competes with it for the cores.
  await section("planning", "planning", async (step) => {
    const runs = [];
    for (const stack of ["dev", "prod"]) {
      step(`npm run plan -- --stack ${stack} (${profile.planRuns} run(s))`);
      runs.push(await planCost(stack, profile.planRuns));
    }
    for (const size of profile.syntheticCatalogs) {
      step(`a synthetic catalog of ${size} apps and topics, prod config (${profile.planRuns} run(s))`);
      runs.push(await planCost("prod", profile.planRuns, size));
    }
    results.planning = { runs };
    if (profile.profilePlan) {
      step("profiling a prod plan");
      results.planning.profile = { stack: "prod", selfMs: await planProfile("prod") };
    }
  });
  results.finishedAt = new Date().toISOString();
  if (only) {
    progress.done();
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  const file = join(ROOT, "bench", "results", `${startedAt.replace(/[:.]/g, "-")}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  progress.begin("report");
  const doc = await writeReport(ROOT, results, analysis);
  progress.step(`wrote ${file} and ${doc}`);
  progress.done();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
