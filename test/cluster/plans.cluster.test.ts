// The standard plans applied to a real Kubernetes API server with the charts installed by a real Helm: every object accepted without a warning, a second apply changes nothing, and the Helm values give the intended control plane.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppliedPlan,
  applyPlan,
  deletePlan,
  diffObjects,
  type KubeObject,
  objectRef,
  planSteps,
} from "../../local/cluster/plan-apply";
import { clusterClient } from "../support/cluster";
import { PINNED_CHARTS } from "../support/pinned-charts";
import type { Plan, StandardPlanName } from "../support/plan";
import { standardPlan } from "../support/standard-plans";

// The plans all create the same namespaces (event-platform, kafka, dapr-system) and install the same cluster-wide
// charts (Dapr's and Strimzi's ClusterRoles, webhooks), so two plans cannot live in one cluster side by side, and
// renaming their namespaces would change the objects under test. They are therefore applied one after another, each
// to an empty cluster (only the CRDs) and removed completely before the next: the describe blocks of this one file
// run in order, and no other test file touches these namespaces.

/** The field manager of the applies, as Pulumi's provider owns what it applies under one manager. */
const FIELD_MANAGER = "event-platform";

/** Replicas of each Dapr control-plane service the plan is meant to get: HA (3) on the prod profile, 1 on dev. */
const DAPR_REPLICAS: Record<StandardPlanName, number> = { dev: 1, prod: 3, redpanda: 3, external: 1 };
/**
 * Dapr 1.18's scheduler runs 3 replicas whatever `global.ha.enabled` says: its chart hard-codes them
 * (charts/dapr_scheduler/templates/dapr_scheduler_statefulset.yaml, `replicas: 3`), each with a volume claim unless
 * `dapr_scheduler.cluster.inMemoryStorage` is set.
 */
const DAPR_SCHEDULER_REPLICAS = 3;

const client = clusterClient();
const log = (line: string) => console.log(`[cluster] ${line}`);

async function getObject<T = KubeObject>(kind: string, name: string, namespace: string): Promise<T> {
  const result = await client.kubectl(["get", kind, name, "--namespace", namespace, "-o", "json"]);
  if (result.code !== 0) throw new Error(`kubectl get ${kind} ${name} -n ${namespace}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as T;
}

interface Workload {
  metadata: { name: string; namespace: string };
  spec: {
    replicas?: number;
    template: {
      spec: {
        containers: {
          name: string;
          env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
        }[];
      };
    };
  };
}

async function workloads(kind: "deployments" | "statefulsets", namespace: string): Promise<Workload[]> {
  const result = await client.kubectl(["get", kind, "--namespace", namespace, "-o", "json"]);
  if (result.code !== 0) throw new Error(`kubectl get ${kind} -n ${namespace}: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { items: Workload[] }).items;
}

const PLANS: readonly StandardPlanName[] = ["dev", "prod", "redpanda", "external"];
/** The plans whose Kafka is a Strimzi cluster in the same Kubernetes cluster. */
const STRIMZI_PLANS: readonly StandardPlanName[] = ["dev", "prod"];

describe.each(PLANS)("the %s plan on a real API server", (name) => {
  let plan: Plan;
  let applied: AppliedPlan;
  const objects = () =>
    planSteps(plan.resources, PINNED_CHARTS).flatMap((s) => (s.kind === "object" ? [s.object] : []));
  const release = (chart: string) => applied.releases.find((r) => r.release.chart.chart.endsWith(chart));

  beforeAll(async () => {
    plan = standardPlan(name);
    expect(plan.code, plan.stderr).toBe(0);
    applied = await applyPlan(client, plan.resources, { fieldManager: FIELD_MANAGER, charts: PINNED_CHARTS });
    for (const r of applied.releases) {
      log(
        `${name}: helm install ${r.release.name} ${r.release.chart.chart} ${r.release.chart.version} into ${r.release.namespace}: ${
          r.installed ? "installed" : `failed: ${r.error}`
        }`,
      );
    }
    const refused = applied.objects.filter((o) => !o.accepted).length;
    const warned = applied.objects.filter((o) => o.warnings.length > 0).length;
    log(`${name}: ${applied.objects.length} objects applied: ${refused} refused, ${warned} with warnings`);
  }, 300_000);

  afterAll(async () => {
    if (applied) await deletePlan(client, applied);
  }, 300_000);

  it("applies every Kubernetes object the plan renders, namespaces first", () => {
    const refs = applied.objects.map((o) => o.ref);
    expect([...refs].sort()).toEqual(plan.manifests.map((m) => objectRef(m as KubeObject)).sort());
    expect(refs.length).toBeGreaterThan(20);
    const namespaces = refs.filter((ref) => ref.startsWith("Namespace/"));
    expect(refs.slice(0, namespaces.length)).toEqual(namespaces);
  });

  it("installs every Helm release of the plan from the pinned chart, as the server accepts it", () => {
    const releases = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => r.name);
    expect(applied.releases.map((r) => r.resource)).toEqual(releases);
    expect(applied.releases.filter((r) => !r.installed).map((r) => `${r.resource}: ${r.error}`)).toEqual([]);
  });

  it("has every object accepted by the server", () => {
    expect(applied.objects.filter((o) => !o.accepted).map((o) => `${o.ref}: ${o.error}`)).toEqual([]);
  });

  it("gets no warning from the server, on the plan's objects nor on the charts' (Pod Security admission included)", () => {
    const warnings = [
      ...applied.objects.flatMap((o) => o.warnings.map((w) => `${o.ref}: ${w}`)),
      ...applied.releases.flatMap((r) => r.warnings.map((w) => `helm release ${r.release.name}: ${w}`)),
    ];
    expect(warnings).toEqual([]);
  });

  it("changes nothing when applied again: the server's dry run of the same apply differs in nothing, with no conflict", async () => {
    const diff = await diffObjects(client, objects(), FIELD_MANAGER);
    expect(diff.stderr).toBe("");
    expect(diff.diff).toBe("");
    expect(diff.code).toBe(0);
  });

  it(`runs the Dapr control plane with ${DAPR_REPLICAS[name]} replica(s) of each service (the scheduler: 3), mTLS on`, async () => {
    const dapr = release("dapr");
    expect(dapr?.installed).toBe(true);
    const namespace = dapr?.release.namespace ?? "";
    const replicas = Object.fromEntries(
      [...(await workloads("deployments", namespace)), ...(await workloads("statefulsets", namespace))].map((w) => [
        w.metadata.name,
        w.spec.replicas,
      ]),
    );
    const expected = DAPR_REPLICAS[name];
    expect(replicas).toEqual({
      "dapr-operator": expected,
      "dapr-sentry": expected,
      "dapr-sidecar-injector": expected,
      "dapr-placement-server": expected,
      "dapr-scheduler-server": DAPR_SCHEDULER_REPLICAS,
    });
    const configuration = await getObject<{ spec: { mtls?: { enabled?: boolean } } }>(
      "configurations.dapr.io",
      "daprsystem",
      namespace,
    );
    expect(configuration.spec.mtls?.enabled).toBe(true);
  });

  if (!STRIMZI_PLANS.includes(name)) {
    it("installs no Strimzi operator (Kafka is not in the cluster)", () => {
      expect(release("strimzi-kafka-operator")).toBeUndefined();
      expect(plan.manifests.filter((m) => String(m.apiVersion).startsWith("kafka.strimzi.io/"))).toEqual([]);
    });
    return;
  }

  it("runs the Strimzi operator watching the namespace of the plan's Kafka cluster", async () => {
    const kafka = plan.manifests.find((m) => m.kind === "Kafka") as KubeObject | undefined;
    const kafkaNamespace = kafka?.metadata.namespace;
    expect(kafkaNamespace).toBeTruthy();
    const strimzi = release("strimzi-kafka-operator");
    expect(strimzi?.installed).toBe(true);
    const operator = await getObject<Workload>(
      "deployment",
      "strimzi-cluster-operator",
      strimzi?.release.namespace ?? "",
    );
    const env = operator.spec.template.spec.containers.flatMap((c) => c.env ?? []);
    const watched = env.find((e) => e.name === "STRIMZI_NAMESPACE");
    // The chart sets a list (`value`) when told namespaces to watch, else the operator's own namespace (fieldRef).
    const namespaces =
      watched?.value?.split(",") ??
      (watched?.valueFrom?.fieldRef?.fieldPath === "metadata.namespace" ? [operator.metadata.namespace] : []);
    expect(namespaces).toContain(kafkaNamespace);
  });
});
