// The event path: raw Kafka produce-to-consume with the repo's Kafka client (the baseline), and publish through the development sidecar's HTTP API to a subscriber route, at the same rates.
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  Consumer,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import autocannon from "autocannon";
import { ensureTopics } from "../local/kafka/topics";
import { testTopic, waitFor } from "../local/sidecar/test-kit";
import { pacedLoad } from "./http-load";
import { nowMs, paced, sampleEvent } from "./rig";
import { startInstance, stopInstances } from "./scaling";
import { type LatencySummary, summarize } from "./stats";

/** Latency of one path at one offered rate. */
export interface RatePoint {
  /** Offered rate, per second. */
  rate: number;
  sent: number;
  delivered: number;
  /** Send (produce call / publish request) to the consumer or subscriber route having the event, in ms. */
  latency: LatencySummary;
  /** Send to the producer's acknowledgement (raw Kafka) or the sidecar's answer to the publish request, in ms. */
  acknowledged?: LatencySummary;
}

/** One path: its rate points and its maximum throughput. */
export interface PathResult {
  points: RatePoint[];
  /** Events per second from first send to last delivery, sending as fast as the path takes them. */
  maxThroughput: number;
  maxSent: number;
  maxDelivered: number;
}

export interface EventPathSettings {
  bootstrap: string;
  prefix: string;
  rates: readonly number[];
  phaseSeconds: number;
  maxEvents: number;
  /** Requests (or sends) in flight during the maximum-throughput phase. */
  concurrency: number;
  step: (detail: string) => void;
}

/** How many users the events are keyed by: enough that every partition gets some. */
const USERS = 100;
const userOf = (i: number) => `user-${i % USERS}`;

/** Waits until `delivered()` reaches `expected`, up to 60 s; a shortfall is reported, not thrown. */
async function drained(delivered: () => number, expected: number): Promise<void> {
  await waitFor(() => delivered() >= expected || undefined, "all events delivered", 60_000).catch(() => undefined);
}

/**
 * The baseline: a producer configured as the sidecar's (acks from all replicas, one record per send) and a group
 * consumer with the sidecar's fetch wait, on a 3-partition topic; each 1 KB CloudEvent is timed from the send call
 * to the consumer's stream yielding it.
 */
export async function rawKafka(settings: EventPathSettings): Promise<PathResult> {
  const topic = `${settings.prefix}raw`;
  await ensureTopics(settings.bootstrap, [testTopic("raw")], { namePrefix: settings.prefix });
  const producer = new Producer({
    clientId: "bench-raw-producer",
    bootstrapBrokers: [settings.bootstrap],
    acks: ProduceAcks.ALL,
    serializers: stringSerializers,
  });
  const consumer = new Consumer({
    clientId: "bench-raw-consumer",
    groupId: `bench-raw-${randomUUID()}`,
    bootstrapBrokers: [settings.bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 250,
    autocommit: false,
  });
  const latencies = new Map<string, number[]>();
  let delivered = 0;
  let lastDelivery = 0;
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
  const reading = (async () => {
    for await (const message of stream) {
      const at = nowMs();
      const data = (JSON.parse(message.value ?? "{}") as { data: { sentAt: number; phase: string } }).data;
      latencies.get(data.phase)?.push(at - data.sentAt);
      delivered++;
      lastDelivery = at;
    }
  })();
  /** Sends one event; resolves with the time from the call to the producer's acknowledgement, ms. */
  const send = async (phase: string, i: number) => {
    const sentAt = nowMs();
    await producer.send({
      messages: [{ topic, key: userOf(i), value: withPhase(sampleEvent(userOf(i), i, sentAt), phase) }],
    });
    return nowMs() - sentAt;
  };
  try {
    await producer.metadata({ topics: [topic] });
    const points: RatePoint[] = [];
    for (const rate of settings.rates) {
      settings.step(`raw Kafka at ${rate}/s`);
      const phase = `rate-${rate}`;
      latencies.set(phase, []);
      const count = rate * settings.phaseSeconds;
      const before = delivered;
      const sends: Promise<number>[] = [];
      await paced(rate, count, (i) => sends.push(send(phase, i)));
      const acknowledged = (await Promise.allSettled(sends)).flatMap((s) =>
        s.status === "fulfilled" ? [s.value] : [],
      );
      await drained(() => delivered - before, count);
      points.push({
        rate,
        sent: count,
        delivered: delivered - before,
        latency: summarize(latencies.get(phase) ?? []),
        acknowledged: summarize(acknowledged),
      });
    }
    settings.step(`raw Kafka, maximum throughput (${settings.maxEvents} events)`);
    latencies.set("max", []);
    const before = delivered;
    const startedAt = nowMs();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < settings.maxEvents; i = next++) await send("max", i);
    };
    await Promise.all(Array.from({ length: settings.concurrency }, worker));
    await drained(() => delivered - before, settings.maxEvents);
    const maxDelivered = delivered - before;
    return {
      points,
      maxThroughput: (maxDelivered * 1000) / (lastDelivery - startedAt),
      maxSent: settings.maxEvents,
      maxDelivered,
    };
  } finally {
    await stream.close();
    await reading.catch(() => undefined);
    await consumer.close(true);
    await producer.close();
  }
}

/** The event with `data.phase` set, so the receiver knows which phase it belongs to. */
function withPhase(eventJson: string, phase: string): string {
  return eventJson.replace('"data":{', `"data":{"phase":"${phase}",`);
}

/**
 * The platform's path: a subscriber app (a plain HTTP app answering 200) behind the development sidecar, in a process
 * of their own as daprd and its app are apart from the publisher (bench/subscriber-instance.ts), with a programmatic
 * subscription on a 3-partition topic; events are published to the sidecar's
 * `POST /v1.0/publish/<pubsub>/<topic>?metadata.partitionKey=<user>` as `application/cloudevents+json` (paced with
 * undici at each rate, then as fast as autocannon's connections go), and timed from the request being built to the
 * route receiving the event (both clocks `nowMs`).
 */
export async function sidecarPath(settings: EventPathSettings): Promise<PathResult> {
  await ensureTopics(settings.bootstrap, [testTopic("events")], { namePrefix: settings.prefix });
  const latencies = new Map<string, number[]>();
  /** Each event's send time and phase, by sequence number. */
  const sent = new Map<number, { at: number; phase: string }>();
  let delivered = 0;
  let lastDelivery = 0;
  const children: ChildProcess[] = [];
  const url = await startInstance(
    { bootstrap: settings.bootstrap, prefix: settings.prefix, appId: "bench-subscriber", topic: "events" },
    (deliveries) => {
      for (const [, seq, at] of deliveries) {
        const event = sent.get(seq);
        if (event) latencies.get(event.phase)?.push(at - event.at);
        delivered++;
        lastDelivery = Math.max(lastDelivery, at);
      }
    },
    children,
  );
  let counter = 0;
  /** The next event's publish request, its send time recorded under its sequence number. */
  const publish = (phase: string) => {
    const seq = counter++;
    const at = nowMs();
    sent.set(seq, { at, phase });
    return {
      path: `/v1.0/publish/bench-pubsub/events?metadata.partitionKey=${userOf(seq)}`,
      body: sampleEvent(userOf(seq), seq, at),
    };
  };
  try {
    const points: RatePoint[] = [];
    for (const rate of settings.rates) {
      settings.step(`sidecar publish at ${rate}/s`);
      const phase = `rate-${rate}`;
      latencies.set(phase, []);
      const before = delivered;
      const result = await pacedLoad(url, rate, rate * settings.phaseSeconds, () => ({
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        ...publish(phase),
      }));
      await drained(() => delivered - before, result.ok);
      points.push({
        rate,
        sent: result.ok,
        delivered: delivered - before,
        latency: summarize(latencies.get(phase) ?? []),
        acknowledged: result.latency,
      });
    }
    settings.step(`sidecar publish, maximum throughput (${settings.maxEvents} events)`);
    latencies.set("max", []);
    const before = delivered;
    const startedAt = nowMs();
    const result = await autocannon({
      url: `${url}/v1.0/publish/bench-pubsub/events`,
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      connections: settings.concurrency,
      amount: settings.maxEvents,
      requests: [{ setupRequest: (request) => ({ ...request, ...publish("max") }) }],
    });
    await drained(() => delivered - before, result["2xx"]);
    const maxDelivered = delivered - before;
    return {
      points,
      maxThroughput: (maxDelivered * 1000) / (lastDelivery - startedAt),
      maxSent: result["2xx"],
      maxDelivered,
    };
  } finally {
    await stopInstances(children);
  }
}
