// The catalog's topics on Redpanda Cloud or an existing Kafka cluster, through the @pulumi/kafka provider.

import { type TopicSpec, topicConfig } from "@event-platform/events/src/topics";
import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import type { ScramMechanism } from "../stacks/profile";

export interface ProviderTopicsArgs {
  /** The topic catalog. */
  topics: readonly TopicSpec[];
  bootstrapServers: string[];
  /** SASL SCRAM over TLS when set; a plain connection otherwise (an external dev cluster). */
  sasl?: { username: string; password: pulumi.Input<string>; mechanism: ScramMechanism };
  replicationFactor: number;
  /** `min.insync.replicas` per topic; leave unset on Redpanda, which has no such topic property. */
  minInsyncReplicas?: number;
}

const PROVIDER_MECHANISM: Record<ScramMechanism, string> = { "SHA-256": "scram-sha256", "SHA-512": "scram-sha512" };

/** One `kafka.Topic` per catalog topic, each with an explicit name (an omitted name gets a random suffix). */
export class ProviderTopics extends pulumi.ComponentResource {
  readonly topics: kafka.Topic[];

  constructor(name: string, args: ProviderTopicsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:kafka:ProviderTopics", name, {}, opts);
    const provider = new kafka.Provider(
      `${name}-provider`,
      {
        bootstrapServers: args.bootstrapServers,
        tlsEnabled: args.sasl !== undefined,
        ...(args.sasl
          ? {
              saslUsername: args.sasl.username,
              saslPassword: args.sasl.password,
              saslMechanism: PROVIDER_MECHANISM[args.sasl.mechanism],
            }
          : {}),
      },
      { parent: this },
    );
    this.topics = args.topics.map(
      (topic) =>
        new kafka.Topic(
          `${name}-${topic.name}`,
          {
            name: topic.name,
            partitions: topic.partitions,
            replicationFactor: args.replicationFactor,
            config: {
              ...topicConfig(topic),
              ...(args.minInsyncReplicas ? { "min.insync.replicas": String(args.minInsyncReplicas) } : {}),
            },
          },
          { parent: this, provider },
        ),
    );
    this.registerOutputs({ topics: this.topics.map((t) => t.name) });
  }
}
