// The backend as the benchmarks run it: the service's own start function on PostgreSQL or PGlite, its development sidecar with the platform's Dapr resources in a process of its own, the catalog's topics, user tokens, and a reader of what reaches Kafka.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TOPIC_LIST } from "@event-platform/events";
import { Consumer, MessagesStreamModes, stringDeserializers } from "@platformatic/kafka";
import { type Backend, startBackend } from "../apps/backend/src/app";
import { loadConfig } from "../apps/backend/src/config";
import { mintToken } from "../local/demo-tokens";
import { ensureTopics } from "../local/kafka/topics";
import { freePort, ServiceProcess, waitForPort } from "../local/process";
import { createDatabase, nowMs } from "./rig";

export type StoreKind = "postgres" | "pglite";

/** A running backend with its sidecar. */
export interface BenchBackend {
  url: string;
  /** The database URL (PostgreSQL only). */
  databaseUrl?: string;
  /** `Authorization` header values, one per user, users `bench-user-<i>`. */
  authorizations: string[];
  /** Stops the sidecar (an outage: the backend's publishes fail and its outbox fills). */
  stopSidecar(): Promise<void>;
  /** Starts the sidecar again on the same port. */
  startSidecar(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the backend on a fresh database of `store` with `users` users, and its sidecar under topic `prefix`. The
 * sidecar is the development sidecar's CLI (`local/sidecar/main.ts`, the platform's Dapr resources) in a process of
 * its own, as daprd is beside the backend in its pod: in the bench's process it would take its CPU from the backend.
 */
export async function startBenchBackend(options: {
  store: StoreKind;
  bootstrap: string;
  postgresUrl: string;
  prefix: string;
  users: number;
  /** The backend's LOG_LEVEL; `error` by default. */
  logLevel?: string;
  /** The backend's DATABASE_POOL_SIZE; the service's default (10) when unset. */
  poolSize?: number;
}): Promise<BenchBackend> {
  await ensureTopics(options.bootstrap, TOPIC_LIST, { namePrefix: options.prefix });
  const key = randomBytes(32).toString("hex");
  const appToken = randomBytes(32).toString("hex");
  const [port, daprPort] = [await freePort(), await freePort()];
  const databaseUrl = options.store === "postgres" ? await createDatabase(options.postgresUrl) : undefined;
  const dataDir = databaseUrl ? undefined : await mkdtemp(join(tmpdir(), "bench-pglite-"));
  const backend: Backend = await startBackend(
    loadConfig({
      // The outage of the drain benchmark would log every failed pass.
      LOG_LEVEL: options.logLevel ?? "error",
      ...(options.poolSize === undefined ? {} : { DATABASE_POOL_SIZE: String(options.poolSize) }),
      // The relay's setting to compare (`OUTBOX_CONCURRENCY=64 npm run bench -- --only rest-pg,drain`); its default else.
      ...(process.env.OUTBOX_CONCURRENCY ? { OUTBOX_CONCURRENCY: process.env.OUTBOX_CONCURRENCY } : {}),
      HOST: "127.0.0.1",
      PORT: String(port),
      APP_API_TOKEN: appToken,
      DAPR_HTTP_PORT: String(daprPort),
      JWT_SECRET: key,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dataDir }),
    }),
  );
  const logDir = await mkdtemp(join(tmpdir(), "bench-sidecar-"));
  const startSidecarProcess = async () => {
    const sidecar = ServiceProcess.start({
      name: "backend sidecar",
      command: process.execPath,
      args: [
        "--import",
        "tsx",
        resolve(__dirname, "..", "local", "sidecar", "main.ts"),
        ...["--app-id", "backend", "--app-port", String(port), "--dapr-http-port", String(daprPort)],
        ...["--brokers", options.bootstrap, "--topic-prefix", options.prefix],
      ],
      env: { ...process.env, APP_API_TOKEN: appToken },
      logFile: join(logDir, "sidecar.log"),
    });
    await waitForPort("127.0.0.1", daprPort, 60_000).catch(async (error: unknown) => {
      await sidecar.stop();
      throw new Error(`The backend's sidecar did not start: ${await sidecar.logTail()}`, { cause: error });
    });
    return sidecar;
  };
  let sidecar: ServiceProcess | undefined = await startSidecarProcess();
  const authorizations = await Promise.all(
    Array.from({ length: options.users }, async (_, i) => `Bearer ${await mintToken(key, `bench-user-${i}`)}`),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    ...(databaseUrl ? { databaseUrl } : {}),
    authorizations,
    stopSidecar: async () => {
      await sidecar?.stop();
      sidecar = undefined;
    },
    startSidecar: async () => {
      sidecar ??= await startSidecarProcess();
    },
    close: async () => {
      await backend.close();
      await sidecar?.stop();
      await rm(logDir, { recursive: true, force: true });
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A record as the bench reads it back from Kafka. */
export interface SeenRecord {
  topic: string;
  key: string | undefined;
  partition: number;
  /** The record's timestamp (the producer's create time), ms. */
  timestamp: number;
  /** When the bench's consumer had it, ms. */
  seenAt: number;
  event: { id: string; type: string; data: Record<string, unknown> };
}

/** Reads catalog topics under a prefix from the start, for as long as it runs, keeping each record. */
export class RecordReader {
  private constructor(
    /** Every record read so far, in the order read. */
    readonly records: SeenRecord[],
    private readonly consumer: Consumer<string, string, string, string>,
    private readonly stream: Awaited<ReturnType<Consumer<string, string, string, string>["consume"]>>,
    private readonly reading: Promise<void>,
  ) {}

  /** Starts reading `topics` (catalog names) under `prefix`. */
  static async start(bootstrap: string, prefix: string, topics: readonly string[]): Promise<RecordReader> {
    const consumer = new Consumer({
      clientId: "bench-reader",
      groupId: `bench-reader-${randomUUID()}`,
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    });
    const stream = await consumer.consume({
      topics: topics.map((t) => `${prefix}${t}`),
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
    });
    const records: SeenRecord[] = [];
    const reading = (async () => {
      for await (const message of stream) {
        records.push({
          topic: message.topic.slice(prefix.length),
          key: message.key ?? undefined,
          partition: message.partition,
          timestamp: Number(message.timestamp),
          seenAt: nowMs(),
          event: JSON.parse(message.value ?? "{}"),
        });
      }
    })();
    return new RecordReader(records, consumer, stream, reading);
  }

  async stop(): Promise<void> {
    await this.stream.close();
    await this.reading.catch(() => undefined);
    await this.consumer.close(true);
  }
}
