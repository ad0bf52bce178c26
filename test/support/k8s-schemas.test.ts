// The manifest validator accepts upstream's own examples and reports real violations with kind, name and path.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { CRD_DIR, crdVersions, uncheckedSchemaFeatures, validateManifest, validateManifests } from "./k8s-schemas";
import { upstreamPaths } from "./upstream";

type Manifest = Record<string, unknown>;

/** Strimzi's own example manifests, from the upstream cache (test/support/upstream.ts). */
const EXAMPLES_DIR = upstreamPaths.strimziExamples;

function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((document) => document.toJS() as unknown)
    .filter((value): value is Manifest => typeof value === "object" && value !== null);
}

const exampleFiles = readdirSync(EXAMPLES_DIR)
  .filter((file) => file.endsWith(".yaml") && file !== "helm-values.yaml")
  .sort();

/** A copy of the first `kind` in an upstream example file, to mutate. */
function example(file: string, kind: string): Manifest {
  const found = readManifests(path.join(EXAMPLES_DIR, file)).find((manifest) => manifest.kind === kind);
  if (!found) throw new Error(`${file} has no ${kind}`);
  return structuredClone(found);
}

/** Deep-sets `value` at a dotted path such as `spec.kafka.listeners.0.type`; `undefined` deletes the field. */
function set(manifest: Manifest, dotted: string, value: unknown): Manifest {
  const keys = dotted.split(".");
  const last = keys.pop() ?? "";
  let node = manifest as Record<string, unknown>;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return manifest;
}

describe("CRD loading", () => {
  it("loads the pinned Strimzi and Dapr CRDs and can check every feature they use", () => {
    expect(CRD_DIR).toMatch(/crds$/);
    expect(crdVersions()).toEqual(["dapr-1.18.3", "strimzi-1.2.0"]);
    // x-kubernetes-* keywords or CEL rules the validator cannot check would be listed here.
    expect(uncheckedSchemaFeatures()).toEqual([]);
  });
});

describe("Strimzi 1.2.0 examples", () => {
  it("has examples to check", () => {
    expect(exampleFiles).toEqual([
      "kafka-ephemeral.yaml",
      "kafka-persistent.yaml",
      "kafka-single-node.yaml",
      "kafka-topic.yaml",
      "kafka-user.yaml",
    ]);
  });

  it.each(exampleFiles)("%s validates with no violations", (file) => {
    const manifests = readManifests(path.join(EXAMPLES_DIR, file));
    expect(manifests.length).toBeGreaterThan(0);
    expect(validateManifests(manifests)).toEqual([]);
  });

  it("rejects a Kafka listener of an unknown type, listing the allowed ones", () => {
    const kafka = set(example("kafka-single-node.yaml", "Kafka"), "spec.kafka.listeners.0.type", "bogus");
    expect(validateManifest(kafka)).toEqual([
      "Kafka/my-cluster: /spec/kafka/listeners/0/type must be equal to one of the allowed values: " +
        "internal, route, tlsroute, loadbalancer, nodeport, ingress, cluster-ip",
    ]);
  });

  it("rejects a KafkaNodePool without replicas", () => {
    const pool = set(example("kafka-ephemeral.yaml", "KafkaNodePool"), "spec.replicas", undefined);
    expect(validateManifest(pool)).toEqual(["KafkaNodePool/controller: /spec must have required property 'replicas'"]);
  });

  it("rejects a KafkaTopic whose partitions is a string", () => {
    const topic = set(example("kafka-topic.yaml", "KafkaTopic"), "spec.partitions", "three");
    expect(validateManifest(topic)).toEqual(["KafkaTopic/my-topic: /spec/partitions must be integer"]);
  });

  it("rejects unknown fields, which the API server would reject or prune, except under preserve-unknown-fields", () => {
    const kafka = set(example("kafka-single-node.yaml", "Kafka"), "spec.kafka.replica", 3);
    set(kafka, "spec.kafka.config", { "any.broker.setting": "kept", "num.partitions": 6 });
    expect(validateManifest(kafka)).toEqual(["Kafka/my-cluster: /spec/kafka must NOT have unknown field 'replica'"]);
  });

  it("accepts Kubernetes quantities as integers or strings and rejects malformed ones", () => {
    const pool = set(example("kafka-ephemeral.yaml", "KafkaNodePool"), "spec.resources", {
      requests: { cpu: 1, memory: "2Gi" },
      limits: { cpu: "1500m", memory: "lots" },
    });
    const violations = validateManifest(pool);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain("KafkaNodePool/controller: /spec/resources/limits/memory must match pattern");
  });

  it("evaluates the CRDs' CEL rules (x-kubernetes-validations)", () => {
    const kafka = set(example("kafka-single-node.yaml", "Kafka"), "spec.kafka.metricsConfig", {
      type: "jmxPrometheusExporter",
    });
    expect(validateManifest(kafka)).toEqual([
      "Kafka/my-cluster: /spec/kafka/metricsConfig valueFrom property is required",
    ]);

    set(kafka, "spec.kafka.metricsConfig.valueFrom", {
      configMapKeyRef: { name: "kafka-metrics", key: "metrics.yaml" },
    });
    expect(validateManifest(kafka)).toEqual([]);

    // Reading an absent field is a CEL error, which the API server also reports as a failed rule.
    set(kafka, "spec.kafka.rack", {});
    expect(validateManifest(kafka)).toEqual([
      "Kafka/my-cluster: /spec/kafka/rack topologyKey property is required " +
        '(rule (has(self.type) && self.type != "topology-label") || self.topologyKey != "" failed: field not found: topologyKey)',
    ]);

    const user = set(example("kafka-user.yaml", "KafkaUser"), "spec.authentication", {
      type: "tls",
      validityDays: 30,
      renewalDays: 60,
    });
    expect(validateManifest(user)).toEqual([
      "KafkaUser/my-user: /spec/authentication 'renewalDays' must be less than 'validityDays'.",
    ]);
    set(user, "spec.authentication.renewalDays", 10);
    expect(validateManifest(user)).toEqual([]);
  });

  it("names the served version when an object uses a removed one", () => {
    const kafka = set(example("kafka-single-node.yaml", "Kafka"), "apiVersion", "kafka.strimzi.io/v1beta2");
    expect(validateManifest(kafka)).toEqual([
      "Kafka/my-cluster: no schema for kafka.strimzi.io/v1beta2 Kafka (served: kafka.strimzi.io/v1)",
    ]);
  });
});

const daprComponent: Manifest = {
  apiVersion: "dapr.io/v1alpha1",
  kind: "Component",
  metadata: { name: "pubsub", namespace: "events" },
  spec: {
    type: "pubsub.kafka",
    version: "v1",
    metadata: [
      { name: "brokers", value: "dev-kafka-kafka-bootstrap:9092" },
      { name: "authType", value: "none" },
      { name: "saslPassword", secretKeyRef: { name: "kafka-credentials", key: "password" } },
    ],
  },
  scopes: ["backend"],
};

const daprSubscription: Manifest = {
  apiVersion: "dapr.io/v2alpha1",
  kind: "Subscription",
  metadata: { name: "task-events", namespace: "events" },
  spec: {
    pubsubname: "pubsub",
    topic: "task-events",
    routes: {
      rules: [{ match: 'event.type == "task.created"', path: "/events/task-created" }],
      default: "/events",
    },
    deadLetterTopic: "task-events-dlq",
  },
  scopes: ["backend"],
};

const daprResiliency: Manifest = {
  apiVersion: "dapr.io/v1alpha1",
  kind: "Resiliency",
  metadata: { name: "pubsub-resiliency", namespace: "events" },
  spec: {
    policies: {
      timeouts: { general: "5s" },
      retries: { pubsubRetry: { policy: "exponential", maxInterval: "15s", maxRetries: 10 } },
      circuitBreakers: {
        pubsubCB: { maxRequests: 1, interval: "8s", timeout: "45s", trip: "consecutiveFailures > 8" },
      },
    },
    targets: { components: { pubsub: { outbound: { retry: "pubsubRetry", circuitBreaker: "pubsubCB" } } } },
  },
};

describe("Dapr 1.18 resources", () => {
  it("accepts a Kafka pub/sub Component, a v2alpha1 Subscription and a Resiliency", () => {
    expect(validateManifests([daprComponent, daprSubscription, daprResiliency])).toEqual([]);
  });

  it("accepts the still-served v1alpha1 Subscription", () => {
    const v1 = {
      apiVersion: "dapr.io/v1alpha1",
      kind: "Subscription",
      metadata: { name: "legacy" },
      spec: { pubsubname: "pubsub", topic: "t", route: "/t" },
    };
    expect(validateManifest(v1)).toEqual([]);
  });

  it("rejects a Subscription rule whose path is not a string", () => {
    const subscription = set(structuredClone(daprSubscription), "spec.routes.rules.0.path", 5);
    expect(validateManifest(subscription)).toEqual([
      "Subscription/task-events: /spec/routes/rules/0/path must be string",
    ]);
  });

  it("rejects a Component without a version and a secretKeyRef without a name", () => {
    const component = set(structuredClone(daprComponent), "spec.version", undefined);
    set(component, "spec.metadata.2.secretKeyRef", { key: "password" });
    expect(validateManifest(component)).toEqual([
      "Component/pubsub: /spec must have required property 'version'",
      "Component/pubsub: /spec/metadata/2/secretKeyRef must have required property 'name'",
    ]);
  });

  it("rejects a Resiliency without targets", () => {
    const resiliency = set(structuredClone(daprResiliency), "spec.targets", undefined);
    expect(validateManifest(resiliency)).toEqual([
      "Resiliency/pubsub-resiliency: /spec must have required property 'targets'",
    ]);
  });
});

const labels = { "app.kubernetes.io/name": "api" };
const podTemplate = {
  metadata: { labels },
  spec: { containers: [{ name: "api", image: "ghcr.io/example/api:1.0.0", ports: [{ containerPort: 8080 }] }] },
};
const deployment: Manifest = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "api", namespace: "events", labels },
  spec: { replicas: 2, selector: { matchLabels: labels }, template: podTemplate },
};
const service: Manifest = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "api", namespace: "events" },
  spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
};

describe("core objects (kubernetes-models)", () => {
  it("accepts every supported core kind", () => {
    const objects: Manifest[] = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "events" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "kafka-credentials" }, stringData: { password: "x" } },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "kafka-metrics" },
        data: { "metrics.yaml": "rules: []" },
      },
      service,
      deployment,
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "postgres" },
        spec: {
          serviceName: "postgres",
          selector: { matchLabels: labels },
          template: podTemplate,
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
            },
          ],
        },
      },
      {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "api" },
        spec: { minAvailable: 1, selector: { matchLabels: labels } },
      },
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
      },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "api" } },
    ];
    expect(validateManifests(objects)).toEqual([]);
  });

  it("rejects a Deployment whose replicas is a string, with the path", () => {
    const invalid = set(structuredClone(deployment), "spec.replicas", "two");
    expect(validateManifest(invalid)).toEqual(["Deployment/api: /spec/replicas must be integer"]);
  });

  it("reports every violation, not just the first", () => {
    const invalid = set(structuredClone(deployment), "spec.selector", undefined);
    set(invalid, "spec.template.spec.containers.0.name", undefined);
    expect(validateManifest(invalid)).toEqual([
      "Deployment/api: /spec must have required property 'selector'",
      "Deployment/api: /spec/template/spec/containers/0 must have required property 'name'",
    ]);
  });

  it("rejects a Service port without a port number", () => {
    const invalid = set(structuredClone(service), "spec.ports.0", { name: "http", targetPort: 8080 });
    expect(validateManifest(invalid)).toEqual(["Service/api: /spec/ports/0 must have required property 'port'"]);
  });

  it("rejects a core object of a version kubernetes-models has no model for", () => {
    expect(validateManifest({ ...deployment, apiVersion: "apps/v1beta1" })).toEqual([
      "Deployment/api: no schema for apps/v1beta1 Deployment",
    ]);
  });
});

describe("metadata and unknown kinds", () => {
  it("reports an apiVersion/kind with no schema instead of passing it", () => {
    expect(validateManifest({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toEqual([
      "Widget/w: no schema for example.com/v1 Widget",
    ]);
    expect(validateManifest({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } })).toEqual([
      "Pod/p: no schema for v1 Pod",
    ]);
  });

  it("rejects a name that is not a DNS-1123 subdomain, on custom and core objects", () => {
    const topic = set(example("kafka-topic.yaml", "KafkaTopic"), "metadata.name", "Bad_Name");
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Bad_Name" } };
    expect(validateManifests([topic, configMap])).toEqual([
      `KafkaTopic/Bad_Name: /metadata/name must be a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' or '.', alphanumeric at both ends): "Bad_Name"`,
      `ConfigMap/Bad_Name: /metadata/name must be a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' or '.', alphanumeric at both ends): "Bad_Name"`,
    ]);
  });

  it("applies the stricter name rules of Namespace and Service, and checks namespace and labels", () => {
    expect(validateManifest({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team.events" } })).toEqual([
      `Namespace/team.events: /metadata/name must be a DNS-1123 label (at most 63 lowercase letters, digits or '-', alphanumeric at both ends): "team.events"`,
    ]);
    expect(validateManifest({ ...service, metadata: { name: "1api" } })).toEqual([
      `Service/1api: /metadata/name must be a DNS-1035 label (at most 63 lowercase letters, digits or '-', starting with a letter): "1api"`,
    ]);
    const component = { ...daprComponent, metadata: { name: "pubsub", namespace: "Events", labels: { tier: "a b" } } };
    expect(validateManifest(component)).toEqual([
      `Component/pubsub: /metadata/namespace must be a DNS-1123 label (at most 63 lowercase letters, digits or '-', alphanumeric at both ends): "Events"`,
      "Component/pubsub: /metadata/labels/tier must be a label value (at most 63 characters of [-A-Za-z0-9_.], alphanumeric at both ends)",
    ]);
  });

  it("rejects objects without a name, apiVersion or kind", () => {
    expect(validateManifest({ apiVersion: "v1", kind: "ConfigMap", metadata: {} })).toEqual([
      "ConfigMap/<no name>: /metadata/name must be a non-empty string",
    ]);
    expect(validateManifest({ metadata: { name: "x" } })).toEqual([
      "<no kind>/x: apiVersion and kind must be non-empty strings",
    ]);
    expect(validateManifest("kind: ConfigMap")).toEqual([
      '<not an object>: a manifest must be an object, got "kind: ConfigMap"',
    ]);
  });

  it("concatenates the violations of several objects in order", () => {
    const invalidDeployment = set(structuredClone(deployment), "spec.replicas", "two");
    const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } };
    expect(validateManifests([daprComponent, invalidDeployment, widget])).toEqual([
      "Deployment/api: /spec/replicas must be integer",
      "Widget/w: no schema for example.com/v1 Widget",
    ]);
  });
});

describe("CRD_DIR override", () => {
  let dir: string | undefined;

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Imports a fresh copy of the module, so CRD_DIR is resolved again from the stubbed environment. */
  async function freshModule(crdDir: string) {
    vi.stubEnv("CRD_DIR", crdDir);
    vi.resetModules();
    return import("./k8s-schemas.js");
  }

  it("reads CRDs from $CRD_DIR, honouring int-or-string without a type and listing what it cannot check", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crds-"));
    await mkdir(path.join(dir, "example-1.0.0"));
    // A minimal CRD written for this test: multi-document, int-or-string with no type, an unsupported list type, a CEL
    // macro over ints, and CEL that @bufbuild/cel cannot check (a syntax error, Kubernetes' own isSorted(), oldSelf).
    writeFileSync(
      path.join(dir, "example-1.0.0", "widgets.yaml"),
      `---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              port: {x-kubernetes-int-or-string: true}
              tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}
              sizes:
                type: array
                items: {type: integer}
                x-kubernetes-validations:
                - rule: self.all(s, s > 0)
                  message: sizes must be positive
                - rule: self.size( > 0
                - rule: self.isSorted()
              name:
                type: string
                x-kubernetes-validations:
                - rule: self == oldSelf
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
`,
    );
    const module = await freshModule(dir);
    expect(module.CRD_DIR).toBe(dir);
    expect(module.crdVersions()).toEqual(["example-1.0.0"]);
    expect(module.uncheckedSchemaFeatures()).toEqual([
      "example-1.0.0/widgets.yaml example.com/v1 Widget #/properties/spec/properties/tags: x-kubernetes-list-type",
      'example-1.0.0/widgets.yaml example.com/v1 Widget #/properties/spec/properties/sizes: x-kubernetes-validations rule "self.size( > 0"',
      'example-1.0.0/widgets.yaml example.com/v1 Widget #/properties/spec/properties/sizes: x-kubernetes-validations rule "self.isSorted()"',
      'example-1.0.0/widgets.yaml example.com/v1 Widget #/properties/spec/properties/name: x-kubernetes-validations rule "self == oldSelf"',
    ]);
    const widget = (port: unknown, more: Manifest = {}) => ({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w" },
      spec: { port, ...more },
    });
    // The rules it can check are evaluated and the others skipped: [3, 1] is not sorted and name has no oldSelf.
    expect(module.validateManifest(widget(1, { sizes: [3, 1], name: "w" }))).toEqual([]);
    expect(module.validateManifest(widget(1, { sizes: [3, 0] }))).toEqual([
      "Widget/w: /spec/sizes sizes must be positive",
    ]);
    expect(module.validateManifests([widget(8080), widget("http")])).toEqual([]);
    expect(module.validateManifest(widget(true))).toEqual([
      "Widget/w: /spec/port must be integer",
      "Widget/w: /spec/port must be string",
      "Widget/w: /spec/port must match a schema in anyOf",
    ]);
    expect(module.validateManifest({ ...widget(1), apiVersion: "example.com/v0" })).toEqual([
      "Widget/w: no schema for example.com/v0 Widget (served: example.com/v1)",
    ]);
    expect(module.validateManifest(example("kafka-topic.yaml", "KafkaTopic"))).toEqual([
      "KafkaTopic/my-topic: no schema for kafka.strimzi.io/v1 KafkaTopic",
    ]);
  });

  it("tells how to get the CRDs when the folder is missing", async () => {
    const module = await freshModule(path.join(tmpdir(), "no-such-crd-dir"));
    expect(() =>
      module.validateManifest({ apiVersion: "dapr.io/v1alpha1", kind: "Component", metadata: { name: "c" } }),
    ).toThrow(/No CRDs at .*no-such-crd-dir: npm test fetches them first/);
  });
});
