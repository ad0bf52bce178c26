// One Kafka consumer-group member per pub/sub component: records of a partition are handled one at a time and committed only when final, partitions in parallel, like Sarama's per-claim loops.
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import {
  Consumer,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from "@platformatic/kafka";
import type { KafkaPubsubComponent } from "./component";
import { errorText } from "./component-publisher";
import type { ConsumedRecord, RecordOutcome } from "./delivery";

export type RecordHandler = (record: ConsumedRecord, signal: AbortSignal) => Promise<RecordOutcome>;

export interface ComponentConsumerOptions {
  component: KafkaPubsubComponent;
  brokers: readonly string[];
  clientId: string;
  /**
   * Put before the component's consumer group on the broker: a test's topic prefix, so that two test files running
   * the same app id never join one group (whose leader would hand the other file's partitions to a member that
   * does not read those topics). Empty outside tests.
   */
  groupPrefix?: string;
  /** Broker topic name to the topic apps know and the handler of its records. */
  topics: ReadonlyMap<string, { topic: string; handle: RecordHandler }>;
  log: (line: string) => void;
  /**
   * Records held in memory across partitions before fetching pauses. A partition that waits on a failing record
   * keeps buffering what the broker sends for it; past this bound every partition waits.
   */
  maxBufferedRecords?: number;
}

interface PartitionWork {
  queue: Message<Buffer, Buffer, Buffer, Buffer>[];
  /** The next offset to accept; a refetch after a rebalance resends records already queued. */
  nextOffset: bigint;
  running: boolean;
  /** Aborted when the partition is revoked or the consumer stops. */
  abort: AbortController;
  /** The newest handled record whose offset is not committed yet. */
  handled?: Message<Buffer, Buffer, Buffer, Buffer>;
  /** The partition's commit in flight (one at a time, so committed offsets only rise). */
  committing?: Promise<void>;
}

export class ComponentConsumer {
  private readonly work = new Map<string, PartitionWork>();
  private assigned = new Set<string>();
  private buffered = 0;
  private stopping = false;
  private readonly stopped = new AbortController();
  private readonly maxBuffered: number;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;

  private constructor(
    private readonly options: ComponentConsumerOptions,
    private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  ) {
    this.maxBuffered = options.maxBufferedRecords ?? 10_000;
  }

  /** Joins the component's consumer group and starts handling records; resolves once the group is joined. */
  static async start(options: ComponentConsumerOptions): Promise<ComponentConsumer> {
    const { component } = options;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: options.clientId,
      groupId: `${options.groupPrefix ?? ""}${component.consumerGroup}`,
      bootstrapBrokers: [...options.brokers],
      sessionTimeout: component.sessionTimeoutMs,
      rebalanceTimeout: Math.max(component.sessionTimeoutMs, 60_000),
      heartbeatInterval: component.heartbeatIntervalMs,
      // Sarama's default fetch wait: a quiet partition answers within 250 ms, so stopping is prompt.
      maxWaitTime: 250,
      autocommit: false,
    });
    const member = new ComponentConsumer(options, consumer);
    // Listen before joining: a rebalance can land while the stream is still resolving its offsets.
    consumer.on("consumer:group:join", (payload) => member.onAssignment(payload.assignments ?? []));
    try {
      await member.openStream();
    } catch (error) {
      await closeQuietly(consumer);
      throw new Error(
        `Component "${component.name}" could not join consumer group "${options.groupPrefix ?? ""}${component.consumerGroup}" on topics ${[...options.topics.keys()].join(", ")}: ${errorText(error)}`,
      );
    }
    member.onAssignment(consumer.assignments ?? []);
    return member;
  }

  private async openStream(): Promise<void> {
    const { component } = this.options;
    const stream = await this.consumer.consume({
      topics: [...this.options.topics.keys()],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode:
        component.initialOffset === "oldest"
          ? MessagesStreamFallbackModes.EARLIEST
          : MessagesStreamFallbackModes.LATEST,
      autocommit: false,
    });
    this.stream = stream;
    stream.on("data", (message) => this.onMessage(message));
    // Ready only once the starting offsets are known: with initialOffset newest, a record published before
    // that moment would otherwise be skipped by a group that had "joined". An error before then rejects.
    await once(stream, "offsets");
    stream.on("error", (error) => {
      if (this.stopping) return;
      this.options.log(`consumer of ${component.name} failed: ${errorText(error)}; reconnecting in 1 s`);
      void this.reopen();
    });
  }

  /** After a fatal stream error (broker restart, lost coordinator), consumes again as Sarama's group loop does. */
  private async reopen(): Promise<void> {
    while (!this.stopping) {
      await sleep(1000, undefined, { signal: this.stopped.signal }).catch(() => {});
      if (this.stopping) return;
      try {
        await this.openStream();
        return;
      } catch (error) {
        this.options.log(`reconnecting the consumer of ${this.options.component.name} failed: ${errorText(error)}`);
      }
    }
  }

  /** The partitions this member holds, per broker topic. */
  assignments(): Map<string, number[]> {
    const byTopic = new Map<string, number[]>();
    for (const key of this.assigned) {
      const [topic, partition] = splitKey(key);
      byTopic.set(
        topic,
        [...(byTopic.get(topic) ?? []), partition].sort((a, b) => a - b),
      );
    }
    return byTopic;
  }

  /** Stops handling (in-flight deliveries are abandoned, uncommitted) and leaves the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopped.abort();
    for (const work of this.work.values()) work.abort.abort();
    // What was handled is committed before the group is left, so a graceful stop redelivers nothing handled.
    await Promise.all([...this.work.values()].map((work) => work.committing));
    this.work.clear();
    await closeQuietly(this.consumer, (error) =>
      this.options.log(`closing the consumer of ${this.options.component.name}: ${errorText(error)}`),
    );
  }

  private onAssignment(assignments: readonly { topic: string; partitions: number[] }[]): void {
    this.assigned = new Set(assignments.flatMap((a) => a.partitions.map((p) => `${a.topic}:${p}`)));
    // A revoked partition's records now belong to another member: stop handling them and drop what is queued.
    for (const [key, work] of this.work) {
      if (this.assigned.has(key)) continue;
      work.abort.abort();
      this.buffered -= work.queue.length;
      this.work.delete(key);
    }
    this.resumeIfDrained();
  }

  private onMessage(message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    const key = `${message.topic}:${message.partition}`;
    if (this.stopping || !this.assigned.has(key)) return;
    let work = this.work.get(key);
    if (!work) {
      work = { queue: [], nextOffset: message.offset, running: false, abort: new AbortController() };
      this.work.set(key, work);
    }
    if (message.offset < work.nextOffset) return;
    work.nextOffset = message.offset + 1n;
    work.queue.push(message);
    if (++this.buffered >= this.maxBuffered) this.stream?.pause();
    if (!work.running) void this.drain(key, work);
  }

  /** Handles a partition's queue in offset order, one record at a time. */
  private async drain(key: string, work: PartitionWork): Promise<void> {
    work.running = true;
    const signal = work.abort.signal;
    while (work.queue.length > 0 && !signal.aborted) {
      const message = work.queue[0] as Message<Buffer, Buffer, Buffer, Buffer>;
      const entry = this.options.topics.get(message.topic);
      if (!entry) break;
      let outcome: RecordOutcome;
      try {
        outcome = await entry.handle(toRecord(message, entry.topic), signal);
      } catch (error) {
        if (signal.aborted) break;
        // Only a bug lands here; keep the partition waiting rather than skip the record.
        this.options.log(`handling ${key}@${message.offset} failed unexpectedly: ${errorText(error)}; retrying in 1 s`);
        await sleep(1000, undefined, { signal }).catch(() => {});
        continue;
      }
      if (signal.aborted) break;
      if (outcome === "done") this.markHandled(work, message);
      work.queue.shift();
      this.buffered--;
      this.resumeIfDrained();
    }
    work.running = false;
  }

  /**
   * Commits a handled record's offset apart from delivery, as Sarama marks offsets and commits them in the
   * background (daprd's Kafka consumer): the partition's next record is delivered while the commit is in flight,
   * not one broker round trip later. One commit per partition is in flight at a time and each covers every record
   * before it, so while one is in flight the newest handled record waits and the ones before it need no commit.
   */
  private markHandled(work: PartitionWork, message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    work.handled = message;
    work.committing ??= (async () => {
      for (let next = work.handled; next; next = work.handled) {
        work.handled = undefined;
        await this.commit(next);
      }
      work.committing = undefined;
    })();
  }

  private async commit(message: Message<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    try {
      await message.commit();
    } catch (error) {
      // As with Sarama, a failed commit (usually a rebalance) leaves the record to be redelivered: at least once.
      this.options.log(
        `committing ${message.topic}:${message.partition}@${message.offset} failed: ${errorText(error)}`,
      );
    }
  }

  private resumeIfDrained(): void {
    const stream = this.stream;
    if (stream?.isPaused() && this.buffered < this.maxBuffered / 2 && !this.stopping) stream.resume();
  }
}

/** Closes a consumer, leaving its group; `force` also closes its open streams first. */
async function closeQuietly(
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  onError?: (error: unknown) => void,
): Promise<void> {
  try {
    // The promise overload of close(); with a literal `true` TypeScript would pick the callback one.
    await (consumer.close as (force?: boolean) => Promise<void>).call(consumer, true);
  } catch (error) {
    onError?.(error);
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(":");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

function toRecord(message: Message<Buffer, Buffer, Buffer, Buffer>, topic: string): ConsumedRecord {
  return {
    topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp,
    ...(message.key ? { key: message.key } : {}),
    ...(message.value ? { value: message.value } : {}),
    headers: message.headers,
  };
}
