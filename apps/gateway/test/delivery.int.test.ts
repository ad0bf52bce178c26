// Issue #13, acceptance 2 and the delivery side: a socket that stops reading is closed with 4008 while the others keep receiving; updates that break the contract or name no user go to dead-letters; a shutdown closes every socket with 1001 and answers deliveries RETRY. Real Kafka and the development sidecar.
import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { DEAD_LETTER_TOPIC, TOPICS } from "@event-platform/events";
import { SidecarClient } from "@event-platform/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GATEWAY_PUBSUB } from "../../../specs/apps";
import type { Gateway } from "../src/app";
import {
  Cleanup,
  createTopics,
  fromSidecar,
  type GatewayPod,
  newUser,
  startGatewayPod,
  startTestGateway,
  TestClient,
  TopicReader,
  tokenFor,
  UPDATES_PATH,
  uniqueTag,
  waitFor,
} from "./harness";

/** A task-updates event for `userId`, as the backend publishes it; `padding` characters make it that much larger. */
function update(userId: string, padding = 0): { id: string; data: unknown } & Record<string, unknown> {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: "/tasks/backend",
    type: "com.taskmanager.ui.task_list_changed",
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data: {
      user_id: userId,
      action: "update",
      task_id: 1,
      task_snapshot: { task_id: 1, title: "Long notes", description: "n".repeat(padding) },
    },
  };
}

describe("deliveries through the sidecar", () => {
  const cleanup = new Cleanup();
  const tag = uniqueTag();
  const prefix = `gateway-delivery-${tag}.`;
  let reader: TopicReader;
  let pod: GatewayPod;
  /** Publishes onto task-updates as a producer's sidecar does (here the pod's own, on its pub/sub component). */
  let publish: (event: Record<string, unknown>, key: string) => Promise<void>;

  beforeAll(async () => {
    await createTopics(prefix);
    reader = cleanup.add(await TopicReader.start(prefix));
    pod = cleanup.add(
      await startGatewayPod({
        topicPrefix: prefix,
        instanceId: `gateway-${tag}`,
        env: { WS_MAX_BUFFERED_BYTES: String(256 * 1024) },
      }),
    );
    const sidecar = new SidecarClient({ url: pod.sidecar.url, timeoutMs: 10_000 });
    publish = (event, key) =>
      sidecar.publish({ pubsubName: GATEWAY_PUBSUB, topic: TOPICS.taskUpdates.name, partitionKey: key, event });
  }, 120_000);

  afterAll(() => cleanup.run(), 60_000);

  it("closes a socket that stops reading with 4008 once its buffer passes WS_MAX_BUFFERED_BYTES; the user's other socket and other users keep receiving", async () => {
    const ann = newUser("slow-ann");
    const bob = newUser("slow-bob");
    const slow = await TestClient.open(pod.gateway, { token: await tokenFor(ann) });
    const fast = await TestClient.open(pod.gateway, { token: await tokenFor(ann) });
    const other = await TestClient.open(pod.gateway, { token: await tokenFor(bob) });
    for (const client of [slow, fast, other]) cleanup.add({ stop: async () => client.terminate() });
    // The client stops reading its TCP socket: the kernel's buffers fill first, then the gateway's.
    slow.socket.pause();
    const slowOnServer = () =>
      [...pod.gateway.connections].filter((c) => c.userId === ann && c.socket.readyState !== WebSocket.OPEN);

    // ~100 KB updates, each under the 256 KiB limit on its own, until the gateway gives up on the slow socket.
    const published: string[] = [];
    for (let round = 0; round < 100 && slowOnServer().length === 0; round += 1) {
      for (let i = 0; i < 5; i += 1) {
        const event = update(ann, 100_000);
        await publish(event, ann);
        published.push(event.id);
      }
      await publish(update(bob), bob);
      await fast.waitForFrames(published.length);
    }
    expect(slowOnServer()).toHaveLength(1);

    // Reading again, the client gets what was sent before the limit, then the close frame.
    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: 4008, reason: "too slow" });
    expect(slow.ids()).toEqual(published.slice(0, slow.frames.length));
    expect(slow.frames.length).toBeLessThan(published.length);

    // The others go on. Bob's update may reach his socket before Ann's reaches hers (when their keys fall on
    // different partitions, which are delivered in parallel), so his wait names the event: a count of his frames read
    // after hers came may already include it.
    const after = update(ann);
    const afterForBob = update(bob);
    await publish(after, ann);
    await publish(afterForBob, bob);
    await fast.waitForFrames(published.length + 1);
    expect(fast.ids()).toEqual([...published, after.id]);
    await other.waitForEvent(afterForBob.id);
    expect(other.frames.every((f) => (f.data as { user_id: string }).user_id === bob)).toBe(true);
    expect(fast.closedWith).toBeUndefined();
    await waitFor(() => pod.gateway.connections.count(ann) === 1, "the slow socket forgotten");
  }, 120_000);

  it("drops an update that breaks the contract, and one that names no user, to dead-letters; the user's next update still arrives", async () => {
    const ann = newUser("dropped-ann");
    const client = await TestClient.open(pod.gateway, { token: await tokenFor(ann) });
    cleanup.add({ stop: async () => client.terminate() });
    const broken = { ...update(ann), data: { user_id: ann, action: "update", task_id: "seven" } };
    const nobody = { ...update(ann), data: { action: "refresh" } };
    const next = update(ann);
    await publish(broken, ann);
    await publish(nobody, ann);
    await publish(next, ann);

    await client.waitForFrames(1);
    expect(client.ids()).toEqual([next.id]);
    const dead = await waitFor(() => {
      const letters = reader.records.filter((r) => r.topic === DEAD_LETTER_TOPIC && r.key === ann);
      return letters.length >= 2 && letters;
    }, "both updates on dead-letters");
    expect(dead.map((r) => r.event.id)).toEqual([broken.id, nobody.id]);
  });
});

describe("shutdown", () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ SHUTDOWN_TIMEOUT_MS: "1000" });
  });

  it("closes every socket with 1001 going away, answers a delivery RETRY, and does not wait past its deadline for a peer that never reads", async () => {
    const readers = [
      await TestClient.open(gateway, { token: await tokenFor(newUser("shutdown-a")) }),
      await TestClient.open(gateway, { token: await tokenFor(newUser("shutdown-b")) }),
    ];
    // A peer that stops reading never answers the close frame: the close handshake cannot finish.
    const stuck = await TestClient.open(gateway, { token: await tokenFor(newUser("shutdown-stuck")) });
    stuck.socket.pause();

    // A delivery whose request the sidecar has begun (headers sent) when the shutdown starts.
    const body = JSON.stringify(update(newUser("shutdown-delivery")));
    const connection = connect(gateway.port, "127.0.0.1");
    await new Promise((resolve) => connection.once("connect", resolve));
    const answer = new Promise<string>((resolve) => {
      let text = "";
      connection.on("data", (chunk) => {
        text += String(chunk);
      });
      connection.on("close", () => resolve(text));
    });
    const headers = Object.entries({
      ...fromSidecar("gateway"),
      host: "127.0.0.1",
      "content-type": "application/cloudevents+json",
      "content-length": String(Buffer.byteLength(body)),
    })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    connection.write(`POST ${UPDATES_PATH} HTTP/1.1\r\n${headers}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    const closing = gateway.close();
    connection.write(body);
    for (const client of readers) expect(await client.closed).toEqual({ code: 1001, reason: "going away" });
    const response = await answer;
    expect(response).toMatch(/^HTTP\/1\.1 503 /);
    expect(response).toContain('{"status":"RETRY"}');
    await closing;
    // Cut at the 1 s deadline, well before the 3 s the close handshake may take.
    expect(Date.now() - started).toBeLessThan(2_500);
    stuck.socket.resume();
    expect(await stuck.closed).toEqual({ code: 1001, reason: "going away" });
    await expect(TestClient.open(gateway, { token: await tokenFor(newUser("late")) })).rejects.toThrow();
  });
});
