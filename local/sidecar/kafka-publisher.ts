// Writes records to Kafka the way Dapr's pubsub.kafka producer does: Sarama's FNV-1a key partitioning, metadata as record headers, acks from all replicas.
import { ProduceAcks, Producer, stringSerializer } from "@platformatic/kafka";

export interface OutgoingRecord {
  /** The broker topic (any test prefix already applied). */
  topic: string;
  value: Buffer;
  /** The record key; without one Sarama picks a random partition. */
  key?: string;
  headers: Record<string, string>;
}

/**
 * Sarama's default `HashPartitioner`: 32-bit FNV-1a of the key, as a signed int32, modulo the partition count,
 * negated when negative. Java clients use murmur2, so their partition numbers differ; Dapr's are these.
 */
export function saramaPartition(key: Buffer, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of key) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  const partition = (hash | 0) % partitions;
  return partition < 0 ? -partition : partition;
}

export class KafkaPublisher {
  private readonly producer: Producer<Buffer, Buffer, string, string>;

  constructor(brokers: readonly string[], clientId: string) {
    this.producer = new Producer({
      clientId,
      bootstrapBrokers: [...brokers],
      acks: ProduceAcks.ALL,
      // Few, quick client-level retries: the component's outbound Resiliency policy decides how long to keep trying.
      retries: 2,
      retryDelay: 100,
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    });
  }

  /** Fails with the broker's error when it cannot be reached, as daprd fails to initialize the component. */
  async connect(): Promise<void> {
    await this.producer.metadata({ topics: [] });
  }

  /** The topics of the list that the broker does not have (it does not create topics on first use). */
  async missingTopics(topics: readonly string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const topic of topics) {
      try {
        await this.producer.metadata({ topics: [topic] });
      } catch {
        missing.push(topic);
      }
    }
    return missing;
  }

  async send(record: OutgoingRecord): Promise<{ partition: number; offset: bigint | undefined }> {
    const metadata = await this.producer.metadata({ topics: [record.topic] });
    const partitions = metadata.topics.get(record.topic)?.partitionsCount;
    if (!partitions)
      throw new Error(
        `kafka server: Request was for a topic or partition that does not exist on this broker (${record.topic})`,
      );
    const key = record.key === undefined ? undefined : Buffer.from(record.key);
    const partition = key ? saramaPartition(key, partitions) : Math.floor(Math.random() * partitions);
    const result = await this.producer.send({
      messages: [
        { topic: record.topic, partition, value: record.value, headers: record.headers, ...(key ? { key } : {}) },
      ],
    });
    return { partition, offset: result.offsets?.[0]?.offset };
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
