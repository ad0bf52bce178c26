// Objects of the dev plan broken on purpose, one field each, are refused by the real API server with its own message (CRD schemas, their CEL rules, strict field validation, core types), and Pod Security admission warns about a pod template that breaks `restricted`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyObject, type KubeObject } from "../../local/cluster/plan-apply";
import { clusterClient, scratchNamespace } from "../support/cluster";
import { standardPlan } from "../support/standard-plans";

const client = clusterClient();
/** Enforces Pod Security `restricted`, as the app namespace is meant to. */
const scratch = scratchNamespace("refusals", { "pod-security.kubernetes.io/enforce": "restricted" });
const NAMESPACE = scratch.name;
const FIELD_MANAGER = "refusals-test";

/** A copy of the `plan`'s `kind` object named `name`, moved into this file's namespace. */
function planned(kind: string, name: string, plan: "dev" | "prod" = "dev"): KubeObject {
  const found = standardPlan(plan).manifests.find(
    (m) => m.kind === kind && (m.metadata as { name?: string }).name === name,
  ) as KubeObject | undefined;
  if (!found) throw new Error(`the ${plan} plan has no ${kind} ${name}`);
  const object = structuredClone(found);
  object.metadata.namespace = NAMESPACE;
  return object;
}

type Json = Record<string, unknown>;
const spec = (object: KubeObject) => object.spec as Json;

beforeAll(scratch.create);
afterAll(scratch.remove);

function unknownFieldSubscription(): KubeObject {
  return planned("Subscription", "recurring-task-events");
}

interface Case {
  /** The plan's object that is broken. */
  object: () => KubeObject;
  /** Breaks one field of it. */
  breakIt: (object: KubeObject) => KubeObject;
  /** Parts of the server's message. */
  messages: string[];
}

const CASES: Record<string, Case> = {
  "a KafkaTopic with partitions: 0 (the CRD's minimum is 1)": {
    object: () => planned("KafkaTopic", "task-events"),
    breakIt: (topic) => {
      spec(topic).partitions = 0;
      return topic;
    },
    messages: ["spec.partitions", "should be greater than or equal to 1"],
  },
  "a KafkaNodePool without roles": {
    object: () => planned("KafkaNodePool", "dual-role"),
    breakIt: (pool) => {
      delete spec(pool).roles;
      return pool;
    },
    messages: ["spec.roles", "Required value"],
  },
  // Server-side apply refuses a field the schema does not declare whatever the field validation level: the apply
  // patch must convert to the schema's typed object (sigs.k8s.io/structured-merge-diff).
  "a Subscription with an unknown field (maxDeliveryAttempts is no Subscription field)": {
    object: unknownFieldSubscription,
    breakIt: (subscription) => {
      spec(subscription).maxDeliveryAttempts = 5;
      return subscription;
    },
    messages: [".spec.maxDeliveryAttempts: field not declared in schema"],
  },
  "a Kafka of kafka.strimzi.io/v1beta2, the version Strimzi 1.0 removed": {
    object: () => planned("Kafka", "events"),
    breakIt: (kafka) => ({ ...kafka, apiVersion: "kafka.strimzi.io/v1beta2" }),
    messages: ['no matches for kind "Kafka" in version "kafka.strimzi.io/v1beta2"'],
  },
  "a Kafka listener with SCRAM-SHA-256 authentication (Strimzi has only scram-sha-512)": {
    object: () => planned("Kafka", "events", "prod"),
    breakIt: (kafka) => {
      const listeners = (spec(kafka).kafka as { listeners: Json[] }).listeners;
      listeners[0] = { ...listeners[0], authentication: { type: "scram-sha-256" } };
      return kafka;
    },
    messages: ["spec.kafka.listeners[0].authentication.type", "Unsupported value", '"scram-sha-256"'],
  },
  "a SCRAM KafkaUser with a certificate validity (the CRD's CEL rule)": {
    object: () => planned("KafkaUser", "dapr-sidecars", "prod"),
    breakIt: (user) => {
      spec(user).authentication = { ...(spec(user).authentication as Json), validityDays: 30, renewalDays: 7 };
      return user;
    },
    messages: ["spec.authentication", "'validityDays' and 'renewalDays' can be configured only with 'type: tls'"],
  },
  "a Dapr annotation whose value is a number (annotations are strings)": {
    object: () => planned("Deployment", "backend"),
    breakIt: (deployment) => {
      const template = spec(deployment).template as { metadata: { annotations: Json } };
      template.metadata.annotations["dapr.io/app-port"] = 3000;
      return deployment;
    },
    messages: [".spec.template.metadata.annotations.dapr.io/app-port: expected string"],
  },
};

describe("the API server refuses a broken object with its message", () => {
  it.each(Object.entries(CASES))("refuses %s", async (_, { object, breakIt, messages }) => {
    // The control: the plan's object as rendered is accepted (a dry run: nothing is stored).
    const unbroken = await applyObject(client, object(), { fieldManager: FIELD_MANAGER, dryRun: true });
    expect(unbroken.error).toBeUndefined();
    expect(unbroken.accepted).toBe(true);
    const result = await applyObject(client, breakIt(object()), { fieldManager: FIELD_MANAGER, dryRun: true });
    expect(result.accepted).toBe(false);
    for (const message of messages) expect(result.error).toContain(message);
  });
});

describe("strict field validation outside server-side apply", () => {
  it("refuses an unknown field on a create with fieldValidation=Strict (kubectl --validate=strict)", async () => {
    const subscription = unknownFieldSubscription();
    spec(subscription).maxDeliveryAttempts = 5;
    const args = ["create", "--validate=strict", "--dry-run=server", "-f", "-"];
    const result = await client.kubectl(args, JSON.stringify(subscription));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('strict decoding error: unknown field "spec.maxDeliveryAttempts"');
  });
});

describe("Pod Security admission on a namespace that enforces restricted", () => {
  const privileged = () => {
    const deployment = planned("Deployment", "backend");
    const pod = (spec(deployment).template as { spec: { containers: Json[] } }).spec;
    pod.containers[0] = { ...pod.containers[0], securityContext: { privileged: true } };
    return deployment;
  };

  it("warns about a Deployment whose pod template breaks it (the warning the plan tests would report)", async () => {
    const result = await applyObject(client, privileged(), { fieldManager: FIELD_MANAGER, dryRun: true });
    expect(result.accepted).toBe(true);
    expect(result.warnings.join("\n")).toContain('would violate PodSecurity "restricted:latest"');
    expect(result.warnings.join("\n")).toContain("privileged");
  });

  it("refuses such a pod outright", async () => {
    const deployment = privileged();
    const template = spec(deployment).template as { metadata: Json; spec: Json };
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "privileged",
        namespace: NAMESPACE,
        labels: template.metadata.labels as Record<string, string>,
      },
      spec: template.spec,
    };
    const result = await applyObject(client, pod, { fieldManager: FIELD_MANAGER, dryRun: true });
    expect(result.accepted).toBe(false);
    expect(result.error).toContain('violates PodSecurity "restricted:latest"');
  });
});
