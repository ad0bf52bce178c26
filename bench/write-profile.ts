// `tsx bench/write-profile.ts [--seconds 10] [--connections 32] [--log-level error] [--out <file.cpuprofile>]`: profiles the REST task writes on PostgreSQL at the bench's maximum-throughput load and prints where the CPU time goes, per write, and the SQL round trips per write.
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { uniqueTag } from "../local/sidecar/test-kit";
import { startBenchBackend } from "./backend";
import type { CpuProfile } from "./planning";
import { summarizeWrites } from "./profile-summary";
import { startRig } from "./rig";
import { saturate, taskWriteRequests } from "./task-writes";

/** Round trips per connection name (`application_name`): the backend's request pool and its relay session apart. */
function countRoundTrips(): Map<string, number> {
  const counts = new Map<string, number>();
  const query = pg.Client.prototype.query;
  // A measuring instrument of this run only: every query goes on to node-postgres unchanged.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const name = (this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters
      .application_name;
    counts.set(name ?? "", (counts.get(name ?? "") ?? 0) + 1);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return counts;
}

const table = (rows: [string, number][], writes: number, total: number) =>
  rows
    .sort((a, b) => b[1] - a[1])
    .map(
      ([name, ms]) =>
        `  ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${((ms / writes) * 1000).toFixed(0).padStart(6)} µs/write  ${name}`,
    )
    .join("\n");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "10" },
      connections: { type: "string", default: "32" },
      out: { type: "string" },
      /** The backend's LOG_LEVEL (the bench runs it at `error`); at `info` its JSON lines share stdout: `| grep -v "^{"`. */
      "log-level": { type: "string", default: "error" },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const rig = await startRig(() => undefined);
  const roundTrips = countRoundTrips();
  const backend = await startBenchBackend({
    store: "postgres",
    bootstrap: rig.kafka.bootstrap,
    postgresUrl: rig.postgres.url,
    prefix: `bench-${uniqueTag()}-profile.`,
    users: 100,
    logLevel: values["log-level"],
  });
  const session = new Session();
  try {
    const build = taskWriteRequests(backend.authorizations);
    // Warm: JIT-compiled code, filled pools, a relay that has published before.
    await saturate(backend.url, build, connections, 2);
    roundTrips.clear();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
    const result = await saturate(backend.url, build, connections, seconds);
    const { profile } = await session.post("Profiler.stop");
    const writes = result["2xx"];
    const { bySource, byConcern } = summarizeWrites(profile as CpuProfile);
    const total = Object.values(byConcern).reduce((sum, ms) => sum + ms, 0);
    const trips = [...roundTrips].map(([name, count]) => `${name} ${(count / writes).toFixed(2)}`).join(", ");
    console.log(
      [
        `${writes} writes in ${seconds} s (${(writes / seconds).toFixed(0)}/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.non2xx + result.errors} failed) over ${connections} connections`,
        `SQL round trips per write, by connection: ${trips}`,
        `CPU time by concern (shared code charged to its caller), ${(total / 1000).toFixed(1)} s sampled:`,
        table(Object.entries(byConcern), writes, total),
        "Self time by source, top 25:",
        table(Object.entries(bySource).slice(0), writes, total).split("\n").slice(0, 25).join("\n"),
      ].join("\n"),
    );
    if (values.out) await writeFile(values.out, JSON.stringify(profile));
  } finally {
    session.disconnect();
    await backend.close();
    await rig.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
