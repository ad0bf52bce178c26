// The real pieces every benchmark runs on: one Kafka broker and one PostgreSQL server for the run, a database per benchmark, the machine's description, and the clock deliveries are timed with.
import { randomBytes } from "node:crypto";
import { cpus, totalmem } from "node:os";
import pg from "pg";
import { type KafkaBroker, startKafka } from "../local/kafka/broker";
import { type PostgresServer, startPostgres } from "../local/postgres";

/** The machine a run measured, as the report states it. */
export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kafka: string;
  postgres: string;
  platform: string;
}

/** One broker and one server for the whole run, and what to stop at the end. */
export interface Rig {
  kafka: KafkaBroker;
  postgres: PostgresServer;
  machine: Machine;
  stop(): Promise<void>;
}

/** Starts the local Kafka broker (KRaft, local/kafka) and a throwaway PostgreSQL server (local/postgres.ts). */
export async function startRig(log: (line: string) => void): Promise<Rig> {
  const [kafka, postgres] = await Promise.all([startKafka({ log }), startPostgres({ log })]);
  const cpu = cpus();
  return {
    kafka,
    postgres,
    machine: {
      cores: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? "unknown",
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      kafka: kafka.version,
      postgres: postgres.version,
      platform: `${process.platform} ${process.arch}`,
    },
    stop: async () => {
      await Promise.allSettled([kafka.stop(), postgres.stop()]);
    },
  };
}

/** A new database `bench_<hex>` on the run's server; returns its URL. */
export async function createDatabase(adminUrl: string): Promise<string> {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across the bench's processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Calls `fire(i)` for i = 0 … count−1 at `rate` per second on a fixed schedule (open loop: a slow call never delays
 * the next), and resolves once the last one is fired. Calls due together (timer granularity) fire together.
 */
export async function paced(rate: number, count: number, fire: (index: number) => void): Promise<void> {
  const start = performance.now();
  let index = 0;
  while (index < count) {
    const wait = start + (index * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const now = performance.now();
    while (index < count && start + (index * 1000) / rate <= now + 0.5) fire(index++);
  }
}

/** A CloudEvent of about `bytes` bytes as JSON, for user `userId`, carrying `sentAt` (ms) and `seq` in its data. */
export function sampleEvent(userId: string, seq: number, sentAt: number, bytes = 1024): string {
  const event = {
    specversion: "1.0",
    type: "com.bench.sample",
    source: "/bench",
    id: `${userId}-${seq}-${randomBytes(4).toString("hex")}`,
    time: new Date(sentAt).toISOString(),
    datacontenttype: "application/json",
    data: { user_id: userId, seq, sentAt, padding: "" },
  };
  const text = JSON.stringify(event);
  event.data.padding = "x".repeat(Math.max(0, bytes - text.length));
  return JSON.stringify(event);
}
