// Publishes on a pub/sub component under its outbound Resiliency policy: the path of both the publish API and dead-lettering.
import type { KafkaPubsubComponent } from "./component";
import type { KafkaPublisher } from "./kafka-publisher";
import type { ResiliencyPolicies } from "./resiliency";
import { withRetries } from "./retry";

export interface PublishRequest {
  pubsub: string;
  /** The topic as apps name it; the sidecar's topic prefix is applied on the broker. */
  topic: string;
  data: Buffer;
  /**
   * Request metadata. As in pubsub.kafka, `partitionKey` (or `__key`, which a dead-lettered message carries)
   * becomes the record key and every entry also becomes a record header.
   */
  metadata: Record<string, string>;
}

export class ComponentPublisher {
  constructor(
    private readonly kafka: KafkaPublisher,
    private readonly components: ReadonlyMap<string, KafkaPubsubComponent>,
    private readonly resiliency: ResiliencyPolicies,
    private readonly topicPrefix: string,
    private readonly signal: AbortSignal,
    private readonly log: (line: string) => void,
  ) {}

  has(pubsub: string): boolean {
    return this.components.has(pubsub);
  }

  brokerTopic(topic: string): string {
    return `${this.topicPrefix}${topic}`;
  }

  /** The broker topics among these that do not exist. */
  missingTopics(brokerTopics: readonly string[]): Promise<string[]> {
    return this.kafka.missingTopics(brokerTopics);
  }

  /** Resolves once the broker has the record; throws the last error when the outbound policy gives up. */
  async publish(request: PublishRequest): Promise<void> {
    const { retry, timeoutMs } = this.resiliency.forComponent(request.pubsub, "outbound");
    const key = request.metadata.partitionKey ?? request.metadata.__key;
    const record = {
      topic: this.brokerTopic(request.topic),
      value: request.data,
      headers: request.metadata,
      ...(key === undefined ? {} : { key }),
    };
    await withRetries(retry, () => withTimeout(this.kafka.send(record), timeoutMs), {
      signal: this.signal,
      onRetry: (error, delayMs, attempt) =>
        this.log(
          `publish to ${request.pubsub}/${request.topic} failed (attempt ${attempt}): ${errorText(error)}; retrying in ${Math.round(delayMs)} ms`,
        ),
    });
  }
}

/** Rejects with Go's wording when a Resiliency timeout elapses first. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("context deadline exceeded")), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const errors = (error as { errors?: unknown[] }).errors;
  const inner = errors?.[0] ?? cause;
  return inner instanceof Error && inner.message !== error.message
    ? `${error.message} (${inner.message})`
    : error.message;
}
