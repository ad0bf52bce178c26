// The services' own client, @dapr/dapr's DaprClient over HTTP, works against the development sidecar unchanged: publish with metadata, and service invocation.
import { randomUUID } from "node:crypto";
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from "@dapr/dapr";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureTopics } from "../kafka/topics";
import { type Sidecar, startSidecar } from "./sidecar";
import {
  Cleanup,
  kafkaComponent,
  readRecords,
  startTestApp,
  subscriptionResource,
  type TestApp,
  testTopic,
  uniqueTag,
  waitFor,
} from "./test-kit";

const bootstrap = inject("kafkaBrokers");
const tag = uniqueTag();
const prefix = `client-${tag}.`;
const PUBSUB = "client-pubsub";
const TOPIC = "orders";

describe("DaprClient (@dapr/dapr, HTTP) against the development sidecar", () => {
  const cleanup = new Cleanup();
  const appId = `client-app-${tag}`;
  let app: TestApp;
  let sidecar: Sidecar;
  let client: DaprClient;

  beforeAll(async () => {
    await ensureTopics(bootstrap, [testTopic(TOPIC)], { namePrefix: prefix });
    app = cleanup.add(
      await startTestApp((req) =>
        req.path.startsWith("/orders/")
          ? { status: 200, body: { order: req.path, method: req.method, got: req.json } }
          : {},
      ),
    );
    sidecar = cleanup.add(
      await startSidecar({
        appId,
        appPort: app.port,
        brokers: bootstrap,
        resources: [
          kafkaComponent(PUBSUB),
          subscriptionResource("orders", { pubsubname: PUBSUB, topic: TOPIC, default: "/events/orders" }),
        ],
        topicPrefix: prefix,
      }),
    );
    client = new DaprClient({
      daprHost: "127.0.0.1",
      daprPort: String(sidecar.port),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      // The SDK logs failed publishes itself; the tests assert on the results instead.
      logger: { level: LogLevel.Error, service: { error() {}, warn() {}, info() {}, verbose() {}, debug() {} } },
    });
  });
  afterAll(async () => {
    await client?.stop();
    await cleanup.run();
  });

  it("publishes a CloudEvent with metadata.partitionKey as the record key, and the app receives it", async () => {
    const event = {
      specversion: "1.0",
      id: randomUUID(),
      type: "com.example.order.placed",
      source: "/tests/dapr-client",
      datacontenttype: "application/json",
      data: { order: 1 },
    };
    // The SDK sends an object with id, source, type and specversion as application/cloudevents+json, and the
    // metadata as metadata.* query parameters.
    const result = await client.pubsub.publish(PUBSUB, TOPIC, event, { metadata: { partitionKey: "user-7" } });
    expect(result).toEqual({});
    const [record] = await readRecords(bootstrap, `${prefix}${TOPIC}`, 1, (r) => r.value.includes(event.id));
    expect(record?.key).toBe("user-7");
    await waitFor(() => app.to("/events/orders").some((r) => (r.json as { id?: string }).id === event.id), "delivered");
    expect(app.to("/events/orders").find((r) => (r.json as { id?: string }).id === event.id)?.json).toMatchObject({
      ...event,
      topic: TOPIC,
      pubsubname: PUBSUB,
    });
  });

  it("publishes a plain object, which the sidecar wraps in a CloudEvent", async () => {
    const marker = randomUUID();
    expect(await client.pubsub.publish(PUBSUB, TOPIC, { marker })).toEqual({});
    await waitFor(
      () => app.to("/events/orders").find((r) => (r.json as { data?: { marker?: string } }).data?.marker === marker),
      "the wrapped event delivered",
    );
    const delivered = app
      .to("/events/orders")
      .find((r) => (r.json as { data?: { marker?: string } }).data?.marker === marker);
    expect(delivered?.json).toMatchObject({
      type: "com.dapr.event.sent",
      source: appId,
      datacontenttype: "application/json",
    });
  });

  it("reports a publish to an unknown pubsub as an error, as the SDK does for daprd", async () => {
    const result = await client.pubsub.publish("no-such-pubsub", TOPIC, { a: 1 });
    expect(String(result.error)).toContain("ERR_PUBSUB_NOT_FOUND");
  });

  it("invokes a method of the app with a JSON body and returns its answer", async () => {
    const answer = await client.invoker.invoke(appId, "orders/9", HttpMethod.POST, { quantity: 2 });
    expect(answer).toEqual({ order: "/orders/9", method: "POST", got: { quantity: 2 } });
  });
});
