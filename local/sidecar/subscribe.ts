// Starts the app's subscriptions: programmatic ones from GET /dapr/subscribe merged with the declarative ones, then one consumer-group member per pub/sub component.
import type { AppChannel } from "./app-channel";
import type { KafkaPubsubComponent } from "./component";
import { ComponentConsumer, type HandledRecord } from "./component-consumer";
import type { ComponentPublisher } from "./component-publisher";
import { type ConsumedRecord, processRecord } from "./delivery";
import type { ResiliencyPolicies } from "./resiliency";
import { mergeSubscriptions, parseProgrammaticSubscriptions, type TopicSubscription } from "./subscriptions";

export interface SubscribeOptions {
  appId: string;
  components: readonly KafkaPubsubComponent[];
  declarative: readonly TopicSubscription[];
  resiliency: ResiliencyPolicies;
  channel: AppChannel;
  publisher: ComponentPublisher;
  brokers: readonly string[];
  /** The sidecar's topic prefix; it prefixes the consumer groups too (see ComponentConsumerOptions.groupPrefix). */
  topicPrefix: string;
  log: (line: string) => void;
  /** See SidecarOptions.onRecordHandled. */
  onRecordHandled?: (record: HandledRecord) => void;
  signal: AbortSignal;
}

export interface ActiveSubscriptions {
  /** What the app is subscribed to, as the metadata API reports it. */
  subscriptions: TopicSubscription[];
  consumers: ComponentConsumer[];
  stop(): Promise<void>;
}

export function describeSubscription(sub: TopicSubscription): string {
  const routes = sub.rules.map((r) => (r.match ? `${r.match} → ${r.path}` : `default → ${r.path}`)).join(", ");
  const deadLetter = sub.deadLetterTopic ? `dead letters → ${sub.deadLetterTopic}` : "no dead-letter topic";
  return `${sub.pubsubname}/${sub.topic} (${sub.type.toLowerCase()}): ${routes}; ${deadLetter}`;
}

export async function startSubscriptions(options: SubscribeOptions): Promise<ActiveSubscriptions> {
  const { log } = options;
  const answer = await options.channel.programmaticSubscriptions(log, options.signal);
  const programmatic = answer === undefined ? [] : parseProgrammaticSubscriptions(answer, log);
  const subscriptions: TopicSubscription[] = [];
  for (const sub of mergeSubscriptions(programmatic, options.declarative, log)) {
    if (!options.components.some((c) => c.name === sub.pubsubname)) {
      log(
        `subscription to topic ${sub.topic} skipped: pub/sub component ${sub.pubsubname} is not loaded for ${options.appId}`,
      );
      continue;
    }
    if (subscriptions.some((s) => s.pubsubname === sub.pubsubname && s.topic === sub.topic)) {
      log(`duplicate subscription to ${sub.pubsubname}/${sub.topic} skipped`);
      continue;
    }
    subscriptions.push(sub);
    log(`subscription: ${describeSubscription(sub)}`);
  }
  if (subscriptions.length === 0) log(`app ${options.appId} subscribes to no topic`);

  // pubsub.kafka would keep retrying its consumer group and log errors; failing at start says what to fix.
  const missing = await options.publisher.missingTopics(
    subscriptions.map((s) => options.publisher.brokerTopic(s.topic)),
  );
  if (missing.length > 0) {
    throw new Error(
      `Subscribed topics missing on the broker, which does not create topics on first use: ${missing.join(", ")}. Create them first (ensureTopics in local/kafka/topics.ts).`,
    );
  }

  const consumers: ComponentConsumer[] = [];
  const stop = async () => {
    await Promise.all(consumers.map((c) => c.stop()));
  };
  try {
    for (const component of options.components) {
      const subs = subscriptions.filter((s) => s.pubsubname === component.name);
      if (subs.length === 0) continue;
      const inbound = options.resiliency.forComponent(component.name, "inbound");
      const topics = new Map(
        subs.map((subscription) => {
          const target = {
            component,
            subscription,
            inbound,
            channel: options.channel,
            publisher: options.publisher,
            log,
          };
          return [
            options.publisher.brokerTopic(subscription.topic),
            {
              topic: subscription.topic,
              handle: (record: ConsumedRecord, signal: AbortSignal) => processRecord(record, target, signal),
            },
          ] as const;
        }),
      );
      consumers.push(
        await ComponentConsumer.start({
          component,
          brokers: options.brokers,
          clientId: `${options.appId}-${component.name}`,
          groupPrefix: options.topicPrefix,
          topics,
          log,
          onHandled: options.onRecordHandled,
        }),
      );
      const retry = inbound.retry ? `inbound retry ${inbound.retry.name}` : "no inbound retry policy";
      log(
        `consumer group ${options.topicPrefix}${component.consumerGroup} joined for ${component.name} (${[...topics.keys()].join(", ")}; initialOffset ${component.initialOffset}; ${retry})`,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { subscriptions, consumers, stop };
}
