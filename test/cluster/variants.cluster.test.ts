// What the spec functions render for settings no standard plan uses (an OTLP trace endpoint, a node pool's storage class), judged by the real API server.
import { afterAll, beforeAll, expect, it } from "vitest";
import { applyObject } from "../../local/cluster/plan-apply";
import { configuration, type DaprSettings } from "../../specs/dapr";
import { nodePool } from "../../specs/strimzi";
import { prod } from "../../stacks/prod";
import { clusterClient, scratchNamespace } from "../support/cluster";

const client = clusterClient();
const scratch = scratchNamespace("variants");

beforeAll(scratch.create);
afterAll(scratch.remove);

const DAPR: DaprSettings = {
  namespace: scratch.name,
  controlPlaneNamespace: "dapr-system",
  pubsub: { brokers: "kafka:9092", auth: { type: "none" }, protocolVersion: "3.9.0", initialOffset: "oldest" },
  inboundRetry: prod.dapr.inboundRetry,
  outboundRetry: prod.dapr.outboundRetry,
  tracingSamplingRate: "0.1",
  otlpEndpoint: "otel-collector.observability.svc:4317",
  logLevel: "info",
};

it.each([
  ["a Dapr Configuration that exports traces over OTLP", () => configuration(DAPR)],
  [
    "a persistent KafkaNodePool with a storage class",
    () =>
      nodePool({
        ...prod.kafka.strimzi,
        storage: { type: "persistent-claim", size: "20Gi", storageClass: "fast-ssd" },
      }),
  ],
])("%s is accepted without a warning", async (_, render) => {
  const object = render();
  object.metadata.namespace = scratch.name;
  const result = await applyObject(client, object, { fieldManager: "variants-test", dryRun: true });
  expect(result).toMatchObject({ accepted: true, warnings: [] });
});

it("renders the variant fields these cases are about", () => {
  expect(configuration(DAPR).spec).toMatchObject({
    tracing: { otel: { endpointAddress: "otel-collector.observability.svc:4317" } },
  });
  const pool = nodePool({
    ...prod.kafka.strimzi,
    storage: { type: "persistent-claim", size: "20Gi", storageClass: "x" },
  });
  expect(pool.spec).toMatchObject({ storage: { volumes: [{ class: "x" }] } });
});
