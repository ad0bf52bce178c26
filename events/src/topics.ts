// The topic catalog: every Kafka topic of the system with its partitions, retention, cleanup and key.

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** What decides the record key, and so the partition, of every event on a topic. */
export type PartitionKey = "user_id" | "original key";

/** One Kafka topic of the system, as every environment creates it. */
export interface TopicSpec {
  /** The topic name on the broker. */
  readonly name: string;
  /** What the topic carries, for docs, plans and alerts. */
  readonly purpose: string;
  /** Partition count; per-key order holds because one key always maps to one partition. */
  readonly partitions: number;
  /** `retention.ms` on the broker. */
  readonly retentionMs: number;
  /** `cleanup.policy` on the broker. */
  readonly cleanupPolicy: "delete" | "compact";
  /** The record key: `user_id` keeps every event of a user in order on one partition. */
  readonly key: PartitionKey;
}

/** The topics of the system, keyed by a stable identifier used in code. */
export const TOPICS = {
  taskEvents: {
    name: "task-events",
    purpose: "Task lifecycle: created, updated, completed, deleted.",
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    key: "user_id",
  },
  reminders: {
    name: "reminders",
    purpose: "Reminder schedule: scheduled, triggered, cancelled.",
    partitions: 3,
    retentionMs: 3 * DAY_MS,
    cleanupPolicy: "delete",
    key: "user_id",
  },
  taskUpdates: {
    name: "task-updates",
    purpose: "Real-time UI updates pushed to the user's WebSocket connections.",
    partitions: 3,
    retentionMs: 1 * DAY_MS,
    cleanupPolicy: "delete",
    key: "user_id",
  },
  deadLetters: {
    name: "dead-letters",
    purpose: "Events whose delivery failed after the resiliency retries; kept for inspection and replay.",
    partitions: 3,
    retentionMs: 14 * DAY_MS,
    cleanupPolicy: "delete",
    key: "original key",
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicId = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicId]["name"];

/** Every topic, in catalog order. */
export const TOPIC_LIST: readonly TopicSpec[] = Object.values(TOPICS);

/** The topic every subscription names as its dead-letter topic. */
export const DEAD_LETTER_TOPIC: TopicName = TOPICS.deadLetters.name;

/** The broker-side configuration of a topic (`retention.ms`, `cleanup.policy`), as strings the way Kafka takes them. */
export function topicConfig(topic: TopicSpec): Record<string, string> {
  return {
    "retention.ms": String(topic.retentionMs),
    "cleanup.policy": topic.cleanupPolicy,
  };
}

/** Looks a topic up by its broker name; throws with the known names when there is none. */
export function topicByName(name: string): TopicSpec {
  const topic = TOPIC_LIST.find((t) => t.name === name);
  if (!topic) {
    throw new Error(`Unknown topic "${name}". Known topics: ${TOPIC_LIST.map((t) => t.name).join(", ")}.`);
  }
  return topic;
}
