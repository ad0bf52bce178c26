// Helpers of the backend's integration suites: a backend on either database, its development sidecar, tokens, clients and a Kafka reader.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AnyCloudEvent, TOPIC_LIST } from "@event-platform/events";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Consumer, MessagesStreamModes, stringDeserializers } from "@platformatic/kafka";
import { SignJWT } from "jose";
import { sql } from "kysely";
import { inject } from "vitest";
import { ensureTopics } from "../../../local/kafka/topics";
import { freePort } from "../../../local/process";
import { localDaprSettings } from "../../../local/sidecar/local-settings";
import { type Sidecar, startSidecar } from "../../../local/sidecar/sidecar";
import { daprResources } from "../../../specs/dapr";
import { createTestDatabase } from "../../../test/support/database";
import { type Backend, startBackend } from "../src/app";
import { loadConfig } from "../src/config";

export { Cleanup, uniqueTag, waitFor } from "../../../local/sidecar/test-kit";

export type DatabaseKind = "postgres" | "pglite";
/** Every integration suite runs against both: a PostgreSQL server, and embedded PostgreSQL in a temporary folder. */
export const DATABASE_KINDS: readonly DatabaseKind[] = ["postgres", "pglite"];

export const TEST_JWT_SECRET = "backend-integration-tests-secret-0123456789";
/** The backend's app API token in the tests: its sidecar sends it, and so do tests that call as the sidecar. */
export const TEST_APP_TOKEN = "backend-integration-tests-app-token-0123456789";
/** The header of a call from the backend's Dapr sidecar (deliveries, invocations). */
export const FROM_SIDECAR = { "dapr-api-token": TEST_APP_TOKEN } as const;

export interface TestStore {
  /** The environment variables that select this store. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A fresh database of the given kind: its own PostgreSQL database, or its own PGlite data folder. */
export async function testStore(kind: DatabaseKind, prefix: string): Promise<TestStore> {
  if (kind === "postgres") {
    const database = await createTestDatabase(prefix);
    return { env: { DATABASE_URL: database.url }, stop: () => database.drop() };
  }
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-pglite-`));
  return { env: { DATA_DIR: dir }, stop: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Starts a backend on 127.0.0.1 and a free port, with short relay timings so failures and recoveries take
 * milliseconds. `env` adds or overrides variables (the store's, DAPR_HTTP_PORT, ...).
 */
export async function startTestBackend(env: Record<string, string>): Promise<Backend> {
  const config = loadConfig({
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.BACKEND_TEST_LOG ? "info" : "silent",
    JWT_SECRET: TEST_JWT_SECRET,
    APP_API_TOKEN: TEST_APP_TOKEN,
    OUTBOX_POLL_INTERVAL_MS: "200",
    OUTBOX_BACKOFF_INITIAL_MS: "20",
    OUTBOX_BACKOFF_MAX_MS: "250",
    PUBLISH_TIMEOUT_MS: "3000",
    SHUTDOWN_TIMEOUT_MS: "10000",
    ...env,
  });
  return startBackend(config);
}

/** Starts the development sidecar for the backend, with the platform's own Dapr resources, its app token and a topic prefix. */
export async function startBackendSidecar(options: {
  backendPort: number;
  httpPort: number;
  topicPrefix: string;
}): Promise<Sidecar> {
  const brokers = inject("kafkaBrokers");
  return startSidecar({
    appId: "backend",
    appPort: options.backendPort,
    httpPort: options.httpPort,
    brokers,
    resources: daprResources(localDaprSettings(brokers)),
    topicPrefix: options.topicPrefix,
    appToken: TEST_APP_TOKEN,
    log: (line) => {
      if (process.env.SIDECAR_TEST_LOG) console.log(`[backend sidecar] ${line}`);
    },
  });
}

/** Creates every catalog topic under `prefix` on the tests' broker. */
export async function createTopics(prefix: string): Promise<void> {
  await ensureTopics(inject("kafkaBrokers"), TOPIC_LIST, { namePrefix: prefix });
}

/** A bearer token for a user, signed as the platform's JWT_SECRET signs them. */
export async function tokenFor(userId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** A user id of its own for a test. */
export function newUser(name: string): string {
  return `${name}-${randomUUID()}`;
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/** A REST client for one user (or none: `token` undefined). */
export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  static async as(baseUrl: string, userId: string): Promise<Api> {
    return new Api(baseUrl, await tokenFor(userId));
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
}

/** The official MCP client on /mcp, authenticated as a user. */
export async function mcpClientFor(baseUrl: string, userId: string): Promise<Client> {
  const client = new Client({ name: "backend-tests", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${await tokenFor(userId)}` } },
  });
  await client.connect(transport);
  return client;
}

/** The structured result of a tool call (the task, the page, or `{ error }`). */
export function toolResult<T = Record<string, unknown>>(result: unknown): T & { isError?: boolean } {
  const call = result as CallToolResult;
  return { ...(call.structuredContent as T), ...(call.isError ? { isError: true } : {}) };
}

/** Row counts of the tables a write touches, to prove a rejected request wrote nothing. */
export async function tableCounts(backend: Backend): Promise<{ tasks: number; outbox: number; processed: number }> {
  const { rows } = await sql<{ tasks: string; outbox: string; processed: string }>`
    SELECT (SELECT count(*) FROM tasks) AS tasks,
           (SELECT count(*) FROM outbox) AS outbox,
           (SELECT count(*) FROM processed_requests) AS processed`.execute(backend.database.db);
  const row = rows[0];
  return { tasks: Number(row?.tasks), outbox: Number(row?.outbox), processed: Number(row?.processed) };
}

export interface OutboxRow {
  id: string;
  topic: string;
  partitionKey: string;
  eventId: string;
  type: string;
  published: boolean;
  publishCount: number;
}

/** The outbox as the relay accounts for it, in id order. */
export async function outboxRows(backend: Backend, partitionKey?: string): Promise<OutboxRow[]> {
  let query = backend.database.db
    .selectFrom("outbox")
    .select(["id", "topic", "partition_key", "event", "published_at", "publish_count"])
    .orderBy("id");
  if (partitionKey !== undefined) query = query.where("partition_key", "=", partitionKey);
  const rows = await query.execute();
  return rows.map((row) => {
    const event = row.event as AnyCloudEvent;
    return {
      id: String(row.id),
      topic: row.topic,
      partitionKey: row.partition_key,
      eventId: event.id,
      type: event.type,
      published: row.published_at !== null,
      publishCount: row.publish_count,
    };
  });
}

export interface ReadEvent {
  /** The catalog topic name (without the test prefix). */
  topic: string;
  key: string | undefined;
  partition: number;
  offset: bigint;
  event: AnyCloudEvent & { topic?: string; pubsubname?: string };
}

/**
 * Reads the catalog topics under a prefix from the beginning, for as long as it runs, and keeps every record.
 * Tests wait on it for the records of their own users.
 */
export class TopicReader {
  readonly records: ReadEvent[] = [];
  private stream: Awaited<ReturnType<Consumer<string, string, string, string>["consume"]>> | undefined;
  private reading: Promise<void> | undefined;

  private constructor(private readonly consumer: Consumer<string, string, string, string>) {}

  static async start(prefix: string): Promise<TopicReader> {
    const consumer = new Consumer({
      clientId: "backend-test-reader",
      groupId: `backend-test-reader-${randomUUID()}`,
      bootstrapBrokers: [inject("kafkaBrokers")],
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    });
    const reader = new TopicReader(consumer);
    const topics = TOPIC_LIST.filter((t) => t.name !== "dead-letters").map((t) => `${prefix}${t.name}`);
    reader.stream = await consumer.consume({ topics, mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const stream = reader.stream;
    reader.reading = (async () => {
      for await (const message of stream) {
        reader.records.push({
          topic: message.topic.slice(prefix.length),
          key: message.key ?? undefined,
          partition: message.partition,
          offset: message.offset,
          event: JSON.parse(message.value ?? "null"),
        });
      }
    })();
    return reader;
  }

  /** The records keyed by a user, in the order they were read. */
  of(userId: string): ReadEvent[] {
    return this.records.filter((r) => r.key === userId);
  }

  async stop(): Promise<void> {
    await this.stream?.close();
    await this.reading?.catch(() => undefined);
    await this.consumer.close(true);
  }
}
