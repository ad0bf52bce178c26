// Dapr resources as pure functions of config and the catalogs: pub/sub components, subscriptions, resiliency, configuration.
import type { ContainerResources } from "../stacks/profile";
import {
  APP_LIST,
  type AppSpec,
  type AppSubscription,
  appsUsing,
  GATEWAY_PUBSUB,
  PUBSUB,
  type PubsubName,
} from "./apps";
import { DAPR_ENABLED } from "./pods";
import { subscriptionSpec } from "./subscriptions";

/** A reference to one key of a Kubernetes Secret, read by the sidecar through the Kubernetes secret store. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

/**
 * How the sidecars authenticate to Kafka.
 * - `none`: a plain listener (dev Strimzi); Dapr turns TLS off with `authType: none`.
 * - `scram`: SASL SCRAM over TLS (Redpanda Cloud, prod Strimzi, most managed Kafka); `caCert` when the
 *   brokers' certificate is not signed by a public CA (Strimzi's cluster CA).
 */
export type KafkaAuth =
  | { type: "none" }
  | {
      type: "scram";
      /** Dapr's spelling: exactly `SHA-256` or `SHA-512` (anything else silently falls back to PLAIN). */
      mechanism: "SHA-256" | "SHA-512";
      username: SecretKeyRef;
      password: SecretKeyRef;
      caCert?: SecretKeyRef;
    };

export interface PubsubSettings {
  /** Comma-separated bootstrap servers. */
  brokers: string;
  auth: KafkaAuth;
  /** Kafka protocol version the Sarama client speaks; Dapr's default (2.0.0) predates what Kafka 4 accepts. */
  protocolVersion: string;
  /** Where a new consumer group starts: `oldest` so that nothing published before a group exists is lost. */
  initialOffset: "oldest" | "newest";
}

export interface RetrySettings {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Upper bound of the exponential backoff, as a Go duration (`15s`). */
  maxInterval: string;
}

export interface DaprSettings {
  namespace: string;
  /** Namespace of the Dapr control plane; its sentry issues the sidecars' mTLS certificates. */
  controlPlaneNamespace: string;
  pubsub: PubsubSettings;
  /** Delivery to the apps: bounded, so a poison event reaches the dead-letter topic. */
  inboundRetry: RetrySettings;
  /** Publishing to Kafka. */
  outboundRetry: RetrySettings;
  /** Fraction of requests traced, as a string ("1", "0.1"). */
  tracingSamplingRate: string;
  /** OTLP endpoint for traces, such as `otel-collector.observability.svc:4317`; none keeps tracing in-sidecar. */
  otlpEndpoint?: string;
  logLevel: "debug" | "info" | "warn" | "error";
}

/** A Kubernetes object as the program renders it: plain data, validated against the upstream schemas in tests. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export type MetadataItem = { name: string; value: string } | { name: string; secretKeyRef: SecretKeyRef };

export const CONFIGURATION_NAME = "event-platform";
export const RESILIENCY_NAME = "event-platform";
const INBOUND_RETRY = "pubsubInbound";
const OUTBOUND_RETRY = "pubsubOutbound";

/** The `pubsub.kafka` metadata for one component; secrets only as `secretKeyRef`. */
export function pubsubMetadata(settings: PubsubSettings, consumerGroup?: string): MetadataItem[] {
  const items: MetadataItem[] = [{ name: "brokers", value: settings.brokers }];
  const { auth } = settings;
  if (auth.type === "none") {
    items.push({ name: "authType", value: "none" });
  } else {
    items.push(
      { name: "authType", value: "password" },
      { name: "saslUsername", secretKeyRef: auth.username },
      { name: "saslPassword", secretKeyRef: auth.password },
      { name: "saslMechanism", value: auth.mechanism },
      { name: "disableTls", value: "false" },
    );
    if (auth.caCert) items.push({ name: "caCert", secretKeyRef: auth.caCert });
  }
  items.push(
    { name: "version", value: settings.protocolVersion },
    { name: "initialOffset", value: settings.initialOffset },
  );
  if (consumerGroup) items.push({ name: "consumerGroup", value: consumerGroup });
  return items;
}

function component(
  name: PubsubName,
  settings: DaprSettings,
  apps: readonly AppSpec[],
  consumerGroup?: string,
): KubernetesObject {
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Component",
    metadata: { name, namespace: settings.namespace },
    spec: { type: "pubsub.kafka", version: "v1", metadata: pubsubMetadata(settings.pubsub, consumerGroup) },
    scopes: appsUsing(name, apps),
  };
}

/**
 * The two pub/sub components: `kafka-pubsub`, whose consumer group defaults to the app id (replicas share the
 * work), and `gateway-pubsub`, whose group is the pod name (every gateway replica receives every update).
 */
export function pubsubComponents(settings: DaprSettings, apps: readonly AppSpec[] = APP_LIST): KubernetesObject[] {
  // A gateway pod's group is new at every start: starting from the oldest record would replay a day of updates
  // to its clients, so it starts at the newest.
  const gateway = { ...settings, pubsub: { ...settings.pubsub, initialOffset: "newest" as const } };
  return [component(PUBSUB, settings, apps), component(GATEWAY_PUBSUB, gateway, apps, "{podName}")];
}

/** The Subscription (`dapr.io/v2alpha1`) of one app to one topic, scoped to that app. */
export function subscription(app: AppSpec, sub: AppSubscription, namespace: string): KubernetesObject {
  return {
    apiVersion: "dapr.io/v2alpha1",
    kind: "Subscription",
    metadata: { name: `${app.id}-${sub.topic.name}`, namespace },
    spec: subscriptionSpec(sub),
    scopes: [app.id],
  };
}

/** Every app's subscriptions, in catalog order. */
export function subscriptions(namespace: string, apps: readonly AppSpec[] = APP_LIST): KubernetesObject[] {
  return apps.flatMap((app) => app.subscriptions.map((sub) => subscription(app, sub, namespace)));
}

/** Retries for delivery to the apps and for publishing, on both pub/sub components. */
export function resiliency(settings: DaprSettings, apps: readonly AppSpec[] = APP_LIST): KubernetesObject {
  const retry = (r: RetrySettings) => ({ policy: "exponential", maxInterval: r.maxInterval, maxRetries: r.maxRetries });
  const targets = { inbound: { retry: INBOUND_RETRY }, outbound: { retry: OUTBOUND_RETRY } };
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Resiliency",
    metadata: { name: RESILIENCY_NAME, namespace: settings.namespace },
    spec: {
      policies: {
        retries: { [INBOUND_RETRY]: retry(settings.inboundRetry), [OUTBOUND_RETRY]: retry(settings.outboundRetry) },
      },
      targets: { components: { [PUBSUB]: targets, [GATEWAY_PUBSUB]: targets } },
    },
    scopes: apps.map((app) => app.id),
  };
}

/** The apps' Dapr Configuration: tracing and mTLS. */
export function configuration(settings: DaprSettings): KubernetesObject {
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Configuration",
    metadata: { name: CONFIGURATION_NAME, namespace: settings.namespace },
    spec: {
      tracing: {
        samplingRate: settings.tracingSamplingRate,
        ...(settings.otlpEndpoint
          ? { otel: { endpointAddress: settings.otlpEndpoint, isSecure: false, protocol: "grpc" } }
          : {}),
      },
      // The control plane enforces mTLS (Helm `global.mtls.enabled`); the CRD wants its trust domain and sentry here too.
      mtls: {
        enabled: true,
        controlPlaneTrustDomain: "cluster.local",
        sentryAddress: `dapr-sentry.${settings.controlPlaneNamespace}.svc.cluster.local:443`,
      },
      metric: { enabled: true },
    },
  };
}

/** The key of an app token Secret that Dapr's injector reads (`APP_API_TOKEN` in daprd). */
export const APP_TOKEN_KEY = "token";
/**
 * The pod annotation that names an app's token Secret: the injector gives daprd its `token` key, and daprd sends it as
 * `dapr-api-token` on every call to the app (dapr/dapr `pkg/injector/annotations`, `KeyAppTokenSecret`).
 */
export const APP_TOKEN_SECRET_ANNOTATION = "dapr.io/app-token-secret";
/** The app's variable holding the same token, which it expects on every call from its sidecar. */
export const APP_TOKEN_ENV = "APP_API_TOKEN";

/**
 * The Secret that holds an app's API token (key `token`): daprd sends it as `dapr-api-token` on every call to the
 * app, and the app reads the same key as its `APP_API_TOKEN` and refuses calls without it. One per app, so that an
 * app that leaks its token cannot call another app past that app's sidecar.
 */
export function appTokenSecretName(app: Pick<AppSpec, "id">): string {
  return `dapr-app-token-${app.id}`;
}

/**
 * The pod annotations that set the injected daprd container's resources (dapr/dapr `pkg/injector/annotations`:
 * `KeyCPURequest`, `KeyMemoryRequest`, `KeyCPULimit`, `KeyMemoryLimit`), by the field of `ContainerResources` they take.
 */
export const SIDECAR_RESOURCE_ANNOTATIONS = {
  requests: { cpu: "dapr.io/sidecar-cpu-request", memory: "dapr.io/sidecar-memory-request" },
  limits: { cpu: "dapr.io/sidecar-cpu-limit", memory: "dapr.io/sidecar-memory-limit" },
} as const;

/** What the sidecar annotations take from the stack's Dapr settings. */
export interface SidecarSettings {
  logLevel: DaprSettings["logLevel"];
  /** The daprd container's cpu and memory requests and limits, as Kubernetes quantities. */
  sidecarResources: ContainerResources;
}

/**
 * The annotations that have Dapr inject its sidecar into an app's pods, with the sidecar's resources; they belong on
 * the pod template, and every value is a string.
 */
export function sidecarAnnotations(app: AppSpec, settings: SidecarSettings): Record<string, string> {
  const { requests, limits } = SIDECAR_RESOURCE_ANNOTATIONS;
  return {
    [DAPR_ENABLED]: "true",
    "dapr.io/app-id": app.id,
    "dapr.io/app-port": String(app.port),
    "dapr.io/app-protocol": "http",
    "dapr.io/config": CONFIGURATION_NAME,
    "dapr.io/log-level": settings.logLevel,
    "dapr.io/enable-api-logging": String(settings.logLevel === "debug"),
    [requests.cpu]: settings.sidecarResources.requests.cpu,
    [requests.memory]: settings.sidecarResources.requests.memory,
    [limits.cpu]: settings.sidecarResources.limits.cpu,
    [limits.memory]: settings.sidecarResources.limits.memory,
    [APP_TOKEN_SECRET_ANNOTATION]: appTokenSecretName(app),
  };
}

/** Every Dapr resource of the platform (components, subscriptions, resiliency, configuration). */
export function daprResources(settings: DaprSettings, apps: readonly AppSpec[] = APP_LIST): KubernetesObject[] {
  return [
    ...pubsubComponents(settings, apps),
    ...subscriptions(settings.namespace, apps),
    resiliency(settings, apps),
    configuration(settings),
  ];
}
