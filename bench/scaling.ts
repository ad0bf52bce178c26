// Subscriber scaling: 1, 2 and 3 consumer instances (each its own process: subscriber app + development sidecar, one consumer group) on 3 partitions, and 6 on 6, with per-user order checked.
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { ProduceAcks, Producer, stringSerializers } from "@platformatic/kafka";
import { ensureTopics } from "../local/kafka/topics";
import { stableGroupSize, testTopic, waitFor } from "../local/sidecar/test-kit";
import { nowMs, sampleEvent } from "./rig";
import type { InstanceMessage, InstanceSettings } from "./subscriber-instance";

/** One configuration's result. */
export interface ScalingPoint {
  instances: number;
  partitions: number;
  published: number;
  delivered: number;
  /** Deliveries per second, first to last delivery. */
  throughput: number;
  /** Deliveries of a user's event after a later one of the same user (must be 0). */
  orderViolations: number;
  /** Deliveries of an event already delivered (redeliveries; at-least-once allows them). */
  duplicates: number;
}

const USERS = 200;

/**
 * Produces the events with a raw producer (not the measured path), 32 sends in flight: events cycle through 200
 * users, so a user's next event is sent 200 sends after its previous one, long after that one was acknowledged.
 */
async function produce(bootstrap: string, topic: string, count: number): Promise<void> {
  const producer = new Producer({
    clientId: "bench-scaling-producer",
    bootstrapBrokers: [bootstrap],
    acks: ProduceAcks.ALL,
    serializers: stringSerializers,
  });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const user = `user-${i % USERS}`;
      await producer.send({
        messages: [{ topic, key: user, value: sampleEvent(user, Math.floor(i / USERS), nowMs()) }],
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: 32 }, worker));
  } finally {
    await producer.close();
  }
}

/**
 * Starts `instances` instance processes on a new `partitions`-partition topic, waits until their group is stable
 * with every member, then produces `events` events keyed by 200 users (sequence numbers per user) and times their
 * delivery across the instances.
 */
export async function scaling(
  rig: { bootstrap: string; prefix: string },
  configs: readonly { instances: number; partitions: number }[],
  events: number,
  step: (detail: string) => void,
): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const { instances, partitions } of configs) {
    step(`${instances} instance(s) on ${partitions} partitions: starting`);
    const name = `scaling-${instances}-${partitions}`;
    await ensureTopics(rig.bootstrap, [testTopic(name, partitions)], { namePrefix: rig.prefix });
    const settings: InstanceSettings = {
      bootstrap: rig.bootstrap,
      prefix: rig.prefix,
      appId: `bench-${name}`,
      topic: name,
    };
    const deliveries: [string, number, number][] = [];
    const children: ChildProcess[] = [];
    try {
      await Promise.all(
        Array.from({ length: instances }, () =>
          startInstance(settings, (batch) => deliveries.push(...batch), children),
        ),
      );
      const group = `${rig.prefix}${settings.appId}`;
      await waitFor(
        async () => (await stableGroupSize(rig.bootstrap, group)) === instances || undefined,
        `consumer group ${group} stable with ${instances} members`,
        60_000,
      );
      step(`${instances} instance(s) on ${partitions} partitions: ${events} events`);
      await produce(rig.bootstrap, `${rig.prefix}${name}`, events);
      await waitFor(() => deliveries.length >= events || undefined, "every event delivered", 120_000).catch(
        () => undefined,
      );
      points.push({ instances, partitions, published: events, ...judge(deliveries) });
    } finally {
      await stopInstances(children);
    }
  }
  return points;
}

/**
 * Forks a subscriber instance process (bench/subscriber-instance.ts) and adds it to `children`; resolves with its
 * sidecar's HTTP API origin once the sidecar has joined the group, and hands each batch of deliveries to
 * `onDeliveries`. Rejects when the process exits before that or takes over 120 s.
 */
export function startInstance(
  settings: InstanceSettings,
  onDeliveries: (deliveries: [string, number, number][]) => void,
  children: ChildProcess[],
): Promise<string> {
  const child = fork(join(__dirname, "subscriber-instance.ts"), {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_INSTANCE: JSON.stringify(settings) },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("a subscriber instance was not ready in 120 s")), 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`a subscriber instance exited with code ${code} before it was ready`));
    });
    child.on("message", (message: InstanceMessage) => {
      if ("deliveries" in message) return onDeliveries(message.deliveries);
      clearTimeout(timer);
      resolve(message.url);
    });
  });
}

/** Disconnects every instance (each stops its sidecar and app, then exits) and waits for their exits. */
export async function stopInstances(children: readonly ChildProcess[]): Promise<void> {
  const exits = children.map((child) =>
    child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined,
  );
  for (const child of children) if (child.connected) child.disconnect();
  await Promise.all(exits);
}

/** Throughput, order and duplicates of a configuration's deliveries (`[user, seq, at]`). */
export function judge(
  deliveries: readonly [string, number, number][],
): Pick<ScalingPoint, "delivered" | "throughput" | "orderViolations" | "duplicates"> {
  const sorted = [...deliveries].sort((a, b) => a[2] - b[2]);
  const highest = new Map<string, number>();
  const seen = new Set<string>();
  let orderViolations = 0;
  let duplicates = 0;
  for (const [user, seq] of sorted) {
    const id = `${user}/${seq}`;
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    if (seq < (highest.get(user) ?? -1)) orderViolations++;
    highest.set(user, Math.max(seq, highest.get(user) ?? -1));
  }
  const first = sorted[0]?.[2] ?? 0;
  const last = sorted.at(-1)?.[2] ?? 0;
  return {
    delivered: seen.size,
    throughput: last > first ? (seen.size * 1000) / (last - first) : 0,
    orderViolations,
    duplicates,
  };
}
