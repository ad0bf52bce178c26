// Unit tests of resolveConfig: profile choice by stack name, deep overrides, and ConfigError messages that name key, value and what is allowed.
import { describe, expect, it } from "vitest";
import { dev } from "../stacks/dev";
import { prod } from "../stacks/prod";
import {
  ConfigError,
  maxMinInsyncReplicas,
  type PlatformSecrets,
  quantityValue,
  resolveConfig,
  STRIMZI_KAFKA_VERSIONS,
} from "./config";

// Only the presence of a secret matters to resolveConfig; a fake Output stands in for the real one.
const databaseUrl = {} as NonNullable<PlatformSecrets["databaseUrl"]>;
const kafkaPassword = {} as NonNullable<PlatformSecrets["kafkaPassword"]>;
const smtpPassword = {} as NonNullable<PlatformSecrets["smtpPassword"]>;
const alertWebhookSecret = {} as NonNullable<PlatformSecrets["alertWebhookSecret"]>;
const registryPassword = {} as NonNullable<PlatformSecrets["registryPassword"]>;
const PROD_SECRETS: PlatformSecrets = { databaseUrl };

/** The problem lines of the ConfigError that resolveConfig throws, checked against the error's message. */
function problemsOf(stack: string, raw: Record<string, unknown>, secrets: PlatformSecrets = {}): string[] {
  let thrown: unknown;
  try {
    resolveConfig(stack, raw, secrets);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.name).toBe("ConfigError");
  const [header, ...lines] = error.message.split("\n");
  expect(header).toBe("Invalid stack configuration:");
  expect(lines).toEqual(error.problems.map((problem) => `  - ${problem}`));
  return error.problems;
}

const REDPANDA = {
  mode: "redpanda-cloud",
  bootstrapServers: ["seed-1.cloud.redpanda.com:9092"],
  username: "event-platform",
  replicationFactor: 3,
} as const;

describe("profiles", () => {
  it("gives the dev profile for the dev stack with no overrides", () => {
    const config = resolveConfig("dev", {});
    expect(config).toEqual({ ...dev, stack: "dev", secrets: {} });
    expect(config.environment).toBe("dev");
    expect(config.namespace).toBe("event-platform");
    expect(config.kafka.mode).toBe("strimzi");
    expect(config.kafka.strimzi.nodes).toBe(1);
    expect(config.kafka.strimzi.storage).toEqual({ type: "ephemeral" });
    expect(config.kafka.strimzi.authentication).toBe("none");
    expect(config.kafka.strimzi.kafkaVersion).toBe("4.3.1");
    expect(config.kafka.replicationFactor).toBe(1);
    expect(config.kafka.minInsyncReplicas).toBe(1);
    expect(config.dapr.highAvailability).toBe(false);
    expect(config.postgres.mode).toBe("in-cluster");
    expect(config.apps.replicas).toBe(1);
    expect(config.apps.disruptionBudget).toBe(false);
  });

  it("gives the prod profile for the prod stack with a databaseUrl secret", () => {
    const config = resolveConfig("prod", {}, PROD_SECRETS);
    expect(config).toEqual({ ...prod, stack: "prod", secrets: PROD_SECRETS });
    expect(config.environment).toBe("prod");
    expect(config.kafka.mode).toBe("strimzi");
    expect(config.kafka.strimzi.nodes).toBe(3);
    expect(config.kafka.replicationFactor).toBe(3);
    expect(config.kafka.minInsyncReplicas).toBe(2);
    expect(config.kafka.strimzi.storage).toEqual({ type: "persistent-claim", size: "100Gi" });
    expect(config.kafka.strimzi.authentication).toBe("scram-sha-512");
    expect(config.kafka.saslMechanism).toBe("SHA-512");
    expect(config.dapr.highAvailability).toBe(true);
    expect(config.dapr.inboundRetry).toEqual({ maxRetries: 8, maxInterval: "30s" });
    expect(config.dapr.outboundRetry).toEqual({ maxRetries: 15, maxInterval: "30s" });
    expect(config.postgres.mode).toBe("external");
    expect(config.apps.replicas).toBe(2);
    expect(config.apps.disruptionBudget).toBe(true);
  });

  it("passes the secrets through unchanged and records the stack name", () => {
    const secrets: PlatformSecrets = { databaseUrl, kafkaPassword };
    const config = resolveConfig("prod", {}, secrets);
    expect(config.secrets).toBe(secrets);
    expect(config.stack).toBe("prod");
  });

  it("picks the profile from `profile` for a stack that is not named after one", () => {
    const config = resolveConfig("pr-42", { profile: "prod" }, PROD_SECRETS);
    expect(config.stack).toBe("pr-42");
    expect(config.environment).toBe("prod");
    expect(config.kafka.strimzi.nodes).toBe(3);
    expect(resolveConfig("pr-42", { profile: "dev" }).environment).toBe("dev");
  });

  it("lets `profile` take precedence over the stack name", () => {
    const config = resolveConfig("prod", { profile: "dev" });
    expect(config.stack).toBe("prod");
    expect(config.environment).toBe("dev");
    expect(config.kafka.replicationFactor).toBe(1);
  });

  it("requires `profile` for a stack that is not named after a profile", () => {
    expect(problemsOf("pr-42", {})).toEqual([
      'event-platform:profile is required for stack "pr-42"; allowed: dev, prod',
    ]);
  });

  it("rejects a profile that does not exist", () => {
    expect(problemsOf("pr-42", { profile: "staging" })).toEqual([
      'event-platform:profile: "staging" is not allowed; allowed: dev, prod',
    ]);
  });
});

describe("overrides", () => {
  it("merge deeply: one strimzi key keeps every other strimzi setting", () => {
    const config = resolveConfig("dev", { kafka: { strimzi: { nodes: 3 } } });
    expect(config.kafka.strimzi).toEqual({ ...dev.kafka.strimzi, nodes: 3 });
    expect(config.kafka.strimzi.clusterName).toBe("events");
    expect(config.kafka.strimzi.namespace).toBe("kafka");
    expect(config.kafka.strimzi.storage).toEqual({ type: "ephemeral" });
    expect(config.kafka.replicationFactor).toBe(1);
    expect(config.kafka.mode).toBe("strimzi");
  });

  it("merge deeply into retry policies", () => {
    const config = resolveConfig("dev", { dapr: { inboundRetry: { maxRetries: 3 } } });
    expect(config.dapr.inboundRetry).toEqual({ maxRetries: 3, maxInterval: "10s" });
    expect(config.dapr.outboundRetry).toEqual({ maxRetries: 10, maxInterval: "10s" });
    expect(config.dapr.install).toBe(true);
  });

  it("do not change the shared profile objects", () => {
    resolveConfig("dev", { kafka: { strimzi: { nodes: 5 }, replicationFactor: 3 }, apps: { replicas: 4 } });
    expect(dev.kafka.strimzi.nodes).toBe(1);
    expect(dev.kafka.replicationFactor).toBe(1);
    expect(dev.apps.replicas).toBe(1);
    expect(resolveConfig("dev", {}).kafka.strimzi.nodes).toBe(1);
  });

  it("replace storage as a whole rather than mixing two storage types", () => {
    // prod's storage has a size; an ephemeral override must not keep it (allowed here because Strimzi is not used).
    const config = resolveConfig(
      "prod",
      { kafka: { ...REDPANDA, strimzi: { storage: { type: "ephemeral" } } } },
      {
        databaseUrl,
        kafkaPassword,
      },
    );
    expect(config.kafka.strimzi.storage).toStrictEqual({ type: "ephemeral" });

    const persistent = resolveConfig("dev", {
      kafka: { strimzi: { storage: { type: "persistent-claim", size: "10Gi", storageClass: "fast-ssd" } } },
    });
    expect(persistent.kafka.strimzi.storage).toStrictEqual({
      type: "persistent-claim",
      size: "10Gi",
      storageClass: "fast-ssd",
    });
  });

  it("replace arrays rather than merging them", () => {
    const config = resolveConfig(
      "dev",
      { kafka: { ...REDPANDA, bootstrapServers: ["a.example:9092", "b.example:9092"] } },
      {
        kafkaPassword,
      },
    );
    expect(config.kafka.bootstrapServers).toEqual(["a.example:9092", "b.example:9092"]);
  });

  it("accept every Kafka version Strimzi 1.2.0 runs", () => {
    expect(STRIMZI_KAFKA_VERSIONS).toEqual(["4.2.0", "4.2.1", "4.3.0", "4.3.1"]);
    for (const kafkaVersion of STRIMZI_KAFKA_VERSIONS) {
      expect(resolveConfig("dev", { kafka: { strimzi: { kafkaVersion } } }).kafka.strimzi.kafkaVersion).toBe(
        kafkaVersion,
      );
    }
  });

  it("accept a complete Redpanda Cloud setup with its password", () => {
    const config = resolveConfig(
      "prod",
      { kafka: { ...REDPANDA, saslMechanism: "SHA-256" } },
      {
        databaseUrl,
        kafkaPassword,
      },
    );
    expect(config.kafka.mode).toBe("redpanda-cloud");
    expect(config.kafka.bootstrapServers).toEqual(["seed-1.cloud.redpanda.com:9092"]);
    expect(config.kafka.username).toBe("event-platform");
    expect(config.kafka.saslMechanism).toBe("SHA-256");
    expect(config.kafka.replicationFactor).toBe(3);
  });

  it("accept in-cluster PostgreSQL in prod without a databaseUrl", () => {
    expect(resolveConfig("prod", { postgres: { mode: "in-cluster" } }).postgres.mode).toBe("in-cluster");
  });
});

describe("shape errors", () => {
  it("rejects ZooKeeper as a Kafka mode", () => {
    expect(problemsOf("dev", { kafka: { mode: "zookeeper" } })).toEqual([
      'event-platform:kafka.mode: "zookeeper" is not allowed; allowed: strimzi, redpanda-cloud, external',
    ]);
  });

  it("rejects zero nodes", () => {
    expect(problemsOf("dev", { kafka: { strimzi: { nodes: 0 } } })).toEqual([
      "event-platform:kafka.strimzi.nodes: 0 is not allowed; it must be >= 1",
    ]);
  });

  it("rejects a fractional node count", () => {
    expect(problemsOf("dev", { kafka: { strimzi: { nodes: 1.5 } } })).toEqual([
      "event-platform:kafka.strimzi.nodes: 1.5 is not allowed; it must be integer",
    ]);
  });

  it("rejects an unknown key", () => {
    expect(problemsOf("dev", { kafka: { bogus: true } })).toEqual([
      "event-platform:kafka.bogus is not a known setting",
    ]);
  });

  it("rejects an unknown top-level key", () => {
    expect(problemsOf("dev", { kafkaa: {} })).toEqual(["event-platform:kafkaa is not a known setting"]);
  });

  it("rejects a value of the wrong type", () => {
    expect(problemsOf("dev", { kafka: { replicationFactor: "x" } })).toEqual([
      'event-platform:kafka.replicationFactor: "x" is not allowed; it must be integer',
    ]);
  });

  it("rejects a Kafka version Strimzi 1.2.0 cannot run, listing the allowed ones", () => {
    expect(problemsOf("dev", { kafka: { strimzi: { kafkaVersion: "3.6.0" } } })).toEqual([
      'event-platform:kafka.strimzi.kafkaVersion: "3.6.0" is not allowed; allowed: 4.2.0, 4.2.1, 4.3.0, 4.3.1',
    ]);
  });

  it("rejects a SASL mechanism spelled the way Dapr silently downgrades to PLAIN", () => {
    expect(problemsOf("dev", { kafka: { saslMechanism: "SCRAM-SHA-256" } })).toEqual([
      'event-platform:kafka.saslMechanism: "SCRAM-SHA-256" is not allowed; allowed: SHA-256, SHA-512',
    ]);
  });

  it("rejects a bootstrap list given as one comma-separated string", () => {
    expect(problemsOf("dev", { kafka: { bootstrapServers: ["a.example:9092,b.example:9092"] } })).toEqual([
      'event-platform:kafka.bootstrapServers.0: "a.example:9092,b.example:9092" is not allowed; it must match pattern "^[^\\s,]+:[0-9]+$"',
    ]);
  });

  it("rejects a storage of neither allowed shape", () => {
    expect(problemsOf("dev", { kafka: { strimzi: { storage: { type: "persistent-claim" } } } })).toEqual([
      'event-platform:kafka.strimzi.storage: {"type":"persistent-claim"} is not allowed; allowed: {type: "ephemeral"} or {type: "persistent-claim", size, storageClass?}',
    ]);
  });

  it("rejects an unknown log level", () => {
    expect(problemsOf("dev", { dapr: { logLevel: "trace" } })).toEqual([
      'event-platform:dapr.logLevel: "trace" is not allowed; allowed: debug, info, warn, error',
    ]);
  });

  it("reports several problems together", () => {
    expect(
      problemsOf("dev", {
        kafka: { mode: "zookeeper", strimzi: { nodes: 0 }, bogus: 1 },
        apps: { replicas: "2" },
      }),
    ).toEqual([
      "event-platform:kafka.bogus is not a known setting",
      'event-platform:kafka.mode: "zookeeper" is not allowed; allowed: strimzi, redpanda-cloud, external',
      "event-platform:kafka.strimzi.nodes: 0 is not allowed; it must be >= 1",
      'event-platform:apps.replicas: "2" is not allowed; it must be integer',
    ]);
  });
});

describe("rule errors", () => {
  it("rejects replication 1 and min.insync.replicas 1 in prod", () => {
    expect(problemsOf("prod", { kafka: { replicationFactor: 1, minInsyncReplicas: 1 } }, PROD_SECRETS)).toEqual([
      "event-platform:kafka.replicationFactor: 1 is too low for prod; allowed: 3 or more",
      "event-platform:kafka.minInsyncReplicas: 1 is too low for prod; allowed: 2 or more",
    ]);
  });

  it("rejects replication 1 in prod, where min.insync.replicas 2 then exceeds it too", () => {
    expect(problemsOf("prod", { kafka: { replicationFactor: 1 } }, PROD_SECRETS)).toEqual([
      "event-platform:kafka.minInsyncReplicas: 2 is not allowed with event-platform:kafka.replicationFactor 1; allowed: 1 (it cannot exceed the replication factor)",
      "event-platform:kafka.replicationFactor: 1 is too low for prod; allowed: 3 or more",
    ]);
  });

  it("rejects a replication factor above the Strimzi node count", () => {
    expect(problemsOf("dev", { kafka: { replicationFactor: 2 } })).toEqual([
      "event-platform:kafka.replicationFactor: 2 exceeds the broker count event-platform:kafka.strimzi.nodes (1)",
    ]);
    expect(problemsOf("prod", { kafka: { strimzi: { nodes: 2 } } }, PROD_SECRETS)).toEqual([
      "event-platform:kafka.replicationFactor: 3 exceeds the broker count event-platform:kafka.strimzi.nodes (2)",
    ]);
  });

  it("accepts a replication factor equal to the node count", () => {
    const config = resolveConfig("dev", {
      kafka: { strimzi: { nodes: 3 }, replicationFactor: 3, minInsyncReplicas: 2 },
    });
    expect(config.kafka.replicationFactor).toBe(3);
    expect(config.kafka.minInsyncReplicas).toBe(2);
  });

  it("rejects min.insync.replicas above the replication factor", () => {
    expect(problemsOf("dev", { kafka: { minInsyncReplicas: 2 } })).toEqual([
      "event-platform:kafka.minInsyncReplicas: 2 is not allowed with event-platform:kafka.replicationFactor 1; allowed: 1 (it cannot exceed the replication factor)",
    ]);
    expect(problemsOf("prod", { kafka: { minInsyncReplicas: 4 } }, PROD_SECRETS)).toEqual([
      "event-platform:kafka.minInsyncReplicas: 4 is not allowed with event-platform:kafka.replicationFactor 3; allowed: 1 to 2 (at most the replication factor - 1: with acks=all, a value equal to the replication factor stops every write while one broker restarts)",
    ]);
  });

  it("rejects min.insync.replicas equal to a replication factor above 1: every broker restart would stop all writes", () => {
    expect(problemsOf("prod", { kafka: { minInsyncReplicas: 3 } }, PROD_SECRETS)).toEqual([
      "event-platform:kafka.minInsyncReplicas: 3 is not allowed with event-platform:kafka.replicationFactor 3; allowed: 1 to 2 (at most the replication factor - 1: with acks=all, a value equal to the replication factor stops every write while one broker restarts)",
    ]);
    expect(problemsOf("dev", { kafka: { strimzi: { nodes: 2 }, replicationFactor: 2, minInsyncReplicas: 2 } })).toEqual(
      [
        "event-platform:kafka.minInsyncReplicas: 2 is not allowed with event-platform:kafka.replicationFactor 2; allowed: 1 (at most the replication factor - 1: with acks=all, a value equal to the replication factor stops every write while one broker restarts)",
      ],
    );
    // One replica (dev) can only ever have one in sync.
    expect(resolveConfig("dev", {}).kafka).toMatchObject({ replicationFactor: 1, minInsyncReplicas: 1 });
    const five = resolveConfig("dev", { kafka: { strimzi: { nodes: 5 }, replicationFactor: 5, minInsyncReplicas: 4 } });
    expect(five.kafka.minInsyncReplicas).toBe(4);
    expect(maxMinInsyncReplicas(1)).toBe(1);
    expect(maxMinInsyncReplicas(3)).toBe(2);
  });

  it("requires bootstrap servers, a username and the password secret for Redpanda Cloud, all at once", () => {
    expect(problemsOf("dev", { kafka: { mode: "redpanda-cloud", replicationFactor: 3 } })).toEqual([
      "event-platform:kafka.bootstrapServers is required when event-platform:kafka.mode is redpanda-cloud",
      "event-platform:kafka.username is required when event-platform:kafka.mode is redpanda-cloud",
      "event-platform:kafkaPassword is required when event-platform:kafka.mode is redpanda-cloud: pulumi config set --secret kafkaPassword <password>",
    ]);
  });

  it("requires the kafkaPassword secret on Redpanda Cloud", () => {
    expect(problemsOf("dev", { kafka: REDPANDA })).toEqual([
      "event-platform:kafkaPassword is required when event-platform:kafka.mode is redpanda-cloud: pulumi config set --secret kafkaPassword <password>",
    ]);
  });

  it("rejects any replication factor but 3 on Redpanda Cloud", () => {
    expect(problemsOf("dev", { kafka: { ...REDPANDA, replicationFactor: 1 } }, { kafkaPassword })).toEqual([
      "event-platform:kafka.replicationFactor: 1 is not allowed on Redpanda Cloud; allowed: 3 (Redpanda resets any other value to 3)",
    ]);
  });

  it("requires bootstrap servers for an external cluster, and SASL in prod", () => {
    expect(problemsOf("dev", { kafka: { mode: "external" } })).toEqual([
      "event-platform:kafka.bootstrapServers is required when event-platform:kafka.mode is external",
    ]);
    expect(
      problemsOf("prod", { kafka: { mode: "external", bootstrapServers: ["kafka.example:9093"] } }, PROD_SECRETS),
    ).toEqual(["event-platform:kafka.username is required in prod: the external cluster must use SASL SCRAM over TLS"]);
  });

  it("requires the databaseUrl secret for external PostgreSQL in prod", () => {
    expect(problemsOf("prod", {})).toEqual([
      "event-platform:databaseUrl is required when event-platform:postgres.mode is external: pulumi config set --secret databaseUrl <postgres://...>",
    ]);
  });

  it("rejects unauthenticated, ephemeral Strimzi in prod", () => {
    expect(
      problemsOf(
        "prod",
        { kafka: { strimzi: { authentication: "none", storage: { type: "ephemeral" } } } },
        PROD_SECRETS,
      ),
    ).toEqual([
      'event-platform:kafka.strimzi.authentication: "none" is not allowed in prod; allowed: scram-sha-512',
      "event-platform:kafka.strimzi.storage: ephemeral storage is not allowed in prod; allowed: persistent-claim",
    ]);
  });

  it("reports every rule problem together", () => {
    expect(
      problemsOf("pr-7", {
        profile: "prod",
        kafka: { replicationFactor: 4, minInsyncReplicas: 5, strimzi: { authentication: "none" } },
      }),
    ).toEqual([
      "event-platform:kafka.minInsyncReplicas: 5 is not allowed with event-platform:kafka.replicationFactor 4; allowed: 1 to 3 (at most the replication factor - 1: with acks=all, a value equal to the replication factor stops every write while one broker restarts)",
      "event-platform:kafka.replicationFactor: 4 exceeds the broker count event-platform:kafka.strimzi.nodes (3)",
      "event-platform:databaseUrl is required when event-platform:postgres.mode is external: pulumi config set --secret databaseUrl <postgres://...>",
      'event-platform:kafka.strimzi.authentication: "none" is not allowed in prod; allowed: scram-sha-512',
    ]);
  });
});

describe("Dapr sidecar resources", () => {
  it("default to small requests and limits in dev and Dapr's production starting point in prod", () => {
    expect(resolveConfig("dev", {}).dapr.sidecarResources).toEqual({
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { cpu: "300m", memory: "256Mi" },
    });
    expect(resolveConfig("prod", {}, PROD_SECRETS).dapr.sidecarResources).toEqual({
      requests: { cpu: "100m", memory: "250Mi" },
      limits: { cpu: "300m", memory: "1000Mi" },
    });
  });

  it("take a stack's own values", () => {
    const sidecarResources = { requests: { cpu: "0.2", memory: "300Mi" }, limits: { cpu: "1", memory: "1Gi" } };
    expect(resolveConfig("dev", { dapr: { sidecarResources } }).dapr.sidecarResources).toEqual(sidecarResources);
  });

  it("reject a value that is not a Kubernetes quantity, and a missing limit", () => {
    expect(
      problemsOf("dev", {
        dapr: { sidecarResources: { requests: { cpu: "100 millicores", memory: "64Mi" }, limits: { cpu: "1" } } },
      }),
    ).toEqual([
      'event-platform:dapr.sidecarResources.requests.cpu: "100 millicores" is not allowed; it must match pattern "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$"',
      'event-platform:dapr.sidecarResources.limits: {"cpu":"1"} is not allowed; it must have required property \'memory\'',
    ]);
  });

  it("reject requests above limits, for the sidecar and for the apps, naming both keys", () => {
    expect(
      problemsOf("dev", {
        dapr: { sidecarResources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "0.5", memory: "1Gi" } } },
        apps: { resources: { requests: { cpu: "2", memory: "128Mi" }, limits: { cpu: "1500m", memory: "128Mi" } } },
      }),
    ).toEqual([
      'event-platform:apps.resources.requests.cpu: "2" is not allowed above event-platform:apps.resources.limits.cpu ("1500m"); allowed: at most the limit (Kubernetes refuses a pod whose request exceeds its limit)',
      'event-platform:dapr.sidecarResources.requests.memory: "2Gi" is not allowed above event-platform:dapr.sidecarResources.limits.memory ("1Gi"); allowed: at most the limit (Kubernetes refuses a pod whose request exceeds its limit)',
    ]);
  });

  it("compare quantities by value across suffixes", () => {
    expect(quantityValue("250m")).toBe(0.25);
    expect(quantityValue("1.5")).toBe(1.5);
    expect(quantityValue("1Gi")).toBe(1024 ** 3);
    expect(quantityValue("1000Mi")).toBeLessThan(quantityValue("1G") * 1.05);
    expect(quantityValue("1000Mi")).toBeGreaterThan(quantityValue("1G"));
    expect(() => quantityValue("1 Gi")).toThrow('Not a Kubernetes quantity: "1 Gi"');
  });
});

describe("network", () => {
  it("lets users in from the ingress-nginx namespace by default, in dev and prod", () => {
    expect(resolveConfig("dev", {}).network).toEqual({ ingressFrom: [{ namespace: "ingress-nginx" }] });
    expect(resolveConfig("prod", {}, PROD_SECRETS).network).toEqual({ ingressFrom: [{ namespace: "ingress-nginx" }] });
  });

  it("takes namespaces with pod labels and IP blocks, or nothing at all", () => {
    const ingressFrom = [
      { namespace: "traefik", podLabels: { "app.kubernetes.io/name": "traefik" } },
      { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] },
      { cidr: "fd00::/8" },
    ];
    expect(resolveConfig("dev", { network: { ingressFrom } }).network.ingressFrom).toEqual(ingressFrom);
    expect(resolveConfig("dev", { network: { ingressFrom: [] } }).network.ingressFrom).toEqual([]);
  });

  it("rejects a source of neither shape, a bad CIDR and a bad label, naming each", () => {
    expect(
      problemsOf("dev", {
        network: {
          ingressFrom: [
            { namespace: "Ingress_NGINX" },
            { cidr: "10.0.0.0/33" },
            { namespace: "traefik", podLabels: { "-bad": "x" } },
            { ip: "10.0.0.1" },
          ],
        },
      }),
    ).toEqual([
      'event-platform:network.ingressFrom.0: {"namespace":"Ingress_NGINX"} is not allowed; allowed: {namespace, podLabels?} or {cidr, except?}',
      'event-platform:network.ingressFrom.1: {"cidr":"10.0.0.0/33"} is not allowed; allowed: {namespace, podLabels?} or {cidr, except?}',
      'event-platform:network.ingressFrom.2: {"namespace":"traefik","podLabels":{"-bad":"x"}} is not allowed; allowed: {namespace, podLabels?} or {cidr, except?}',
      'event-platform:network.ingressFrom.3: {"ip":"10.0.0.1"} is not allowed; allowed: {namespace, podLabels?} or {cidr, except?}',
    ]);
    expect(problemsOf("dev", { network: { egress: [] } })).toEqual([
      "event-platform:network.egress is not a known setting",
    ]);
  });

  it("takes the external PostgreSQL server's port, 5432 by default", () => {
    expect(resolveConfig("prod", {}, PROD_SECRETS).postgres.port).toBe(5432);
    expect(resolveConfig("prod", { postgres: { port: 6543 } }, PROD_SECRETS).postgres.port).toBe(6543);
    expect(problemsOf("prod", { postgres: { port: 70000 } }, PROD_SECRETS)).toEqual([
      "event-platform:postgres.port: 70000 is not allowed; it must be <= 65535",
    ]);
  });

  it("takes the OTLP endpoint as host:port (its port opens the sidecars' egress), or none", () => {
    expect(resolveConfig("dev", { dapr: { otlpEndpoint: "otel.observability.svc:4317" } }).dapr.otlpEndpoint).toBe(
      "otel.observability.svc:4317",
    );
    expect(resolveConfig("dev", { dapr: { otlpEndpoint: "" } }).dapr.otlpEndpoint).toBe("");
    expect(problemsOf("dev", { dapr: { otlpEndpoint: "http://otel:4317" } })).toEqual([
      'event-platform:dapr.otlpEndpoint: "http://otel:4317" is not allowed; it must match pattern "^$|^[^\\s:/]+:[0-9]{1,5}$"',
    ]);
  });
});

describe("the notification service, the dead-letter desk and user authentication", () => {
  const SMTP = { host: "smtp.example.com", from: "Tasks <tasks@example.com>" };

  it("default to no email channel, webhooks on 443 and 80 at public addresses, no alerts, roles and operator, in dev and prod", () => {
    for (const config of [resolveConfig("dev", {}), resolveConfig("prod", {}, PROD_SECRETS)]) {
      expect(config.notification).toEqual({
        smtp: { host: "", port: 587, secure: false, from: "", user: "" },
        webhookPorts: [443, 80],
        webhookTimeoutMs: 10_000,
        webhookAllowPrivateAddresses: false,
      });
      expect(config.deadLetters).toEqual({ alertWebhookUrl: "" });
      expect(config.auth).toEqual({ rolesClaim: "roles", operatorRole: "operator" });
    }
  });

  it("take an SMTP server with a user and its password secret, key by key", () => {
    const config = resolveConfig(
      "prod",
      { notification: { smtp: { ...SMTP, port: 465, secure: true, user: "mailer" } } },
      { ...PROD_SECRETS, smtpPassword },
    );
    expect(config.notification.smtp).toEqual({ ...SMTP, port: 465, secure: true, user: "mailer" });
    expect(config.notification.webhookPorts).toEqual([443, 80]);
    expect(config.secrets.smtpPassword).toBe(smtpPassword);
    expect(
      resolveConfig("dev", { notification: { smtp: { host: "10.0.0.25", from: "t@example.com" } } }).notification.smtp,
    ).toMatchObject({ host: "10.0.0.25", port: 587, user: "" });
  });

  it("require the sender with an SMTP server, the password with a user, and a server for either", () => {
    expect(problemsOf("dev", { notification: { smtp: { host: "smtp.example.com" } } })).toEqual([
      'event-platform:notification.smtp.from is required when event-platform:notification.smtp.host is set: the sender of every email, such as "Tasks <tasks@example.com>"',
    ]);
    expect(problemsOf("dev", { notification: { smtp: { ...SMTP, user: "mailer" } } })).toEqual([
      "event-platform:smtpPassword is required when event-platform:notification.smtp.user is set: pulumi config set --secret smtpPassword <password>",
    ]);
    expect(problemsOf("dev", { notification: { smtp: SMTP } }, { smtpPassword })).toEqual([
      "event-platform:smtpPassword is set but event-platform:notification.smtp.user is not; set the user it belongs to, or remove it: pulumi config rm smtpPassword",
    ]);
    expect(
      problemsOf("dev", { notification: { smtp: { from: "t@example.com", user: "mailer" } } }, { smtpPassword }),
    ).toEqual([
      'event-platform:notification.smtp.from: "t@example.com" is not allowed without event-platform:notification.smtp.host; set the host to turn the email channel on, or leave from unset',
      'event-platform:notification.smtp.user: "mailer" is not allowed without event-platform:notification.smtp.host; set the host to turn the email channel on, or leave user unset',
    ]);
  });

  it("reject a malformed host, sender, port, webhook port list and timeout, naming each", () => {
    expect(
      problemsOf("dev", {
        notification: {
          smtp: { host: "smtp://mail.example.com", from: "tasks at example.com", port: 0 },
          webhookPorts: [443, 443],
          webhookTimeoutMs: 10,
        },
      }),
    ).toEqual([
      'event-platform:notification.smtp.host: "smtp://mail.example.com" is not allowed; allowed: a host name or an IP address, or empty for none',
      "event-platform:notification.smtp.port: 0 is not allowed; it must be >= 1",
      'event-platform:notification.smtp.from: "tasks at example.com" is not allowed; allowed: an email address such as "tasks@example.com" or "Tasks <tasks@example.com>", or empty for none',
      "event-platform:notification.webhookPorts: [443,443] is not allowed; it must NOT have duplicate items (items ## 1 and 0 are identical)",
      "event-platform:notification.webhookTimeoutMs: 10 is not allowed; it must be >= 100",
    ]);
  });

  it("allow private webhook addresses in dev only", () => {
    const allow = { notification: { webhookAllowPrivateAddresses: true } };
    expect(resolveConfig("dev", allow).notification.webhookAllowPrivateAddresses).toBe(true);
    expect(problemsOf("prod", allow, PROD_SECRETS)).toEqual([
      "event-platform:notification.webhookAllowPrivateAddresses: true is not allowed in prod; allowed: false (a user's webhook URL could otherwise reach into the cluster, or the cloud's metadata endpoint)",
    ]);
  });

  it("take an alert webhook URL with or without its secret, and never the secret alone", () => {
    const url = "https://alerts.example.com/hooks/dead-letters";
    expect(resolveConfig("dev", { deadLetters: { alertWebhookUrl: url } }).deadLetters.alertWebhookUrl).toBe(url);
    expect(resolveConfig("dev", { deadLetters: { alertWebhookUrl: url } }, { alertWebhookSecret }).secrets).toEqual({
      alertWebhookSecret,
    });
    expect(problemsOf("dev", {}, { alertWebhookSecret })).toEqual([
      "event-platform:alertWebhookSecret is set but event-platform:deadLetters.alertWebhookUrl is not; set the URL the alerts go to, or remove the secret: pulumi config rm alertWebhookSecret",
    ]);
  });

  it("reject an alert URL that is not http(s), does not parse, or carries credentials (without repeating them)", () => {
    expect(problemsOf("dev", { deadLetters: { alertWebhookUrl: "ftp://alerts.example.com" } })).toEqual([
      'event-platform:deadLetters.alertWebhookUrl: "ftp://alerts.example.com" is not allowed; allowed: an http:// or https:// URL, or empty for none',
    ]);
    expect(problemsOf("dev", { deadLetters: { alertWebhookUrl: "https://alerts.example.com:99999/" } })).toEqual([
      'event-platform:deadLetters.alertWebhookUrl: "https://alerts.example.com:99999/" is not allowed; allowed: an http(s) URL',
    ]);
    const problems = problemsOf("dev", { deadLetters: { alertWebhookUrl: "https://ops:hunter2@alerts.example.com/" } });
    expect(problems).toEqual([
      "event-platform:deadLetters.alertWebhookUrl: a URL with credentials is not allowed; allowed: an http(s) URL without user or password (the receiver checks the alerts' signature instead)",
    ]);
  });

  it("take the roles claim and the operator role, not empty", () => {
    expect(resolveConfig("dev", { auth: { rolesClaim: "groups" } }).auth).toEqual({
      rolesClaim: "groups",
      operatorRole: "operator",
    });
    expect(problemsOf("dev", { auth: { operatorRole: "" } })).toEqual([
      'event-platform:auth.operatorRole: "" is not allowed; it must NOT have fewer than 1 characters',
    ]);
  });
});

describe("image source", () => {
  it("is build in dev, to the local registry of the README's kind recipe, and prebuilt in prod, the release's images", () => {
    expect(resolveConfig("dev", {}).apps).toMatchObject({
      imageSource: "build",
      imageRegistry: "localhost:5001",
      registryUsername: "",
      buildPlatforms: ["linux/amd64"],
      buildCache: true,
    });
    expect(resolveConfig("prod", {}, PROD_SECRETS).apps).toMatchObject({
      imageSource: "prebuilt",
      imageRegistry: "ghcr.io/event-platform",
      imageTag: "0.1.0",
    });
  });

  it("takes either source, a registry login with its password, and the build platforms", () => {
    const config = resolveConfig(
      "prod",
      {
        apps: {
          imageSource: "build",
          imageRegistry: "registry.example.com:5000/team",
          registryUsername: "ci",
          buildPlatforms: ["linux/amd64", "linux/arm64"],
        },
      },
      { ...PROD_SECRETS, registryPassword },
    );
    expect(config.apps).toMatchObject({
      imageSource: "build",
      imageRegistry: "registry.example.com:5000/team",
      registryUsername: "ci",
      buildPlatforms: ["linux/amd64", "linux/arm64"],
    });
    expect(config.secrets.registryPassword).toBe(registryPassword);
    expect(resolveConfig("dev", { apps: { imageSource: "prebuilt" } }).apps.imageSource).toBe("prebuilt");
  });

  it("rejects an unknown source, a registry that is no image reference's start, and an unknown platform", () => {
    expect(
      problemsOf("dev", {
        apps: { imageSource: "pull", imageRegistry: "https://ghcr.io/Org", buildPlatforms: ["linux/s390x"] },
      }),
    ).toEqual([
      'event-platform:apps.imageSource: "pull" is not allowed; allowed: build, prebuilt',
      'event-platform:apps.imageRegistry: "https://ghcr.io/Org" is not allowed; allowed: a registry host with an optional port and path in lower case, such as ghcr.io/my-org or localhost:5001',
      'event-platform:apps.buildPlatforms.0: "linux/s390x" is not allowed; allowed: linux/amd64, linux/arm64',
    ]);
  });

  it("rejects digests for built images, and a registry login without its password, or for prebuilt images", () => {
    const digest = `sha256:${"b2".repeat(32)}`;
    expect(problemsOf("dev", { apps: { imageDigests: { backend: digest, gateway: digest } } })).toEqual([
      "event-platform:apps.imageDigests (backend, gateway) is not allowed with event-platform:apps.imageSource build: a built app runs the digest its build pushed; allowed: apps.imageSource prebuilt to run given digests, or no digests",
    ]);
    expect(problemsOf("dev", { apps: { registryUsername: "ci" } })).toEqual([
      "event-platform:registryPassword is required when event-platform:apps.registryUsername is set: pulumi config set --secret registryPassword <password or token>",
    ]);
    expect(problemsOf("dev", {}, { registryPassword })).toEqual([
      "event-platform:registryPassword is set but event-platform:apps.registryUsername is not; set the user it belongs to, or remove it: pulumi config rm registryPassword",
    ]);
    expect(problemsOf("prod", { apps: { registryUsername: "ci" } }, { ...PROD_SECRETS, registryPassword })).toEqual([
      'event-platform:apps.registryUsername: "ci" is not allowed with event-platform:apps.imageSource prebuilt, which pushes nothing; allowed: apps.imageSource build, or leave it unset (a cluster pulls private images with its own imagePullSecrets)',
    ]);
  });
});

describe("image digests", () => {
  const DIGEST = `sha256:${"a1".repeat(32)}`;

  it("are none by default: every image by its tag", () => {
    expect(resolveConfig("dev", {}).apps.imageDigests).toEqual({});
    expect(resolveConfig("prod", {}, PROD_SECRETS).apps.imageDigests).toEqual({});
    expect(resolveConfig("dev", {}).postgres.imageDigest).toBeUndefined();
  });

  it("take a digest per app id and one for PostgreSQL", () => {
    const config = resolveConfig("dev", {
      apps: { imageSource: "prebuilt", imageDigests: { backend: DIGEST, "dead-letters": DIGEST } },
      postgres: { imageDigest: DIGEST },
    });
    expect(config.apps.imageDigests).toEqual({ backend: DIGEST, "dead-letters": DIGEST });
    expect(config.apps.imageTag).toBe("dev");
    expect(config.postgres).toMatchObject({ image: "postgres:17.6", imageDigest: DIGEST });
  });

  it("reject a digest that is not sha256 and 64 hex digits, and an app the catalog does not have", () => {
    expect(
      problemsOf("dev", {
        apps: { imageSource: "prebuilt", imageDigests: { backend: "sha256:abc", frontend: DIGEST } },
        postgres: { imageDigest: `sha512:${"0".repeat(128)}` },
      }),
    ).toEqual([
      `event-platform:postgres.imageDigest: "sha512:${"0".repeat(128)}" is not allowed; it must match pattern "^sha256:[a-f0-9]{64}$"`,
      "event-platform:apps.imageDigests.frontend is not a known setting",
      'event-platform:apps.imageDigests.backend: "sha256:abc" is not allowed; it must match pattern "^sha256:[a-f0-9]{64}$"',
    ]);
  });

  it("reject a PostgreSQL digest beside an image that is pinned already", () => {
    expect(problemsOf("dev", { postgres: { image: `postgres@${DIGEST}`, imageDigest: DIGEST } })).toEqual([
      `event-platform:postgres.imageDigest: "${DIGEST}" is not allowed with event-platform:postgres.image "postgres@${DIGEST}", which is pinned already; allowed: one of them (the image as name:tag with the digest apart)`,
    ]);
  });
});

describe("stack names", () => {
  it("treats a stack named like an Object property as a stack without a profile", () => {
    expect(() => resolveConfig("constructor", {})).toThrow(
      'event-platform:profile is required for stack "constructor"; allowed: dev, prod',
    );
  });
});

describe("the live board's public addresses", () => {
  it("default to port-forwarded localhost in dev and to no board in prod", () => {
    expect(resolveConfig("dev", {}).board).toEqual({
      origin: "http://localhost:3003",
      backendUrl: "http://localhost:3000",
    });
    expect(resolveConfig("prod", {}, PROD_SECRETS).board).toEqual({ origin: "", backendUrl: "" });
  });

  it("takes both, or neither", () => {
    const board = { origin: "https://tasks.example.com", backendUrl: "https://api.example.com" };
    expect(resolveConfig("prod", { board }, PROD_SECRETS).board).toEqual(board);
    expect(resolveConfig("dev", { board: { origin: "", backendUrl: "" } }).board).toEqual({
      origin: "",
      backendUrl: "",
    });
    expect(problemsOf("prod", { board: { origin: "https://tasks.example.com" } }, PROD_SECRETS)).toEqual([
      "event-platform:board.backendUrl is required when event-platform:board.origin is set: the board needs both, or neither to serve no board",
    ]);
    expect(problemsOf("dev", { board: { origin: "" } })).toEqual([
      "event-platform:board.origin is required when event-platform:board.backendUrl is set: the board needs both, or neither to serve no board",
    ]);
  });

  it("refuses an origin that is not as browsers send it, and credentials in the backend's URL", () => {
    expect(problemsOf("dev", { board: { origin: "https://tasks.example.com/" } })).toEqual([
      'event-platform:board.origin: "https://tasks.example.com/" must be written as a browser sends it: https://tasks.example.com',
    ]);
    expect(problemsOf("dev", { board: { origin: "https://tasks.example.com/board" } })).toEqual([
      'event-platform:board.origin: "https://tasks.example.com/board" must be an origin scheme://host[:port], without a user, path, query or fragment',
    ]);
    expect(problemsOf("dev", { board: { origin: "ws://tasks.example.com" } })[0]).toMatch(
      /^event-platform:board\.origin: "ws:\/\/tasks\.example\.com" is not allowed; allowed: an http:\/\/ or https:\/\/ URL/,
    );
    expect(problemsOf("dev", { board: { backendUrl: "https://ops:pw@api.example.com" } })).toEqual([
      "event-platform:board.backendUrl: a URL with credentials is not allowed; every browser that loads the board receives it",
    ]);
  });
});
