// Creates the catalog's topics on a Kafka cluster with their partitions and configs, for the local runtime and tests.

import { setTimeout as sleep } from "node:timers/promises";
import { type TopicSpec, topicConfig } from "@event-platform/events";
import { Admin, ConfigResourceTypes, type GenericError, MultipleErrors } from "@platformatic/kafka";

export interface EnsureTopicsOptions {
  /** Replication factor; 1 on a single local broker. */
  replicas?: number;
  /** Put before every topic name, so parallel test files on one broker never share a topic. */
  namePrefix?: string;
}

/** A topic's name on the broker, after an optional test prefix. */
export function brokerTopicName(topic: TopicSpec, namePrefix = ""): string {
  return `${namePrefix}${topic.name}`;
}

function isAlreadyExists(error: unknown): boolean {
  // The client reports a CreateTopics failure as MultipleErrors around a ResponseError holding one ProtocolError per topic.
  return error instanceof MultipleErrors && error.findBy<GenericError>("apiId", "TOPIC_ALREADY_EXISTS") !== null;
}

/** Creates each topic that does not exist yet, with the catalog's partitions, retention and cleanup policy. */
export async function ensureTopics(
  bootstrap: string,
  topics: readonly TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<string[]> {
  const admin = new Admin({ clientId: "local-topics", bootstrapBrokers: bootstrap.split(",") });
  try {
    const names: string[] = [];
    for (const topic of topics) {
      const name = brokerTopicName(topic, options.namePrefix);
      try {
        await admin.createTopics({
          topics: [name],
          partitions: topic.partitions,
          replicas: options.replicas ?? 1,
          configs: Object.entries(topicConfig(topic)).map(([configName, value]) => ({ name: configName, value })),
        });
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      names.push(name);
    }
    await untilListed(admin, names);
    return names;
  } finally {
    await admin.close();
  }
}

/**
 * Waits until the broker's metadata lists every topic. CreateTopics answers once the controller has the topics, a
 * moment before the broker serves their metadata; a client that looks them up in between finds them missing.
 */
async function untilListed(admin: Admin, names: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics: [...names], forceUpdate: true });
      if (names.every((name) => (metadata.topics.get(name)?.partitionsCount ?? 0) > 0)) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`Topics not listed by the broker within ${timeoutMs} ms: ${names.join(", ")}`);
    await sleep(100);
  }
}

/** The non-default configuration of topics as the broker reports it: topic name to config name to value. */
export async function describeTopicConfigs(
  bootstrap: string,
  names: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  const admin = new Admin({ clientId: "local-topics", bootstrapBrokers: bootstrap.split(",") });
  try {
    const described = await admin.describeConfigs({
      resources: names.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName })),
    });
    return new Map(
      described.map((resource) => [
        resource.resourceName,
        Object.fromEntries(resource.configs.map((c) => [c.name, c.value ?? ""])),
      ]),
    );
  } finally {
    await admin.close();
  }
}
