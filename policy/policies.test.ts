// The policy pack on real plans: every policy passes what the program renders (dev, prod, Redpanda Cloud, an external
// cluster) except what only prod requires, reports a mutated copy with an exact message, and the pack starts as the CLI
// starts it.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { DEAD_LETTER_TOPIC, TOPIC_LIST } from "@event-platform/events";
import * as grpc from "@grpc/grpc-js";
import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
  AnalyzeRequest,
  type AnalyzeResponse,
  type AnalyzerInfo,
  AnalyzerResourceOptions,
  EnforcementLevel,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_LIST, hasSidecarRoutes } from "../specs/apps";
import type { PlannedResource, StandardPlanName } from "../test/support/plan";
import { standardPlan } from "../test/support/standard-plans";
import {
  daprAppToken,
  daprComponentSecretRefs,
  daprSidecarAnnotations,
  deadLetterTopicCreated,
  deploymentHardening,
  enforcementLevelFor,
  kafkaProviderTlsSasl,
  kafkaTopicAvailability,
  kafkaTopicReplication,
  networkIsolation,
  POLICIES,
  strimziKafkaVersion,
  subscriptionDeadLetterTopic,
  TYPES,
} from "./policies";

const PROJECT = "event-platform";
const STACK_TYPE = "pulumi:pulumi:Stack";

/** A planned stack: its name and the resources the program registered. */
interface Stack {
  name: string;
  resources: PlannedResource[];
}

let dev: Stack;
let prod: Stack;
let redpanda: Stack;
let external: Stack;

beforeAll(() => {
  const planned = (name: StandardPlanName, stack: string): Stack => {
    const result = standardPlan(name);
    if (result.code !== 0) throw new Error(`The plan of ${stack} failed: ${result.stderr}`);
    return { name: stack, resources: result.resources };
  };
  dev = planned("dev", "dev");
  prod = planned("prod", "prod");
  redpanda = planned("redpanda", "prod-redpanda");
  external = planned("external", "dev-external");
});

// --- The arguments @pulumi/policy's analyzer server builds from what the engine sends (server.js). ---

class NotApplicable extends Error {}

function parentOf(stack: Stack, r: PlannedResource): PlannedResource | undefined {
  const { parent } = r;
  return parent && stack.resources.find((p) => p.type === parent.type && p.name === parent.name);
}

/** The resource's URN: its type qualified by its ancestors' types, the root Stack left out, as the engine forms it. */
function urnOf(stack: Stack, r: PlannedResource): string {
  const types = [r.type];
  for (let node = parentOf(stack, r); node && node.type !== STACK_TYPE; node = parentOf(stack, node)) {
    types.unshift(node.type);
  }
  return `urn:pulumi:${stack.name}::${PROJECT}::${types.join("$")}::${r.name}`;
}

function optionsOf(stack: Stack, r: PlannedResource): PolicyResourceOptions {
  const parent = parentOf(stack, r);
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(parent ? { parent: urnOf(stack, parent) } : {}),
  };
}

/** The explicit provider of a resource: the plan's Kafka provider for @pulumi/kafka topics (default providers are not in the plan). */
function providerOf(stack: Stack, r: PlannedResource) {
  const provider =
    r.type === TYPES.providerTopic ? stack.resources.find((p) => p.type === TYPES.kafkaProvider) : undefined;
  return provider && { type: provider.type, props: provider.inputs, urn: urnOf(stack, provider), name: provider.name };
}

const isTypeOf = (type: string) => (resourceClass: unknown) =>
  (resourceClass as { __pulumiType?: string }).__pulumiType === type;
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

function resourceArgs(stack: Stack, r: PlannedResource): ResourceValidationArgs {
  const provider = providerOf(stack, r);
  const isType = isTypeOf(r.type);
  return {
    type: r.type,
    props: r.inputs,
    urn: urnOf(stack, r),
    name: r.name,
    opts: optionsOf(stack, r),
    ...(provider ? { provider } : {}),
    stackTags: new Map(),
    isType,
    asType: (resourceClass) => (isType(resourceClass) ? (r.inputs as never) : undefined),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
}

function stackArgs(stack: Stack): StackValidationArgs {
  const resources = stack.resources.map((r): PolicyResource => {
    const provider = providerOf(stack, r);
    const isType = isTypeOf(r.type);
    return {
      type: r.type,
      props: r.inputs,
      urn: urnOf(stack, r),
      name: r.name,
      opts: optionsOf(stack, r),
      ...(provider ? { provider } : {}),
      dependencies: [],
      propertyDependencies: {},
      isType,
      asType: (resourceClass) => (isType(resourceClass) ? (r.inputs as never) : undefined),
    };
  });
  // Parents and dependencies are the other resources' objects, as the server links them.
  const byName = new Map(stack.resources.map((r, i) => [`${r.type}::${r.name}`, resources[i] as PolicyResource]));
  stack.resources.forEach((r, i) => {
    const resource = resources[i] as PolicyResource;
    if (r.parent) resource.parent = byName.get(`${r.parent.type}::${r.parent.name}`);
    resource.dependencies = r.dependsOn.flatMap((d) => byName.get(`${d.type}::${d.name}`) ?? []);
  });
  return { resources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T, notApplicable };
}

/** Runs a resource policy on one resource, which it must apply to; returns the messages it reports. */
async function check(policy: ResourceValidationPolicy, stack: Stack, r: PlannedResource): Promise<string[]> {
  const messages: string[] = [];
  const report: ReportViolation = (message) => messages.push(message);
  for (const validate of [policy.validateResource ?? []].flat()) await validate(resourceArgs(stack, r), report);
  return messages;
}

/** Runs a stack policy; returns `<urn>: <message>` for each violation. */
async function checkStack(policy: StackValidationPolicy, stack: Stack): Promise<string[]> {
  const messages: string[] = [];
  await policy.validateStack(stackArgs(stack), (message, urn) => messages.push(`${urn}: ${message}`));
  return messages;
}

/** Every policy on every resource of a stack, as the engine runs the pack: `<policy>: <message>` per violation. */
async function violations(stack: Stack): Promise<string[]> {
  const found: string[] = [];
  for (const policy of POLICIES) {
    if ("validateStack" in policy) {
      for (const message of await checkStack(policy, stack)) found.push(`${policy.name}: ${message}`);
      continue;
    }
    for (const r of stack.resources) {
      const messages = await check(policy, stack, r).catch((error: unknown) => {
        if (error instanceof NotApplicable) return [];
        throw error;
      });
      for (const message of messages) found.push(`${policy.name}: ${message}`);
    }
  }
  return found;
}

// --- Resources of a plan, and mutated copies of them. ---

const byType = (stack: Stack, type: string) => stack.resources.filter((r) => r.type === type);

/** The resource of `type` whose Kubernetes name (or, without one, Pulumi name) is `name`. */
function named(stack: Stack, type: string, name: string): PlannedResource {
  const found = byType(stack, type).find((r) => (r.inputs.metadata?.name ?? r.name) === name);
  if (!found) throw new Error(`${stack.name} has no ${type} named ${name}`);
  return found;
}

type Node = Record<PropertyKey, unknown>;
type Edit = [path: (string | number)[], value: unknown];

/** A copy of `r` with each input at `path` set to `value`, or deleted when `value` is undefined. */
function edited(r: PlannedResource, ...edits: Edit[]): PlannedResource {
  const copy = structuredClone(r);
  for (const [at, value] of edits) {
    const parent = at.slice(0, -1).reduce<Node>((node, key) => node[key] as Node, copy.inputs);
    const key = at[at.length - 1] as string | number;
    if (value === undefined) delete parent[key];
    else parent[key] = value;
  }
  return copy;
}

/** A copy of the stack with `r` (matched by type and name) replaced by `replacement`, or removed. */
function withResource(stack: Stack, r: PlannedResource, replacement?: PlannedResource): Stack {
  const resources = stack.resources.flatMap((x) =>
    x.type === r.type && x.name === r.name ? (replacement ? [replacement] : []) : [x],
  );
  return { ...stack, resources };
}

const CONTAINER = ["spec", "template", "spec", "containers", 0];

describe("the pack on real plans", () => {
  it("passes prod and a prod stack on Redpanda Cloud entirely", async () => {
    expect(await violations(prod)).toEqual([]);
    expect(await violations(redpanda)).toEqual([]);
  });

  it("reports on dev only what prod alone requires: the replication of its topics (advisory there)", async () => {
    expect(await violations(dev)).toEqual(
      TOPIC_LIST.flatMap((topic) => [
        `kafka-topic-replication: KafkaTopic "${topic.name}": spec.replicas is 1; set it to 3 or more (stack config kafka.replicationFactor) so the topic survives the loss of a broker.`,
        `kafka-topic-replication: KafkaTopic "${topic.name}": spec.config["min.insync.replicas"] is 1; set it to 2 or more (stack config kafka.minInsyncReplicas) so every acknowledged write is on at least two brokers.`,
      ]),
    );
  });

  it("reports on a dev stack on an external cluster only its plaintext, unauthenticated connection", async () => {
    expect(await violations(external)).toEqual([
      'kafka-provider-tls-sasl: Kafka provider "event-platform-topics-provider": tlsEnabled is false; the brokers must be reached over TLS: set stack config kafka.username and the secret kafkaPassword (SASL SCRAM over TLS).',
      'kafka-provider-tls-sasl: Kafka provider "event-platform-topics-provider": saslMechanism is plain; set it to scram-sha256 or scram-sha512 (stack config kafka.saslMechanism SHA-256 or SHA-512).',
      'kafka-provider-tls-sasl: Kafka provider "event-platform-topics-provider": saslUsername is not set; set stack config kafka.username and the secret kafkaPassword so it authenticates with SASL SCRAM.',
    ]);
  });

  it("is mandatory on prod stacks and advisory on the others, by profile or else by stack name", () => {
    expect(enforcementLevelFor("prod", undefined)).toBe("mandatory");
    expect(enforcementLevelFor("prod-eu", "prod")).toBe("mandatory");
    expect(enforcementLevelFor("dev", undefined)).toBe("advisory");
    expect(enforcementLevelFor("prod", "dev")).toBe("advisory");
    expect(enforcementLevelFor("staging", undefined)).toBe("advisory");
    // Levels come from the pack, so no policy may pin its own.
    for (const policy of POLICIES) expect(policy.enforcementLevel, policy.name).toBeUndefined();
  });
});

describe("kafka-topic-replication", () => {
  it("passes prod's topics", async () => {
    for (const topic of byType(prod, TYPES.kafkaTopic))
      expect(await check(kafkaTopicReplication, prod, topic)).toEqual([]);
    expect(byType(prod, TYPES.kafkaTopic)).toHaveLength(TOPIC_LIST.length);
  });

  it("reports a topic with 2 replicas and no min.insync.replicas", async () => {
    const topic = edited(
      named(prod, TYPES.kafkaTopic, "task-events"),
      [["spec", "replicas"], 2],
      [["spec", "config", "min.insync.replicas"], undefined],
    );
    expect(await check(kafkaTopicReplication, prod, topic)).toEqual([
      'KafkaTopic "task-events": spec.replicas is 2; set it to 3 or more (stack config kafka.replicationFactor) so the topic survives the loss of a broker.',
      'KafkaTopic "task-events": spec.config["min.insync.replicas"] is not set; set it to 2 or more (stack config kafka.minInsyncReplicas) so every acknowledged write is on at least two brokers.',
    ]);
  });
});

describe("kafka-topic-availability", () => {
  it("passes every plan's topics and Kafka cluster: min.insync.replicas 2 of 3 in prod, 1 of 1 in dev", async () => {
    for (const stack of [dev, prod, redpanda, external]) {
      const subjects = [TYPES.kafkaTopic, TYPES.providerTopic, TYPES.kafka].flatMap((type) => byType(stack, type));
      expect(subjects.length, stack.name).toBeGreaterThanOrEqual(TOPIC_LIST.length);
      for (const r of subjects) expect(await check(kafkaTopicAvailability, stack, r), r.name).toEqual([]);
    }
  });

  it("reports min.insync.replicas equal to the replication factor on a KafkaTopic and on the Kafka cluster's defaults", async () => {
    const topic = edited(named(prod, TYPES.kafkaTopic, "task-events"), [
      ["spec", "config", "min.insync.replicas"],
      "3",
    ]);
    expect(await check(kafkaTopicAvailability, prod, topic)).toEqual([
      'KafkaTopic "task-events": spec.config["min.insync.replicas"] is 3 with spec.replicas 3; set it to 2 or less (stack config kafka.minInsyncReplicas): with acks=all a write needs that many replicas in sync, so a value above 2 stops every write while one broker restarts.',
    ]);
    const kafka = edited(named(prod, TYPES.kafka, "events"), [["spec", "kafka", "config", "min.insync.replicas"], 3]);
    expect(await check(kafkaTopicAvailability, prod, kafka)).toEqual([
      'Kafka "events": spec.kafka.config["min.insync.replicas"] is 3 with spec.kafka.config["default.replication.factor"] 3; set it to 2 or less (stack config kafka.minInsyncReplicas): with acks=all a write needs that many replicas in sync, so a value above 2 stops every write while one broker restarts.',
    ]);
  });

  it("reports it on a @pulumi/kafka topic of an external cluster", async () => {
    const topic = edited(
      named(external, TYPES.providerTopic, "event-platform-topics-reminders"),
      [["replicationFactor"], 3],
      [["config", "min.insync.replicas"], "3"],
    );
    expect(await check(kafkaTopicAvailability, external, topic)).toEqual([
      'Kafka topic "reminders": config["min.insync.replicas"] is 3 with replicationFactor 3; set it to 2 or less (stack config kafka.minInsyncReplicas): with acks=all a write needs that many replicas in sync, so a value above 2 stops every write while one broker restarts.',
    ]);
    // One replica can only have one in sync: nothing to report there.
    expect(
      await check(
        kafkaTopicAvailability,
        external,
        edited(topic, [["replicationFactor"], 1], [["config", "min.insync.replicas"], "1"]),
      ),
    ).toEqual([]);
  });
});

describe("strimzi-kafka-version", () => {
  it("passes the Kafka of dev and prod", async () => {
    expect(await check(strimziKafkaVersion, dev, named(dev, TYPES.kafka, "events"))).toEqual([]);
    expect(await check(strimziKafkaVersion, prod, named(prod, TYPES.kafka, "events"))).toEqual([]);
  });

  it("reports a Kafka version the operator does not run, or none", async () => {
    const kafka = named(prod, TYPES.kafka, "events");
    expect(await check(strimziKafkaVersion, prod, edited(kafka, [["spec", "kafka", "version"], "3.6.0"]))).toEqual([
      'Kafka "events": spec.kafka.version is 3.6.0; the pinned Strimzi operator runs only Kafka 4.2.0, 4.2.1, 4.3.0, 4.3.1: set stack config kafka.strimzi.kafkaVersion to one of them.',
    ]);
    expect(await check(strimziKafkaVersion, prod, edited(kafka, [["spec", "kafka", "version"], undefined]))).toEqual([
      'Kafka "events": spec.kafka.version is not set; the pinned Strimzi operator runs only Kafka 4.2.0, 4.2.1, 4.3.0, 4.3.1: set stack config kafka.strimzi.kafkaVersion to one of them.',
    ]);
  });
});

describe("kafka-provider-tls-sasl", () => {
  it("passes the Redpanda Cloud provider", async () => {
    const [provider] = byType(redpanda, TYPES.kafkaProvider);
    expect(provider?.inputs).toMatchObject({ tlsEnabled: "true", saslMechanism: "scram-sha256" });
    expect(await check(kafkaProviderTlsSasl, redpanda, provider as PlannedResource)).toEqual([]);
  });

  it("reports a provider with TLS off and the PLAIN mechanism", async () => {
    const [provider] = byType(redpanda, TYPES.kafkaProvider);
    const plain = edited(provider as PlannedResource, [["tlsEnabled"], false], [["saslMechanism"], "plain"]);
    expect(await check(kafkaProviderTlsSasl, redpanda, plain)).toEqual([
      'Kafka provider "event-platform-topics-provider": tlsEnabled is false; the brokers must be reached over TLS: set stack config kafka.username and the secret kafkaPassword (SASL SCRAM over TLS).',
      'Kafka provider "event-platform-topics-provider": saslMechanism is plain; set it to scram-sha256 or scram-sha512 (stack config kafka.saslMechanism SHA-256 or SHA-512).',
    ]);
  });
});

describe("dapr-sidecar-annotations", () => {
  it("passes every app's Deployment", async () => {
    for (const stack of [dev, prod, redpanda, external]) {
      const deployments = byType(stack, TYPES.deployment);
      expect(deployments.length).toBeGreaterThan(0);
      for (const d of deployments) expect(await check(daprSidecarAnnotations, stack, d)).toEqual([]);
    }
  });

  it("reports annotations put on the Deployment instead of its pod template, and a sidecar turned off", async () => {
    const backend = named(prod, TYPES.deployment, "backend");
    const annotations = (backend.inputs.spec as { template: { metadata: { annotations: object } } }).template.metadata
      .annotations;
    const misplaced = edited(
      backend,
      [["metadata", "annotations"], annotations],
      [["spec", "template", "metadata", "annotations"], undefined],
    );
    expect(await check(daprSidecarAnnotations, prod, misplaced)).toEqual([
      'Deployment "backend": spec.template.metadata.annotations["dapr.io/enabled"] is not set (it is on the Deployment\'s own metadata, where Dapr does not look: move it); set it to "true" so Dapr injects its sidecar.',
      'Deployment "backend": spec.template.metadata.annotations["dapr.io/app-id"] is not set (it is on the Deployment\'s own metadata, where Dapr does not look: move it); set it to the app\'s Dapr id, which names its sidecar, consumer group and scopes.',
      'Deployment "backend": spec.template.metadata.annotations["dapr.io/app-port"] is not set (it is on the Deployment\'s own metadata, where Dapr does not look: move it); set it to the port the app listens on, as a string such as "3000", so the sidecar can deliver events.',
    ]);
    const off = edited(backend, [["spec", "template", "metadata", "annotations", "dapr.io/enabled"], "false"]);
    expect(await check(daprSidecarAnnotations, prod, off)).toEqual([
      'Deployment "backend": spec.template.metadata.annotations["dapr.io/enabled"] is false; set it to "true" so Dapr injects its sidecar.',
    ]);
  });

  it("reports a sidecar pod without a service-account token whose built-in Kubernetes secret store is still on", async () => {
    const backend = named(prod, TYPES.deployment, "backend");
    expect(backend.inputs.spec).toMatchObject({ template: { spec: { automountServiceAccountToken: false } } });
    const storeOn = edited(backend, [
      ["spec", "template", "metadata", "annotations", "dapr.io/disable-builtin-k8s-secret-store"],
      undefined,
    ]);
    expect(await check(daprSidecarAnnotations, prod, storeOn)).toEqual([
      'Deployment "backend": spec.template.metadata.annotations["dapr.io/disable-builtin-k8s-secret-store"] is not set while spec.template.spec.automountServiceAccountToken is false; set it to "true" (build the template with specs/pods.ts podTemplate): without a service-account token daprd cannot start its built-in Kubernetes secret store, exits, and the pod crash-loops.',
    ]);
    // With the token mounted the built-in store can start, so the annotation is not needed.
    const withToken = edited(storeOn, [["spec", "template", "spec", "automountServiceAccountToken"], true]);
    expect(await check(daprSidecarAnnotations, prod, withToken)).toEqual([]);
  });
});

describe("dapr-app-token", () => {
  const ANNOTATIONS = ["spec", "template", "metadata", "annotations"];
  /** The index of the app container's APP_API_TOKEN variable. */
  const tokenAt = (d: PlannedResource) =>
    (
      d.inputs.spec as { template: { spec: { containers: { env: { name: string }[] }[] } } }
    ).template.spec.containers[0]?.env.findIndex((e) => e.name === "APP_API_TOKEN") ?? -1;

  it("passes every app's Deployment: each has routes only its sidecar calls, the annotation, and the token from its Secret", async () => {
    expect(APP_LIST.every((app) => hasSidecarRoutes(app))).toBe(true);
    for (const stack of [dev, prod, redpanda, external]) {
      const deployments = byType(stack, TYPES.deployment);
      expect(deployments).toHaveLength(APP_LIST.length);
      for (const d of deployments) expect(await check(daprAppToken, stack, d), d.name).toEqual([]);
    }
  });

  it("reports an app that subscribes without the app-token-secret annotation, naming its Secret", async () => {
    const recurring = edited(named(prod, TYPES.deployment, "recurring"), [
      [...ANNOTATIONS, "dapr.io/app-token-secret"],
      undefined,
    ]);
    expect(await check(daprAppToken, prod, recurring)).toEqual([
      'Deployment "recurring": spec.template.metadata.annotations["dapr.io/app-token-secret"] is not set; set it to "dapr-app-token-recurring" (specs/dapr.ts sidecarAnnotations): without it daprd sends no dapr-api-token, so the app cannot tell its sidecar\'s event deliveries and invocations from calls of any pod that reaches its port.',
    ]);
  });

  it("reports an app the others invoke whose APP_API_TOKEN is missing or read from another Secret than the annotation's", async () => {
    const backend = named(prod, TYPES.deployment, "backend");
    const env = [...CONTAINER, "env", tokenAt(backend)];
    const expected =
      'Deployment "backend": no container reads APP_API_TOKEN from key "token" of Secret "dapr-app-token-backend", which its dapr.io/app-token-secret annotation names; add env APP_API_TOKEN with valueFrom.secretKeyRef {name: dapr-app-token-backend, key: token} (specs/app-env.ts appEnvironment) so the app holds the token its sidecar sends and refuses calls without it.';
    const otherSecret = edited(backend, [
      [...env, "valueFrom", "secretKeyRef"],
      { name: "dapr-app-token-gateway", key: "token" },
    ]);
    expect(await check(daprAppToken, prod, otherSecret)).toEqual([expected]);
    const plainValue = edited(backend, [env, { name: "APP_API_TOKEN", value: "x".repeat(64) }]);
    expect(await check(daprAppToken, prod, plainValue)).toEqual([expected]);
  });

  it("reports an app the catalog does not know, and leaves a Deployment without a sidecar to dapr-sidecar-annotations", async () => {
    const backend = named(prod, TYPES.deployment, "backend");
    const unknown = edited(
      backend,
      [[...ANNOTATIONS, "dapr.io/app-id"], "audit"],
      [[...ANNOTATIONS, "dapr.io/app-token-secret"], ""],
    );
    expect(await check(daprAppToken, prod, unknown)).toEqual([
      'Deployment "backend": spec.template.metadata.annotations["dapr.io/app-token-secret"] is not set; set it to the app\'s token Secret: without it daprd sends no dapr-api-token, so the app cannot tell its sidecar\'s event deliveries and invocations from calls of any pod that reaches its port.',
    ]);
    const noSidecar = edited(
      backend,
      [[...ANNOTATIONS, "dapr.io/enabled"], "false"],
      [[...ANNOTATIONS, "dapr.io/app-token-secret"], undefined],
    );
    expect(await check(daprAppToken, prod, noSidecar)).toEqual([]);
  });
});

describe("deployment-hardening", () => {
  it("passes every app's Deployment and PostgreSQL's StatefulSet", async () => {
    for (const stack of [dev, prod, redpanda, external]) {
      const workloads = [...byType(stack, TYPES.deployment), ...byType(stack, TYPES.statefulSet)];
      for (const d of workloads) expect(await check(deploymentHardening, stack, d), d.name).toEqual([]);
    }
  });

  it("reports a Dapr sidecar without requests and limits, or with a value that is not a quantity", async () => {
    const backend = named(prod, TYPES.deployment, "backend");
    expect(backend.inputs.spec).toMatchObject({
      template: {
        metadata: {
          annotations: {
            "dapr.io/sidecar-cpu-request": "100m",
            "dapr.io/sidecar-memory-request": "250Mi",
            "dapr.io/sidecar-cpu-limit": "300m",
            "dapr.io/sidecar-memory-limit": "1000Mi",
          },
        },
      },
    });
    const annotations = ["spec", "template", "metadata", "annotations"];
    const bare = edited(
      backend,
      [[...annotations, "dapr.io/sidecar-cpu-limit"], undefined],
      [[...annotations, "dapr.io/sidecar-memory-limit"], "1 gigabyte"],
    );
    expect(await check(deploymentHardening, prod, bare)).toEqual([
      'Deployment "backend": the Dapr sidecar has no valid spec.template.metadata.annotations["dapr.io/sidecar-cpu-limit"], spec.template.metadata.annotations["dapr.io/sidecar-memory-limit"] (not set, 1 gigabyte); set the sidecar\'s cpu and memory requests and limits as quantity strings (stack config dapr.sidecarResources) so the injected daprd container is scheduled for what it needs and cannot starve the node.',
    ]);
    // A Deployment without a sidecar has no sidecar to size.
    const noSidecar = edited(bare, [[...annotations, "dapr.io/enabled"], "false"]);
    expect(await check(deploymentHardening, prod, noSidecar)).toEqual([]);
  });

  it("accepts runAsNonRoot on the container instead of the pod", async () => {
    const moved = edited(
      named(prod, TYPES.deployment, "gateway"),
      [["spec", "template", "spec", "securityContext", "runAsNonRoot"], undefined],
      [[...CONTAINER, "securityContext", "runAsNonRoot"], true],
    );
    expect(await check(deploymentHardening, prod, moved)).toEqual([]);
  });

  it("reports a container without limits, probes, non-root or a privilege-escalation guard, and a bare init container", async () => {
    const weak = edited(
      named(prod, TYPES.deployment, "gateway"),
      [[...CONTAINER, "resources", "limits"], undefined],
      [[...CONTAINER, "startupProbe"], undefined],
      [[...CONTAINER, "livenessProbe"], undefined],
      [[...CONTAINER, "readinessProbe"], undefined],
      [["spec", "template", "spec", "securityContext", "runAsNonRoot"], undefined],
      [[...CONTAINER, "securityContext", "allowPrivilegeEscalation"], true],
      [["spec", "template", "spec", "initContainers"], [{ name: "migrate", image: "migrate:1" }]],
    );
    expect(await check(deploymentHardening, prod, weak)).toEqual([
      'Deployment "gateway": container "gateway" sets no resources.limits.cpu, resources.limits.memory; set cpu and memory requests and limits (stack config apps.resources) so the scheduler reserves what it needs and a leak cannot starve the node.',
      'Deployment "gateway": container "gateway" has no startupProbe; add one (such as GET /healthz, failureThreshold × periodSeconds of a few minutes) so a slow start, such as a migration before the app listens, is not killed by the livenessProbe: Kubernetes starts liveness probing only once the startup probe has succeeded.',
      'Deployment "gateway": container "gateway" has no livenessProbe; add one (such as GET /healthz) so Kubernetes restarts it when it hangs.',
      'Deployment "gateway": container "gateway" has no readinessProbe; add one (such as GET /readyz) so it receives traffic only once its dependencies are reachable.',
      'Deployment "gateway": container "gateway" may run as root; set runAsNonRoot: true and the image\'s numeric non-root runAsUser in spec.template.spec.securityContext or in the container\'s securityContext (Pod Security restricted).',
      'Deployment "gateway": container "gateway": securityContext.allowPrivilegeEscalation is true; set it to false so the process cannot gain more privileges than it started with.',
      'Deployment "gateway": init container "migrate" sets no resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory; set cpu and memory requests and limits (stack config apps.resources) so the scheduler reserves what it needs and a leak cannot starve the node.',
      'Deployment "gateway": init container "migrate" may run as root; set runAsNonRoot: true and the image\'s numeric non-root runAsUser in spec.template.spec.securityContext or in the container\'s securityContext (Pod Security restricted).',
      'Deployment "gateway": init container "migrate": securityContext.allowPrivilegeEscalation is not set; set it to false so the process cannot gain more privileges than it started with.',
      'Deployment "gateway": init container "migrate": securityContext.capabilities.drop is not set; set it to ["ALL"] (Pod Security restricted) so the process holds no Linux capability.',
      'Deployment "gateway": init container "migrate": securityContext.readOnlyRootFilesystem is not set; set it to true, with an emptyDir for each path it writes (such as /tmp), so a compromised process cannot change its image\'s files.',
    ]);
  });

  it("passes dev's PostgreSQL StatefulSet, and reports one that may run as root, keeps capabilities, has no seccomp profile and a writable root", async () => {
    const postgres = named(dev, TYPES.statefulSet, "postgres");
    expect(await check(deploymentHardening, dev, postgres)).toEqual([]);
    const weak = edited(
      postgres,
      [["spec", "template", "spec", "securityContext"], { runAsNonRoot: true, runAsUser: 0 }],
      [[...CONTAINER, "securityContext"], { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false }],
    );
    expect(await check(deploymentHardening, dev, weak)).toEqual([
      'StatefulSet "postgres": container "postgres" may run as root; set runAsNonRoot: true and the image\'s numeric non-root runAsUser in spec.template.spec.securityContext or in the container\'s securityContext (Pod Security restricted).',
      'StatefulSet "postgres": container "postgres": securityContext.capabilities.drop is not set; set it to ["ALL"] (Pod Security restricted) so the process holds no Linux capability.',
      'StatefulSet "postgres": container "postgres" has seccompProfile.type not set; set seccompProfile: {type: RuntimeDefault} in spec.template.spec.securityContext (Pod Security restricted) so the kernel filters its system calls.',
      'StatefulSet "postgres": container "postgres": securityContext.readOnlyRootFilesystem is false; set it to true, with an emptyDir for each path it writes (such as /tmp), so a compromised process cannot change its image\'s files.',
    ]);
    // Its resources are not stack config: the message names none.
    const unlimited = edited(postgres, [[...CONTAINER, "resources", "limits"], undefined]);
    expect(await check(deploymentHardening, dev, unlimited)).toEqual([
      'StatefulSet "postgres": container "postgres" sets no resources.limits.cpu, resources.limits.memory; set cpu and memory requests and limits so the scheduler reserves what it needs and a leak cannot starve the node.',
    ]);
  });
});

describe("dapr-component-secret-refs", () => {
  it("passes the pub/sub components, whose credentials are secretKeyRefs", async () => {
    for (const stack of [dev, prod, redpanda, external]) {
      for (const c of byType(stack, TYPES.daprComponent))
        expect(await check(daprComponentSecretRefs, stack, c)).toEqual([]);
    }
    const metadata = (named(prod, TYPES.daprComponent, "kafka-pubsub").inputs.spec as { metadata: { name: string }[] })
      .metadata;
    expect(metadata.map((m) => m.name)).toEqual(expect.arrayContaining(["saslPassword", "caCert"]));
  });

  it("reports a password and a CA certificate given as plaintext values", async () => {
    const component = named(redpanda, TYPES.daprComponent, "kafka-pubsub");
    const items = (component.inputs.spec as { metadata: { name: string }[] }).metadata;
    const plaintext = edited(
      component,
      [
        ["spec", "metadata", items.findIndex((m) => m.name === "saslPassword")],
        { name: "saslPassword", value: "hunter2" },
      ],
      [["spec", "metadata", items.length], { name: "caCert", value: "-----BEGIN CERTIFICATE-----" }],
    );
    expect(await check(daprComponentSecretRefs, redpanda, plaintext)).toEqual([
      'Dapr Component "kafka-pubsub": metadata item saslPassword has a plaintext value; put it in a Kubernetes Secret and reference it with secretKeyRef: {name, key} instead of value.',
      'Dapr Component "kafka-pubsub": metadata item caCert has a plaintext value; put it in a Kubernetes Secret and reference it with secretKeyRef: {name, key} instead of value.',
    ]);
  });
});

describe("subscription-dead-letter-topic", () => {
  it(`passes every subscription, including the dead-letter desk's own to ${DEAD_LETTER_TOPIC} without one`, async () => {
    for (const stack of [dev, prod, redpanda, external]) {
      const subscriptions = byType(stack, TYPES.daprSubscription);
      expect(subscriptions).toHaveLength(4);
      for (const s of subscriptions) expect(await check(subscriptionDeadLetterTopic, stack, s)).toEqual([]);
    }
    const desk = named(prod, TYPES.daprSubscription, "dead-letters-dead-letters");
    expect(desk.inputs.spec).not.toHaveProperty("deadLetterTopic");
  });

  it("reports a subscription without a dead-letter topic, with one outside the catalog, and with its own topic", async () => {
    const recurring = named(prod, TYPES.daprSubscription, "recurring-task-events");
    const withDeadLetter = (topic: string | undefined) =>
      check(subscriptionDeadLetterTopic, prod, edited(recurring, [["spec", "deadLetterTopic"], topic]));
    expect(await withDeadLetter(undefined)).toEqual([
      'Dapr Subscription "recurring-task-events": spec.deadLetterTopic is not set; set it to dead-letters so an event that still fails after the retries is kept instead of being retried forever while its partition stalls.',
    ]);
    expect(await withDeadLetter("dead-letter")).toEqual([
      'Dapr Subscription "recurring-task-events": spec.deadLetterTopic is dead-letter, which is not a topic of the event catalog (events/src/topics.ts); set it to dead-letters.',
    ]);
    expect(await withDeadLetter("task-events")).toEqual([
      'Dapr Subscription "recurring-task-events": spec.deadLetterTopic is its own topic task-events, so a failing event would loop; set it to dead-letters.',
    ]);
  });
});

describe("dead-letter-topic-created", () => {
  it("passes every plan: each creates the dead-letter topic", async () => {
    for (const stack of [dev, prod, redpanda, external])
      expect(await checkStack(deadLetterTopicCreated, stack)).toEqual([]);
  });

  it("reports each subscription whose dead-letter topic the stack does not create, on Strimzi and on Redpanda Cloud", async () => {
    const expected = (stack: Stack) =>
      ["gateway-task-updates", "recurring-task-events", "notification-reminders"].map(
        (name) =>
          `${urnOf(stack, named(stack, TYPES.daprSubscription, name))}: Dapr Subscription "${name}": its dead-letter topic dead-letters is not created by this stack; create it as a Strimzi KafkaTopic or a kafka.Topic (Dapr never creates a dead-letter topic, and Redpanda Cloud does not create topics on first use).`,
      );
    const sorted = (messages: string[]) => [...messages].sort();
    const strimzi = withResource(prod, named(prod, TYPES.kafkaTopic, DEAD_LETTER_TOPIC));
    expect(sorted(await checkStack(deadLetterTopicCreated, strimzi))).toEqual(sorted(expected(prod)));
    const cloud = withResource(redpanda, named(redpanda, TYPES.providerTopic, "event-platform-topics-dead-letters"));
    expect(sorted(await checkStack(deadLetterTopicCreated, cloud))).toEqual(sorted(expected(redpanda)));
    expect(expected(prod)[1]).toMatch(
      /^urn:pulumi:prod::event-platform::event-platform:index:EventPlatform\$event-platform:dapr:DaprPubsub\$kubernetes:dapr.io\/v2alpha1:Subscription::event-platform-pubsub-subscription-recurring-task-events: /,
    );
  });
});

describe("network-isolation", () => {
  it("passes every plan: a default-deny policy beside the workloads, Strimzi listeners with peers", async () => {
    for (const stack of [dev, prod, redpanda, external]) expect(await checkStack(networkIsolation, stack)).toEqual([]);
  });

  it("reports a workload namespace without default deny, once, and a Strimzi listener open to every pod", async () => {
    const deny = named(prod, TYPES.networkPolicy, "default-deny");
    const open = withResource(prod, deny, edited(deny, [["spec", "policyTypes"], ["Ingress"]]));
    const kafka = named(prod, TYPES.kafka, "events");
    const unpeered = withResource(
      open,
      kafka,
      edited(kafka, [["spec", "kafka", "listeners", 0, "networkPolicyPeers"], undefined]),
    );
    const messages = await checkStack(networkIsolation, unpeered);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(
      /^urn:pulumi:prod::event-platform::.*::event-platform-[a-z-]+-deployment: Deployment "[a-z-]+": its namespace event-platform has no default-deny NetworkPolicy \(spec.podSelector \{\}, spec.policyTypes \[Ingress, Egress\], no rules\); add one \(components\/network-policies.ts\) so its pods reach and are reached by only what their own NetworkPolicies allow.$/,
    );
    expect(messages[1]).toBe(
      `${urnOf(prod, kafka)}: Kafka "events": spec.kafka.listeners[0] (scram).networkPolicyPeers is not set; set it to the apps' sidecars (specs/network.ts kafkaClientPeers): without peers Strimzi lets every pod of the cluster connect to the listener.`,
    );
  });
});

// --- The pack as the Pulumi CLI runs it: `pulumi-analyzer-policy` starts @pulumi/pulumi's run-policy-pack in policy/,
// which loads index.ts with ts-node (type-checked) and serves the Analyzer gRPC service on the port it prints. ---

describe("the pack started as the Pulumi CLI starts it", () => {
  let pack: ChildProcess | undefined;
  let client: AnalyzerClient;

  beforeAll(async () => {
    // A stack named other than prod but configured with the prod profile: the pack must be mandatory there.
    const env = {
      ...process.env,
      PULUMI_NODEJS_STACK: "prod-eu",
      PULUMI_NODEJS_PROJECT: PROJECT,
      PULUMI_CONFIG: JSON.stringify({ "event-platform:profile": "prod" }),
    };
    const runner = createRequire(__filename).resolve("@pulumi/pulumi/cmd/run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: __dirname, env });
    pack = child;
    const port = await new Promise<string>((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /^(\d+)\n/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("exit", (code) => reject(new Error(`the policy pack exited with ${code}: ${stdout}${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 120_000);

  afterAll(() => {
    client?.close();
    pack?.kill();
  });

  it("serves every policy, mandatory for a prod-profile stack", async () => {
    const info = await new Promise<AnalyzerInfo>((resolve, reject) =>
      client.getAnalyzerInfo(new Empty(), (error, response) => (error ? reject(error) : resolve(response))),
    );
    expect(info.getName()).toBe("event-platform");
    expect(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()])).toEqual(
      POLICIES.map((p) => [p.name, EnforcementLevel.MANDATORY]),
    );
  });

  // The SDK's analyzer sends each violation as the policy's description, a newline, then the reported message.
  it("reports dev's KafkaTopic through the Analyzer service, as mandatory", async () => {
    const topic = named(dev, TYPES.kafkaTopic, "task-events");
    const request = new AnalyzeRequest()
      .setType(topic.type)
      .setName(topic.name)
      .setUrn(urnOf(dev, topic))
      .setProperties(Struct.fromJavaScript(topic.inputs as Parameters<typeof Struct.fromJavaScript>[0]))
      .setOptions(new AnalyzerResourceOptions());
    const response = await new Promise<AnalyzeResponse>((resolve, reject) =>
      client.analyze(request, (error, result) => (error ? reject(error) : resolve(result))),
    );
    expect(
      response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]),
    ).toEqual([
      [
        "kafka-topic-replication",
        EnforcementLevel.MANDATORY,
        `${kafkaTopicReplication.description}\n` +
          'KafkaTopic "task-events": spec.replicas is 1; set it to 3 or more (stack config kafka.replicationFactor) so the topic survives the loss of a broker.',
      ],
      [
        "kafka-topic-replication",
        EnforcementLevel.MANDATORY,
        `${kafkaTopicReplication.description}\n` +
          'KafkaTopic "task-events": spec.config["min.insync.replicas"] is 1; set it to 2 or more (stack config kafka.minInsyncReplicas) so every acknowledged write is on at least two brokers.',
      ],
    ]);
  });
});
