// Conformance of the development sidecar to Dapr 1.18 on a real broker: each test pins one behaviour of FACTS.md ("Dapr pub/sub") or of daprd's source.
import { randomUUID } from "node:crypto";
import { DEAD_LETTER_TOPIC, TOPIC_LIST, TOPICS } from "@event-platform/events";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { GATEWAY_PUBSUB, PUBSUB } from "../../specs/apps";
import { daprResources, type KubernetesObject } from "../../specs/dapr";
import { ensureTopics } from "../kafka/topics";
import { localDaprSettings } from "./local-settings";
import { type Sidecar, type SidecarOptions, startSidecar } from "./sidecar";
import {
  type AppAnswer,
  type AppRequest,
  Cleanup,
  committedOffsets,
  kafkaComponent,
  publish,
  readRecords,
  resiliencyResource,
  stableGroupSize,
  startTestApp,
  subscriptionResource,
  type TestApp,
  testTopic,
  uniqueTag,
  waitFor,
} from "./test-kit";

const bootstrap = inject("kafkaBrokers");
const tag = uniqueTag();
/** Every topic of this file lives under this prefix on the broker; the sidecars apply it themselves. */
const prefix = `conf-${tag}.`;
const NAME = "conformance-pubsub";
const FAST_RETRY = { policy: "constant", duration: "50ms", maxRetries: 2 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

let topics = 0;
/** A new 3-partition topic for one test: its name for the sidecar, and its name on the broker. */
async function freshTopic(base: string): Promise<string> {
  const name = `${base}-${++topics}`;
  await ensureTopics(bootstrap, [testTopic(name)], { namePrefix: prefix });
  return name;
}
const onBroker = (topic: string) => `${prefix}${topic}`;

function logFor(appId: string): (line: string) => void {
  return (line) => {
    if (process.env.SIDECAR_TEST_LOG) console.log(`[${appId}] ${line}`);
  };
}

async function sidecarFor(
  app: TestApp,
  appId: string,
  resources: readonly KubernetesObject[],
  extra: Partial<SidecarOptions> = {},
  registry: Cleanup = cleanup,
): Promise<Sidecar> {
  const sidecar = await startSidecar({
    appId,
    appPort: app.port,
    brokers: bootstrap,
    resources,
    topicPrefix: prefix,
    log: logFor(appId),
    ...extra,
  });
  return registry.add(sidecar);
}

/** Retries for delivery (constant 50 ms, 2 retries) and publishing on the test component. */
function fastRetries(pubsub = NAME): KubernetesObject {
  return resiliencyResource(
    { fast: FAST_RETRY },
    { [pubsub]: { inbound: { retry: "fast" }, outbound: { retry: "fast" } } },
  );
}

interface TestEvent {
  specversion: "1.0";
  id: string;
  type: string;
  source: string;
  datacontenttype: string;
  data: Record<string, unknown>;
  [extension: string]: unknown;
}

function cloudEvent(type: string, data: Record<string, unknown>): TestEvent {
  return {
    specversion: "1.0",
    id: randomUUID(),
    type,
    source: "/tests/conformance",
    datacontenttype: "application/json",
    data,
  };
}

async function publishEvent(
  sidecar: Sidecar,
  topic: string,
  event: Record<string, unknown>,
  key: string,
): Promise<void> {
  const answer = await publish(sidecar.url, NAME, topic, JSON.stringify(event), {
    contentType: "application/cloudevents+json",
    query: { "metadata.partitionKey": key },
  });
  expect(answer, `publish of ${String(event.id)}`).toEqual({ status: 204, body: undefined });
}

/** Requests the app received for one event. */
function deliveriesOf(app: TestApp, id: unknown): AppRequest[] {
  return app.requests.filter((r) => (r.json as { id?: unknown } | undefined)?.id === id);
}

/** The offsets a consumer group committed on a topic, both named as the app knows them (the sidecar prefixes both). */
async function sumOfCommittedOffsets(group: string, topic: string): Promise<bigint> {
  const offsets = await committedOffsets(bootstrap, onBroker(group), onBroker(topic));
  return [...offsets.values()].reduce((a, b) => a + b, 0n);
}

describe("publish API", () => {
  const suite = new Cleanup();
  const appId = `publisher-${tag}`;
  let sidecar: Sidecar;
  let topic: string;

  beforeAll(async () => {
    topic = await freshTopic("published");
    const app = suite.add(await startTestApp());
    const outbound = resiliencyResource(
      { outbound: { policy: "constant", duration: "100ms", maxRetries: 2 } },
      { [NAME]: { outbound: { retry: "outbound" } } },
    );
    sidecar = await sidecarFor(app, appId, [kafkaComponent(NAME), outbound], {}, suite);
  });
  afterAll(() => suite.run());

  it("turns metadata.partitionKey into the record key and ignores a partitionKey header", async () => {
    const events = [1, 2, 3].map(() => cloudEvent("com.example.keyed", {}));
    for (const event of events) {
      const answer = await publish(sidecar.url, NAME, topic, JSON.stringify(event), {
        contentType: "application/cloudevents+json",
        query: { "metadata.partitionKey": "user-a" },
        headers: { partitionKey: "user-b" },
      });
      expect(answer.status).toBe(204);
    }
    const ids = new Set(events.map((e) => e.id));
    const records = await readRecords(bootstrap, onBroker(topic), 3, (r) => ids.has(JSON.parse(r.value).id));
    expect(records.map((r) => r.key)).toEqual(["user-a", "user-a", "user-a"]);
    // pubsub.kafka also writes every metadata entry as a record header.
    expect(records.map((r) => r.headers.get("partitionKey"))).toEqual(["user-a", "user-a", "user-a"]);
    expect(new Set(records.map((r) => r.partition)).size).toBe(1);
  });

  it("passes a CloudEvent through and sets topic, pubsubname, time and the trace fields", async () => {
    const bare = { ...cloudEvent("com.example.thing", { a: 1, nested: { b: [1, 2] } }), subject: "s-1", myext: "x" };
    const complete = {
      ...cloudEvent("com.example.thing", {}),
      time: "2026-01-02T03:04:05Z",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    };
    for (const event of [bare, complete]) {
      const answer = await publish(sidecar.url, NAME, topic, JSON.stringify(event), {
        contentType: "application/cloudevents+json",
      });
      expect(answer.status).toBe(204);
    }
    const records = await readRecords(bootstrap, onBroker(topic), 2, (r) =>
      [bare.id, complete.id].includes(JSON.parse(r.value).id),
    );
    const byId = new Map(records.map((r) => [JSON.parse(r.value).id, JSON.parse(r.value)]));
    const published = byId.get(bare.id);
    expect(published).toMatchObject({ ...bare, topic, pubsubname: NAME });
    expect(published.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(published.traceparent).toMatch(TRACEPARENT);
    expect(published.traceid).toBe(published.traceparent);
    expect(byId.get(complete.id)).toMatchObject({ ...complete, topic, pubsubname: NAME });
  });

  it("wraps any other content type in a com.dapr.event.sent CloudEvent whose source is the app id", async () => {
    const marker = randomUUID();
    expect((await publish(sidecar.url, NAME, topic, JSON.stringify({ order: 7, marker }))).status).toBe(204);
    expect((await publish(sidecar.url, NAME, topic, `hello ${marker}`, { contentType: "text/plain" })).status).toBe(
      204,
    );
    const records = await readRecords(bootstrap, onBroker(topic), 2, (r) => r.value.includes(marker));
    const events = records.map((r) => JSON.parse(r.value));
    // Without a partition key each record lands on a random partition, so the read order is not the publish order.
    const json = events.find((e) => e.datacontenttype === "application/json");
    const text = events.find((e) => e.datacontenttype === "text/plain");
    const envelope = { specversion: "1.0", type: "com.dapr.event.sent", source: appId, topic, pubsubname: NAME };
    expect(json).toMatchObject({ ...envelope, datacontenttype: "application/json", data: { order: 7, marker } });
    expect(text).toMatchObject({ ...envelope, datacontenttype: "text/plain", data: `hello ${marker}` });
    expect(json.id).toMatch(UUID);
    expect(json.traceparent).toMatch(TRACEPARENT);
  });

  it("publishes the body as is with metadata.rawPayload=true", async () => {
    const body = `raw, not JSON: ${randomUUID()}`;
    const answer = await publish(sidecar.url, NAME, topic, body, {
      contentType: "text/plain",
      query: { "metadata.rawPayload": "true", "metadata.partitionKey": "raw-key" },
    });
    expect(answer.status).toBe(204);
    const [record] = await readRecords(bootstrap, onBroker(topic), 1, (r) => r.value.includes(body));
    expect(record?.value).toBe(body);
    expect(record?.key).toBe("raw-key");
  });

  it("answers an unknown pubsub with 404 ERR_PUBSUB_NOT_FOUND", async () => {
    const answer = await publish(sidecar.url, "no-such-pubsub", topic, "{}");
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({
      errorCode: "ERR_PUBSUB_NOT_FOUND",
      message: "pubsub no-such-pubsub is not found",
    });
  });

  it("answers a body that is not a CloudEvent with 500 ERR_PUBSUB_CLOUD_EVENTS_SER, as daprd does", async () => {
    const answer = await publish(sidecar.url, NAME, topic, '{"id": ', { contentType: "application/cloudevents+json" });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({
      errorCode: "ERR_PUBSUB_CLOUD_EVENTS_SER",
      message: "cannot create cloudevent",
    });
  });

  it("answers 400 ERR_PUBSUB_REQUEST_METADATA when rawPayload is not a boolean", async () => {
    const answer = await publish(sidecar.url, NAME, topic, "{}", { query: { "metadata.rawPayload": "yes please" } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      errorCode: "ERR_PUBSUB_REQUEST_METADATA",
      message: "failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is 'yes please'",
    });
  });

  it("answers 500 ERR_PUBSUB_PUBLISH_MESSAGE when the broker refuses the record after the outbound retries", async () => {
    const started = Date.now();
    const answer = await publish(sidecar.url, NAME, `never-created-${tag}`, "{}");
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE" });
    expect((answer.body as { message: string }).message).toContain(
      `error when publishing to topic never-created-${tag}`,
    );
    // Two retries, 100 ms apart, after the first attempt.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});

describe("delivery to the app", () => {
  interface Setup {
    topic: string;
    appId: string;
    app: TestApp;
    sidecar: Sidecar;
    deadLetterTopic?: string;
  }

  /** A topic, an app with `handler`, and its sidecar subscribed with a default route to /events. */
  async function setup(options: {
    handler: (req: AppRequest) => AppAnswer;
    deadLetter?: boolean;
    retries?: boolean;
    component?: Record<string, string>;
    rules?: { match: string; path: string }[];
    name: string;
    sidecar?: Partial<SidecarOptions>;
  }): Promise<Setup> {
    const topic = await freshTopic(options.name);
    const deadLetterTopic = options.deadLetter ? await freshTopic(`${options.name}-dlt`) : undefined;
    const appId = `${options.name}-${tag}`;
    const app = cleanup.add(await startTestApp(options.handler));
    const resources = [
      kafkaComponent(NAME, options.component),
      subscriptionResource(`${appId}-sub`, {
        pubsubname: NAME,
        topic,
        default: "/events",
        ...(options.rules ? { rules: options.rules } : {}),
        ...(deadLetterTopic ? { deadLetterTopic } : {}),
        scopes: [appId],
      }),
      ...(options.retries === false ? [] : [fastRetries()]),
    ];
    const sidecar = await sidecarFor(app, appId, resources, options.sidecar);
    return { topic, appId, app, sidecar, ...(deadLetterTopic ? { deadLetterTopic } : {}) };
  }

  /** The app answers from the event's `data.answer`: success, retry, error, drop, missing, ... */
  function answering(req: AppRequest): AppAnswer {
    const answer = (req.json as { data?: { answer?: string } } | undefined)?.data?.answer;
    switch (answer) {
      case "success":
        return { body: { status: "SUCCESS" } };
      case "empty-object":
        return { body: {} };
      case "empty":
        return { status: 204 };
      case "retry":
        return { body: { status: "RETRY" } };
      case "unknown-status":
        return { body: { status: "LATER" } };
      case "error":
        return { status: 500, body: "boom" };
      case "drop":
        return { body: { status: "DROP" } };
      case "missing":
        return { status: 404 };
      default:
        return {};
    }
  }

  it("POSTs the CloudEvent to the route its type matches, as application/cloudevents+json", async () => {
    const { topic, app, sidecar } = await setup({
      name: "routed",
      handler: () => ({}),
      rules: [{ match: 'event.type == "com.example.created"', path: "/created" }],
    });
    const created = cloudEvent("com.example.created", { n: 1 });
    const other = cloudEvent("com.example.deleted", { n: 2 });
    await publishEvent(sidecar, topic, created, "user-1");
    await publishEvent(sidecar, topic, other, "user-1");
    await waitFor(() => app.to("/created").length === 1 && app.to("/events").length === 1, "both events delivered");
    const [delivery] = app.to("/created");
    expect(delivery?.method).toBe("POST");
    expect(delivery?.headers["content-type"]).toBe("application/cloudevents+json");
    expect(delivery?.json).toMatchObject({ ...created, topic, pubsubname: NAME });
    expect(app.to("/events")[0]?.json).toMatchObject({ id: other.id, type: "com.example.deleted" });
  });

  it("completes on SUCCESS, {} and an empty 2xx: one delivery each, offsets committed, nothing redelivered", async () => {
    const { topic, appId, app, sidecar } = await setup({ name: "success", handler: answering });
    const answers = ["success", "empty-object", "empty"];
    const events = answers.map((answer) => cloudEvent("com.example.done", { answer }));
    for (const [i, event] of events.entries()) await publishEvent(sidecar, topic, event, `user-${i}`);
    await waitFor(async () => (await sumOfCommittedOffsets(appId, topic)) === 3n, "3 offsets committed");
    await sidecar.stop();

    // A new member of the same group starts after the committed offsets: only the new events arrive, and each
    // follows an original event on its key's partition, so a redelivery would have come first.
    const next = cleanup.add(await startTestApp(answering));
    const again = await sidecarFor(next, appId, [
      kafkaComponent(NAME),
      subscriptionResource("again", { pubsubname: NAME, topic, default: "/events" }),
    ]);
    const sentinels = answers.map(() => cloudEvent("com.example.sentinel", { answer: "success" }));
    for (const [i, event] of sentinels.entries()) await publishEvent(again, topic, event, `user-${i}`);
    await waitFor(() => next.to("/events").length >= 3, "the sentinels delivered");
    expect(next.to("/events").map((r) => (r.json as { type: string }).type)).toEqual(
      Array(3).fill("com.example.sentinel"),
    );
    for (const event of events) expect(deliveriesOf(app, event.id)).toHaveLength(1);
  });

  it("commits offsets apart from delivery, and a stop right after the last delivery still commits every handled record: a new member redelivers nothing", async () => {
    let handled = 0;
    const { topic, appId, app, sidecar } = await setup({
      name: "handled-then-stopped",
      handler: answering,
      sidecar: { onRecordHandled: () => handled++ },
    });
    // One key: one partition, delivered one record after another while earlier commits may be in flight.
    const events = Array.from({ length: 20 }, (_, i) => cloudEvent("com.example.done", { answer: "success", i }));
    for (const event of events) await publishEvent(sidecar, topic, event, "one-user");
    // Handled, not just received by the app: a stop abandons a delivery whose answer the sidecar has not read yet.
    await waitFor(() => handled === events.length, "every event handled");
    expect(app.to("/events")).toHaveLength(events.length);
    // No wait for the commits: the stop itself must finish them before leaving the group.
    await sidecar.stop();
    expect(await sumOfCommittedOffsets(appId, topic)).toBe(BigInt(events.length));

    const next = cleanup.add(await startTestApp(answering));
    const again = await sidecarFor(next, appId, [
      kafkaComponent(NAME),
      subscriptionResource("again", { pubsubname: NAME, topic, default: "/events" }),
    ]);
    const sentinel = cloudEvent("com.example.sentinel", { answer: "success" });
    await publishEvent(again, topic, sentinel, "one-user");
    await waitFor(() => next.to("/events").length >= 1, "the sentinel delivered");
    expect(next.to("/events").map((r) => (r.json as { id: string }).id)).toEqual([sentinel.id]);
    expect(app.to("/events").map((r) => (r.json as { data: { i: number } }).data.i)).toEqual(events.map((_, i) => i));
  });

  it("retries RETRY, an unknown status and HTTP 500 per the inbound policy (1 + maxRetries attempts), then dead-letters the event with its key and metadata", async () => {
    const { topic, appId, app, sidecar, deadLetterTopic } = await setup({
      name: "retried",
      handler: answering,
      deadLetter: true,
    });
    const events = ["retry", "unknown-status", "error"].map((answer) => cloudEvent("com.example.fails", { answer }));
    for (const [i, event] of events.entries()) await publishEvent(sidecar, topic, event, `key-${i}`);

    const ids = events.map((e) => e.id);
    const dead = await readRecords(bootstrap, onBroker(deadLetterTopic as string), 3);
    const originals = await readRecords(bootstrap, onBroker(topic), 3, (r) => ids.includes(JSON.parse(r.value).id));
    for (const [i, event] of events.entries()) {
      const original = originals.find((r) => JSON.parse(r.value).id === event.id);
      const letter = dead.find((r) => JSON.parse(r.value).id === event.id);
      expect(deliveriesOf(app, event.id), String(event.data)).toHaveLength(1 + FAST_RETRY.maxRetries);
      expect(letter?.value).toBe(original?.value);
      expect(letter?.key).toBe(`key-${i}`);
      // The original record's metadata rides along as headers; the topic as the app names it (no test prefix).
      expect(letter?.headers.get("__topic")).toBe(topic);
      expect(letter?.headers.get("__key")).toBe(`key-${i}`);
    }
    await waitFor(async () => (await sumOfCommittedOffsets(appId, topic)) === 3n, "dead-lettered offsets committed");
  });

  it("drops on DROP and on HTTP 404 after one attempt, to the dead-letter topic", async () => {
    const { topic, appId, app, sidecar, deadLetterTopic } = await setup({
      name: "dropped",
      handler: answering,
      deadLetter: true,
    });
    const events = ["drop", "missing"].map((answer) => cloudEvent("com.example.dropped", { answer }));
    for (const [i, event] of events.entries()) await publishEvent(sidecar, topic, event, `drop-${i}`);
    const dead = await readRecords(bootstrap, onBroker(deadLetterTopic as string), 2);
    expect(dead.map((r) => JSON.parse(r.value).id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(dead.map((r) => r.key).sort()).toEqual(["drop-0", "drop-1"]);
    await waitFor(async () => (await sumOfCommittedOffsets(appId, topic)) === 2n, "dropped offsets committed");
    for (const event of events) expect(deliveriesOf(app, event.id)).toHaveLength(1);
  });

  it("with no inbound retry policy, dead-letters a failing event after a single attempt", async () => {
    const { topic, app, sidecar, deadLetterTopic } = await setup({
      name: "unretried",
      handler: answering,
      deadLetter: true,
      retries: false,
    });
    const event = cloudEvent("com.example.fails", { answer: "error" });
    await publishEvent(sidecar, topic, event, "once");
    const [letter] = await readRecords(bootstrap, onBroker(deadLetterTopic as string), 1);
    expect(JSON.parse(letter?.value ?? "{}").id).toBe(event.id);
    expect(deliveriesOf(app, event.id)).toHaveLength(1);
  });

  it("with no dead-letter topic, keeps retrying a failing event and holds its partition while the others flow", async () => {
    let healed = false;
    const { topic, app, sidecar } = await setup({
      name: "stalled",
      // The Kafka component's own redelivery between rounds of the inbound policy (daprd's default is 5 s).
      component: { backOffDuration: "50ms" },
      handler: (req) => {
        const data = (req.json as { data?: { poison?: boolean } } | undefined)?.data;
        return data?.poison && !healed ? { status: 500 } : {};
      },
    });
    const poison = cloudEvent("com.example.poison", { poison: true });
    const follower = cloudEvent("com.example.after-poison", {});
    await publishEvent(sidecar, topic, poison, "poisoned-user");
    await publishEvent(sidecar, topic, follower, "poisoned-user");
    const others = Array.from({ length: 9 }, (_, i) => ({
      key: `other-${i}`,
      event: cloudEvent("com.example.other", {}),
    }));
    for (const { key, event } of others) await publishEvent(sidecar, topic, event, key);

    // Which partition each key landed on, as the broker has it.
    const records = await readRecords(bootstrap, onBroker(topic), 11);
    const partitionOf = new Map(records.map((r) => [JSON.parse(r.value).id, r.partition]));
    const stalled = partitionOf.get(poison.id);
    const elsewhere = others.filter(({ event }) => partitionOf.get(event.id) !== stalled);
    expect(elsewhere.length, "keys on other partitions").toBeGreaterThan(0);

    await waitFor(
      () => elsewhere.every(({ event }) => deliveriesOf(app, event.id).length === 1),
      "the events of the other partitions delivered",
    );
    // More attempts than one round of the policy: the component redelivers after the policy gives up.
    await waitFor(
      () => deliveriesOf(app, poison.id).length > 2 * (1 + FAST_RETRY.maxRetries),
      "poison retried in rounds",
    );
    expect(deliveriesOf(app, follower.id), "the follower waits behind the poison").toHaveLength(0);
    // The other partitions' offsets are committed (so the group read is the sidecar's), the held one's not.
    const committed = await waitFor(async () => {
      const offsets = await committedOffsets(bootstrap, onBroker(`stalled-${tag}`), onBroker(topic));
      return [...offsets.values()].some((offset) => offset > 0n) && offsets;
    }, "the other partitions' offsets committed");
    expect(committed.get(stalled as number) ?? 0n, "no offset committed on the held partition").toBe(0n);

    healed = true;
    await waitFor(() => deliveriesOf(app, follower.id).length === 1, "the follower delivered once the poison succeeds");
    const lastPoison = deliveriesOf(app, poison.id).at(-1) as AppRequest;
    expect(lastPoison.at).toBeLessThanOrEqual((deliveriesOf(app, follower.id)[0] as AppRequest).at);
  });

  it("keeps each key's order when first attempts fail and are retried", async () => {
    const attempts = new Map<unknown, number>();
    const succeeded: { key: string; seq: number }[] = [];
    const { topic, sidecar } = await setup({
      name: "ordered",
      handler: (req) => {
        const event = req.json as { id: string; data: { key: string; seq: number } };
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        // Every other event fails its first attempt.
        if (event.data.seq % 2 === 0 && attempt === 1) return { status: 500 };
        succeeded.push(event.data);
        return {};
      },
    });
    const keys = ["alice", "bob", "carol"];
    for (let seq = 0; seq < 5; seq++) {
      for (const key of keys) await publishEvent(sidecar, topic, cloudEvent("com.example.seq", { key, seq }), key);
    }
    await waitFor(() => succeeded.length === 15, "15 successful deliveries");
    for (const key of keys) {
      expect(
        succeeded.filter((s) => s.key === key).map((s) => s.seq),
        key,
      ).toEqual([0, 1, 2, 3, 4]);
    }
    expect([...attempts.values()].filter((n) => n === 2)).toHaveLength(9);
  });

  it("stops delivering on stopSubscriptions while its API still publishes; what it did not deliver goes to the group's next member", async () => {
    const { topic, appId, app, sidecar } = await setup({ name: "graceful", handler: () => ({}) });
    const before = cloudEvent("com.example.before", {});
    await publishEvent(sidecar, topic, before, "user-1");
    await waitFor(async () => (await sumOfCommittedOffsets(appId, topic)) === 1n, "the first event committed");

    await sidecar.stopSubscriptions();
    const during = cloudEvent("com.example.during", {});
    await publishEvent(sidecar, topic, during, "user-1");
    // Long enough for a delivery that should not happen: the partition's record follows at once otherwise.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(deliveriesOf(app, during.id)).toEqual([]);
    await sidecar.stop();

    const next = cleanup.add(await startTestApp(() => ({})));
    await sidecarFor(next, appId, [
      kafkaComponent(NAME),
      subscriptionResource("graceful-again", { pubsubname: NAME, topic, default: "/events" }),
    ]);
    await waitFor(() => deliveriesOf(next, during.id).length === 1, "the held-back event at the next member");
    expect(deliveriesOf(next, before.id)).toEqual([]);
  });

  it("answers the publishes in flight before stop() closes its API: every record on Kafka was answered 204, none cut", async () => {
    const topic = await freshTopic("stop-in-flight");
    const app = cleanup.add(await startTestApp());
    const sidecar = await sidecarFor(app, `stopping-${tag}`, [kafkaComponent(NAME)]);
    const events = Array.from({ length: 40 }, (_, i) => cloudEvent("com.example.in-flight", { i }));
    const answers = events.map((event, i) =>
      publish(sidecar.url, NAME, topic, JSON.stringify(event), {
        contentType: "application/cloudevents+json",
        query: { "metadata.partitionKey": `user-${i % 4}` },
      }).then(
        (answer) => answer.status,
        () => "no answer" as const,
      ),
    );
    await Promise.race(answers);
    await sidecar.stop();
    const statuses = await Promise.all(answers);
    // A request the closing server never read may find the connection gone; one it read is answered.
    expect(statuses.filter((status) => status !== 204 && status !== "no answer")).toEqual([]);
    const answered = events.filter((_, i) => statuses[i] === 204).map((e) => e.id);
    const unanswered = new Set(events.filter((_, i) => statuses[i] !== 204).map((e) => e.id));
    expect(answered.length).toBeGreaterThan(1);
    const records = await readRecords(bootstrap, onBroker(topic), answered.length);
    expect(records.map((r) => JSON.parse(r.value).id).sort()).toEqual([...answered].sort());
    if (unanswered.size > 0) {
      const late = readRecords(bootstrap, onBroker(topic), 1, (r) => unanswered.has(JSON.parse(r.value).id), 2_000);
      await expect(late).rejects.toThrow(/Read 0 of 1/);
    }
  });

  it("gives each instance every event with consumerGroup {podName}", async () => {
    const topic = await freshTopic("per-pod");
    const appId = `per-pod-${tag}`;
    const resources = [
      kafkaComponent(NAME, { consumerGroup: "{podName}" }),
      subscriptionResource("per-pod", { pubsubname: NAME, topic, default: "/events" }),
    ];
    const [a, b] = [cleanup.add(await startTestApp()), cleanup.add(await startTestApp())] as [TestApp, TestApp];
    const first = await sidecarFor(a, appId, resources, { instanceId: `pod-a-${tag}` });
    await sidecarFor(b, appId, resources, { instanceId: `pod-b-${tag}` });
    const events = Array.from({ length: 6 }, (_, i) => cloudEvent("com.example.broadcast", { i }));
    for (const [i, event] of events.entries()) await publishEvent(first, topic, event, `user-${i}`);
    const ids = events.map((e) => e.id).sort();
    await waitFor(() => a.requests.length >= 6 && b.requests.length >= 6, "every event at both instances");
    expect(a.requests.map((r) => (r.json as { id: string }).id).sort()).toEqual(ids);
    expect(b.requests.map((r) => (r.json as { id: string }).id).sort()).toEqual(ids);
    await waitFor(async () => (await sumOfCommittedOffsets(`pod-a-${tag}`, topic)) === 6n, "group pod-a committed");
    await waitFor(async () => (await sumOfCommittedOffsets(`pod-b-${tag}`, topic)) === 6n, "group pod-b committed");
  });

  it("splits the events between the members of a shared group (the app id)", async () => {
    const topic = await freshTopic("shared");
    const appId = `shared-${tag}`;
    const resources = [
      kafkaComponent(NAME, { heartbeatInterval: "200ms", sessionTimeout: "6s" }),
      subscriptionResource("shared", { pubsubname: NAME, topic, default: "/events" }),
    ];
    const [a, b] = [cleanup.add(await startTestApp()), cleanup.add(await startTestApp())] as [TestApp, TestApp];
    const first = await sidecarFor(a, appId, resources);
    await sidecarFor(b, appId, resources);
    await waitFor(
      async () => (await stableGroupSize(bootstrap, onBroker(appId))) === 2,
      "a stable group of two members",
    );
    const events = Array.from({ length: 12 }, (_, i) => cloudEvent("com.example.shared", { i }));
    for (const [i, event] of events.entries()) await publishEvent(first, topic, event, `user-${i}`);
    await waitFor(() => a.requests.length + b.requests.length >= 12, "12 deliveries in all");
    const delivered = [...a.requests, ...b.requests].map((r) => (r.json as { id: string }).id);
    expect(delivered.sort()).toEqual(events.map((e) => e.id).sort());
    expect(a.requests.length, "first member's share").toBeGreaterThan(0);
    expect(b.requests.length, "second member's share").toBeGreaterThan(0);
  });
});

describe("service invocation", () => {
  it("passes method, path, query, headers, body and status through, to another app and to its own", async () => {
    const echo = (req: AppRequest): AppAnswer => ({
      status: req.path === "/missing" ? 404 : req.method === "POST" ? 201 : 200,
      headers: { "x-reply": "from-app" },
      body: {
        method: req.method,
        path: req.path,
        query: Object.fromEntries(req.query),
        custom: req.headers["x-custom"],
        caller: req.headers["dapr-caller-app-id"],
        body: req.json,
      },
    });
    const target = cleanup.add(await startTestApp(echo));
    const own = cleanup.add(await startTestApp(echo));
    const appId = `caller-${tag}`;
    const sidecar = await sidecarFor(own, appId, [], { appAddresses: { orders: target.url } });

    const posted = await fetch(`${sidecar.url}/v1.0/invoke/orders/method/items/42?color=red&size=2`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-custom": "yes" },
      body: JSON.stringify({ n: 1 }),
    });
    expect(posted.status).toBe(201);
    expect(posted.headers.get("x-reply")).toBe("from-app");
    expect(await posted.json()).toEqual({
      method: "POST",
      path: "/items/42",
      query: { color: "red", size: "2" },
      custom: "yes",
      caller: appId,
      body: { n: 1 },
    });

    const got = await fetch(`${sidecar.url}/v1.0/invoke/${appId}/method/self?x=1`, { headers: { "x-custom": "get" } });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ method: "GET", path: "/self", query: { x: "1" }, custom: "get" });
    expect(own.to("/self")).toHaveLength(1);

    const missing = await fetch(`${sidecar.url}/v1.0/invoke/orders/method/missing`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(target.to("/missing")[0]?.method).toBe("DELETE");
  });

  it("answers an unknown app id with 500 ERR_DIRECT_INVOKE", async () => {
    const own = cleanup.add(await startTestApp());
    const sidecar = await sidecarFor(own, `lonely-${tag}`, []);
    const answer = await fetch(`${sidecar.url}/v1.0/invoke/nobody/method/anything`);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({
      errorCode: "ERR_DIRECT_INVOKE",
      message: "failed to invoke, id: nobody, err: couldn't find service: nobody",
    });
  });
});

describe("the app API token (APP_API_TOKEN)", () => {
  it("sends it as dapr-api-token on every call to the app: /dapr/subscribe, deliveries and invocations", async () => {
    // daprd's http channel sets `dapr-api-token` from APP_API_TOKEN on each request to its app (pkg/channel/http).
    const token = `app-token-${randomUUID()}`;
    const topic = await freshTopic("token");
    const appId = `token-${tag}`;
    const app = cleanup.add(await startTestApp(() => ({})));
    const other = cleanup.add(await startTestApp(() => ({})));
    const resources = [
      kafkaComponent(NAME),
      subscriptionResource(`${appId}-sub`, { pubsubname: NAME, topic, default: "/events", scopes: [appId] }),
      fastRetries(),
    ];
    const sidecar = await sidecarFor(app, appId, resources, {
      appToken: token,
      appAddresses: { orders: other.url, untokened: other.url },
      appTokens: { orders: "orders-own-token" },
    });
    expect(app.subscribeHeaders.map((h) => h["dapr-api-token"])).toEqual([token]);

    const event = cloudEvent("com.example.token", { n: 1 });
    await publishEvent(sidecar, topic, event, "user-1");
    const [delivery] = await waitFor(
      () => deliveriesOf(app, event.id).length > 0 && deliveriesOf(app, event.id),
      "delivery",
    );
    expect(delivery?.headers["dapr-api-token"]).toBe(token);

    // Invoking its own app carries its own token, in place of whatever the caller sent.
    await fetch(`${sidecar.url}/v1.0/invoke/${appId}/method/self`, { headers: { "dapr-api-token": "forged" } });
    expect(app.to("/self")[0]?.headers["dapr-api-token"]).toBe(token);
    // Another app gets that app's token (which its own sidecar would set), never this app's.
    await fetch(`${sidecar.url}/v1.0/invoke/orders/method/order`);
    expect(other.to("/order")[0]?.headers["dapr-api-token"]).toBe("orders-own-token");
    await fetch(`${sidecar.url}/v1.0/invoke/untokened/method/plain`);
    expect(other.to("/plain")[0]?.headers["dapr-api-token"]).toBeUndefined();
  });

  it("sends no token when none is configured", async () => {
    const appId = `no-token-${tag}`;
    const app = cleanup.add(await startTestApp(() => ({})));
    const sidecar = await sidecarFor(app, appId, []);
    await fetch(`${sidecar.url}/v1.0/invoke/${appId}/method/self`);
    expect(app.subscribeHeaders.map((h) => h["dapr-api-token"])).toEqual([undefined]);
    expect(app.to("/self")[0]?.headers["dapr-api-token"]).toBeUndefined();
  });
});

describe("health and metadata", () => {
  it("is healthy once started and reports its components and both kinds of subscription", async () => {
    const [declared, programmatic] = [await freshTopic("declared"), await freshTopic("programmatic")];
    const app = cleanup.add(
      await startTestApp(
        () => ({}),
        [{ pubsubname: NAME, topic: programmatic, route: "/prog", deadLetterTopic: "dlq" }],
      ),
    );
    const appId = `observed-${tag}`;
    const sidecar = await sidecarFor(app, appId, [
      kafkaComponent(NAME),
      kafkaComponent("scoped-elsewhere", {}, ["some-other-app"]),
      subscriptionResource("declared", {
        pubsubname: NAME,
        topic: declared,
        rules: [{ match: 'event.type == "a"', path: "/a" }],
        default: "/rest",
      }),
    ]);
    expect((await fetch(`${sidecar.url}/v1.0/healthz`)).status).toBe(204);
    expect((await fetch(`${sidecar.url}/v1.0/healthz/outbound`)).status).toBe(204);

    const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as { subscriptions: unknown[] };
    expect(metadata).toMatchObject({
      id: appId,
      components: [{ name: NAME, type: "pubsub.kafka", version: "v1" }],
      subscriptions: expect.arrayContaining([
        {
          pubsubname: NAME,
          topic: programmatic,
          metadata: {},
          rules: { rules: [{ match: "", path: "/prog" }] },
          deadLetterTopic: "dlq",
          type: "PROGRAMMATIC",
        },
        {
          pubsubname: NAME,
          topic: declared,
          metadata: {},
          rules: {
            rules: [
              { match: 'event.type == "a"', path: "/a" },
              { match: "", path: "/rest" },
            ],
          },
          deadLetterTopic: "",
          type: "DECLARATIVE",
        },
      ]),
    });
    expect(metadata.subscriptions).toHaveLength(2);

    const event = cloudEvent("com.example.programmatic", {});
    await publishEvent(sidecar, programmatic, event, "p");
    await waitFor(() => app.to("/prog").length === 1, "the programmatic subscription delivers");
  });
});

describe("the platform's own resources (specs/dapr.ts)", () => {
  it("loads daprResources unchanged: scoping, the gateway's per-pod group, exponential retries, the dead-letter topic", async () => {
    const catalogPrefix = `${prefix}catalog.`;
    await ensureTopics(bootstrap, TOPIC_LIST, { namePrefix: catalogPrefix });
    const resources = daprResources(localDaprSettings("kafka-kafka-bootstrap.event-platform.svc:9092"));
    const gatewayApp = cleanup.add(
      await startTestApp((req) => (req.path === "/events/task-updates" ? { status: 503 } : {})),
    );
    const gatewayPod = `gateway-pod-${tag}`;
    const gateway = await sidecarFor(gatewayApp, "gateway", resources, {
      topicPrefix: catalogPrefix,
      instanceId: gatewayPod,
    });
    const backendApp = cleanup.add(await startTestApp());
    const backend = await sidecarFor(backendApp, "backend", resources, { topicPrefix: catalogPrefix });

    // Each component is scoped to the apps that use it.
    const componentsOf = async (sidecar: Sidecar) =>
      (
        (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as { components: { name: string }[] }
      ).components.map((c) => c.name);
    expect(await componentsOf(gateway)).toEqual([GATEWAY_PUBSUB]);
    expect(await componentsOf(backend)).toEqual([PUBSUB]);

    const event = cloudEvent("com.taskmanager.ui.task_list_changed", { user_id: "user-9" });
    const answer = await publish(backend.url, PUBSUB, TOPICS.taskUpdates.name, JSON.stringify(event), {
      contentType: "application/cloudevents+json",
      query: { "metadata.partitionKey": "user-9" },
    });
    expect(answer.status).toBe(204);

    // The platform's inbound policy (exponential, 3 retries), then the dead-letter topic with the original key.
    const [letter] = await readRecords(
      bootstrap,
      `${catalogPrefix}${DEAD_LETTER_TOPIC}`,
      1,
      (r) => r.value.includes(event.id),
      20_000,
    );
    expect(letter?.key).toBe("user-9");
    expect(JSON.parse(letter?.value ?? "{}")).toMatchObject({
      id: event.id,
      topic: TOPICS.taskUpdates.name,
      pubsubname: PUBSUB,
    });
    expect(gatewayApp.to("/events/task-updates")).toHaveLength(4);
    // The gateway's group is its pod name ({podName}), so every replica sees every update.
    await waitFor(
      async () => (await sumOfCommittedOffsets(`catalog.${gatewayPod}`, `catalog.${TOPICS.taskUpdates.name}`)) === 1n,
      "the gateway pod's group committed the update",
    );
  });
});
