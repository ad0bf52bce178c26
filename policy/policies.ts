// The platform's CrossGuard policies: the prod invariants of what the Pulumi program registers, as plain policy objects.
import { DEAD_LETTER_TOPIC, TOPIC_LIST } from "@event-platform/events/src/topics";
import type {
  EnforcementLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { maxMinInsyncReplicas, quantityValue, STRIMZI_KAFKA_VERSIONS } from "../infra/config";
import { APP_LIST, hasSidecarRoutes } from "../specs/apps";
import {
  APP_TOKEN_ENV,
  APP_TOKEN_KEY,
  APP_TOKEN_SECRET_ANNOTATION,
  appTokenSecretName,
  SIDECAR_RESOURCE_ANNOTATIONS,
} from "../specs/dapr";
import { DAPR_ENABLED, DISABLE_BUILTIN_K8S_SECRET_STORE } from "../specs/pods";

/** Type tokens of the resources the policies look at. */
export const TYPES = {
  kafkaTopic: "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
  kafka: "kubernetes:kafka.strimzi.io/v1:Kafka",
  kafkaProvider: "pulumi:providers:kafka",
  providerTopic: "kafka:index/topic:Topic",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daprComponent: "kubernetes:dapr.io/v1alpha1:Component",
  daprSubscription: "kubernetes:dapr.io/v2alpha1:Subscription",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
} as const;

/**
 * The pack's enforcement level: mandatory for a prod stack, advisory otherwise. A stack is prod when its config
 * `event-platform:profile` says so or, without that key, when it is named `prod`: the rule infra/config.ts uses to
 * pick the stack's profile, so the pack and the program always agree on what a stack is.
 */
export function enforcementLevelFor(stack: string, profile: string | undefined): EnforcementLevel {
  return (profile ?? stack) === "prod" ? "mandatory" : "advisory";
}

/** Resource inputs as the engine hands them over: untyped JSON. */
type Props = Record<string, unknown>;

function objectAt(value: unknown, ...path: string[]): Props | undefined {
  let node = value;
  for (const key of path) node = node && typeof node === "object" ? (node as Props)[key] : undefined;
  return node && typeof node === "object" && !Array.isArray(node) ? (node as Props) : undefined;
}

function listAt(value: unknown, ...path: string[]): Props[] {
  const parent = objectAt(value, ...path.slice(0, -1));
  const list = parent?.[path[path.length - 1] ?? ""];
  return Array.isArray(list) ? list.filter((item): item is Props => item !== null && typeof item === "object") : [];
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** How a value reads in a message. */
function shown(value: unknown): string {
  if (!isSet(value)) return "not set";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `Kind "name"` of a Kubernetes object, by its own name (the Pulumi name when it has none). */
function label(kind: string, args: { props: Props; name: string }): string {
  const name = objectAt(args.props, "metadata")?.name;
  return `${kind} "${typeof name === "string" ? name : args.name}"`;
}

/** A validation that runs only on resources of `type` (or of one of `types`), like the SDK's `validateResourceOfType`, by type token. */
function ofType(
  type: string | readonly string[],
  validate: (props: Props, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidation {
  const types: readonly string[] = typeof type === "string" ? [type] : type;
  return (args, reportViolation) => {
    if (!types.includes(args.type))
      args.notApplicable(`Policy only applies to resources of type '${types.join("', '")}'`);
    validate(args.props, args, reportViolation);
  };
}

const MIN_REPLICAS = 3;
const MIN_INSYNC_REPLICAS = 2;

export const kafkaTopicReplication: ResourceValidationPolicy = {
  name: "kafka-topic-replication",
  description: `Strimzi KafkaTopics keep ${MIN_REPLICAS} or more replicas and min.insync.replicas of ${MIN_INSYNC_REPLICAS} or more.`,
  validateResource: ofType(TYPES.kafkaTopic, (props, args, reportViolation) => {
    const topic = label("KafkaTopic", args);
    const replicas = objectAt(props, "spec")?.replicas;
    if (!(Number(replicas) >= MIN_REPLICAS)) {
      reportViolation(
        `${topic}: spec.replicas is ${shown(replicas)}; set it to ${MIN_REPLICAS} or more (stack config kafka.replicationFactor) so the topic survives the loss of a broker.`,
      );
    }
    const minInsync = objectAt(props, "spec", "config")?.["min.insync.replicas"];
    if (!(Number(minInsync) >= MIN_INSYNC_REPLICAS)) {
      reportViolation(
        `${topic}: spec.config["min.insync.replicas"] is ${shown(minInsync)}; set it to ${MIN_INSYNC_REPLICAS} or more (stack config kafka.minInsyncReplicas) so every acknowledged write is on at least two brokers.`,
      );
    }
  }),
};

/** Where a resource keeps its replication factor and `min.insync.replicas`, by type: the paths a message names. */
const AVAILABILITY_FIELDS: Record<string, { kind: string; replicas: string[]; minInsync: string[] }> = {
  [TYPES.kafkaTopic]: {
    kind: "KafkaTopic",
    replicas: ["spec", "replicas"],
    minInsync: ["spec", "config", "min.insync.replicas"],
  },
  [TYPES.providerTopic]: {
    kind: "Kafka topic",
    replicas: ["replicationFactor"],
    minInsync: ["config", "min.insync.replicas"],
  },
  [TYPES.kafka]: {
    kind: "Kafka",
    replicas: ["spec", "kafka", "config", "default.replication.factor"],
    minInsync: ["spec", "kafka", "config", "min.insync.replicas"],
  },
};

/** A path as a message shows it: `spec.config["min.insync.replicas"]`. */
function fieldPath(path: readonly string[]): string {
  return path.map((part, i) => (/^[A-Za-z]+$/.test(part) ? `${i > 0 ? "." : ""}${part}` : `["${part}"]`)).join("");
}

function valueAtPath(props: Props, path: readonly string[]): unknown {
  return objectAt(props, ...path.slice(0, -1))?.[path[path.length - 1] ?? ""];
}

export const kafkaTopicAvailability: ResourceValidationPolicy = {
  name: "kafka-topic-availability",
  description:
    "With replication above 1, min.insync.replicas is at most the replication factor - 1 (Strimzi KafkaTopics, the Strimzi Kafka's defaults, @pulumi/kafka Topics), so writes go on while one broker restarts.",
  validateResource: ofType(Object.keys(AVAILABILITY_FIELDS), (props, args, reportViolation) => {
    const fields = AVAILABILITY_FIELDS[args.type];
    if (!fields) return;
    const replicas = Number(valueAtPath(props, fields.replicas));
    const minInsync = valueAtPath(props, fields.minInsync);
    if (!Number.isInteger(replicas) || replicas <= 1 || !isSet(minInsync)) return;
    const max = maxMinInsyncReplicas(replicas);
    if (Number(minInsync) <= max) return;
    const subject =
      args.type === TYPES.providerTopic ? `Kafka topic "${shown(props.name ?? args.name)}"` : label(fields.kind, args);
    reportViolation(
      `${subject}: ${fieldPath(fields.minInsync)} is ${shown(minInsync)} with ${fieldPath(fields.replicas)} ${replicas}; set it to ${max} or less (stack config kafka.minInsyncReplicas): with acks=all a write needs that many replicas in sync, so a value above ${max} stops every write while one broker restarts.`,
    );
  }),
};

export const strimziKafkaVersion: ResourceValidationPolicy = {
  name: "strimzi-kafka-version",
  description: "The Strimzi Kafka cluster runs a Kafka version that the pinned Strimzi operator supports.",
  validateResource: ofType(TYPES.kafka, (props, args, reportViolation) => {
    const version = objectAt(props, "spec", "kafka")?.version;
    if (!(STRIMZI_KAFKA_VERSIONS as readonly unknown[]).includes(version)) {
      reportViolation(
        `${label("Kafka", args)}: spec.kafka.version is ${shown(version)}; the pinned Strimzi operator runs only Kafka ${STRIMZI_KAFKA_VERSIONS.join(", ")}: set stack config kafka.strimzi.kafkaVersion to one of them.`,
      );
    }
  }),
};

const SCRAM_MECHANISMS = ["scram-sha256", "scram-sha512"];
const SASL_FIX = "set stack config kafka.username and the secret kafkaPassword";

export const kafkaProviderTlsSasl: ResourceValidationPolicy = {
  name: "kafka-provider-tls-sasl",
  description: "The Kafka provider (Redpanda Cloud or an external cluster) connects over TLS with SASL SCRAM.",
  validateResource: ofType(TYPES.kafkaProvider, (props, args, reportViolation) => {
    const provider = `Kafka provider "${args.name}"`;
    // Provider inputs reach the engine JSON-encoded, so a boolean arrives as the string "true".
    const tls = props.tlsEnabled;
    if (tls !== true && tls !== "true") {
      reportViolation(
        `${provider}: tlsEnabled is ${shown(tls)}; the brokers must be reached over TLS: ${SASL_FIX} (SASL SCRAM over TLS).`,
      );
    }
    const mechanism = props.saslMechanism;
    if (!SCRAM_MECHANISMS.includes(String(mechanism))) {
      reportViolation(
        `${provider}: saslMechanism is ${shown(mechanism)}; set it to ${SCRAM_MECHANISMS.join(" or ")} (stack config kafka.saslMechanism SHA-256 or SHA-512).`,
      );
    }
    const username = props.saslUsername;
    if (typeof username !== "string" || !isSet(username)) {
      reportViolation(
        `${provider}: saslUsername is ${shown(username)}; ${SASL_FIX} so it authenticates with SASL SCRAM.`,
      );
    }
  }),
};

/** The sidecar annotations every Deployment's pod template carries, each with what a valid value is. */
const DAPR_ANNOTATIONS: { key: string; valid: (value: unknown) => boolean; expected: string }[] = [
  { key: "dapr.io/enabled", valid: (v) => v === "true", expected: `"true" so Dapr injects its sidecar` },
  {
    key: "dapr.io/app-id",
    valid: (v) => typeof v === "string" && v !== "",
    expected: "the app's Dapr id, which names its sidecar, consumer group and scopes",
  },
  {
    key: "dapr.io/app-port",
    valid: (v) => typeof v === "string" && /^[0-9]+$/.test(v),
    expected: `the port the app listens on, as a string such as "3000", so the sidecar can deliver events`,
  },
];

export const daprSidecarAnnotations: ResourceValidationPolicy = {
  name: "dapr-sidecar-annotations",
  description:
    "Every Deployment has the Dapr sidecar annotations (enabled, app-id, app-port) on its pod template, and disables daprd's built-in Kubernetes secret store when the pod has no service-account token.",
  validateResource: ofType(TYPES.deployment, (props, args, reportViolation) => {
    const deployment = label("Deployment", args);
    const annotations = objectAt(props, "spec", "template", "metadata", "annotations") ?? {};
    const misplaced = objectAt(props, "metadata", "annotations") ?? {};
    for (const { key, valid, expected } of DAPR_ANNOTATIONS) {
      if (valid(annotations[key])) continue;
      const where =
        key in misplaced ? " (it is on the Deployment's own metadata, where Dapr does not look: move it)" : "";
      reportViolation(
        `${deployment}: spec.template.metadata.annotations["${key}"] is ${shown(annotations[key])}${where}; set it to ${expected}.`,
      );
    }
    const tokenless = objectAt(props, "spec", "template", "spec")?.automountServiceAccountToken === false;
    const storeDisabled = annotations[DISABLE_BUILTIN_K8S_SECRET_STORE];
    if (annotations[DAPR_ENABLED] === "true" && tokenless && storeDisabled !== "true") {
      reportViolation(
        `${deployment}: spec.template.metadata.annotations["${DISABLE_BUILTIN_K8S_SECRET_STORE}"] is ${shown(storeDisabled)} while spec.template.spec.automountServiceAccountToken is false; set it to "true" (build the template with specs/pods.ts podTemplate): without a service-account token daprd cannot start its built-in Kubernetes secret store, exits, and the pod crash-loops.`,
      );
    }
  }),
};

/** Whether a container reads `APP_API_TOKEN` from the `token` key of `secretName`. */
function readsAppToken(container: Props, secretName: string): boolean {
  return listAt(container, "env").some((variable) => {
    const ref = objectAt(variable, "valueFrom", "secretKeyRef");
    return variable.name === APP_TOKEN_ENV && ref?.name === secretName && ref.key === APP_TOKEN_KEY;
  });
}

export const daprAppToken: ResourceValidationPolicy = {
  name: "dapr-app-token",
  description: `Every Deployment of an app with routes only its sidecar calls (event deliveries, service invocations) has Dapr's app API token: the ${APP_TOKEN_SECRET_ANNOTATION} annotation on its pod template, and ${APP_TOKEN_ENV} from the same Secret in the app's container.`,
  validateResource: ofType(TYPES.deployment, (props, args, reportViolation) => {
    const annotations = objectAt(props, "spec", "template", "metadata", "annotations") ?? {};
    // Without a sidecar nothing sends the token; dapr-sidecar-annotations reports the missing sidecar.
    if (annotations[DAPR_ENABLED] !== "true") return;
    const app = APP_LIST.find((a) => a.id === annotations["dapr.io/app-id"]);
    // An app the catalog does not know may have such routes: only the catalog can tell that it has none.
    if (app && !hasSidecarRoutes(app)) return;
    const deployment = label("Deployment", args);
    const secretName = annotations[APP_TOKEN_SECRET_ANNOTATION];
    if (typeof secretName !== "string" || secretName === "") {
      const expected = app
        ? `"${appTokenSecretName(app)}" (specs/dapr.ts sidecarAnnotations)`
        : "the app's token Secret";
      reportViolation(
        `${deployment}: spec.template.metadata.annotations["${APP_TOKEN_SECRET_ANNOTATION}"] is ${shown(secretName)}; set it to ${expected}: without it daprd sends no dapr-api-token, so the app cannot tell its sidecar's event deliveries and invocations from calls of any pod that reaches its port.`,
      );
      return;
    }
    const containers = listAt(props, "spec", "template", "spec", "containers");
    if (!containers.some((container) => readsAppToken(container, secretName))) {
      reportViolation(
        `${deployment}: no container reads ${APP_TOKEN_ENV} from key "${APP_TOKEN_KEY}" of Secret "${secretName}", which its ${APP_TOKEN_SECRET_ANNOTATION} annotation names; add env ${APP_TOKEN_ENV} with valueFrom.secretKeyRef {name: ${secretName}, key: ${APP_TOKEN_KEY}} (specs/app-env.ts appEnvironment) so the app holds the token its sidecar sends and refuses calls without it.`,
      );
    }
  }),
};

const RESOURCE_FIELDS = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

/** A Kubernetes quantity string of the kind stack config allows (annotation values are strings). */
function isQuantity(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    quantityValue(value);
    return true;
  } catch {
    return false;
  }
}

/** The seccomp profile types Pod Security `restricted` accepts. */
const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];

export const deploymentHardening: ResourceValidationPolicy = {
  name: "deployment-hardening",
  description:
    "Every container of a Deployment or StatefulSet, and the Dapr sidecar through its annotations, has resource requests and limits; every container has startup, liveness and readiness probes and passes Pod Security restricted (non-root, no privilege escalation, all capabilities dropped, a seccomp profile) with a read-only root filesystem.",
  validateResource: ofType([TYPES.deployment, TYPES.statefulSet], (props, args, reportViolation) => {
    const pod = objectAt(props, "spec", "template", "spec");
    const isDeployment = args.type === TYPES.deployment;
    const workload = label(isDeployment ? "Deployment" : "StatefulSet", args);
    // Only the apps' resources are stack config; PostgreSQL's are set in components/postgres.ts.
    const resourcesKey = isDeployment ? " (stack config apps.resources)" : "";
    const annotations = objectAt(props, "spec", "template", "metadata", "annotations") ?? {};
    if (annotations[DAPR_ENABLED] === "true") {
      // The injected daprd container is not in the template: its resources are the pod's annotations.
      const { requests, limits } = SIDECAR_RESOURCE_ANNOTATIONS;
      const keys = [requests.cpu, requests.memory, limits.cpu, limits.memory];
      const unset = keys.filter((key) => !isQuantity(annotations[key]));
      if (unset.length > 0) {
        reportViolation(
          `${workload}: the Dapr sidecar has no valid ${unset.map((key) => `spec.template.metadata.annotations["${key}"]`).join(", ")} (${unset.map((key) => shown(annotations[key])).join(", ")}); set the sidecar's cpu and memory requests and limits as quantity strings (stack config dapr.sidecarResources) so the injected daprd container is scheduled for what it needs and cannot starve the node.`,
        );
      }
    }
    const podSecurity = objectAt(pod, "securityContext");
    const containers = [
      ...listAt(pod, "containers").map((c) => ({ container: c, kind: "container", probes: true })),
      // Init containers take no probes, but they run with the same privileges and use the same node.
      ...listAt(pod, "initContainers").map((c) => ({ container: c, kind: "init container", probes: false })),
    ];
    for (const { container, kind, probes } of containers) {
      const subject = `${workload}: ${kind} "${shown(container.name)}"`;
      const missing = RESOURCE_FIELDS.filter((field) => {
        const [group = "", resource = ""] = field.split(".");
        return !isSet(objectAt(container, "resources", group)?.[resource]);
      });
      if (missing.length > 0) {
        reportViolation(
          `${subject} sets no ${missing.map((f) => `resources.${f}`).join(", ")}; set cpu and memory requests and limits${resourcesKey} so the scheduler reserves what it needs and a leak cannot starve the node.`,
        );
      }
      if (probes && !container.startupProbe) {
        reportViolation(
          `${subject} has no startupProbe; add one (such as GET /healthz, failureThreshold × periodSeconds of a few minutes) so a slow start, such as a migration before the app listens, is not killed by the livenessProbe: Kubernetes starts liveness probing only once the startup probe has succeeded.`,
        );
      }
      if (probes && !container.livenessProbe) {
        reportViolation(
          `${subject} has no livenessProbe; add one (such as GET /healthz) so Kubernetes restarts it when it hangs.`,
        );
      }
      if (probes && !container.readinessProbe) {
        reportViolation(
          `${subject} has no readinessProbe; add one (such as GET /readyz) so it receives traffic only once its dependencies are reachable.`,
        );
      }
      const security = objectAt(container, "securityContext");
      const runAsUser = security?.runAsUser ?? podSecurity?.runAsUser;
      if ((security?.runAsNonRoot ?? podSecurity?.runAsNonRoot) !== true || runAsUser === 0) {
        reportViolation(
          `${subject} may run as root; set runAsNonRoot: true and the image's numeric non-root runAsUser in spec.template.spec.securityContext or in the container's securityContext (Pod Security restricted).`,
        );
      }
      if (security?.allowPrivilegeEscalation !== false) {
        reportViolation(
          `${subject}: securityContext.allowPrivilegeEscalation is ${shown(security?.allowPrivilegeEscalation)}; set it to false so the process cannot gain more privileges than it started with.`,
        );
      }
      const drop = objectAt(security, "capabilities")?.drop;
      if (!Array.isArray(drop) || !drop.includes("ALL")) {
        reportViolation(
          `${subject}: securityContext.capabilities.drop is ${shown(drop)}; set it to ["ALL"] (Pod Security restricted) so the process holds no Linux capability.`,
        );
      }
      const seccomp = objectAt(security, "seccompProfile")?.type ?? objectAt(podSecurity, "seccompProfile")?.type;
      if (!SECCOMP_TYPES.includes(String(seccomp))) {
        reportViolation(
          `${subject} has seccompProfile.type ${shown(seccomp)}; set seccompProfile: {type: RuntimeDefault} in spec.template.spec.securityContext (Pod Security restricted) so the kernel filters its system calls.`,
        );
      }
      if (security?.readOnlyRootFilesystem !== true) {
        reportViolation(
          `${subject}: securityContext.readOnlyRootFilesystem is ${shown(security?.readOnlyRootFilesystem)}; set it to true, with an emptyDir for each path it writes (such as /tmp), so a compromised process cannot change its image's files.`,
        );
      }
    }
  }),
};

/** Metadata names that carry credentials or keys in Dapr components (saslPassword, caCert, connectionString, ...). */
const SECRET_NAME = /password|secret|token|key|cert|connectionstring|credential/i;

export const daprComponentSecretRefs: ResourceValidationPolicy = {
  name: "dapr-component-secret-refs",
  description: "Dapr Component metadata never holds a secret in plaintext: secret-like items use secretKeyRef.",
  validateResource: ofType(TYPES.daprComponent, (props, args, reportViolation) => {
    for (const item of listAt(props, "spec", "metadata")) {
      const name = shown(item.name);
      if (!SECRET_NAME.test(name) || item.value === undefined) continue;
      reportViolation(
        `${label("Dapr Component", args)}: metadata item ${name} has a plaintext value; put it in a Kubernetes Secret and reference it with secretKeyRef: {name, key} instead of value.`,
      );
    }
  }),
};

const CATALOG_TOPICS = TOPIC_LIST.map((t) => t.name);

export const subscriptionDeadLetterTopic: ResourceValidationPolicy = {
  name: "subscription-dead-letter-topic",
  description: `Every Dapr Subscription names a dead-letter topic from the event catalog (${DEAD_LETTER_TOPIC}), except the subscription to the dead-letter topic itself.`,
  validateResource: ofType(TYPES.daprSubscription, (props, args, reportViolation) => {
    const spec = objectAt(props, "spec");
    const topic = spec?.topic;
    if (topic === DEAD_LETTER_TOPIC) return; // dead-lettering the dead letters would loop
    const deadLetter = spec?.deadLetterTopic;
    const subscription = label("Dapr Subscription", args);
    if (typeof deadLetter !== "string" || deadLetter === "") {
      reportViolation(
        `${subscription}: spec.deadLetterTopic is not set; set it to ${DEAD_LETTER_TOPIC} so an event that still fails after the retries is kept instead of being retried forever while its partition stalls.`,
      );
    } else if (!CATALOG_TOPICS.includes(deadLetter)) {
      reportViolation(
        `${subscription}: spec.deadLetterTopic is ${deadLetter}, which is not a topic of the event catalog (events/src/topics.ts); set it to ${DEAD_LETTER_TOPIC}.`,
      );
    } else if (deadLetter === topic) {
      reportViolation(
        `${subscription}: spec.deadLetterTopic is its own topic ${deadLetter}, so a failing event would loop; set it to ${DEAD_LETTER_TOPIC}.`,
      );
    }
  }),
};

/** Names of the Kafka topics the stack creates: Strimzi KafkaTopics and @pulumi/kafka Topics. */
function createdTopics(resources: PolicyResource[]): Set<string> {
  const names = resources.map((r) => {
    if (r.type === TYPES.providerTopic) return r.props.name;
    if (r.type === TYPES.kafkaTopic) return objectAt(r.props, "spec")?.topicName ?? objectAt(r.props, "metadata")?.name;
    return undefined;
  });
  return new Set(names.filter((name): name is string => typeof name === "string"));
}

export const deadLetterTopicCreated: StackValidationPolicy = {
  name: "dead-letter-topic-created",
  description: "The stack creates every dead-letter topic its Dapr Subscriptions name: Dapr never creates it.",
  validateStack: (args, reportViolation) => {
    const topics = createdTopics(args.resources);
    for (const resource of args.resources) {
      if (resource.type !== TYPES.daprSubscription) continue;
      const deadLetter = objectAt(resource.props, "spec")?.deadLetterTopic;
      if (typeof deadLetter !== "string" || deadLetter === "" || topics.has(deadLetter)) continue;
      reportViolation(
        `${label("Dapr Subscription", resource)}: its dead-letter topic ${deadLetter} is not created by this stack; create it as a Strimzi KafkaTopic or a kafka.Topic (Dapr never creates a dead-letter topic, and Redpanda Cloud does not create topics on first use).`,
        resource.urn,
      );
    }
  },
};

/** Whether a NetworkPolicy selects every pod of its namespace and allows nothing in either direction. */
function isDefaultDeny(props: Props): boolean {
  const spec = objectAt(props, "spec");
  const selector = objectAt(spec, "podSelector");
  const selectsAll =
    selector !== undefined &&
    listAt(selector, "matchExpressions").length === 0 &&
    Object.keys(objectAt(selector, "matchLabels") ?? {}).length === 0;
  const types = Array.isArray(spec?.policyTypes) ? spec.policyTypes : [];
  return (
    selectsAll &&
    types.includes("Ingress") &&
    types.includes("Egress") &&
    listAt(spec, "ingress").length === 0 &&
    listAt(spec, "egress").length === 0
  );
}

export const networkIsolation: StackValidationPolicy = {
  name: "network-isolation",
  description:
    "Every namespace the stack runs workloads in has a default-deny NetworkPolicy (ingress and egress), and every Strimzi Kafka listener names the peers allowed on it.",
  validateStack: (args, reportViolation) => {
    const denied = new Set(
      args.resources
        .filter((r) => r.type === TYPES.networkPolicy && isDefaultDeny(r.props))
        .map((r) => objectAt(r.props, "metadata")?.namespace),
    );
    const reported = new Set<unknown>();
    for (const resource of args.resources) {
      if (resource.type !== TYPES.deployment && resource.type !== TYPES.statefulSet) continue;
      const namespace = objectAt(resource.props, "metadata")?.namespace;
      if (denied.has(namespace) || reported.has(namespace)) continue;
      reported.add(namespace);
      const kind = resource.type === TYPES.deployment ? "Deployment" : "StatefulSet";
      reportViolation(
        `${label(kind, resource)}: its namespace ${shown(namespace)} has no default-deny NetworkPolicy (spec.podSelector {}, spec.policyTypes [Ingress, Egress], no rules); add one (components/network-policies.ts) so its pods reach and are reached by only what their own NetworkPolicies allow.`,
        resource.urn,
      );
    }
    for (const resource of args.resources) {
      if (resource.type !== TYPES.kafka) continue;
      listAt(resource.props, "spec", "kafka", "listeners").forEach((listener, index) => {
        if (listAt(listener, "networkPolicyPeers").length > 0) return;
        reportViolation(
          `${label("Kafka", resource)}: spec.kafka.listeners[${index}] (${shown(listener.name)}).networkPolicyPeers is not set; set it to the apps' sidecars (specs/network.ts kafkaClientPeers): without peers Strimzi lets every pod of the cluster connect to the listener.`,
          resource.urn,
        );
      });
    }
  },
};

/** Every policy of the pack, in the order the README lists them. */
export const POLICIES: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  kafkaTopicReplication,
  kafkaTopicAvailability,
  strimziKafkaVersion,
  kafkaProviderTlsSasl,
  daprSidecarAnnotations,
  daprAppToken,
  deploymentHardening,
  daprComponentSecretRefs,
  subscriptionDeadLetterTopic,
  deadLetterTopicCreated,
  networkIsolation,
];
