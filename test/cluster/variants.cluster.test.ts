// What the spec functions render for settings no standard plan uses (an OTLP trace endpoint, a node pool's storage class, an SMTP server and alert webhook), judged by the real API server.
import { afterAll, beforeAll, expect, it } from "vitest";
import { applyObject, type KubeObject } from "../../local/cluster/plan-apply";
import { appEnvironment } from "../../specs/app-env";
import { APPS } from "../../specs/apps";
import { configuration, type DaprSettings, type KubernetesObject } from "../../specs/dapr";
import { networkPolicies, outboundTargets } from "../../specs/network";
import { nodePool, strimziEndpoint } from "../../specs/strimzi";
import { dev } from "../../stacks/dev";
import { prod } from "../../stacks/prod";
import { clusterClient, scratchNamespace } from "../support/cluster";
import { standardPlan } from "../support/standard-plans";

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

/** The notification service with an email channel (a user, so a password Secret), webhooks to any address; alerts on. */
const MAILING = {
  logLevel: dev.dapr.logLevel,
  auth: dev.auth,
  notification: {
    ...dev.notification,
    smtp: { host: "smtp.example.com", port: 465, secure: true, from: "Tasks <tasks@example.com>", user: "mailer" },
    webhookAllowPrivateAddresses: true,
  },
  deadLetters: { alertWebhookUrl: "https://alerts.example.com/hooks/dead-letters" },
  board: dev.board,
};

/** The app's NetworkPolicy for the MAILING settings. */
function mailingPolicy(id: string): KubernetesObject {
  const policies = networkPolicies({
    namespace: scratch.name,
    daprNamespace: "dapr-system",
    kafka: strimziEndpoint(dev.kafka.strimzi),
    postgres: { type: "in-cluster", port: 5432 },
    ingressFrom: dev.network.ingressFrom,
    outbound: outboundTargets(MAILING),
  });
  const policy = policies.find((p) => p.metadata.name === id);
  if (!policy) throw new Error(`no NetworkPolicy ${id}`);
  return policy;
}

/** The dev plan's Deployment of the notification service, its environment rendered for the MAILING settings. */
function mailingDeployment(): KubernetesObject {
  const planned = standardPlan("dev").manifests.find(
    (m) => m.kind === "Deployment" && (m.metadata as { name: string }).name === APPS.notification.id,
  ) as KubeObject | undefined;
  if (!planned) throw new Error("the dev plan has no notification Deployment");
  const deployment = structuredClone(planned);
  const pod = (deployment.spec as { template: { spec: { containers: { env: unknown }[] } } }).template.spec;
  for (const container of pod.containers) container.env = appEnvironment(APPS.notification, MAILING);
  return deployment as KubernetesObject;
}

it.each([
  ["a Dapr Configuration that exports traces over OTLP", () => configuration(DAPR)],
  [
    "the notification service's NetworkPolicy with an SMTP server and webhooks at any address",
    () => mailingPolicy(APPS.notification.id),
  ],
  ["the dead-letter desk's NetworkPolicy with an alert webhook", () => mailingPolicy(APPS.deadLetters.id)],
  ["the notification Deployment with an email channel and its password from a Secret", mailingDeployment],
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
  expect(JSON.stringify(mailingPolicy(APPS.notification.id).spec)).toContain('"port":465');
  expect(JSON.stringify(mailingPolicy(APPS.deadLetters.id).spec)).toContain('"port":443');
  expect(JSON.stringify(mailingDeployment().spec)).toContain('"secretKeyRef":{"name":"notification-smtp"');
  expect(configuration(DAPR).spec).toMatchObject({
    tracing: { otel: { endpointAddress: "otel-collector.observability.svc:4317" } },
  });
  const pool = nodePool({
    ...prod.kafka.strimzi,
    storage: { type: "persistent-claim", size: "20Gi", storageClass: "x" },
  });
  expect(pool.spec).toMatchObject({ storage: { volumes: [{ class: "x" }] } });
});
