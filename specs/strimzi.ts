// Strimzi 1.2 (`kafka.strimzi.io/v1`) resources as pure functions of config and the catalogs: node pool, Kafka, topics, the sidecars' user.
import { TOPIC_LIST, type TopicSpec, topicConfig } from "@event-platform/events/src/topics";
import type { StrimziSettings } from "../stacks/profile";
import { APP_LIST, type AppSpec } from "./apps";
import type { KubernetesObject } from "./dapr";
import type { KafkaEndpoint, NetworkPolicyPeer } from "./network";

const API_VERSION = "kafka.strimzi.io/v1";
export const NODE_POOL_NAME = "dual-role";
/** The KafkaUser (and its password Secret) the Dapr sidecars authenticate as. */
export const SIDECAR_USER = "dapr-sidecars";
const PLAIN_PORT = 9092;
const SCRAM_TLS_PORT = 9093;

export interface StrimziTopicSettings {
  replicationFactor: number;
  minInsyncReplicas: number;
}

const clusterLabel = (s: StrimziSettings) => ({ "strimzi.io/cluster": s.clusterName });

/**
 * Has Pulumi wait until the operator reports the resource Ready before it creates what depends on it (the
 * `pulumi.com/waitFor` annotation of pulumi-kubernetes 4.18 and later; Pulumi does not wait for custom resources
 * otherwise).
 */
export const WAIT_FOR_READY = { "pulumi.com/waitFor": "condition=Ready" } as const;

/** Where clients connect: the plain listener in dev, SCRAM over TLS otherwise. */
export function bootstrapAddress(s: StrimziSettings): string {
  return `${s.clusterName}-kafka-bootstrap.${s.namespace}.svc:${listenerPort(s)}`;
}

/** Secret (in the Kafka namespace) holding the cluster CA certificate, `ca.crt`. */
export function clusterCaCertSecretName(s: StrimziSettings): string {
  return `${s.clusterName}-cluster-ca-cert`;
}

/** Secret (in the Kafka namespace) holding the cluster CA key, `ca.key`. */
export function clusterCaKeySecretName(s: StrimziSettings): string {
  return `${s.clusterName}-cluster-ca`;
}

/** One node pool of dual-role (controller + broker) KRaft nodes. */
export function nodePool(s: StrimziSettings): KubernetesObject {
  const volume =
    s.storage.type === "ephemeral"
      ? { id: 0, type: "ephemeral", kraftMetadata: "shared" }
      : {
          id: 0,
          type: "persistent-claim",
          size: s.storage.size,
          ...(s.storage.storageClass ? { class: s.storage.storageClass } : {}),
          deleteClaim: false,
          kraftMetadata: "shared",
        };
  return {
    apiVersion: API_VERSION,
    kind: "KafkaNodePool",
    metadata: { name: NODE_POOL_NAME, namespace: s.namespace, labels: clusterLabel(s) },
    spec: {
      replicas: s.nodes,
      roles: ["controller", "broker"],
      storage: { type: "jbod", volumes: [volume] },
      resources: s.resources,
    },
  };
}

/** The port of the one listener the sidecars use: the plain one in dev, SCRAM over TLS otherwise. */
export function listenerPort(s: StrimziSettings): number {
  return s.authentication === "none" ? PLAIN_PORT : SCRAM_TLS_PORT;
}

/**
 * The labels of the cluster's broker pods (Strimzi 1.2 `Labels`: `strimzi.io/cluster`, `strimzi.io/kind`,
 * `strimzi.io/broker-role`), which the sidecars connect to after bootstrapping.
 */
export function brokerLabels(s: StrimziSettings): Record<string, string> {
  return { ...clusterLabel(s), "strimzi.io/kind": "Kafka", "strimzi.io/broker-role": "true" };
}

/** Where the sidecars reach the cluster, for their egress NetworkPolicy: its broker pods, on the listener's port. */
export function strimziEndpoint(s: StrimziSettings): KafkaEndpoint {
  return { type: "in-cluster", namespace: s.namespace, brokerLabels: brokerLabels(s), port: listenerPort(s) };
}

/**
 * The Kafka cluster. With SCRAM authentication the cluster uses a CA the program generates (so the sidecars'
 * namespace can hold its certificate without reading it back from the cluster), and simple authorization, so
 * the sidecars' user reaches only what its ACLs allow. Only `clients` may connect to the listener: Strimzi turns
 * the listener's `networkPolicyPeers` into the NetworkPolicy it generates for the brokers (none would let every pod
 * of the cluster connect).
 */
export function kafka(
  s: StrimziSettings,
  topics: StrimziTopicSettings,
  clients: readonly NetworkPolicyPeer[],
): KubernetesObject {
  const secured = s.authentication === "scram-sha-512";
  const networkPolicyPeers = [...clients];
  const listeners = secured
    ? [
        {
          name: "scram",
          port: SCRAM_TLS_PORT,
          type: "internal",
          tls: true,
          authentication: { type: "scram-sha-512" },
          networkPolicyPeers,
        },
      ]
    : [{ name: "plain", port: PLAIN_PORT, type: "internal", tls: false, networkPolicyPeers }];
  return {
    apiVersion: API_VERSION,
    kind: "Kafka",
    metadata: {
      name: s.clusterName,
      namespace: s.namespace,
      annotations: { ...WAIT_FOR_READY },
    },
    spec: {
      kafka: {
        version: s.kafkaVersion,
        listeners,
        ...(secured ? { authorization: { type: "simple" } } : {}),
        config: {
          "offsets.topic.replication.factor": topics.replicationFactor,
          "transaction.state.log.replication.factor": topics.replicationFactor,
          "transaction.state.log.min.isr": topics.minInsyncReplicas,
          "default.replication.factor": topics.replicationFactor,
          "min.insync.replicas": topics.minInsyncReplicas,
          "auto.create.topics.enable": false,
        },
      },
      ...(secured ? { clusterCa: { generateCertificateAuthority: false } } : {}),
      entityOperator: { topicOperator: {}, userOperator: {} },
    },
  };
}

/** A KafkaTopic for a catalog topic, with its partitions, retention and cleanup policy. */
export function kafkaTopic(topic: TopicSpec, s: StrimziSettings, settings: StrimziTopicSettings): KubernetesObject {
  return {
    apiVersion: API_VERSION,
    kind: "KafkaTopic",
    metadata: { name: topic.name, namespace: s.namespace, labels: clusterLabel(s) },
    spec: {
      topicName: topic.name,
      partitions: topic.partitions,
      replicas: settings.replicationFactor,
      config: { ...topicConfig(topic), "min.insync.replicas": String(settings.minInsyncReplicas) },
    },
  };
}

/** Every catalog topic as a KafkaTopic. */
export function kafkaTopics(
  s: StrimziSettings,
  settings: StrimziTopicSettings,
  topics: readonly TopicSpec[] = TOPIC_LIST,
): KubernetesObject[] {
  return topics.map((topic) => kafkaTopic(topic, s, settings));
}

/** Consumer groups the apps' sidecars use: the app id, or the pod name (a prefix) for the gateway's own component. */
function consumerGroups(apps: readonly AppSpec[]): { name: string; patternType: "literal" | "prefix" }[] {
  return apps
    .filter((app) => app.subscriptions.length > 0)
    .map((app) =>
      app.subscriptions.some((sub) => sub.pubsub !== "kafka-pubsub")
        ? { name: `${app.id}-`, patternType: "prefix" as const }
        : { name: app.id, patternType: "literal" as const },
    );
}

/**
 * The sidecars' KafkaUser: SCRAM-SHA-512 with the password from `passwordSecret` (key `password`), allowed only the
 * catalog's topics (read, write, describe) and the apps' consumer groups. The User Operator reports it Ready once the
 * SCRAM credential and the ACLs are in Kafka (and its own Secret exists); Pulumi waits for that before the apps start.
 */
export function sidecarUser(
  s: StrimziSettings,
  passwordSecret: string,
  apps: readonly AppSpec[] = APP_LIST,
  topics: readonly TopicSpec[] = TOPIC_LIST,
): KubernetesObject {
  const topicAcls = topics.map((topic) => ({
    resource: { type: "topic", name: topic.name, patternType: "literal" },
    operations: ["Describe", "Read", "Write"],
    host: "*",
  }));
  const groupAcls = consumerGroups(apps).map((group) => ({
    resource: { type: "group", name: group.name, patternType: group.patternType },
    operations: ["Describe", "Read"],
    host: "*",
  }));
  return {
    apiVersion: API_VERSION,
    kind: "KafkaUser",
    metadata: {
      name: SIDECAR_USER,
      namespace: s.namespace,
      labels: clusterLabel(s),
      annotations: { ...WAIT_FOR_READY },
    },
    spec: {
      authentication: {
        type: "scram-sha-512",
        password: { valueFrom: { secretKeyRef: { name: passwordSecret, key: "password" } } },
      },
      authorization: { type: "simple", acls: [...topicAcls, ...groupAcls] },
    },
  };
}
