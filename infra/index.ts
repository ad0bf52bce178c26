// Entry of the Pulumi program (Pulumi.yaml `main`): for now it exports the event contract's topics; the platform components arrive with the platform issue.
import { TOPIC_LIST, topicConfig } from "@event-platform/events";

/** The topics every environment creates, with their broker settings. */
export const topics = TOPIC_LIST.map((topic) => ({
  name: topic.name,
  partitions: topic.partitions,
  config: topicConfig(topic),
}));
