// NetworkPolicies as pure functions of config and the app catalog: default deny in the apps' namespace, then only what each app needs.
import type { DeadLettersProfile, IngressSource, NotificationProfile } from "../stacks/profile";
import { APP_LIST, APPS, type AppSpec, invokersOf } from "./apps";
import type { KubernetesObject } from "./dapr";
import { APP_NAME_LABEL, PLATFORM_LABELS, POSTGRES_NAME } from "./pods";

/** The label the API server puts on every namespace (Kubernetes 1.21 and later): its own name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * daprd's internal gRPC port, on which one sidecar calls another for service invocation (dapr/dapr
 * `pkg/injector/patcher`, `SidecarInternalGRPCPort`, default 50002). The app port itself is reached by the pod's
 * own sidecar only, over the loopback interface, which NetworkPolicy does not govern.
 */
export const DAPR_INTERNAL_GRPC_PORT = 50002;

/**
 * The Dapr control plane as its sidecars reach it: each service's pods (label `app`) and the port the pods listen
 * on (NetworkPolicy sees the Service's target port). From the Dapr 1.18.3 chart's Services and values: `dapr-sentry`
 * 443 → 50001, `dapr-api` (operator) 443 → 6500, `dapr-placement-server` 50005, `dapr-scheduler-server` 50006.
 */
export const DAPR_CONTROL_PLANE = [
  { app: "dapr-sentry", port: 50001, purpose: "mTLS certificates" },
  { app: "dapr-operator", port: 6500, purpose: "components, configuration, subscriptions" },
  { app: "dapr-placement-server", port: 50005, purpose: "actor placement" },
  { app: "dapr-scheduler-server", port: 50006, purpose: "jobs and reminders" },
] as const;

/** The cluster DNS as kube-dns and CoreDNS are deployed by kubeadm, kind and minikube: `k8s-app: kube-dns` in kube-system. */
export const CLUSTER_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53 } as const;

/** A label selector (`meta/v1` LabelSelector). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

/** A NetworkPolicy peer (`networking/v1` NetworkPolicyPeer); Strimzi's `networkPolicyPeers` take the same shape. */
export interface NetworkPolicyPeer {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyPort {
  protocol: "TCP" | "UDP";
  port: number;
}

/** One ingress or egress rule; no peers means any address. */
export interface NetworkPolicyRule {
  peers?: NetworkPolicyPeer[];
  ports: NetworkPolicyPort[];
}

/** Where the sidecars reach Kafka. */
export type KafkaEndpoint =
  /** Strimzi in the cluster: the broker pods of `namespace` on the listener's port. */
  | { type: "in-cluster"; namespace: string; brokerLabels: Record<string, string>; port: number }
  /** Redpanda Cloud or an external cluster: its brokers' ports, at any address (their names resolve outside the cluster). */
  | { type: "external"; ports: number[] };

/**
 * Address space that is not the public internet: IPv4 "this network", private (RFC 1918), shared (RFC 6598, often pod
 * or node addresses), loopback and link-local (the cloud's metadata endpoint 169.254.169.254); IPv6 loopback, unique
 * local (RFC 4193, the IPv6 private ranges) and link-local. IPv4-mapped IPv6 addresses need no entry: a connection to
 * one leaves as IPv4, which the IPv4 list judges (and the API server reads `::ffff:0:0/96` as an IPv4 block, which it
 * refuses inside `::/0`).
 */
export const NON_PUBLIC_CIDRS = {
  ipv4: [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
  ],
  ipv6: ["::1/128", "fc00::/7", "fe80::/10"],
} as const;

/** A server outside the platform that an app connects to (mail, webhooks): its ports, at any address or public ones. */
export interface OutboundTarget {
  ports: readonly number[];
  /**
   * Only public addresses ({@link NON_PUBLIC_CIDRS} left out): for URLs a user gives, which must not reach into the
   * cluster. Otherwise any address, since a server named by stack config may be in the cluster or outside it, and
   * its address is not known when the policy is written.
   */
  publicOnly: boolean;
}

/** The port a URL connects to: its own, or its scheme's (443 for https, 80 for http). */
export function urlPort(url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === "https:" ? 443 : 80;
}

/**
 * What each app reaches outside the platform, by app id, from the stack's settings: the notification service its SMTP
 * server's port (when email is on) and the webhook ports (public addresses only, unless private ones are allowed);
 * the dead-letter desk its alert webhook's port (when alerts are on).
 */
export function outboundTargets(s: {
  notification: NotificationProfile;
  deadLetters: DeadLettersProfile;
}): Record<string, OutboundTarget[]> {
  const { smtp, webhookPorts, webhookAllowPrivateAddresses } = s.notification;
  const { alertWebhookUrl } = s.deadLetters;
  return {
    [APPS.notification.id]: [
      ...(smtp.host ? [{ ports: [smtp.port], publicOnly: false }] : []),
      ...(webhookPorts.length > 0 ? [{ ports: webhookPorts, publicOnly: !webhookAllowPrivateAddresses }] : []),
    ],
    [APPS.deadLetters.id]: alertWebhookUrl ? [{ ports: [urlPort(alertWebhookUrl)], publicOnly: false }] : [],
  };
}

/** Where the apps with a database reach PostgreSQL: the in-cluster server's pods, or an external server's port. */
export type PostgresEndpoint = { type: "in-cluster"; port: number } | { type: "external"; port: number };

export interface NetworkSettings {
  /** The apps' namespace, where the policies live. */
  namespace: string;
  /** The Dapr control plane's namespace. */
  daprNamespace: string;
  kafka: KafkaEndpoint;
  postgres: PostgresEndpoint;
  /** Who may reach the user-facing apps' ports; none leaves them reachable only through port-forwarding. */
  ingressFrom: readonly IngressSource[];
  /** The port of the OTLP collector the sidecars export traces to, when they do. */
  otlpPort?: number;
  /** What each app reaches outside the platform, by app id ({@link outboundTargets}); an app not named reaches nothing. */
  outbound: Readonly<Record<string, readonly OutboundTarget[]>>;
}

/** The pod label selector of a workload of the program. */
const podsOf = (name: string): LabelSelector => ({ matchLabels: { [APP_NAME_LABEL]: name } });
/** The pod label selector of several of the apps. */
const podsOfApps = (apps: readonly AppSpec[]): LabelSelector => ({
  matchExpressions: [{ key: APP_NAME_LABEL, operator: "In", values: apps.map((a) => a.id) }],
});
const inNamespace = (namespace: string): LabelSelector => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } });
const tcp = (port: number): NetworkPolicyPort => ({ protocol: "TCP", port });

/** The port of a `host:port` address (`seed-0.example:9092`, `[fd00::1]:9093`). */
export function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${JSON.stringify(address)} is not host:port with a port from 1 to 65535.`);
  }
  return port;
}

/** The distinct ports of a list of `host:port` addresses, in order: the brokers' ports for the sidecars' egress. */
export function portsOf(addresses: readonly string[]): number[] {
  return [...new Set(addresses.map(portOf))];
}

/** Whether an app's sidecar talks to Kafka: it publishes or subscribes. */
export function usesKafka(app: AppSpec): boolean {
  return app.publishes.length > 0 || app.subscriptions.length > 0;
}

/**
 * The peers allowed on the Kafka listener the sidecars use: the pods of the apps that publish or subscribe, in the
 * apps' namespace. Strimzi puts them in the NetworkPolicy it generates for the brokers (the listener's
 * `networkPolicyPeers`; without any, Strimzi lets every pod of the cluster connect).
 */
export function kafkaClientPeers(namespace: string, apps: readonly AppSpec[] = APP_LIST): NetworkPolicyPeer[] {
  return [{ namespaceSelector: inNamespace(namespace), podSelector: podsOfApps(apps.filter(usesKafka)) }];
}

function ingressPeer(peer: IngressSource): NetworkPolicyPeer {
  if ("cidr" in peer) return { ipBlock: { cidr: peer.cidr, ...(peer.except ? { except: peer.except } : {}) } };
  return {
    namespaceSelector: inNamespace(peer.namespace),
    ...(peer.podLabels ? { podSelector: { matchLabels: peer.podLabels } } : {}),
  };
}

function networkPolicy(
  name: string,
  namespace: string,
  podSelector: LabelSelector,
  rules: { ingress?: NetworkPolicyRule[]; egress?: NetworkPolicyRule[] },
): KubernetesObject {
  const rendered = (rule: NetworkPolicyRule, direction: "from" | "to") => ({
    ...(rule.peers ? { [direction]: rule.peers } : {}),
    ports: rule.ports,
  });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...PLATFORM_LABELS } },
    spec: {
      podSelector,
      policyTypes: [...(rules.ingress ? ["Ingress"] : []), ...(rules.egress ? ["Egress"] : [])],
      ...(rules.ingress?.length ? { ingress: rules.ingress.map((r) => rendered(r, "from")) } : {}),
      ...(rules.egress?.length ? { egress: rules.egress.map((r) => rendered(r, "to")) } : {}),
    },
  };
}

/** The egress every app's sidecar needs to its control plane: one rule per service, each only to its own port. */
function controlPlaneEgress(daprNamespace: string): NetworkPolicyRule[] {
  return DAPR_CONTROL_PLANE.map(({ app, port }) => ({
    peers: [{ namespaceSelector: inNamespace(daprNamespace), podSelector: { matchLabels: { app } } }],
    ports: [tcp(port)],
  }));
}

function kafkaEgress(kafka: KafkaEndpoint): NetworkPolicyRule {
  if (kafka.type === "external") return { ports: kafka.ports.map(tcp) };
  return {
    peers: [{ namespaceSelector: inNamespace(kafka.namespace), podSelector: { matchLabels: kafka.brokerLabels } }],
    ports: [tcp(kafka.port)],
  };
}

function outboundEgress(target: OutboundTarget): NetworkPolicyRule {
  const ports = target.ports.map(tcp);
  if (!target.publicOnly) return { ports };
  return {
    peers: [
      { ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS.ipv4] } },
      { ipBlock: { cidr: "::/0", except: [...NON_PUBLIC_CIDRS.ipv6] } },
    ],
    ports,
  };
}

function postgresEgress(postgres: PostgresEndpoint): NetworkPolicyRule {
  if (postgres.type === "external") return { ports: [tcp(postgres.port)] };
  return { peers: [{ podSelector: podsOf(POSTGRES_NAME) }], ports: [tcp(postgres.port)] };
}

/** An app's own policy: who may call it, and what it (with its sidecar) may reach. */
function appPolicy(app: AppSpec, s: NetworkSettings, apps: readonly AppSpec[]): KubernetesObject {
  const invokers = invokersOf(app, apps);
  const invoked = apps.filter((other) => app.invokes.includes(other.id));
  const ingress: NetworkPolicyRule[] = [
    ...(invokers.length > 0
      ? [{ peers: [{ podSelector: podsOfApps(invokers) }], ports: [tcp(DAPR_INTERNAL_GRPC_PORT)] }]
      : []),
    ...(app.userFacing && s.ingressFrom.length > 0
      ? [{ peers: s.ingressFrom.map(ingressPeer), ports: [tcp(app.port)] }]
      : []),
  ];
  const egress: NetworkPolicyRule[] = [
    ...controlPlaneEgress(s.daprNamespace),
    ...(usesKafka(app) ? [kafkaEgress(s.kafka)] : []),
    ...(invoked.length > 0
      ? [{ peers: [{ podSelector: podsOfApps(invoked) }], ports: [tcp(DAPR_INTERNAL_GRPC_PORT)] }]
      : []),
    ...(app.database ? [postgresEgress(s.postgres)] : []),
    ...(s.outbound[app.id] ?? []).map(outboundEgress),
    ...(s.otlpPort !== undefined ? [{ ports: [tcp(s.otlpPort)] }] : []),
  ];
  return networkPolicy(app.id, s.namespace, podsOf(app.id), { ingress, egress });
}

/**
 * Every NetworkPolicy of the apps' namespace:
 * - `default-deny`: no ingress and no egress for any pod, so what follows is all that is allowed;
 * - `allow-dns`: every pod may query the cluster DNS;
 * - one per app (named by its id): ingress to daprd's internal gRPC port from the apps that invoke it (`invokes`),
 *   and, for a user-facing app, to its port from `ingressFrom`; egress to the Dapr control plane, to Kafka when it
 *   publishes or subscribes, to the apps it invokes, to PostgreSQL when it has a database, and to its servers
 *   outside the platform (`outbound`: mail, webhooks);
 * - `postgres` (in-cluster PostgreSQL): ingress only from the apps that have a database.
 */
export function networkPolicies(s: NetworkSettings, apps: readonly AppSpec[] = APP_LIST): KubernetesObject[] {
  const dns: NetworkPolicyRule = {
    peers: [
      { namespaceSelector: inNamespace(CLUSTER_DNS.namespace), podSelector: { matchLabels: CLUSTER_DNS.podLabels } },
    ],
    ports: [
      { protocol: "UDP", port: CLUSTER_DNS.port },
      { protocol: "TCP", port: CLUSTER_DNS.port },
    ],
  };
  const databaseApps = apps.filter((app) => app.database);
  return [
    networkPolicy("default-deny", s.namespace, {}, { ingress: [], egress: [] }),
    networkPolicy("allow-dns", s.namespace, {}, { egress: [dns] }),
    ...apps.map((app) => appPolicy(app, s, apps)),
    ...(s.postgres.type === "in-cluster" && databaseApps.length > 0
      ? [
          networkPolicy(POSTGRES_NAME, s.namespace, podsOf(POSTGRES_NAME), {
            ingress: [{ peers: [{ podSelector: podsOfApps(databaseApps) }], ports: [tcp(s.postgres.port)] }],
          }),
        ]
      : []),
  ];
}
