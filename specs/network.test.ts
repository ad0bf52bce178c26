// Unit tests of the apps' NetworkPolicies (specs/network.ts): default deny, then exactly each app's traffic, derived from the app catalog.
import { describe, expect, it } from "vitest";
import { dev } from "../stacks/dev";
import { APP_LIST, APPS, type AppSpec, invokersOf } from "./apps";
import type { KubernetesObject } from "./dapr";
import {
  DAPR_CONTROL_PLANE,
  DAPR_INTERNAL_GRPC_PORT,
  type NetworkSettings,
  NON_PUBLIC_CIDRS,
  networkPolicies,
  outboundTargets,
  portOf,
  portsOf,
  urlPort,
  usesKafka,
} from "./network";
import { strimziEndpoint } from "./strimzi";

const NAMESPACE = "event-platform";
const STRIMZI: NetworkSettings = {
  namespace: NAMESPACE,
  daprNamespace: "dapr-system",
  kafka: strimziEndpoint(dev.kafka.strimzi),
  postgres: { type: "in-cluster", port: 5432 },
  ingressFrom: [{ namespace: "ingress-nginx" }],
  outbound: outboundTargets(dev),
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

  it("gateway, notification, dead-letters: only users (and operators), on their ports; recurring: nothing at all", () => {
    for (const app of [APPS.gateway, APPS.notification, APPS.deadLetters]) {
      expect(app.userFacing).toBe(true);
      expect(invokersOf(app)).toEqual([]);
      expect(policyOf(app).ingress).toEqual([
        { from: [{ namespaceSelector: namespace("ingress-nginx") }], ports: [tcp(app.port)] },
      ]);
    }
    expect(APPS.recurring.userFacing).toBe(false);
    expect(invokersOf(APPS.recurring)).toEqual([]);
    expect(policyOf(APPS.recurring)).not.toHaveProperty("ingress");
  });

  it("opens exactly the user-facing apps' ports to users, whatever the catalog says is user-facing", () => {
    for (const app of APP_LIST) {
      const toAppPort = (policyOf(app).ingress ?? []).filter((rule) => rule.ports.some((p) => p.port === app.port));
      expect(toAppPort.length, app.id).toBe(app.userFacing ? 1 : 0);
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

describe("servers outside the platform: mail, webhooks, alerts", () => {
  const publicOnly = [
    { ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS.ipv4] } },
    { ipBlock: { cidr: "::/0", except: [...NON_PUBLIC_CIDRS.ipv6] } },
  ];
  const egressOf = (settings: NetworkSettings, app: AppSpec) => specOf(named(networkPolicies(settings), app.id)).egress;
  const withApps = (notification: Partial<typeof dev.notification>, alertWebhookUrl = ""): NetworkSettings => ({
    ...STRIMZI,
    outbound: outboundTargets({
      notification: { ...dev.notification, ...notification },
      deadLetters: { alertWebhookUrl },
    }),
  });

  it("by default: the notification service reaches webhook receivers on 443 and 80 at public addresses only, no SMTP", () => {
    expect(NON_PUBLIC_CIDRS.ipv4).toContain("10.0.0.0/8");
    expect(NON_PUBLIC_CIDRS.ipv4).toContain("169.254.0.0/16");
    expect(egressOf(STRIMZI, APPS.notification)?.slice(4)).toEqual([
      expect.objectContaining({ ports: [tcp(9092)] }),
      expect.objectContaining({ ports: [tcp(5432)] }),
      { to: publicOnly, ports: [tcp(443), tcp(80)] },
    ]);
  });

  it("with an SMTP server: its port at any address (in the cluster or outside it), beside the webhooks", () => {
    const smtp = { ...dev.notification.smtp, host: "smtp.example.com", port: 465, from: "t@example.com" };
    expect(egressOf(withApps({ smtp }), APPS.notification)?.slice(6)).toEqual([
      { ports: [tcp(465)] },
      { to: publicOnly, ports: [tcp(443), tcp(80)] },
    ]);
  });

  it("with private webhook addresses allowed (dev): the webhook ports at any address; with none: no webhook rule", () => {
    const open = withApps({ webhookAllowPrivateAddresses: true, webhookPorts: [8443] });
    expect(egressOf(open, APPS.notification)?.slice(6)).toEqual([{ ports: [tcp(8443)] }]);
    expect(egressOf(withApps({ webhookPorts: [] }), APPS.notification)).toHaveLength(6);
  });

  it("the dead-letter desk reaches its alert webhook's port, at any address, only when one is set", () => {
    const egressCount = egressOf(STRIMZI, APPS.deadLetters)?.length ?? 0;
    const alerting = withApps({}, "https://alerts.example.com/hooks/dead-letters");
    expect(egressOf(alerting, APPS.deadLetters)).toHaveLength(egressCount + 1);
    expect(egressOf(alerting, APPS.deadLetters)?.at(-1)).toEqual({ ports: [tcp(443)] });
    const inCluster = withApps({}, "http://alertmanager.monitoring.svc:9093/api/v2/alerts");
    expect(egressOf(inCluster, APPS.deadLetters)?.at(-1)).toEqual({ ports: [tcp(9093)] });
  });

  it("no other app reaches anything outside the platform", () => {
    const everything = withApps(
      { smtp: { ...dev.notification.smtp, host: "smtp.example.com", from: "t@example.com" } },
      "https://alerts.example.com/",
    );
    for (const app of [APPS.backend, APPS.recurring, APPS.gateway]) {
      expect(egressOf(everything, app), app.id).toEqual(egressOf({ ...STRIMZI, outbound: {} }, app));
    }
  });

  it("take a URL's port, or its scheme's", () => {
    expect(urlPort("https://alerts.example.com/x")).toBe(443);
    expect(urlPort("http://alerts.example.com/x")).toBe(80);
    expect(urlPort("https://alerts.example.com:8443/x")).toBe(8443);
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
