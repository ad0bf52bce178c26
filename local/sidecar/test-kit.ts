// Helpers for the sidecar's integration suites: throwaway apps on free ports, Dapr resources to load, reading topics back, polling with clear failures.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { TopicSpec } from "@event-platform/events";
import { Admin, Consumer, MessagesStreamModes, stringDeserializers } from "@platformatic/kafka";
import type { KubernetesObject } from "../../specs/dapr";

/** A short random tag, so parallel runs and files never share topics, groups or app ids. */
export function uniqueTag(): string {
  return randomBytes(3).toString("hex");
}

/** A topic spec for a test; 3 partitions like every catalog topic. */
export function testTopic(name: string, partitions = 3): TopicSpec {
  return {
    name,
    purpose: "sidecar conformance test",
    partitions,
    retentionMs: 3_600_000,
    cleanupPolicy: "delete",
    key: "user_id",
  };
}

/** Polls until `probe` returns something other than undefined/false, or fails with `message` and the last value seen. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  message: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${message}`);
    await sleep(25);
  }
}

/** Runs registered stop functions in reverse order; each test registers what it starts. */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];

  add<T extends { stop(): Promise<unknown> }>(resource: T): T {
    this.steps.push(() => resource.stop());
    return resource;
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) await step().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  }
}

export interface AppRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  at: number;
}

export interface AppAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
}

export interface TestApp {
  port: number;
  url: string;
  /** Every request the app received, in order, but `GET /dapr/subscribe`. */
  requests: AppRequest[];
  /** The headers of each `GET /dapr/subscribe` the app received. */
  subscribeHeaders: IncomingHttpHeaders[];
  /** The requests to one path. */
  to(path: string): AppRequest[];
  stop(): Promise<void>;
}

/**
 * An HTTP app on 127.0.0.1 and a free port. `GET /dapr/subscribe` answers `subscriptions` (404 when there are none)
 * and only its headers are recorded; every other request is recorded and answered by `handler`.
 */
export async function startTestApp(
  handler: (req: AppRequest) => AppAnswer | Promise<AppAnswer> = () => ({}),
  subscriptions?: unknown[],
): Promise<TestApp> {
  const requests: AppRequest[] = [];
  const subscribeHeaders: IncomingHttpHeaders[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === "/dapr/subscribe" && req.method === "GET") {
      subscribeHeaders.push(req.headers);
      res.writeHead(subscriptions ? 200 : 404, { "content-type": "application/json" });
      res.end(subscriptions ? JSON.stringify(subscriptions) : "");
      return;
    }
    let json: unknown;
    try {
      json = body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
    } catch {
      json = undefined;
    }
    const request: AppRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      json,
      at: Date.now(),
    };
    requests.push(request);
    const answer = await handler(request);
    const text =
      answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status ?? 200, {
      ...(typeof answer.body === "object" ? { "content-type": "application/json" } : {}),
      ...answer.headers,
    });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    subscribeHeaders,
    to: (path) => requests.filter((r) => r.path === path),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A pubsub.kafka Component as a cluster would declare it (`brokers` is replaced by the sidecar's own). */
export function kafkaComponent(
  name: string,
  metadata: Record<string, string> = {},
  scopes?: string[],
): KubernetesObject {
  const items = { brokers: "kafka-bootstrap.cluster.svc:9092", authType: "none", initialOffset: "oldest", ...metadata };
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Component",
    metadata: { name },
    spec: {
      type: "pubsub.kafka",
      version: "v1",
      metadata: Object.entries(items).map(([n, value]) => ({ name: n, value })),
    },
    ...(scopes ? { scopes } : {}),
  };
}

export interface SubscriptionSpec {
  pubsubname: string;
  topic: string;
  rules?: { match: string; path: string }[];
  default?: string;
  deadLetterTopic?: string;
  metadata?: Record<string, string>;
  scopes?: string[];
}

export function subscriptionResource(name: string, spec: SubscriptionSpec): KubernetesObject {
  const { scopes, rules, default: defaultPath, ...rest } = spec;
  return {
    apiVersion: "dapr.io/v2alpha1",
    kind: "Subscription",
    metadata: { name },
    spec: { ...rest, routes: { ...(rules ? { rules } : {}), ...(defaultPath ? { default: defaultPath } : {}) } },
    ...(scopes ? { scopes } : {}),
  };
}

/** A Resiliency with the given retry policies, applied to components as `{component: {inbound, outbound}}`. */
export function resiliencyResource(
  retries: Record<string, Record<string, unknown>>,
  components: Record<string, { inbound?: { retry: string }; outbound?: { retry: string } }>,
): KubernetesObject {
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Resiliency",
    metadata: { name: `resiliency-${uniqueTag()}` },
    spec: { policies: { retries }, targets: { components } },
  };
}

export interface ReadRecord {
  key: string | undefined;
  value: string;
  headers: Map<string, string>;
  partition: number;
  offset: bigint;
}

/** Reads a topic from the start with a fresh group until `count` records pass `filter`, or fails after `timeoutMs`. */
export async function readRecords(
  bootstrap: string,
  topic: string,
  count: number,
  filter: (record: ReadRecord) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    clientId: "sidecar-test-reader",
    groupId: `reader-${randomUUID()}`,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
  });
  const found: ReadRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const timer = setTimeout(() => void stream.close(), timeoutMs);
    try {
      for await (const message of stream) {
        const record = {
          key: message.key ?? undefined,
          value: message.value ?? "",
          headers: message.headers,
          partition: message.partition,
          offset: message.offset,
        };
        if (filter(record)) found.push(record);
        if (found.length >= count) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
  if (found.length < count) {
    throw new Error(`Read ${found.length} of ${count} expected records from ${topic} within ${timeoutMs} ms.`);
  }
  return found;
}

/** The committed offset of each partition of a topic for a group (absent partitions have none). */
export async function committedOffsets(bootstrap: string, group: string, topic: string): Promise<Map<number, bigint>> {
  const admin = new Admin({ clientId: "sidecar-test-admin", bootstrapBrokers: [bootstrap] });
  try {
    const [answer] = await admin.listConsumerGroupOffsets({ groups: [group] });
    const partitions = answer?.topics.find((t) => t.name === topic)?.partitions ?? [];
    return new Map(partitions.filter((p) => p.committedOffset >= 0n).map((p) => [p.partitionIndex, p.committedOffset]));
  } finally {
    await admin.close();
  }
}

/** How many members a consumer group has once it is stable (0 while it rebalances or is empty). */
export async function stableGroupSize(bootstrap: string, group: string): Promise<number> {
  const admin = new Admin({ clientId: "sidecar-test-admin", bootstrapBrokers: [bootstrap] });
  try {
    const described = (await admin.describeGroups({ groups: [group] })).get(group);
    // The state as the broker names it ("Stable"); the client no longer upper-cases it.
    return described?.state === "Stable" ? described.members.size : 0;
  } finally {
    await admin.close();
  }
}

/** POSTs to a sidecar's publish API and returns the status and parsed body. */
export async function publish(
  sidecarUrl: string,
  pubsub: string,
  topic: string,
  body: string,
  options: { contentType?: string; query?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown }> {
  const query = new URLSearchParams(options.query ?? {}).toString();
  const response = await fetch(`${sidecarUrl}/v1.0/publish/${pubsub}/${topic}${query ? `?${query}` : ""}`, {
    method: "POST",
    headers: { "content-type": options.contentType ?? "application/json", ...options.headers },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}
