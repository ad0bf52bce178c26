// Unit tests of the pure Dapr and Strimzi spec functions: what they render, pub/sub metadata, subscriptions, resiliency, Kafka resources, sidecar annotations.
import { DEAD_LETTER_TOPIC, EVENT_TYPES, isEventType, TOPIC_LIST, TOPICS } from "@event-platform/events";
import { describe, expect, it } from "vitest";
import { dev } from "../stacks/dev";
import { prod } from "../stacks/prod";
import type { PlatformProfile, StrimziSettings } from "../stacks/profile";
import { APP_LIST, APPS, type AppSpec, appById, GATEWAY_PUBSUB, hasSidecarRoutes, PUBSUB } from "./apps";
import {
  appTokenSecretName,
  type DaprSettings,
  daprResources,
  type KafkaAuth,
  type KubernetesObject,
  type MetadataItem,
  pubsubComponents,
  pubsubMetadata,
  resiliency,
  SIDECAR_RESOURCE_ANNOTATIONS,
  sidecarAnnotations,
  subscription,
  subscriptions,
} from "./dapr";
import { kafkaClientPeers } from "./network";
import {
  bootstrapAddress,
  clusterCaCertSecretName,
  clusterCaKeySecretName,
  kafka,
  kafkaTopics,
  NODE_POOL_NAME,
  nodePool,
  SIDECAR_USER,
  sidecarUser,
} from "./strimzi";
import type { SubscriptionSpec } from "./subscriptions";

const NAMESPACE = "event-platform";
const CREDENTIALS = "kafka-credentials";
const PASSWORD_SECRET = `${SIDECAR_USER}-password`;
/** The peers the program lets connect to the Kafka listener: the apps' sidecars. */
const CLIENTS = kafkaClientPeers(NAMESPACE);

const SCRAM_512: KafkaAuth = {
  type: "scram",
  mechanism: "SHA-512",
  username: { name: CREDENTIALS, key: "username" },
  password: { name: CREDENTIALS, key: "password" },
  caCert: { name: CREDENTIALS, key: "ca.crt" },
};
const SCRAM_256_PUBLIC_CA: KafkaAuth = {
  type: "scram",
  mechanism: "SHA-256",
  username: { name: CREDENTIALS, key: "username" },
  password: { name: CREDENTIALS, key: "password" },
};

/** An app of no catalog, `audit` on port 3100 with nothing to do, changed by `overrides`. */
function testApp(overrides: Partial<AppSpec>): AppSpec {
  return {
    id: "audit",
    description: "test app",
    port: 3100,
    publishes: [],
    subscriptions: [],
    invokes: [],
    database: false,
    userFacing: false,
    ...overrides,
  };
}

/** DaprSettings the way the program builds them from a profile. */
function daprSettings(profile: PlatformProfile, auth: KafkaAuth, brokers: string): DaprSettings {
  return {
    namespace: NAMESPACE,
    controlPlaneNamespace: "dapr-system",
    pubsub: { brokers, auth, protocolVersion: "3.9.0", initialOffset: "oldest" },
    inboundRetry: profile.dapr.inboundRetry,
    outboundRetry: profile.dapr.outboundRetry,
    tracingSamplingRate: "1",
    logLevel: "info",
  };
}

const DEV_DAPR = daprSettings(dev, { type: "none" }, bootstrapAddress(dev.kafka.strimzi));
const PROD_DAPR = daprSettings(prod, SCRAM_512, bootstrapAddress(prod.kafka.strimzi));
const REDPANDA_DAPR = daprSettings(prod, SCRAM_256_PUBLIC_CA, "seed-1.cloud.redpanda.com:9092");

const ENVIRONMENTS = [
  { name: "dev", profile: dev, dapr: DEV_DAPR },
  { name: "prod", profile: prod, dapr: PROD_DAPR },
] as const;

interface ComponentSpec {
  type: string;
  version: string;
  metadata: MetadataItem[];
}
interface Acl {
  resource: { type: string; name: string; patternType: string };
  operations: string[];
  host: string;
}

const specOf = <T>(object: KubernetesObject): T => object.spec as T;
const scopesOf = (object: KubernetesObject): unknown => object.scopes;

function componentNamed(settings: DaprSettings, name: string): KubernetesObject {
  const found = pubsubComponents(settings).find((c) => c.metadata.name === name);
  if (!found) throw new Error(`no component ${name}`);
  return found;
}

/** The component's metadata as name → item. */
function metadataMap(component: KubernetesObject): Map<string, MetadataItem> {
  return new Map(specOf<ComponentSpec>(component).metadata.map((item) => [item.name, item]));
}

/** Every object the program renders for one environment, without Pulumi. */
function rendered(profile: PlatformProfile, settings: DaprSettings): KubernetesObject[] {
  const s = profile.kafka.strimzi;
  return [
    ...daprResources(settings),
    nodePool(s),
    kafka(s, profile.kafka, CLIENTS),
    ...kafkaTopics(s, profile.kafka),
    sidecarUser(s, PASSWORD_SECRET),
  ];
}

// Whether these objects are valid is judged by a real API server against the upstream CRDs: the standard plans and the
// variants they do not cover (an OTLP endpoint, a node pool's storage class) are applied in test/cluster/.
describe("rendered objects", () => {
  it.each(ENVIRONMENTS)("$name renders the Dapr and Strimzi objects the platform needs", ({ profile, dapr }) => {
    // 2 components, 4 subscriptions, resiliency, configuration, node pool, Kafka, 4 topics, user.
    expect(rendered(profile, dapr).map((o) => o.kind)).toEqual([
      "Component",
      "Component",
      "Subscription",
      "Subscription",
      "Subscription",
      "Subscription",
      "Resiliency",
      "Configuration",
      "KafkaNodePool",
      "Kafka",
      "KafkaTopic",
      "KafkaTopic",
      "KafkaTopic",
      "KafkaTopic",
      "KafkaUser",
    ]);
  });
});

describe("Dapr pub/sub components", () => {
  it("are two pubsub.kafka v1 components in the apps' namespace", () => {
    const components = pubsubComponents(DEV_DAPR);
    expect(components.map((c) => c.metadata)).toEqual([
      { name: PUBSUB, namespace: NAMESPACE },
      { name: GATEWAY_PUBSUB, namespace: NAMESPACE },
    ]);
    for (const component of components) {
      expect(component.apiVersion).toBe("dapr.io/v1alpha1");
      expect(component.kind).toBe("Component");
      expect(specOf<ComponentSpec>(component).type).toBe("pubsub.kafka");
      expect(specOf<ComponentSpec>(component).version).toBe("v1");
    }
  });

  it("use no authentication and no TLS on a plain listener", () => {
    expect(pubsubMetadata(DEV_DAPR.pubsub)).toEqual([
      { name: "brokers", value: "events-kafka-bootstrap.kafka.svc:9092" },
      { name: "authType", value: "none" },
      { name: "version", value: "3.9.0" },
      { name: "initialOffset", value: "oldest" },
    ]);
    for (const component of pubsubComponents(DEV_DAPR)) {
      const names = [...metadataMap(component).keys()];
      expect(names).not.toContain("saslUsername");
      expect(names).not.toContain("saslPassword");
      expect(names).not.toContain("saslMechanism");
      expect(names).not.toContain("disableTls");
      expect(names).not.toContain("caCert");
    }
  });

  it("use SCRAM over TLS with credentials only from secrets", () => {
    expect(pubsubMetadata(PROD_DAPR.pubsub)).toEqual([
      { name: "brokers", value: "events-kafka-bootstrap.kafka.svc:9093" },
      { name: "authType", value: "password" },
      { name: "saslUsername", secretKeyRef: { name: CREDENTIALS, key: "username" } },
      { name: "saslPassword", secretKeyRef: { name: CREDENTIALS, key: "password" } },
      { name: "saslMechanism", value: "SHA-512" },
      { name: "disableTls", value: "false" },
      { name: "caCert", secretKeyRef: { name: CREDENTIALS, key: "ca.crt" } },
      { name: "version", value: "3.9.0" },
      { name: "initialOffset", value: "oldest" },
    ]);
  });

  it("spell the SASL mechanism the way Dapr reads it and omit caCert for a public CA", () => {
    const metadata = new Map(pubsubMetadata(REDPANDA_DAPR.pubsub).map((item) => [item.name, item]));
    expect(metadata.get("saslMechanism")).toEqual({ name: "saslMechanism", value: "SHA-256" });
    expect(metadata.get("authType")).toEqual({ name: "authType", value: "password" });
    expect(metadata.get("disableTls")).toEqual({ name: "disableTls", value: "false" });
    expect(metadata.has("caCert")).toBe(false);
  });

  it.each([
    ["none", DEV_DAPR],
    ["scram SHA-512 with CA", PROD_DAPR],
    ["scram SHA-256", REDPANDA_DAPR],
  ] as const)("with auth %s: secrets never inline, version set, no invalid fields", (_, settings) => {
    for (const component of pubsubComponents(settings)) {
      const items = specOf<ComponentSpec>(component).metadata;
      const names = items.map((item) => item.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain("brokers");
      expect(names).toContain("authType");
      expect(items.find((item) => item.name === "version")).toEqual({ name: "version", value: "3.9.0" });
      // Not pubsub.kafka fields (tlsEnable, maxDeliveryAttempts) or not component metadata at all (deadLetterTopic).
      expect(names).not.toContain("tlsEnable");
      expect(names).not.toContain("maxDeliveryAttempts");
      expect(names).not.toContain("deadLetterTopic");
      for (const item of items) {
        const hasValue = "value" in item;
        const hasRef = "secretKeyRef" in item;
        expect(hasValue !== hasRef).toBe(true);
        if (["saslUsername", "saslPassword", "caCert"].includes(item.name)) {
          expect(hasRef).toBe(true);
          expect(hasValue).toBe(false);
        } else {
          expect(typeof (item as { value: unknown }).value).toBe("string");
        }
        if (item.name === "saslMechanism") expect(["SHA-256", "SHA-512"]).toContain((item as { value: string }).value);
      }
    }
  });

  it("give the gateway a consumer group per pod and scope that component to the gateway", () => {
    const gateway = componentNamed(PROD_DAPR, GATEWAY_PUBSUB);
    expect(metadataMap(gateway).get("consumerGroup")).toEqual({ name: "consumerGroup", value: "{podName}" });
    expect(scopesOf(gateway)).toEqual(["gateway"]);
  });

  it("share kafka-pubsub (consumer group = app id) among the apps that publish or subscribe through it", () => {
    const shared = componentNamed(PROD_DAPR, PUBSUB);
    expect(metadataMap(shared).has("consumerGroup")).toBe(false);
    expect(scopesOf(shared)).toEqual(["backend", "recurring", "notification", "dead-letters"]);
    const expected = APP_LIST.filter(
      (app) => app.publishes.length > 0 || app.subscriptions.some((sub) => sub.pubsub === PUBSUB),
    ).map((app) => app.id);
    expect(scopesOf(shared)).toEqual(expected);
    expect(scopesOf(shared)).not.toContain("gateway");
  });

  it("render the same metadata in both components apart from the gateway's consumer group and start offset", () => {
    const shared = specOf<ComponentSpec>(componentNamed(PROD_DAPR, PUBSUB)).metadata;
    const gateway = specOf<ComponentSpec>(componentNamed(PROD_DAPR, GATEWAY_PUBSUB)).metadata;
    // A pod's group is new at every start: it must not replay a day of updates to its clients.
    const sharedWithNewest = shared.map((m) =>
      m.name === "initialOffset" ? { name: "initialOffset", value: "newest" } : m,
    );
    expect(gateway).toEqual([...sharedWithNewest, { name: "consumerGroup", value: "{podName}" }]);
  });
});

describe("Dapr subscriptions", () => {
  const all = subscriptions(NAMESPACE);

  it("cover every app subscription, one per app and topic", () => {
    expect(all.map((s) => s.metadata)).toEqual([
      { name: "recurring-task-events", namespace: NAMESPACE },
      { name: "notification-reminders", namespace: NAMESPACE },
      { name: "gateway-task-updates", namespace: NAMESPACE },
      { name: "dead-letters-dead-letters", namespace: NAMESPACE },
    ]);
    expect(daprResources(DEV_DAPR).filter((o) => o.kind === "Subscription")).toEqual(all);
  });

  it("are dapr.io/v2alpha1, scoped to their app, on catalog topics through the app's component", () => {
    for (const object of all) {
      expect(object.apiVersion).toBe("dapr.io/v2alpha1");
      expect(object.kind).toBe("Subscription");
      const spec = specOf<SubscriptionSpec>(object);
      const scopes = scopesOf(object) as string[];
      expect(scopes).toHaveLength(1);
      const app = appById(scopes[0] ?? "");
      expect(object.metadata.name).toBe(`${app.id}-${spec.topic}`);
      const sub = app.subscriptions.find((s) => s.topic.name === spec.topic);
      expect(sub?.pubsub).toBe(spec.pubsubname);
      expect(TOPIC_LIST.map((t) => t.name)).toContain(spec.topic);
      expect(spec.routes.default).toMatch(/^\/events\/[a-z-]+$/);
    }
  });

  it("dead-letter to the dead-letters topic, except the dead-letter desk's own subscription", () => {
    expect(DEAD_LETTER_TOPIC).toBe("dead-letters");
    for (const object of all) {
      const spec = specOf<SubscriptionSpec>(object);
      if (spec.topic === DEAD_LETTER_TOPIC) {
        expect(scopesOf(object)).toEqual([APPS.deadLetters.id]);
        expect(spec).not.toHaveProperty("deadLetterTopic");
      } else {
        expect(spec.deadLetterTopic).toBe("dead-letters");
      }
    }
    expect(all.filter((o) => specOf<SubscriptionSpec>(o).deadLetterTopic === undefined)).toHaveLength(1);
  });

  it("take raw payloads on the dead-letter desk's subscription only, where a record may be any bytes", () => {
    for (const object of all) {
      const spec = specOf<SubscriptionSpec>(object);
      if (spec.topic === DEAD_LETTER_TOPIC) expect(spec.metadata).toEqual({ rawPayload: "true" });
      else expect(spec).not.toHaveProperty("metadata");
    }
  });

  it("route by event types that exist and travel on the subscribed topic", () => {
    let rules = 0;
    for (const object of all) {
      const spec = specOf<SubscriptionSpec>(object);
      for (const rule of spec.routes.rules ?? []) {
        const type = /^event\.type == "([^"]+)"$/.exec(rule.match)?.[1];
        expect(type, rule.match).toBeDefined();
        expect(isEventType(type)).toBe(true);
        if (isEventType(type)) expect(EVENT_TYPES[type].topic.name).toBe(spec.topic);
        expect(rule.path).toMatch(/^\/events\/[a-z-]+$/);
        rules++;
      }
    }
    expect(rules).toBe(4);
  });

  it("render the exact routes of each app", () => {
    const byName = new Map(all.map((o) => [o.metadata.name, specOf<SubscriptionSpec>(o)]));
    expect(byName.get("recurring-task-events")).toEqual({
      pubsubname: PUBSUB,
      topic: "task-events",
      routes: {
        rules: [{ match: 'event.type == "com.taskmanager.task.completed"', path: "/events/task-completed" }],
        default: "/events/ignored",
      },
      deadLetterTopic: "dead-letters",
    });
    expect(byName.get("notification-reminders")?.routes).toEqual({
      rules: [
        { match: 'event.type == "com.taskmanager.reminder.scheduled"', path: "/events/reminder-scheduled" },
        { match: 'event.type == "com.taskmanager.reminder.cancelled"', path: "/events/reminder-cancelled" },
        { match: 'event.type == "com.taskmanager.reminder.triggered"', path: "/events/reminder-triggered" },
      ],
      default: "/events/ignored",
    });
    expect(byName.get("gateway-task-updates")).toEqual({
      pubsubname: GATEWAY_PUBSUB,
      topic: "task-updates",
      routes: { default: "/events/task-updates" },
      deadLetterTopic: "dead-letters",
    });
    expect(byName.get("dead-letters-dead-letters")).toEqual({
      pubsubname: PUBSUB,
      topic: "dead-letters",
      routes: { default: "/events/dead-letter" },
      metadata: { rawPayload: "true" },
    });
  });

  it("render one subscription from an app spec, with or without a dead-letter topic", () => {
    const app = testApp({});
    const dead = subscription(
      app,
      { pubsub: PUBSUB, topic: TOPICS.taskEvents, routes: [], defaultPath: "/e", deadLetter: true },
      "ns",
    );
    expect(dead).toEqual({
      apiVersion: "dapr.io/v2alpha1",
      kind: "Subscription",
      metadata: { name: "audit-task-events", namespace: "ns" },
      spec: { pubsubname: PUBSUB, topic: "task-events", routes: { default: "/e" }, deadLetterTopic: "dead-letters" },
      scopes: ["audit"],
    });
    const none = subscription(
      app,
      { pubsub: PUBSUB, topic: TOPICS.taskEvents, routes: [], defaultPath: "/e", deadLetter: false },
      "ns",
    );
    expect(none.spec).toEqual({ pubsubname: PUBSUB, topic: "task-events", routes: { default: "/e" } });
  });
});

describe("Dapr resiliency", () => {
  it.each(ENVIRONMENTS)(
    "retries $name deliveries and publishes exponentially on both components",
    ({ profile, dapr }) => {
      const object = resiliency(dapr);
      expect(object.apiVersion).toBe("dapr.io/v1alpha1");
      expect(object.kind).toBe("Resiliency");
      expect(object.metadata).toEqual({ name: "event-platform", namespace: NAMESPACE });
      const targets = { inbound: { retry: "pubsubInbound" }, outbound: { retry: "pubsubOutbound" } };
      expect(object.spec).toEqual({
        policies: {
          retries: {
            pubsubInbound: {
              policy: "exponential",
              maxRetries: profile.dapr.inboundRetry.maxRetries,
              maxInterval: profile.dapr.inboundRetry.maxInterval,
            },
            pubsubOutbound: {
              policy: "exponential",
              maxRetries: profile.dapr.outboundRetry.maxRetries,
              maxInterval: profile.dapr.outboundRetry.maxInterval,
            },
          },
        },
        targets: { components: { [PUBSUB]: targets, [GATEWAY_PUBSUB]: targets } },
      });
      expect(scopesOf(object)).toEqual(["backend", "recurring", "notification", "gateway", "dead-letters"]);
    },
  );

  it("uses the configured numbers", () => {
    const retries = (resiliency(PROD_DAPR).spec as { policies: { retries: unknown } }).policies.retries;
    expect(retries).toEqual({
      pubsubInbound: { policy: "exponential", maxRetries: 8, maxInterval: "30s" },
      pubsubOutbound: { policy: "exponential", maxRetries: 15, maxInterval: "30s" },
    });
  });
});

describe("Dapr configuration", () => {
  const configurationOf = (settings: DaprSettings): KubernetesObject => {
    const found = daprResources(settings).find((o) => o.kind === "Configuration");
    if (!found) throw new Error("no Configuration");
    return found;
  };

  it("enables mTLS against the control plane's sentry and tracing at the configured rate", () => {
    const object = configurationOf(DEV_DAPR);
    expect(object.metadata).toEqual({ name: "event-platform", namespace: NAMESPACE });
    expect(object.spec).toEqual({
      tracing: { samplingRate: "1" },
      mtls: {
        enabled: true,
        controlPlaneTrustDomain: "cluster.local",
        sentryAddress: "dapr-sentry.dapr-system.svc.cluster.local:443",
      },
      metric: { enabled: true },
    });
  });

  it("exports traces over OTLP when an endpoint is set", () => {
    const settings = { ...DEV_DAPR, tracingSamplingRate: "0.1", otlpEndpoint: "otel.observability.svc:4317" };
    const object = configurationOf(settings);
    expect((object.spec as { tracing: unknown }).tracing).toEqual({
      samplingRate: "0.1",
      otel: { endpointAddress: "otel.observability.svc:4317", isSecure: false, protocol: "grpc" },
    });
  });
});

describe("Strimzi Kafka", () => {
  it("dev: a plain listener on 9092, no authorization, replication 1 everywhere", () => {
    const object = kafka(dev.kafka.strimzi, dev.kafka, CLIENTS);
    expect(object.apiVersion).toBe("kafka.strimzi.io/v1");
    expect(object.metadata).toEqual({
      name: "events",
      namespace: "kafka",
      annotations: { "pulumi.com/waitFor": "condition=Ready" },
    });
    expect(object.spec).toEqual({
      kafka: {
        version: "4.3.1",
        listeners: [{ name: "plain", port: 9092, type: "internal", tls: false, networkPolicyPeers: CLIENTS }],
        config: {
          "offsets.topic.replication.factor": 1,
          "transaction.state.log.replication.factor": 1,
          "transaction.state.log.min.isr": 1,
          "default.replication.factor": 1,
          "min.insync.replicas": 1,
          "auto.create.topics.enable": false,
        },
      },
      entityOperator: { topicOperator: {}, userOperator: {} },
    });
  });

  it("prod: SCRAM-SHA-512 over TLS on 9093, simple authorization, the program's CA, min.insync.replicas 2", () => {
    const spec = kafka(prod.kafka.strimzi, prod.kafka, CLIENTS).spec as {
      kafka: { listeners: unknown; authorization: unknown; config: Record<string, unknown> };
      clusterCa: unknown;
    };
    expect(spec.kafka.listeners).toEqual([
      {
        name: "scram",
        port: 9093,
        type: "internal",
        tls: true,
        authentication: { type: "scram-sha-512" },
        networkPolicyPeers: CLIENTS,
      },
    ]);
    expect(spec.kafka.authorization).toEqual({ type: "simple" });
    expect(spec.clusterCa).toEqual({ generateCertificateAuthority: false });
    expect(spec.kafka.config).toEqual({
      "offsets.topic.replication.factor": 3,
      "transaction.state.log.replication.factor": 3,
      "transaction.state.log.min.isr": 2,
      "default.replication.factor": 3,
      "min.insync.replicas": 2,
      "auto.create.topics.enable": false,
    });
  });

  it("lets only the apps' sidecars connect to the listener, through the NetworkPolicy Strimzi generates from its peers", () => {
    for (const profile of [dev, prod]) {
      const spec = kafka(profile.kafka.strimzi, profile.kafka, CLIENTS).spec as {
        kafka: { listeners: { networkPolicyPeers: unknown }[] };
      };
      expect(spec.kafka.listeners.map((l) => l.networkPolicyPeers)).toEqual([
        [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACE } },
            podSelector: {
              matchExpressions: [
                {
                  key: "app.kubernetes.io/name",
                  operator: "In",
                  values: ["backend", "recurring", "notification", "gateway", "dead-letters"],
                },
              ],
            },
          },
        ],
      ]);
    }
  });

  it("bootstrap address and CA secrets follow the cluster name", () => {
    expect(bootstrapAddress(dev.kafka.strimzi)).toBe("events-kafka-bootstrap.kafka.svc:9092");
    expect(bootstrapAddress(prod.kafka.strimzi)).toBe("events-kafka-bootstrap.kafka.svc:9093");
    const other: StrimziSettings = { ...prod.kafka.strimzi, clusterName: "orders", namespace: "streaming" };
    expect(bootstrapAddress(other)).toBe("orders-kafka-bootstrap.streaming.svc:9093");
    expect(clusterCaCertSecretName(other)).toBe("orders-cluster-ca-cert");
    expect(clusterCaKeySecretName(other)).toBe("orders-cluster-ca");
  });
});

describe("Strimzi node pool", () => {
  it("dev: one dual-role node on ephemeral storage", () => {
    expect(nodePool(dev.kafka.strimzi)).toEqual({
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaNodePool",
      metadata: { name: NODE_POOL_NAME, namespace: "kafka", labels: { "strimzi.io/cluster": "events" } },
      spec: {
        replicas: 1,
        roles: ["controller", "broker"],
        storage: { type: "jbod", volumes: [{ id: 0, type: "ephemeral", kraftMetadata: "shared" }] },
        resources: dev.kafka.strimzi.resources,
      },
    });
    expect(NODE_POOL_NAME).toBe("dual-role");
  });

  it("prod: three dual-role nodes, each with a kept persistent volume claim", () => {
    const spec = nodePool(prod.kafka.strimzi).spec as { replicas: number; roles: string[]; storage: unknown };
    expect(spec.replicas).toBe(3);
    expect(spec.roles).toEqual(["controller", "broker"]);
    expect(spec.storage).toEqual({
      type: "jbod",
      volumes: [{ id: 0, type: "persistent-claim", size: "100Gi", deleteClaim: false, kraftMetadata: "shared" }],
    });
  });

  it("passes a storage class on as `class`", () => {
    const s: StrimziSettings = {
      ...prod.kafka.strimzi,
      storage: { type: "persistent-claim", size: "20Gi", storageClass: "fast-ssd" },
    };
    expect((nodePool(s).spec as { storage: unknown }).storage).toEqual({
      type: "jbod",
      volumes: [
        {
          id: 0,
          type: "persistent-claim",
          size: "20Gi",
          class: "fast-ssd",
          deleteClaim: false,
          kraftMetadata: "shared",
        },
      ],
    });
  });
});

describe("Strimzi topics", () => {
  it.each(ENVIRONMENTS)("$name: one KafkaTopic per catalog topic with its settings", ({ profile }) => {
    const topics = kafkaTopics(profile.kafka.strimzi, profile.kafka);
    expect(topics.map((t) => t.metadata.name)).toEqual(["task-events", "reminders", "task-updates", "dead-letters"]);
    topics.forEach((object, index) => {
      const topic = TOPIC_LIST[index];
      expect(object.kind).toBe("KafkaTopic");
      expect(object.metadata).toEqual({
        name: topic?.name,
        namespace: "kafka",
        labels: { "strimzi.io/cluster": "events" },
      });
      expect(object.spec).toEqual({
        topicName: topic?.name,
        partitions: topic?.partitions,
        replicas: profile.kafka.replicationFactor,
        config: {
          "retention.ms": String(topic?.retentionMs),
          "cleanup.policy": topic?.cleanupPolicy,
          "min.insync.replicas": String(profile.kafka.minInsyncReplicas),
        },
      });
    });
  });

  it("prod: the exact task-events and dead-letters topics", () => {
    const byName = new Map(kafkaTopics(prod.kafka.strimzi, prod.kafka).map((t) => [t.metadata.name, t.spec]));
    expect(byName.get("task-events")).toEqual({
      topicName: "task-events",
      partitions: 3,
      replicas: 3,
      config: { "retention.ms": "604800000", "cleanup.policy": "delete", "min.insync.replicas": "2" },
    });
    expect(byName.get("dead-letters")).toEqual({
      topicName: "dead-letters",
      partitions: 3,
      replicas: 3,
      config: { "retention.ms": "1209600000", "cleanup.policy": "delete", "min.insync.replicas": "2" },
    });
  });
});

describe("Strimzi sidecar user", () => {
  const user = sidecarUser(prod.kafka.strimzi, PASSWORD_SECRET);
  const spec = user.spec as { authentication: unknown; authorization: { type: string; acls: Acl[] } };
  const acls = spec.authorization.acls;

  it("authenticates with SCRAM-SHA-512 and the given password secret", () => {
    expect(user.kind).toBe("KafkaUser");
    expect(user.metadata).toEqual({
      name: "dapr-sidecars",
      namespace: "kafka",
      labels: { "strimzi.io/cluster": "events" },
      annotations: { "pulumi.com/waitFor": "condition=Ready" },
    });
    expect(spec.authentication).toEqual({
      type: "scram-sha-512",
      password: { valueFrom: { secretKeyRef: { name: "dapr-sidecars-password", key: "password" } } },
    });
    expect(spec.authorization.type).toBe("simple");
  });

  it("makes Pulumi wait until the User Operator has put the credential and ACLs in Kafka (Ready), like the cluster", () => {
    expect(user.metadata.annotations).toEqual(kafka(prod.kafka.strimzi, prod.kafka, CLIENTS).metadata.annotations);
    expect(user.metadata.annotations).toEqual({ "pulumi.com/waitFor": "condition=Ready" });
  });

  it("may read, write and describe exactly the catalog topics", () => {
    const topicAcls = acls.filter((acl) => acl.resource.type === "topic");
    expect(topicAcls.map((acl) => acl.resource.name)).toEqual(TOPIC_LIST.map((t) => t.name));
    for (const acl of topicAcls) {
      expect(acl.resource.patternType).toBe("literal");
      expect(acl.operations).toEqual(["Describe", "Read", "Write"]);
      expect(acl.host).toBe("*");
    }
  });

  it("may use exactly the subscribing apps' consumer groups, the gateway's as a prefix", () => {
    const groupAcls = acls.filter((acl) => acl.resource.type === "group");
    expect(groupAcls.map((acl) => acl.resource)).toEqual([
      { type: "group", name: "recurring", patternType: "literal" },
      { type: "group", name: "notification", patternType: "literal" },
      { type: "group", name: "gateway-", patternType: "prefix" },
      { type: "group", name: "dead-letters", patternType: "literal" },
    ]);
    for (const acl of groupAcls) expect(acl.operations).toEqual(["Describe", "Read"]);
    // The publish-only backend needs no group.
    expect(groupAcls.map((acl) => acl.resource.name)).not.toContain("backend");
    // A gateway pod (Deployment `gateway`) uses its pod name as its group; the prefix covers it.
    expect("gateway-7d9f8c6b5-x2k4q".startsWith("gateway-")).toBe(true);
    expect(acls).toHaveLength(TOPIC_LIST.length + groupAcls.length);
  });
});

describe("sidecar annotations", () => {
  const sidecar = (logLevel: PlatformProfile["dapr"]["logLevel"]) => ({ ...dev.dapr, logLevel });

  it("tell Dapr the app id, port, protocol, configuration and the sidecar's resources, all as strings", () => {
    expect(sidecarAnnotations(APPS.backend, sidecar("info"))).toEqual({
      "dapr.io/enabled": "true",
      "dapr.io/app-id": "backend",
      "dapr.io/app-port": "3000",
      "dapr.io/app-protocol": "http",
      "dapr.io/config": "event-platform",
      "dapr.io/log-level": "info",
      "dapr.io/enable-api-logging": "false",
      "dapr.io/sidecar-cpu-request": "50m",
      "dapr.io/sidecar-memory-request": "64Mi",
      "dapr.io/sidecar-cpu-limit": "300m",
      "dapr.io/sidecar-memory-limit": "256Mi",
      "dapr.io/app-token-secret": "dapr-app-token-backend",
    });
  });

  it.each(APP_LIST.map((app) => [app.id, app] as const))("%s: every value is a string", (_, app) => {
    const annotations = sidecarAnnotations(app, sidecar("warn"));
    for (const value of Object.values(annotations)) expect(typeof value).toBe("string");
    expect(annotations["dapr.io/app-id"]).toBe(app.id);
    expect(annotations["dapr.io/app-port"]).toBe(String(app.port));
    expect(annotations["dapr.io/config"]).toBe("event-platform");
    expect(annotations["dapr.io/log-level"]).toBe("warn");
    // daprd sends the token of this Secret (key `token`) as dapr-api-token on every call to the app.
    expect(annotations["dapr.io/app-token-secret"]).toBe(appTokenSecretName(app));
  });

  it("gives every app a token Secret of its own", () => {
    const names = APP_LIST.map((app) => appTokenSecretName(app));
    expect(new Set(names).size).toBe(APP_LIST.length);
    expect(appTokenSecretName(APPS.recurring)).toBe("dapr-app-token-recurring");
  });

  it("the token guards the routes only a sidecar calls: event deliveries, and invocations from other apps", () => {
    const publisherOnly = testApp({ publishes: [TOPICS.taskEvents] });
    expect(hasSidecarRoutes(publisherOnly, [publisherOnly])).toBe(false);
    const caller = testApp({ id: "caller", invokes: ["audit"] });
    expect(hasSidecarRoutes(publisherOnly, [publisherOnly, caller])).toBe(true);
    expect(hasSidecarRoutes(APPS.backend)).toBe(true);
    expect(APPS.backend.subscriptions).toEqual([]);
    for (const a of APP_LIST.filter((x) => x.subscriptions.length > 0)) expect(hasSidecarRoutes(a), a.id).toBe(true);
  });

  it("turns API logging on at debug level", () => {
    expect(sidecarAnnotations(APPS.gateway, sidecar("debug"))["dapr.io/enable-api-logging"]).toBe("true");
  });

  it("take the sidecar's requests and limits from the stack's Dapr settings (prod: Dapr's production starting point)", () => {
    const annotations = sidecarAnnotations(APPS.gateway, prod.dapr);
    const { requests, limits } = SIDECAR_RESOURCE_ANNOTATIONS;
    expect({
      requests: { cpu: annotations[requests.cpu], memory: annotations[requests.memory] },
      limits: { cpu: annotations[limits.cpu], memory: annotations[limits.memory] },
    }).toEqual(prod.dapr.sidecarResources);
    expect(prod.dapr.sidecarResources).toEqual({
      requests: { cpu: "100m", memory: "250Mi" },
      limits: { cpu: "300m", memory: "1000Mi" },
    });
  });
});

describe("another catalog", () => {
  // The program is a function of config and catalog: the benchmark plans synthetic ones through these functions.
  const notifications = APPS.notification;
  const apps: AppSpec[] = [notifications];
  const topics = [TOPICS.reminders];

  it("decides the Dapr components' scopes, the subscriptions and the resiliency's scopes", () => {
    const objects = daprResources(DEV_DAPR, apps);
    const scopes = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.scopes);
    expect(scopes("Component")).toEqual([[notifications.id], []]);
    expect(scopes("Subscription")).toEqual([[notifications.id]]);
    expect(scopes("Resiliency")).toEqual([[notifications.id]]);
  });

  it("decides the KafkaTopics and the sidecar user's ACLs", () => {
    expect(kafkaTopics(prod.kafka.strimzi, prod.kafka, topics).map((t) => t.metadata.name)).toEqual(["reminders"]);
    const acls = (
      sidecarUser(prod.kafka.strimzi, PASSWORD_SECRET, apps, topics).spec as { authorization: { acls: Acl[] } }
    ).authorization.acls;
    expect(acls.map((acl) => `${acl.resource.type}:${acl.resource.name}`)).toEqual([
      "topic:reminders",
      `group:${notifications.id}`,
    ]);
  });
});
