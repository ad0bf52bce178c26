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
  /** Called once a record is final and its offset marked for commit (see SidecarOptions.onRecordHandled). */
  onHandled?: (record: HandledRecord) => void;
}

/** A consumed record whose delivery is final: its topic as the app knows it, partition and offset. */
export interface HandledRecord {
  topic: string;
  partition: number;
  offset: bigint;
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
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;

  private constructor(private readonly options: ComponentConsumerOptions) {
    this.maxBuffered = options.maxBufferedRecords ?? 10_000;
    this.consumer = this.newClient();
  }

  /** Joins the component's consumer group and starts handling records; resolves once the group is joined. */
  static async start(options: ComponentConsumerOptions): Promise<ComponentConsumer> {
    const { component } = options;
    const member = new ComponentConsumer(options);
    try {
      await member.openStream();
    } catch (error) {
      await closeQuietly(member.consumer);
      throw new Error(
        `Component "${component.name}" could not join consumer group "${options.groupPrefix ?? ""}${component.consumerGroup}" on topics ${[...options.topics.keys()].join(", ")}: ${errorText(error)}`,
      );
    }
    member.onAssignment(member.consumer.assignments ?? []);
    return member;
  }

  /** A client of its own for one membership of the group, from a join to a fatal error or the stop. */
  private newClient(): Consumer<Buffer, Buffer, Buffer, Buffer> {
    const { component } = this.options;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: this.options.clientId,
      groupId: `${this.options.groupPrefix ?? ""}${component.consumerGroup}`,
      bootstrapBrokers: [...this.options.brokers],
      sessionTimeout: component.sessionTimeoutMs,
      rebalanceTimeout: Math.max(component.sessionTimeoutMs, 60_000),
      heartbeatInterval: component.heartbeatIntervalMs,
      // Sarama's default fetch wait: a quiet partition answers within 250 ms, so stopping is prompt.
      maxWaitTime: 250,
      autocommit: false,
    });
    // Listen before joining: a rebalance can land while the stream is still resolving its offsets. A client that
    // has been replaced is no member any more: what it still reports is stale.
    consumer.on("consumer:group:join", (payload) => {
      if (consumer === this.consumer) this.onAssignment(payload.assignments ?? []);
    });
    return consumer;
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
    stream.on("data", (message) => {
      if (stream === this.stream) this.onMessage(message);
    });
    // Ready only once the starting offsets are known: with initialOffset newest, a record published before
    // that moment would otherwise be skipped by a group that had "joined". An error before then rejects.
    await once(stream, "offsets");
    stream.on("error", (error) => {
      // One reconnection per failed stream, however many errors it reports.
      if (this.stopping || stream !== this.stream) return;
      this.stream = undefined;
      this.options.log(`consumer of ${component.name} failed: ${errorText(error)}; reconnecting in 1 s`);
      void this.reopen();
    });
  }

  /**
   * After a fatal stream error (broker restart, lost coordinator), consumes again as Sarama's group loop does: with
   * a new client each time, since the old one's group membership, connections and tracked topics are stale (the
   * errored stream untracks its topics whenever it closes, which can be after a new stream tracked them). Work in
   * flight is abandoned uncommitted, so the new membership starts at the committed offsets and redelivers it (at
   * least once, as after a rebalance).
   */
  private async reopen(): Promise<void> {
    this.abandonWork();
    while (!this.stopping) {
      await closeQuietly(this.consumer);
      await sleep(1000, undefined, { signal: this.stopped.signal }).catch(() => {});
      if (this.stopping) return;
      this.consumer = this.newClient();
      try {
        await this.openStream();
        this.onAssignment(this.consumer.assignments ?? []);
        this.options.log(`consumer of ${this.options.component.name} reconnected`);
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

  /** Stops handling (in-flight deliveries are abandoned, uncommitted), commits what was handled and leaves the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopped.abort();
    // What was handled is committed before the group is left, so a graceful stop redelivers nothing handled.
    const commits = [...this.work.values()].map((work) => work.committing);
    this.abandonWork();
    await Promise.all(commits);
    await closeQuietly(this.consumer, (error) =>
      this.options.log(`closing the consumer of ${this.options.component.name}: ${errorText(error)}`),
    );
  }

  /** Stops handling every partition's records; what was not committed is redelivered to the next member. */
  private abandonWork(): void {
    for (const work of this.work.values()) work.abort.abort();
    this.work.clear();
    this.buffered = 0;
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
      if (outcome === "done") {
        this.markHandled(work, message);
        this.options.onHandled?.({ topic: entry.topic, partition: message.partition, offset: message.offset });
      }
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
