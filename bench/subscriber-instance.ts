// One consumer instance of the scaling and sidecar publish benchmarks, run as its own process (as a replica is its own pod, and daprd and its app are processes apart from whoever publishes): a subscriber app behind the development sidecar, reporting each delivery (user, sequence number, time) to the parent over IPC.
import { startSidecar } from "../local/sidecar/sidecar";
import { kafkaComponent, startTestApp } from "../local/sidecar/test-kit";
import { nowMs } from "./rig";

/** What the parent passes in `BENCH_INSTANCE` (JSON). */
export interface InstanceSettings {
  bootstrap: string;
  prefix: string;
  /** Shared by every instance: their sidecars join one consumer group (the app id). */
  appId: string;
  topic: string;
}

/**
 * A message to the parent: `ready` once the group is joined, with the sidecar's HTTP API origin, then batches of
 * `[user, seq, at]` deliveries (`at` from `nowMs`).
 */
export type InstanceMessage = { ready: true; url: string } | { deliveries: [string, number, number][] };

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_INSTANCE ?? "{}") as InstanceSettings;
  const send = (message: InstanceMessage) => process.send?.(message);
  let batch: [string, number, number][] = [];
  const app = await startTestApp(
    (request) => {
      const data = (request.json as { data: { user_id: string; seq: number } }).data;
      batch.push([data.user_id, data.seq, nowMs()]);
      request.body = Buffer.alloc(0);
      request.json = undefined;
      return {};
    },
    [{ pubsubname: "bench-pubsub", topic: settings.topic, route: "/events" }],
  );
  const sidecar = await startSidecar({
    appId: settings.appId,
    appPort: app.port,
    brokers: settings.bootstrap,
    resources: [kafkaComponent("bench-pubsub", { initialOffset: "oldest" })],
    topicPrefix: settings.prefix,
  });
  const flush = setInterval(() => {
    if (batch.length === 0) return;
    send({ deliveries: batch });
    batch = [];
  }, 100);
  send({ ready: true, url: sidecar.url });
  process.on("disconnect", () => {
    clearInterval(flush);
    void sidecar
      .stop()
      .then(() => app.stop())
      .finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
