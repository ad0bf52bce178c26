// Helpers of the backend's integration suites: a backend on either database, its development sidecar, tokens, clients and a Kafka reader.
import type { AnyCloudEvent } from "@event-platform/events";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { sql } from "kysely";
import { freePort } from "../../../local/process";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import { fromSidecar, startAppSidecar, TEST_JWT_SECRET, testAppToken, tokenFor } from "../../../test/support/services";
import { type Backend, startBackend } from "../src/app";
import { loadConfig } from "../src/config";

export {
  Api,
  type ApiAnswer,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
  type DatabaseKind,
  newUser,
  type ReadEvent,
  TEST_JWT_SECRET,
  type TestStore,
  TopicReader,
  testStore,
  tokenFor,
  uniqueTag,
  waitFor,
} from "../../../test/support/services";

/** The backend's app API token in the tests: its sidecar sends it, and so do tests that call as the sidecar. */
export const TEST_APP_TOKEN = testAppToken("backend");
/** The header of a call from the backend's Dapr sidecar (deliveries, invocations). */
export const FROM_SIDECAR = fromSidecar("backend");

/** Starts the development sidecar for the backend, with the platform's own Dapr resources, its app token and a topic prefix. */
export function startBackendSidecar(options: {
  backendPort: number;
  httpPort: number;
  topicPrefix: string;
}): Promise<Sidecar> {
  return startAppSidecar({
    appId: "backend",
    appPort: options.backendPort,
    httpPort: options.httpPort,
    topicPrefix: options.topicPrefix,
  });
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
