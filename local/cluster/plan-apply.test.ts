// Unit tests of what the harness decides without a server: the order it applies a plan in, how it maps a Release onto a pinned chart, how it reads warnings.
import { describe, expect, it } from "vitest";
import { type PinnedChart, type PlanResource, planSteps, releaseSpec, warningsOf } from "./plan-apply";

const CHARTS: PinnedChart[] = [
  { chart: "oci://example.test/charts/operator", version: "1.2.0", dir: "/charts/operator-1.2.0" },
  {
    chart: "dapr",
    repo: "https://charts.example.test/",
    version: "1.18.3",
    dir: "/charts/dapr-1.18.3",
    extraValues: { global: { tag: "1.18.3" } },
  },
];

const resource = (
  type: string,
  name: string,
  inputs: Record<string, unknown> = {},
  more: Partial<PlanResource> = {},
): PlanResource => ({ type, name, dependsOn: [], inputs, ...more });

const object = (kind: string, name: string, namespace?: string) => ({
  apiVersion: kind === "Namespace" ? "v1" : "example.test/v1",
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

const daprRelease = (inputs: Record<string, unknown> = {}) =>
  resource("kubernetes:helm.sh/v3:Release", "dapr-release", {
    name: "dapr",
    chart: "dapr",
    version: "1.18.3",
    repositoryOpts: { repo: "https://charts.example.test/" },
    namespace: "dapr-system",
    values: { global: { ha: { enabled: true } } },
    atomic: true,
    ...inputs,
  });

describe("releaseSpec", () => {
  it("maps a Release onto the pinned chart of its chart and repository, merging the chart's extra values", () => {
    expect(releaseSpec(daprRelease(), CHARTS)).toEqual({
      resource: "dapr-release",
      name: "dapr",
      namespace: "dapr-system",
      chart: CHARTS[1],
      values: { global: { ha: { enabled: true }, tag: "1.18.3" } },
      createNamespace: false,
      skipCrds: false,
    });
  });

  it("refuses a Release of another version than the pinned chart, naming both", () => {
    expect(() => releaseSpec(daprRelease({ version: "1.19.0" }), CHARTS)).toThrow(
      'dapr-release: the plan installs dapr version "1.19.0", but the pinned chart at /charts/dapr-1.18.3 is version 1.18.3',
    );
  });

  it("refuses a chart it holds no copy of, and an input it would not honour", () => {
    expect(() => releaseSpec(daprRelease({ repositoryOpts: { repo: "https://elsewhere.test/" } }), CHARTS)).toThrow(
      'no pinned chart for chart "dapr" from https://elsewhere.test/',
    );
    expect(() => releaseSpec(daprRelease({ valueYamlFiles: ["x.yaml"] }), CHARTS)).toThrow(
      "Release inputs the harness does not honour: valueYamlFiles",
    );
  });
});

describe("planSteps", () => {
  it("applies namespaces first, then in dependency order, inheriting a component's dependencies", () => {
    const resources = [
      resource("example:index:Apps", "apps", {}, { dependsOn: [{ type: "example:index:Pubsub", name: "pubsub" }] }),
      resource("kubernetes:apps/v1:Deployment", "app", object("Deployment", "app", "ns"), {
        parent: { type: "example:index:Apps", name: "apps" },
      }),
      resource(
        "example:index:Pubsub",
        "pubsub",
        {},
        { dependsOn: [{ type: "kubernetes:helm.sh/v3:Release", name: "dapr-release" }] },
      ),
      resource("kubernetes:dapr.io/v1alpha1:Component", "component", object("Component", "c", "ns"), {
        parent: { type: "example:index:Pubsub", name: "pubsub" },
      }),
      daprRelease(),
      resource("random:index/randomPassword:RandomPassword", "password"),
      resource("kubernetes:core/v1:Namespace", "ns", object("Namespace", "ns")),
    ];
    expect(planSteps(resources, CHARTS).map((s) => `${s.kind} ${s.resource}`)).toEqual([
      "object ns",
      "release dapr-release",
      "object component",
      "object app",
    ]);
  });

  it("refuses a dependency cycle, naming the resources in it", () => {
    const a = resource("kubernetes:v1:ConfigMap", "a", object("ConfigMap", "a"), {
      dependsOn: [{ type: "kubernetes:v1:ConfigMap", name: "b" }],
    });
    const b = resource("kubernetes:v1:ConfigMap", "b", object("ConfigMap", "b"), {
      dependsOn: [{ type: "kubernetes:v1:ConfigMap", name: "a" }],
    });
    expect(() => planSteps([a, b], CHARTS)).toThrow(
      "dependency cycle among: kubernetes:v1:ConfigMap a, kubernetes:v1:ConfigMap b",
    );
  });
});

describe("warningsOf", () => {
  it("reads kubectl's warning lines and Helm's klog lines, unquoted", () => {
    const kubectl =
      'Warning: would violate PodSecurity "restricted:latest": privileged\ndeployment.apps/x serverside-applied';
    const helm =
      'I1130 14:05:00.000000    1234 warnings.go:110] "Warning: would violate PodSecurity \\"restricted:latest\\": seccompProfile"\nNAME: dapr';
    expect(warningsOf(kubectl)).toEqual(['would violate PodSecurity "restricted:latest": privileged']);
    expect(warningsOf(helm)).toEqual(['would violate PodSecurity "restricted:latest": seccompProfile']);
    expect(warningsOf("deployment.apps/x serverside-applied\n")).toEqual([]);
  });
});
