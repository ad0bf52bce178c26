// `tsx bench/write-profile.ts [--seconds 10] [--connections 32] [--log-level error] [--pool-size 10] [--out <file.cpuprofile>]`: profiles the REST task writes on PostgreSQL at the bench's maximum-throughput load and prints where the CPU time goes, per write, and the SQL round trips per write; then the same writes paced at 100/s and the bare route's maximum, for the ratio.
import { readFile, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { uniqueTag } from "../local/sidecar/test-kit";
import { startBenchBackend } from "./backend";
import { otherCores, sampleCpu } from "./contention";
import { pacedLoad } from "./http-load";
import type { CpuProfile } from "./planning";
import { summarizeWrites } from "./profile-summary";
import { startRig } from "./rig";
import { bareWrites, saturate, taskWriteRequests } from "./task-writes";

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

/**
 * CPU seconds so far of the backend's PostgreSQL sessions (its request pool and relay session on its database), from
 * `/proc/<pid>/stat` (utime + stime, in clock ticks of 1/100 s: Linux's USER_HZ): contention on a shared machine
 * moves throughput much more than it moves CPU time per write.
 */
async function serverCpuSeconds(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'backend%'",
    );
    let ticks = 0;
    for (const { pid } of rows) {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    }
    return ticks / 100;
  } finally {
    await client.end();
  }
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
      /** The backend's DATABASE_POOL_SIZE (10 by default). */
      "pool-size": { type: "string" },
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
    ...(values["pool-size"] ? { poolSize: Number(values["pool-size"]) } : {}),
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
    const databaseUrl = backend.databaseUrl ?? "";
    const serverBefore = await serverCpuSeconds(databaseUrl);
    const ownBefore = process.cpuUsage();
    const machineBefore = sampleCpu();
    await session.post("Profiler.start");
    const result = await saturate(backend.url, build, connections, seconds);
    const { profile } = await session.post("Profiler.stop");
    const own = process.cpuUsage(ownBefore);
    const machineAfter = sampleCpu();
    const others = machineBefore && machineAfter ? otherCores(machineBefore, machineAfter).toFixed(2) : "unknown";
    const serverSeconds = (await serverCpuSeconds(databaseUrl)) - serverBefore;
    const writes = result["2xx"];
    const perWrite = (cpuSeconds: number) => `${((cpuSeconds / writes) * 1e6).toFixed(0)} µs`;
    const { bySource, byConcern } = summarizeWrites(profile as CpuProfile);
    const total = Object.values(byConcern).reduce((sum, ms) => sum + ms, 0);
    const trips = [...roundTrips]
      .filter(([name]) => name.startsWith("backend"))
      .map(([name, count]) => `${name} ${(count / writes).toFixed(2)}`)
      .join(", ");
    console.log(
      [
        `${writes} writes in ${seconds} s (${(writes / seconds).toFixed(0)}/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.non2xx + result.errors} failed) over ${connections} connections`,
        `Other work on the machine meanwhile (outside the bench's process tree): ${others} cores`,
        `SQL round trips per write, by connection: ${trips}`,
        `CPU per write: this process (backend, relay, load generator) ${perWrite((own.user + own.system) / 1e6)}, its PostgreSQL sessions ${perWrite(serverSeconds)}`,
        `CPU time by concern (shared code charged to its caller), ${(total / 1000).toFixed(1)} s sampled:`,
        table(Object.entries(byConcern), writes, total),
        "Self time by source, top 25:",
        table(Object.entries(bySource).slice(0), writes, total).split("\n").slice(0, 25).join("\n"),
      ].join("\n"),
    );
    if (values.out) await writeFile(values.out, JSON.stringify(profile));
    // Not profiled: the same writes paced at 100/s, and the bare route (bench/task-writes.ts) as fast as it goes.
    const paced = await pacedLoad(backend.url, 100, 100 * seconds, build);
    const bare = (
      await bareWrites(rig.postgres.url, { rates: [], phaseSeconds: seconds, connections, step: () => {} })
    )[0];
    console.log(
      [
        `At 100 writes/s: p50 ${paced.latency.p50.toFixed(1)} ms, p99 ${paced.latency.p99.toFixed(1)} ms, ${paced.failures} failed`,
        `The bare route as fast as ${connections} connections go: ${bare?.throughput.toFixed(0)}/s (p99 ${bare?.p99} ms); the writes above are ×${(writes / seconds / (bare?.throughput ?? 1)).toFixed(3)} of it`,
      ].join("\n"),
    );
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
