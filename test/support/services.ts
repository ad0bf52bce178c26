// Helpers of the services' integration suites: a database of either kind, a service's development sidecar, catalog topics, user tokens, a REST client and a Kafka reader.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type AnyCloudEvent, TOPIC_LIST } from "@event-platform/events";
import { Consumer, MessagesStreamModes, stringDeserializers } from "@platformatic/kafka";
import { SignJWT } from "jose";
import { inject } from "vitest";
import { ensureTopics } from "../../local/kafka/topics";
import { localDaprSettings } from "../../local/sidecar/local-settings";
import { type Sidecar, startSidecar } from "../../local/sidecar/sidecar";
import { committedOffsets, waitFor } from "../../local/sidecar/test-kit";
import { daprResources } from "../../specs/dapr";
import { createTestDatabase } from "./database";

export { Cleanup, uniqueTag, waitFor } from "../../local/sidecar/test-kit";

/**
 * Waits until the consumer group `group` has committed past every record of `topic` (both under `prefix`) that the
 * reader has read: each was delivered and got a final answer (SUCCESS, or DROP to the dead-letter topic).
 * `bootstrap` is the broker both live on (the tests' broker by default).
 */
export async function waitUntilConsumed(options: {
  reader: TopicReader;
  prefix: string;
  group: string;
  topic: string;
  bootstrap?: string;
  timeoutMs?: number;
}): Promise<void> {
  const { reader, topic } = options;
  await waitFor(
    async () => {
      const last = new Map<number, bigint>();
      for (const record of reader.records) {
        if (record.topic !== topic) continue;
        const seen = last.get(record.partition);
        if (seen === undefined || record.offset > seen) last.set(record.partition, record.offset);
      }
      const committed = await committedOffsets(
        options.bootstrap ?? inject("kafkaBrokers"),
        `${options.prefix}${options.group}`,
        `${options.prefix}${topic}`,
      );
      const done = [...last].every(([partition, offset]) => (committed.get(partition) ?? -1n) > offset);
      // Each probe asks the broker: no need to ask forty times a second.
      if (!done) await sleep(200);
      return done;
    },
    `${options.group}'s consumer group past every ${topic} record read`,
    options.timeoutMs ?? 60_000,
  );
}

export type DatabaseKind = "postgres" | "pglite";
/** Every integration suite runs against both: a PostgreSQL server, and embedded PostgreSQL in a temporary folder. */
export const DATABASE_KINDS: readonly DatabaseKind[] = ["postgres", "pglite"];

/** The HS256 secret every service under test verifies user tokens with (JWT_SECRET). */
export const TEST_JWT_SECRET = "platform-integration-tests-secret-0123456789";

/** An app's API token in the tests: its sidecar sends it, and so do tests that call as that sidecar. */
export function testAppToken(appId: string): string {
  return `${appId}-integration-tests-app-token-0123456789`;
}

/** The headers of a call from an app's Dapr sidecar (deliveries, invocations). */
export function fromSidecar(appId: string): { "dapr-api-token": string } {
  return { "dapr-api-token": testAppToken(appId) };
}

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
 * Starts the development sidecar for one app, with the platform's own Dapr resources, the app's token, the tokens
 * of the apps it invokes, and a topic prefix. `appAddresses` maps the invoked apps' ids to where they listen.
 */
export async function startAppSidecar(options: {
  appId: string;
  appPort: number;
  httpPort?: number;
  topicPrefix: string;
  appAddresses?: Record<string, string>;
  /** What `{podName}` expands to (the gateway's per-pod consumer group). */
  instanceId?: string;
}): Promise<Sidecar> {
  const brokers = inject("kafkaBrokers");
  const invoked = Object.keys(options.appAddresses ?? {});
  return startSidecar({
    appId: options.appId,
    appPort: options.appPort,
    ...(options.httpPort === undefined ? {} : { httpPort: options.httpPort }),
    brokers,
    resources: daprResources(localDaprSettings(brokers)),
    topicPrefix: options.topicPrefix,
    appToken: testAppToken(options.appId),
    appTokens: Object.fromEntries(invoked.map((id) => [id, testAppToken(id)])),
    ...(options.appAddresses ? { appAddresses: options.appAddresses } : {}),
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
    log: (line) => {
      if (process.env.SIDECAR_TEST_LOG) console.log(`[${options.appId} sidecar] ${line}`);
    },
  });
}

/** Creates every catalog topic under `prefix` on the tests' broker. */
export async function createTopics(prefix: string): Promise<void> {
  await ensureTopics(inject("kafkaBrokers"), TOPIC_LIST, { namePrefix: prefix });
}

/** A bearer token for a user, signed as the platform's JWT_SECRET signs them; `claims` adds to it (`roles`). */
export async function tokenFor(userId: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims)
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

  /** Reads every catalog topic under `prefix`, `dead-letters` included, on the tests' broker or on `bootstrap`. */
  static async start(prefix: string, bootstrap = inject("kafkaBrokers")): Promise<TopicReader> {
    const consumer = new Consumer({
      clientId: "test-topic-reader",
      groupId: `test-topic-reader-${randomUUID()}`,
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    });
    const reader = new TopicReader(consumer);
    const topics = TOPIC_LIST.map((t) => `${prefix}${t.name}`);
    reader.stream = await consumer.consume({ topics, mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const stream = reader.stream;
    reader.reading = (async () => {
      for await (const message of stream) {
        reader.records.push({
          topic: message.topic.slice(prefix.length),
          key: message.key ?? undefined,
          partition: message.partition,
          offset: message.offset,
          event: parseOrText(message.value),
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

/** A record's value as JSON, or as its text when it is not JSON (a poison record on `dead-letters`). */
function parseOrText(value: string | null | undefined): ReadEvent["event"] {
  try {
    return JSON.parse(value ?? "null");
  } catch {
    return value as unknown as ReadEvent["event"];
  }
}
