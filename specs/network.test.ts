// Unit tests of the apps' NetworkPolicies (specs/network.ts): default deny, then exactly each app's traffic, derived from the app catalog.
import { describe, expect, it } from "vitest";
import { dev } from "../stacks/dev";
import { APP_LIST, APPS, type AppSpec } from "./apps";
import type { KubernetesObject } from "./dapr";
import {
  DAPR_CONTROL_PLANE,
  DAPR_INTERNAL_GRPC_PORT,
  invokersOf,
  type NetworkSettings,
  networkPolicies,
  portOf,
  portsOf,
  usesKafka,
} from "./network";
import { brokerLabels, listenerPort } from "./strimzi";

const NAMESPACE = "event-platform";
const STRIMZI: NetworkSettings = {
  namespace: NAMESPACE,
  daprNamespace: "dapr-system",
  kafka: {
    type: "in-cluster",
    namespace: "kafka",
    brokerLabels: brokerLabels(dev.kafka.strimzi),
    port: listenerPort(dev.kafka.strimzi),
  },
  postgres: { type: "in-cluster", port: 5432 },
  ingressFrom: [{ namespace: "ingress-nginx" }],
};
const CLOUD: NetworkSettings = {
  ...STRIMZI,
  kafka: { type: "external", ports: [9092] },
  postgres: { type: "external", port: 6543 },
  ingressFrom: [
    { cidr: "10.20.0.0/16", except: ["10.20.5.0/24"] },
    { namespace: "gateway", podLabels: { app: "edge" } },
  ],
  otlpPort: 4317,
};

interface Rule {
  from?: Record<string, unknown>[];
  to?: Record<string, unknown>[];
  ports: { protocol: string; port: number }[];
}
interface PolicySpec {
  podSelector: Record<string, unknown>;
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

const specOf = (policy: KubernetesObject | undefined) => policy?.spec as PolicySpec;
const named = (policies: KubernetesObject[], name: string) => policies.find((p) => p.metadata.name === name);
const pods = (...ids: string[]) => ({
  matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ids }],
});
const podsOf = (id: string) => ({ matchLabels: { "app.kubernetes.io/name": id } });
const namespace = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });
const tcp = (port: number) => ({ protocol: "TCP", port });

describe("the apps' namespace", () => {
  const policies = networkPolicies(STRIMZI);

  it("denies all ingress and egress by default, then allows DNS to the cluster DNS only", () => {
    expect(policies.map((p) => p.metadata.name)).toEqual([
      "default-deny",
      "allow-dns",
      ...APP_LIST.map((app) => app.id),
      "postgres",
    ]);
    expect(specOf(named(policies, "default-deny"))).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    expect(specOf(named(policies, "allow-dns"))).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            { namespaceSelector: namespace("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    });
    for (const policy of policies) {
      expect(policy.metadata).toEqual({
        name: policy.metadata.name,
        namespace: NAMESPACE,
        labels: { "app.kubernetes.io/part-of": "event-platform" },
      });
    }
  });

  // Whether they are valid NetworkPolicies is judged by the real API server: the plans are applied in test/cluster/.
});

describe("each app's policy", () => {
  const policies = networkPolicies(STRIMZI);
  const policyOf = (app: AppSpec) => specOf(named(policies, app.id));

  it("selects the app's pods and governs both directions", () => {
    for (const app of APP_LIST) {
      expect(policyOf(app).podSelector).toEqual(podsOf(app.id));
      expect(policyOf(app).policyTypes).toEqual(["Ingress", "Egress"]);
    }
  });

  it("backend: daprd's internal gRPC port from the apps that invoke it (recurring), its port from where users come", () => {
    expect(invokersOf(APPS.backend).map((a) => a.id)).toEqual(["recurring"]);
    expect(policyOf(APPS.backend).ingress).toEqual([
      { from: [{ podSelector: pods("recurring") }], ports: [tcp(DAPR_INTERNAL_GRPC_PORT)] },
      { from: [{ namespaceSelector: namespace("ingress-nginx") }], ports: [tcp(3000)] },
    ]);
  });

  it("gateway: only users, on its port; the other apps: nothing at all", () => {
    expect(policyOf(APPS.gateway).ingress).toEqual([
      { from: [{ namespaceSelector: namespace("ingress-nginx") }], ports: [tcp(3003)] },
    ]);
    for (const app of [APPS.recurring, APPS.notification, APPS.deadLetters]) {
      expect(app.userFacing).toBe(false);
      expect(invokersOf(app)).toEqual([]);
      expect(policyOf(app)).not.toHaveProperty("ingress");
    }
  });

  it("every app: egress to each Dapr control-plane service on its own port only", () => {
    const controlPlane = DAPR_CONTROL_PLANE.map(({ app, port }) => ({
      to: [{ namespaceSelector: namespace("dapr-system"), podSelector: { matchLabels: { app } } }],
      ports: [tcp(port)],
    }));
    expect(DAPR_CONTROL_PLANE.map((c) => c.port)).toEqual([50001, 6500, 50005, 50006]);
    for (const app of APP_LIST) expect(policyOf(app).egress?.slice(0, 4)).toEqual(controlPlane);
  });

  it("egress to the Kafka brokers on the listener port for every app that publishes or subscribes", () => {
    const brokers = {
      to: [
        {
          namespaceSelector: namespace("kafka"),
          podSelector: {
            matchLabels: {
              "strimzi.io/cluster": "events",
              "strimzi.io/kind": "Kafka",
              "strimzi.io/broker-role": "true",
            },
          },
        },
      ],
      ports: [tcp(9092)],
    };
    expect(APP_LIST.every(usesKafka)).toBe(true);
    for (const app of APP_LIST) expect(policyOf(app).egress).toContainEqual(brokers);
  });

  it("recurring: egress to the backend's daprd internal gRPC port, as it invokes it; no other app reaches another", () => {
    expect(policyOf(APPS.recurring).egress).toContainEqual({
      to: [{ podSelector: pods("backend") }],
      ports: [tcp(DAPR_INTERNAL_GRPC_PORT)],
    });
    for (const app of APP_LIST.filter((a) => a.invokes.length === 0)) {
      const toPeers = (policyOf(app).egress ?? []).flatMap((rule) => rule.to ?? []);
      expect(toPeers.filter((peer) => peer.podSelector && !peer.namespaceSelector)).toEqual(
        app.database ? [{ podSelector: podsOf("postgres") }] : [],
      );
    }
  });

  it("PostgreSQL: egress from the apps with a database only, and ingress to it only from them", () => {
    const toPostgres = { to: [{ podSelector: podsOf("postgres") }], ports: [tcp(5432)] };
    for (const app of APP_LIST) {
      if (app.database) expect(policyOf(app).egress).toContainEqual(toPostgres);
      else expect(policyOf(app).egress).not.toContainEqual(toPostgres);
    }
    expect(specOf(named(policies, "postgres"))).toEqual({
      podSelector: podsOf("postgres"),
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: pods(...APP_LIST.filter((a) => a.database).map((a) => a.id)) }],
          ports: [tcp(5432)],
        },
      ],
    });
    expect(APPS.gateway.database).toBe(false);
  });
});

describe("Redpanda Cloud or an external cluster, external PostgreSQL, OTLP", () => {
  const policies = networkPolicies(CLOUD);
  const policyOf = (app: AppSpec) => specOf(named(policies, app.id));

  it("egress to the brokers' ports, the database's port and the collector's port, at any address", () => {
    expect(policyOf(APPS.backend).egress?.slice(4)).toEqual([
      { ports: [tcp(9092)] },
      { ports: [tcp(6543)] },
      { ports: [tcp(4317)] },
    ]);
    expect(policyOf(APPS.gateway).egress?.slice(4)).toEqual([{ ports: [tcp(9092)] }, { ports: [tcp(4317)] }]);
  });

  it("no PostgreSQL policy without an in-cluster server", () => {
    expect(named(policies, "postgres")).toBeUndefined();
  });

  it("users from an IP block (with exceptions) and from labelled pods of a namespace", () => {
    expect(policyOf(APPS.gateway).ingress).toEqual([
      {
        from: [
          { ipBlock: { cidr: "10.20.0.0/16", except: ["10.20.5.0/24"] } },
          { namespaceSelector: namespace("gateway"), podSelector: { matchLabels: { app: "edge" } } },
        ],
        ports: [tcp(3003)],
      },
    ]);
  });

  it("no user ingress at all when none is configured", () => {
    const closed = networkPolicies({ ...CLOUD, ingressFrom: [] });
    expect(specOf(named(closed, "gateway"))).not.toHaveProperty("ingress");
    expect(specOf(named(closed, "backend")).ingress).toEqual([
      { from: [{ podSelector: pods("recurring") }], ports: [tcp(DAPR_INTERNAL_GRPC_PORT)] },
    ]);
  });
});

describe("addresses", () => {
  it("give their port, once per distinct port", () => {
    expect(portOf("seed-0.cluster.redpanda.example:9092")).toBe(9092);
    expect(portOf("[fd00::1]:9093")).toBe(9093);
    expect(portsOf(["a.example:9092", "b.example:9092", "c.example:9094"])).toEqual([9092, 9094]);
    expect(() => portOf("otel.example")).toThrow('"otel.example" is not host:port with a port from 1 to 65535.');
  });
});
