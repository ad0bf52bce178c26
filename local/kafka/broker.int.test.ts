// On a real broker: the catalog's topics are created as declared, and every record of a key sits on one partition, in produce order.
import { randomBytes, randomUUID } from "node:crypto";
import { buildEvent, eventSource, partitionKeyOf, TOPIC_LIST, TOPICS, topicConfig } from "@event-platform/events";
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { brokerTopicName, describeTopicConfigs, ensureTopics } from "./topics";

const bootstrap = inject("kafkaBrokers");
const prefix = `it-${randomBytes(4).toString("hex")}.`;
const KEYS = 24;
const RECORDS_PER_KEY = 50;

describe("catalog topics on a real broker", () => {
  let names: string[];

  beforeAll(async () => {
    names = await ensureTopics(bootstrap, TOPIC_LIST, { namePrefix: prefix });
  });

  it("creates every catalog topic with its partition count", async () => {
    const admin = new Admin({ clientId: "it-admin", bootstrapBrokers: [bootstrap] });
    try {
      const metadata = await admin.metadata({ topics: [...names] });
      for (const topic of TOPIC_LIST) {
        const described = metadata.topics.get(brokerTopicName(topic, prefix));
        expect(described?.partitionsCount, topic.name).toBe(topic.partitions);
      }
    } finally {
      await admin.close();
    }
  });

  it("reads each topic's retention and cleanup policy back from the broker", async () => {
    const configs = await describeTopicConfigs(bootstrap, names);
    for (const topic of TOPIC_LIST) {
      expect(configs.get(brokerTopicName(topic, prefix))).toMatchObject(topicConfig(topic));
    }
  });

  it("is idempotent: ensuring existing topics again succeeds", async () => {
    await expect(ensureTopics(bootstrap, TOPIC_LIST, { namePrefix: prefix })).resolves.toEqual(names);
  });
});

describe("per-key partitioning and order", () => {
  const topic = brokerTopicName(TOPICS.taskEvents, prefix);
  const users = Array.from({ length: KEYS }, (_, i) => `user-${i}`);

  interface Received {
    key: string;
    partition: number;
    offset: bigint;
    sequence: number;
  }
  const received: Received[] = [];

  beforeAll(async () => {
    await ensureTopics(bootstrap, [TOPICS.taskEvents], { namePrefix: prefix });
    const producer = new Producer({
      clientId: "it-producer",
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      idempotent: true,
    });
    try {
      // Interleave users so that each batch mixes keys and partitions; sequence numbers run per user.
      for (let round = 0; round < RECORDS_PER_KEY; round += 10) {
        const messages = [];
        for (let sequence = round; sequence < round + 10; sequence++) {
          for (const user of users) {
            const event = taskCreated(user, sequence);
            messages.push({ topic, key: partitionKeyOf(event), value: JSON.stringify(event) });
          }
        }
        await producer.send({ messages });
      }
    } finally {
      await producer.close();
    }

    const consumer = new Consumer({
      clientId: "it-consumer",
      groupId: `it-group-${randomUUID()}`,
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
    });
    try {
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      for await (const message of stream) {
        const event = JSON.parse(message.value) as ReturnType<typeof taskCreated>;
        received.push({
          key: message.key,
          partition: message.partition,
          offset: message.offset,
          sequence: Number(event.data.title.split("#")[1]),
        });
        if (received.length === KEYS * RECORDS_PER_KEY) break;
      }
      await stream.close();
    } finally {
      await consumer.close(true);
    }
  }, 60_000);

  it(`consumes all ${KEYS * RECORDS_PER_KEY} records over ${KEYS} keys, none twice`, () => {
    expect(received).toHaveLength(KEYS * RECORDS_PER_KEY);
    const ids = new Set(received.map((r) => `${r.key}#${r.sequence}`));
    expect(ids.size).toBe(KEYS * RECORDS_PER_KEY);
  });

  it("puts every record of one key on one partition, and spreads keys over partitions", () => {
    const partitionsOf = new Map<string, Set<number>>();
    for (const r of received) partitionsOf.set(r.key, (partitionsOf.get(r.key) ?? new Set()).add(r.partition));
    for (const user of users) expect([...(partitionsOf.get(user) ?? [])], user).toHaveLength(1);
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it("keeps each key's records in produce order", () => {
    for (const user of users) {
      const byOffset = received.filter((r) => r.key === user).sort((a, b) => (a.offset < b.offset ? -1 : 1));
      expect(
        byOffset.map((r) => r.sequence),
        user,
      ).toEqual(Array.from({ length: RECORDS_PER_KEY }, (_, i) => i));
    }
  });
});

function taskCreated(userId: string, sequence: number) {
  const now = new Date().toISOString();
  return buildEvent(
    "com.taskmanager.task.created",
    {
      task_id: sequence + 1,
      user_id: userId,
      title: `task #${sequence}`,
      priority: "medium",
      tags: [],
      time_zone: "UTC",
      completed: false,
      created_at: now,
      updated_at: now,
    },
    { source: eventSource("backend") },
  );
}
