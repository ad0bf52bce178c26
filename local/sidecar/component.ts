// Dapr `Component` resources of type pubsub.kafka: the metadata the sidecar honours, with template tags expanded for this instance.
import { randomUUID } from "node:crypto";
import { durationField } from "./duration";
import { asRecord } from "./resiliency";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry";

/** Who this sidecar is: what the `{appID}`, `{podName}` and `{namespace}` template tags expand to. */
export interface SidecarIdentity {
  appId: string;
  /** Stands in for the pod name. */
  instanceId: string;
  namespace: string;
}

export interface KafkaPubsubComponent {
  name: string;
  type: "pubsub.kafka";
  version: string;
  /** `brokers` as the resource states it; the sidecar connects to its own `brokers` option instead. */
  declaredBrokers: string;
  /** `consumerGroup`, else `consumerID`, else the app id (daprd sets `consumerID` to the app id). */
  consumerGroup: string;
  /** Where a group without a committed offset starts. */
  initialOffset: "oldest" | "newest";
  /** The Kafka component's own redelivery of a message whose handling failed (`consumeRetryEnabled`). */
  consumeRetryEnabled: boolean;
  /** The component-level backoff between those redeliveries (`backOff*` metadata; default constant 5s, forever). */
  backOff: RetryPolicy;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

const SUPPORTED_AUTH = "none";

/** Metadata items as Dapr takes them: `{name, value}`; a `secretKeyRef` cannot be resolved without Kubernetes. */
function metadataMap(items: unknown, where: string): Map<string, string> {
  const map = new Map<string, string>();
  if (items === undefined) return map;
  if (!Array.isArray(items)) throw new Error(`${where}: spec.metadata must be a list of {name, value}.`);
  for (const item of items) {
    const entry = asRecord(item, `${where}: spec.metadata item`);
    if (typeof entry.name !== "string") throw new Error(`${where}: a spec.metadata item has no name.`);
    if (entry.secretKeyRef !== undefined) {
      throw new Error(
        `${where}: metadata "${entry.name}" uses a secretKeyRef, which the development sidecar cannot resolve (there is no secret store); give a plain value.`,
      );
    }
    const value = entry.value;
    map.set(entry.name, typeof value === "string" ? value : value === undefined ? "" : String(value));
  }
  return map;
}

/**
 * Expands daprd's template tags in a metadata value. `{uuid}` is one random UUID per component per sidecar start,
 * so `consumerGroup: "{uuid}"` gives each start a fresh group.
 */
function expandTags(value: string, identity: SidecarIdentity, uuid: string): string {
  return value
    .replaceAll("{uuid}", uuid)
    .replaceAll("{podName}", identity.instanceId)
    .replaceAll("{namespace}", identity.namespace)
    .replaceAll("{appID}", identity.appId);
}

/** Reads a pub/sub component; throws a message naming the component and field for anything the sidecar cannot honour. */
export function parseKafkaComponent(
  resource: { metadata: { name: string }; spec?: unknown },
  identity: SidecarIdentity,
): KafkaPubsubComponent {
  const name = resource.metadata.name;
  const where = `Component "${name}"`;
  const spec = asRecord(resource.spec, `${where}: spec`);
  if (spec.type !== "pubsub.kafka") {
    throw new Error(`${where}: type ${JSON.stringify(spec.type)} is not pubsub.kafka.`);
  }
  const version = typeof spec.version === "string" ? spec.version : "v1";
  if (version !== "v1")
    throw new Error(`${where}: pubsub.kafka version ${JSON.stringify(version)} is unknown; use v1.`);
  const uuid = randomUUID();
  const raw = metadataMap(spec.metadata, where);
  const meta = new Map([...raw].map(([key, value]) => [key, expandTags(value, identity, uuid)]));
  // Dapr matches metadata names case-insensitively.
  const get = (key: string) => [...meta].find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

  const brokers = get("brokers");
  if (!brokers) throw new Error(`${where}: kafka error: missing 'brokers' attribute.`);
  const authType = get("authType");
  if (!authType) throw new Error(`${where}: kafka error: 'authType' attribute was missing or empty.`);
  if (authType.toLowerCase() !== SUPPORTED_AUTH) {
    throw new Error(
      `${where}: authType "${authType}" is not supported by the development sidecar, whose local broker is a plain listener; use authType "none".`,
    );
  }
  const initialOffset = (get("initialOffset") || "newest").toLowerCase();
  if (initialOffset !== "oldest" && initialOffset !== "newest") {
    throw new Error(
      `${where}: kafka error: invalid initialOffset ${JSON.stringify(initialOffset)}; use oldest or newest.`,
    );
  }
  const consumeRetryEnabled = get("consumeRetryEnabled");
  return {
    name,
    type: "pubsub.kafka",
    version,
    declaredBrokers: brokers,
    consumerGroup: get("consumerGroup") || get("consumerID") || identity.appId,
    initialOffset,
    consumeRetryEnabled:
      consumeRetryEnabled === undefined ? true : parseBoolean(consumeRetryEnabled, `${where}: consumeRetryEnabled`),
    backOff: componentBackOff(get, where),
    sessionTimeoutMs: optionalDuration(get("sessionTimeout"), 10_000, `${where}: sessionTimeout`),
    heartbeatIntervalMs: optionalDuration(get("heartbeatInterval"), 3000, `${where}: heartbeatInterval`),
  };
}

/** The component's `backOff*` metadata (dapr/kit `DecodeConfigWithPrefix(..., "backOff")`) over dapr/kit's defaults. */
function componentBackOff(get: (key: string) => string | undefined, where: string): RetryPolicy {
  const duration = (key: string, fallback: number) => optionalDuration(get(key), fallback, `${where}: ${key}`);
  const number = (key: string, fallback: number) => {
    const value = get(key);
    if (value === undefined || value === "") return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new Error(`${where}: ${key} must be a number, got ${JSON.stringify(value)}.`);
    return parsed;
  };
  const policy = (get("backOffPolicy") || DEFAULT_RETRY.policy).toLowerCase();
  if (policy !== "constant" && policy !== "exponential") {
    throw new Error(`${where}: backOffPolicy ${JSON.stringify(policy)} is unknown; use constant or exponential.`);
  }
  return {
    name: "component backOff",
    policy,
    durationMs: duration("backOffDuration", DEFAULT_RETRY.durationMs),
    initialIntervalMs: duration("backOffInitialInterval", DEFAULT_RETRY.initialIntervalMs),
    randomizationFactor: number("backOffRandomizationFactor", DEFAULT_RETRY.randomizationFactor),
    multiplier: number("backOffMultiplier", DEFAULT_RETRY.multiplier),
    maxIntervalMs: duration("backOffMaxInterval", DEFAULT_RETRY.maxIntervalMs),
    maxElapsedTimeMs: duration("backOffMaxElapsedTime", DEFAULT_RETRY.maxElapsedTimeMs),
    maxRetries: number("backOffMaxRetries", DEFAULT_RETRY.maxRetries),
  };
}

function optionalDuration(value: string | undefined, fallback: number, field: string): number {
  return value === undefined || value === "" ? fallback : durationField(value, field);
}

function parseBoolean(value: string, field: string): boolean {
  if (/^(true|1|t)$/i.test(value)) return true;
  if (/^(false|0|f)$/i.test(value)) return false;
  throw new Error(`${field} must be true or false, got ${JSON.stringify(value)}.`);
}
