// A broker started on a data folder keeps its cluster id, topics and records across a stop and a start (ports picked anew): what the demo's data folder relies on; and across a kill -9 and a start on its port (the fault tests).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TOPICS } from "@event-platform/events";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, describe, expect, it } from "vitest";
import { type KafkaBroker, startKafka } from "./broker";
import { ensureTopics } from "./topics";

/** The cluster id, and the sum of the end offsets of `topic`'s partitions. */
async function describeBroker(bootstrap: string, topic: string): Promise<{ clusterId: string; records: bigint }> {
  const admin = new Admin({ clientId: "persistence-test", bootstrapBrokers: [bootstrap] });
  try {
    const { id, topics } = await admin.metadata({ topics: [topic] });
    const partitions = topics.get(topic)?.partitionsCount ?? 0;
    const offsets = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: [...Array(partitions).keys()].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
        },
      ],
    });
    const records = offsets.flatMap((t) => t.partitions).reduce((sum, p) => sum + p.offset, 0n);
    return { clusterId: id, records };
  } finally {
    await admin.close();
  }
}

describe("a broker on a data folder", () => {
  let dataDir: string;
  let broker: KafkaBroker | undefined;

  afterAll(async () => {
    await broker?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("keeps its cluster id, topics and records across a stop and a start (its ports picked anew)", async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "kafka-kept-"));
    const topic = TOPICS.taskEvents.name;
    broker = await startKafka({ dataDir, heapMb: 256 });
    await ensureTopics(broker.bootstrap, [TOPICS.taskEvents]);
    const producer = new Producer({
      clientId: "persistence-test",
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
    });
    await producer.send({ messages: ["one", "two", "three"].map((value) => ({ topic, key: "user-1", value })) });
    await producer.close();
    const before = await describeBroker(broker.bootstrap, topic);
    await broker.stop();

    broker = await startKafka({ dataDir, heapMb: 256 });
    expect(await describeBroker(broker.bootstrap, topic)).toEqual({ clusterId: before.clusterId, records: 3n });
  }, 90_000);

  it("killed (kill -9), comes back at the same address with its records when started on its port", async () => {
    const topic = TOPICS.taskEvents.name;
    const port = Number((broker as KafkaBroker).bootstrap.split(":")[1]);
    const before = await describeBroker((broker as KafkaBroker).bootstrap, topic);
    await (broker as KafkaBroker).kill();
    broker = await startKafka({ dataDir, heapMb: 256, port });
    expect(broker.bootstrap).toBe(`127.0.0.1:${port}`);
    expect(await describeBroker(broker.bootstrap, topic)).toEqual(before);
  }, 90_000);
});
