// The sidecar's subscriptions outlive a kill -9 of the broker: while it is down the consumer fails and keeps reconnecting, and once it is back on its port every record published after the restart is delivered (a broker of this file's own: the shared one must stay up).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { type KafkaBroker, startKafka } from "../kafka/broker";
import { ensureTopics } from "../kafka/topics";
import { freePort } from "../process";
import { startSidecar } from "./sidecar";
import { Cleanup, kafkaComponent, publish, startTestApp, testTopic, uniqueTag, waitFor } from "./test-kit";

describe("a subscription across a kill -9 of the broker", () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run(), 60_000);

  it("reconnects with a new client once the broker is back, and delivers what is published then", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "sidecar-broker-restart-"));
    cleanup.add({ stop: () => rm(dataDir, { recursive: true, force: true }) });
    const port = await freePort();
    let broker: KafkaBroker = await startKafka({ dataDir, port, heapMb: 256 });
    cleanup.add({ stop: () => broker.stop() });
    const topic = `restart-${uniqueTag()}`;
    await ensureTopics(broker.bootstrap, [testTopic(topic)]);
    const app = cleanup.add(await startTestApp(() => ({}), [{ pubsubname: "pubsub", topic, route: "/events" }]));
    const lines: string[] = [];
    const sidecar = cleanup.add(
      await startSidecar({
        appId: `restart-${uniqueTag()}`,
        appPort: app.port,
        brokers: broker.bootstrap,
        resources: [kafkaComponent("pubsub")],
        log: (line) => lines.push(line),
      }),
    );
    const send = async (i: number) => {
      const query = { "metadata.partitionKey": `user-${i % 3}` };
      const answer = await publish(sidecar.url, "pubsub", topic, JSON.stringify({ i }), { query });
      expect(answer.status).toBe(204);
    };
    const delivered = () => new Set(app.to("/events").map((r) => (r.json as { data: { i: number } }).data.i));

    for (let i = 0; i < 3; i++) await send(i);
    await waitFor(() => delivered().size === 3, "the records published before the kill");
    await broker.kill();
    // Down long enough for the consumer to fail and for a reconnection to fail too.
    await waitFor(() => lines.some((l) => l.includes("reconnecting the consumer")), "a failed reconnection", 60_000);
    await sleep(1_000);
    broker = await startKafka({ dataDir, port, heapMb: 256 });
    for (let i = 3; i < 6; i++) await send(i);
    await waitFor(() => delivered().size === 6, "the records published after the restart", 90_000);
    expect([...delivered()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines.some((l) => l.includes("reconnected"))).toBe(true);
  }, 180_000);
});
