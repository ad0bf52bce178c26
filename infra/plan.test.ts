// The Pulumi program as `npm run plan` runs it (Pulumi's mock runtime, loaded like the language host) for dev, prod and each Kafka mode.
import { DEAD_LETTER_TOPIC, TOPIC_LIST } from "@event-platform/events";
import { beforeAll, describe, expect, it } from "vitest";
import { APP_SECRETS, APP_TERMINATION_GRACE_SECONDS, appEnvironment } from "../specs/app-env";
import { APP_LIST, APPS } from "../specs/apps";
import { appTokenSecretName } from "../specs/dapr";
import { NON_PUBLIC_CIDRS } from "../specs/network";
import { dev as devProfile } from "../stacks/dev";
import { prod as prodProfile } from "../stacks/prod";
import { type Plan, plan } from "../test/support/plan";
import { standardPlan } from "../test/support/standard-plans";

const byType = (p: Plan, type: string) => p.resources.filter((r) => r.type === type);
const manifestsOf = (p: Plan, kind: string) => p.manifests.filter((m) => m.kind === kind);
const spec = (m: Record<string, unknown>) => m.spec as Record<string, unknown>;
type Meta = { name: string; value?: string; secretKeyRef?: { name: string; key: string } };
const metadataOf = (component: Record<string, unknown>) =>
  Object.fromEntries((spec(component).metadata as Meta[]).map((m) => [m.name, m.value ?? m.secretKeyRef]));
const named = (p: Plan, kind: string, name: string) =>
  manifestsOf(p, kind).find((m) => (m.metadata as { name: string }).name === name) as Record<string, unknown>;

/** Placeholders the plan puts in place of secret config, random passwords and private keys. */
const SECRET_PLACEHOLDER = /plan-secret\(/;

let dev: Plan;
let prod: Plan;
let redpanda: Plan;
let external: Plan;
/** Each standard plan with the profile it was planned from (Redpanda Cloud's stack is prod, the external one dev). */
const withProfiles = () =>
  [
    [dev, devProfile],
    [prod, prodProfile],
    [redpanda, prodProfile],
    [external, devProfile],
  ] as const;

beforeAll(() => {
  dev = standardPlan("dev");
  prod = standardPlan("prod");
  redpanda = standardPlan("redpanda");
  external = standardPlan("external");
});

describe("every plan", () => {
  const plans = () => ({ dev, prod, redpanda, external });

  it("succeeds and prints the resource tree", () => {
    for (const [name, p] of Object.entries(plans())) {
      expect(p.stderr, name).toBe("");
      expect(p.code, name).toBe(0);
      expect(p.stdout, name).toContain("pulumi:pulumi:Stack");
      expect(p.stdout, name).toContain("  event-platform:index:EventPlatform  event-platform");
    }
  });

  // Whether the server accepts every object is judged by a real API server: test/cluster/plans.cluster.test.ts.
  it("renders the Kubernetes objects", () => {
    for (const [name, p] of Object.entries(plans())) expect(p.manifests.length, name).toBeGreaterThan(20);
  });

  it("never puts a secret in a resource input unmasked", () => {
    for (const [name, p] of Object.entries(plans())) {
      const leaks = p.resources.filter((r) => SECRET_PLACEHOLDER.test(JSON.stringify(r.inputs)));
      expect(
        leaks.map((r) => `${r.type} ${r.name}`),
        name,
      ).toEqual([]);
      for (const secret of manifestsOf(p, "Secret")) {
        const values = Object.values((secret.stringData ?? secret.data) as Record<string, string>);
        expect(values.length).toBeGreaterThan(0);
        for (const value of values) expect(value).toBe("[secret]");
      }
    }
  });

  it("gives every subscription the dead-letter topic, except the dead-letter desk's own", () => {
    for (const p of Object.values(plans())) {
      const subscriptions = manifestsOf(p, "Subscription");
      expect(subscriptions.map((s) => (s.metadata as { name: string }).name).sort()).toEqual(
        ["dead-letters-dead-letters", "gateway-task-updates", "notification-reminders", "recurring-task-events"].sort(),
      );
      for (const s of subscriptions) {
        const topic = spec(s).topic;
        expect(spec(s).deadLetterTopic, String(topic)).toBe(
          topic === DEAD_LETTER_TOPIC ? undefined : DEAD_LETTER_TOPIC,
        );
      }
    }
  });

  it("puts the Dapr annotations on each app's pod template, as strings", () => {
    for (const p of Object.values(plans())) {
      for (const app of APP_LIST) {
        const deployment = named(p, "Deployment", app.id);
        const template = (spec(deployment).template as { metadata: { annotations: Record<string, string> } }).metadata;
        expect(template.annotations).toMatchObject({
          "dapr.io/enabled": "true",
          "dapr.io/app-id": app.id,
          "dapr.io/app-port": String(app.port),
          "dapr.io/config": "event-platform",
        });
        expect((deployment.metadata as { annotations?: unknown }).annotations).toBeUndefined();
      }
    }
  });

  it("sizes every Dapr sidecar from stack config dapr.sidecarResources (the profile's defaults here)", () => {
    for (const [p, profile] of withProfiles()) {
      const { requests, limits } = profile.dapr.sidecarResources;
      for (const app of APP_LIST) {
        const template = (spec(named(p, "Deployment", app.id)).template as { metadata: { annotations: object } })
          .metadata;
        expect(template.annotations).toMatchObject({
          "dapr.io/sidecar-cpu-request": requests.cpu,
          "dapr.io/sidecar-memory-request": requests.memory,
          "dapr.io/sidecar-cpu-limit": limits.cpu,
          "dapr.io/sidecar-memory-limit": limits.memory,
        });
      }
    }
  });

  it("gives every app Dapr's app API token: a generated Secret, the annotation on the pod template, APP_API_TOKEN from it", () => {
    for (const [name, p] of Object.entries(plans())) {
      for (const app of APP_LIST) {
        const secretName = appTokenSecretName(app);
        const secret = named(p, "Secret", secretName);
        expect(secret, `${name} ${secretName}`).toBeDefined();
        expect(Object.keys(secret.stringData as object)).toEqual(["token"]);
        const resource = p.resources.find(
          (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === secretName,
        );
        expect(resource?.dependsOn.length, secretName).toBeGreaterThan(0);
        const password = p.resources.find(
          (r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.endsWith(`-${app.id}-app-token`),
        );
        expect(password?.inputs).toMatchObject({ length: 64, special: false });

        const template = spec(named(p, "Deployment", app.id)).template as {
          metadata: { annotations: Record<string, string> };
          spec: { containers: { env: { name: string; valueFrom?: unknown }[] }[] };
        };
        expect(template.metadata.annotations["dapr.io/app-token-secret"]).toBe(secretName);
        const env = template.spec.containers[0]?.env.find((e) => e.name === "APP_API_TOKEN");
        expect(env, `${name} ${app.id}`).toEqual({
          name: "APP_API_TOKEN",
          valueFrom: { secretKeyRef: { name: secretName, key: "token" } },
        });
      }
    }
  });

  it("disables daprd's built-in Kubernetes secret store in every pod template with a sidecar and no service-account token", () => {
    for (const [name, p] of Object.entries(plans())) {
      const templates = [...manifestsOf(p, "Deployment"), ...manifestsOf(p, "StatefulSet")].map(
        (m) =>
          spec(m).template as {
            metadata: { annotations?: Record<string, string> };
            spec: { automountServiceAccountToken?: boolean };
          },
      );
      expect(templates.length, name).toBeGreaterThanOrEqual(APP_LIST.length);
      const sidecars = templates.filter((t) => t.metadata.annotations?.["dapr.io/enabled"] === "true");
      expect(sidecars, name).toHaveLength(APP_LIST.length);
      for (const template of templates) expect(template.spec.automountServiceAccountToken, name).toBe(false);
      for (const template of sidecars) {
        expect(template.metadata.annotations?.["dapr.io/disable-builtin-k8s-secret-store"], name).toBe("true");
      }
    }
  });

  it("renders every pod template to pass Pod Security restricted, with a read-only root filesystem", () => {
    // Pod Security Standards v1.34, `restricted` (and the `baseline` checks it includes) for the fields a template can set.
    const allowedVolumes = [
      "configMap",
      "csi",
      "downwardAPI",
      "emptyDir",
      "ephemeral",
      "persistentVolumeClaim",
      "projected",
      "secret",
    ];
    for (const [name, p] of Object.entries(plans())) {
      const workloads = [...manifestsOf(p, "Deployment"), ...manifestsOf(p, "StatefulSet")];
      expect(workloads.length, name).toBeGreaterThanOrEqual(APP_LIST.length);
      for (const workload of workloads) {
        const at = `${name} ${workload.kind} ${(workload.metadata as { name: string }).name}`;
        const pod = (spec(workload).template as { spec: Record<string, unknown> }).spec;
        const podSecurity = pod.securityContext as Record<string, unknown>;
        expect(podSecurity, at).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(podSecurity.runAsUser, at).toEqual(expect.any(Number));
        expect(podSecurity.runAsUser, at).not.toBe(0);
        for (const field of ["hostNetwork", "hostPID", "hostIPC", "hostUsers"]) expect(pod[field], at).toBeUndefined();
        for (const volume of (pod.volumes ?? []) as Record<string, unknown>[]) {
          const sources = Object.keys(volume).filter((key) => key !== "name");
          expect(
            sources.every((source) => allowedVolumes.includes(source)),
            `${at} ${sources}`,
          ).toBe(true);
        }
        const containers = [...(pod.containers as Record<string, unknown>[]), ...((pod.initContainers ?? []) as [])];
        for (const container of containers) {
          expect(container.securityContext, at).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          });
          for (const port of (container.ports ?? []) as Record<string, unknown>[])
            expect(port.hostPort, at).toBeUndefined();
        }
      }
    }
  });

  it("labels every namespace it creates to enforce, warn and audit Pod Security restricted", () => {
    const restricted = {
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "v1.34",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.34",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.34",
    };
    for (const [name, p] of Object.entries(plans())) {
      const namespaces = manifestsOf(p, "Namespace").map((n) => n.metadata as { name: string; labels: object });
      const expected = ["event-platform", "dapr-system", ...(name === "dev" || name === "prod" ? ["kafka"] : [])];
      expect(namespaces.map((n) => n.name).sort(), name).toEqual(expected.sort());
      for (const namespace of namespaces)
        expect(namespace.labels, `${name} ${namespace.name}`).toMatchObject(restricted);
    }
  });

  it("has the charts' pods pass restricted: Dapr with a seccomp profile and its sidecars without capabilities, Strimzi's operands by its restricted provider", () => {
    for (const [name, p] of Object.entries(plans())) {
      const [dapr] = byType(p, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "dapr");
      expect(dapr?.inputs.values, name).toMatchObject({
        global: { seccompProfile: "RuntimeDefault" },
        dapr_sidecar_injector: { sidecarDropALLCapabilities: true },
      });
      const strimzi = byType(p, "kubernetes:helm.sh/v3:Release").filter((r) => r.name.includes("strimzi"));
      for (const release of strimzi) {
        expect(release.inputs.values, name).toMatchObject({
          extraEnvs: [{ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" }],
        });
      }
      expect(strimzi.length, name).toBe(name === "dev" || name === "prod" ? 1 : 0);
    }
  });

  it("hardens every app container: non-root, read-only root, no privilege escalation, probes, limits", () => {
    for (const p of Object.values(plans())) {
      for (const deployment of manifestsOf(p, "Deployment")) {
        const pod = (spec(deployment).template as { spec: Record<string, unknown> }).spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
        for (const container of pod.containers as Record<string, Record<string, unknown>>[]) {
          expect(container.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
          });
          expect(container.startupProbe).toMatchObject({ httpGet: { path: "/healthz" } });
          expect(container.livenessProbe).toMatchObject({ httpGet: { path: "/healthz" } });
          expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/readyz" } });
          expect(container.resources).toHaveProperty("limits.memory");
          expect(container.resources).toHaveProperty("requests.cpu");
        }
      }
    }
  });

  it("gives every container a startup probe allowing about 5 minutes, after which liveness takes over", () => {
    for (const [name, p] of Object.entries(plans())) {
      const templates = [...manifestsOf(p, "Deployment"), ...manifestsOf(p, "StatefulSet")];
      for (const workload of templates) {
        const pod = (spec(workload).template as { spec: { containers: Record<string, Record<string, number>>[] } })
          .spec;
        for (const container of pod.containers) {
          const { startupProbe, livenessProbe } = container;
          const at = `${name} ${String(container.name)}`;
          expect(startupProbe, at).toBeDefined();
          const budget = Number(startupProbe?.periodSeconds) * Number(startupProbe?.failureThreshold);
          expect(budget, at).toBeGreaterThanOrEqual(300);
          expect(budget, at).toBeLessThanOrEqual(600);
          // The startup probe asks what the liveness probe asks: is the process alive.
          const { periodSeconds: _p, failureThreshold: _f, timeoutSeconds: _t, ...startupCheck } = startupProbe ?? {};
          const {
            periodSeconds: _lp,
            failureThreshold: _lf,
            timeoutSeconds: _lt,
            ...livenessCheck
          } = livenessProbe ?? {};
          expect(startupCheck, at).toEqual(livenessCheck);
        }
      }
    }
  });

  it("makes every app wait for the Dapr resources and for Kafka", () => {
    for (const [name, p] of Object.entries(plans())) {
      for (const service of byType(p, "event-platform:apps:AppService")) {
        const deps = service.dependsOn.map((d) => d.type);
        expect(deps, name).toContain("kubernetes:dapr.io/v1alpha1:Component");
        expect(deps, name).toContain("kubernetes:dapr.io/v2alpha1:Subscription");
        expect(deps, name).toContain("kubernetes:dapr.io/v1alpha1:Resiliency");
        expect(deps, name).toContain("kubernetes:helm.sh/v3:Release");
        const kafkaDeps =
          name === "dev" || name === "prod" ? "kubernetes:kafka.strimzi.io/v1:Kafka" : "kafka:index/topic:Topic";
        expect(deps, name).toContain(kafkaDeps);
      }
    }
  });
});

describe("network policies", () => {
  const plans = () => ({ dev, prod, redpanda, external });
  const policiesOf = (p: Plan) =>
    new Map(manifestsOf(p, "NetworkPolicy").map((m) => [(m.metadata as { name: string }).name, spec(m)]));

  it("deny everything in the apps' namespace by default, then allow DNS and each app's own traffic", () => {
    for (const [name, p] of Object.entries(plans())) {
      const policies = policiesOf(p);
      const inCluster = name === "dev" || name === "external";
      expect([...policies.keys()].sort(), name).toEqual(
        ["default-deny", "allow-dns", ...APP_LIST.map((app) => app.id), ...(inCluster ? ["postgres"] : [])].sort(),
      );
      for (const m of manifestsOf(p, "NetworkPolicy"))
        expect((m.metadata as { namespace: string }).namespace).toBe("event-platform");
      expect(policies.get("default-deny"), name).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    }
  });

  it("open the user-facing apps (backend, notification, gateway, dead-letters) to where users come from (ingress-nginx by default), and no other app port", () => {
    expect(APP_LIST.filter((app) => app.userFacing).map((app) => app.id)).toEqual([
      "backend",
      "notification",
      "gateway",
      "dead-letters",
    ]);
    for (const [name, p] of Object.entries(plans())) {
      const policies = policiesOf(p);
      for (const app of APP_LIST) {
        const ingress = (policies.get(app.id)?.ingress ?? []) as { from: unknown; ports: { port: number }[] }[];
        const toAppPort = ingress.filter((rule) => rule.ports.some((port) => port.port === app.port));
        expect(toAppPort, `${name} ${app.id}`).toEqual(
          app.userFacing
            ? [
                {
                  from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
                  ports: [{ protocol: "TCP", port: app.port }],
                },
              ]
            : [],
        );
      }
    }
  });

  it("let the sidecars reach Kafka: Strimzi's broker pods on the listener, or the configured brokers' port", () => {
    const brokers = (p: Plan) =>
      ((policiesOf(p).get("backend")?.egress ?? []) as { to?: unknown[]; ports: { port: number }[] }[]).filter((rule) =>
        rule.ports.some((port) => [9092, 9093].includes(port.port)),
      );
    const strimzi = (port: number) => [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kafka" } },
            podSelector: {
              matchLabels: {
                "strimzi.io/cluster": "events",
                "strimzi.io/kind": "Kafka",
                "strimzi.io/broker-role": "true",
              },
            },
          },
        ],
        ports: [{ protocol: "TCP", port }],
      },
    ];
    expect(brokers(dev)).toEqual(strimzi(9092));
    expect(brokers(prod)).toEqual(strimzi(9093));
    expect(brokers(redpanda)).toEqual([{ ports: [{ protocol: "TCP", port: 9092 }] }]);
    expect(brokers(external)).toEqual([{ ports: [{ protocol: "TCP", port: 9092 }] }]);
  });

  it("let the notification service reach webhook receivers at public addresses only (no SMTP server configured), and no other app leave the platform", () => {
    const publicOnly = [
      { ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS.ipv4] } },
      { ipBlock: { cidr: "::/0", except: [...NON_PUBLIC_CIDRS.ipv6] } },
    ];
    for (const [name, p] of Object.entries(plans())) {
      const policies = policiesOf(p);
      const ipBlocks = (id: string) =>
        ((policies.get(id)?.egress ?? []) as { to?: { ipBlock?: unknown }[] }[]).filter((rule) =>
          rule.to?.some((peer) => peer.ipBlock),
        );
      expect(ipBlocks(APPS.notification.id), name).toEqual([
        {
          to: publicOnly,
          ports: [
            { protocol: "TCP", port: 443 },
            { protocol: "TCP", port: 80 },
          ],
        },
      ]);
      for (const app of APP_LIST.filter((a) => a.id !== APPS.notification.id)) {
        expect(ipBlocks(app.id), `${name} ${app.id}`).toEqual([]);
      }
    }
  });

  it("in the Kafka namespace, let only the apps' sidecars on the listener they use (Strimzi's networkPolicyPeers)", () => {
    for (const p of [dev, prod]) {
      const listeners = (spec(named(p, "Kafka", "events")).kafka as { listeners: { networkPolicyPeers: unknown }[] })
        .listeners;
      expect(listeners).toHaveLength(1);
      expect(listeners[0]?.networkPolicyPeers).toEqual([
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "event-platform" } },
          podSelector: {
            matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: APP_LIST.map((a) => a.id) }],
          },
        },
      ]);
    }
  });

  it("are in place before any app starts", () => {
    for (const [name, p] of Object.entries(plans())) {
      const policies = byType(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
      expect(policies.length, name).toBeGreaterThan(APP_LIST.length);
      for (const service of byType(p, "event-platform:apps:AppService")) {
        for (const policy of policies)
          expect(service.dependsOn, `${name} ${service.name}`).toContainEqual({ type: policy.type, name: policy.name });
      }
    }
  });
});

describe("the apps' environment", () => {
  it("gives each app's container exactly specs/app-env.ts's environment for the stack, and a 30 s grace period to shut down", () => {
    for (const [p, profile] of withProfiles()) {
      for (const app of APP_LIST) {
        const pod = (spec(named(p, "Deployment", app.id)).template as { spec: Record<string, unknown> }).spec;
        const [container] = pod.containers as { env: unknown }[];
        expect(container?.env, app.id).toEqual(appEnvironment(app, { ...profile, logLevel: profile.dapr.logLevel }));
        expect(pod.terminationGracePeriodSeconds).toBe(APP_TERMINATION_GRACE_SECONDS);
      }
    }
  });

  it("creates every Secret the apps read, and makes the apps wait for them", () => {
    for (const [name, p] of Object.entries({ dev, prod, redpanda, external })) {
      const deployments = manifestsOf(p, "Deployment");
      const referenced = new Set(
        deployments.flatMap((d) =>
          (spec(d).template as { spec: { containers: { env: Meta[] }[] } }).spec.containers.flatMap((c) =>
            c.env.flatMap((e) => {
              const ref = (e as { valueFrom?: { secretKeyRef?: { name: string; key: string } } }).valueFrom
                ?.secretKeyRef;
              return ref ? [`${ref.name}/${ref.key}`] : [];
            }),
          ),
        ),
      );
      expect([...referenced].sort(), name).toEqual(
        [
          APP_SECRETS.databaseUrl,
          APP_SECRETS.jwtKey,
          ...APP_LIST.map((app) => ({ name: appTokenSecretName(app), key: "token" })),
        ]
          .map((ref) => `${ref.name}/${ref.key}`)
          .sort(),
      );
      for (const ref of referenced) {
        const [secretName, key] = ref.split("/");
        expect(Object.keys(named(p, "Secret", secretName ?? "").stringData as object), `${name} ${ref}`).toContain(key);
      }
    }
  });
});

describe("email, webhooks and alerts configured", () => {
  const SMTP_AND_ALERTS = `config:
  event-platform:notification:
    smtp:
      host: smtp.example.com
      port: 465
      secure: true
      from: "Tasks <tasks@example.com>"
      user: mailer
    webhookPorts: [443, 8443]
  event-platform:smtpPassword:
    secure: v1:placeholder
  event-platform:deadLetters:
    alertWebhookUrl: https://alerts.example.com/hooks/dead-letters
`;
  let configured: Plan;
  let withSecret: Plan;

  beforeAll(async () => {
    configured = await plan("dev", { config: SMTP_AND_ALERTS });
    withSecret = await plan("dev", {
      config: `${SMTP_AND_ALERTS}  event-platform:alertWebhookSecret:\n    secure: v1:placeholder\n`,
    });
  }, 180_000);

  const envOf = (p: Plan, id: string) =>
    (spec(named(p, "Deployment", id)).template as { spec: { containers: { env: Meta[] }[] } }).spec.containers[0]
      ?.env as { name: string; value?: string; valueFrom?: unknown }[];
  const egressOf = (p: Plan, id: string) => spec(named(p, "NetworkPolicy", id)).egress as unknown[];

  it("puts the SMTP password and the alert secret in Secrets the apps read by secretKeyRef, never in plaintext", () => {
    for (const p of [configured, withSecret]) {
      expect(p.stderr).toBe("");
      expect(p.code).toBe(0);
      expect(named(p, "Secret", "notification-smtp").stringData).toEqual({ password: "[secret]" });
      expect(named(p, "Secret", "dead-letters-alert-webhook").stringData).toEqual({ secret: "[secret]" });
      expect(envOf(p, "notification")).toContainEqual({
        name: "SMTP_PASSWORD",
        valueFrom: { secretKeyRef: { name: "notification-smtp", key: "password" } },
      });
      expect(envOf(p, "notification")).toContainEqual({ name: "SMTP_USER", value: "mailer" });
      expect(envOf(p, "dead-letters")).toContainEqual({
        name: "ALERT_WEBHOOK_SECRET",
        valueFrom: { secretKeyRef: { name: "dead-letters-alert-webhook", key: "secret" } },
      });
      expect(envOf(p, "dead-letters")).toContainEqual({
        name: "ALERT_WEBHOOK_URL",
        value: "https://alerts.example.com/hooks/dead-letters",
      });
      const leaks = p.resources.filter((r) => SECRET_PLACEHOLDER.test(JSON.stringify(r.inputs)));
      expect(leaks.map((r) => `${r.type} ${r.name}`)).toEqual([]);
      expect(p.stdout).not.toMatch(SECRET_PLACEHOLDER);
      for (const service of byType(p, "event-platform:apps:AppService")) {
        expect(service.dependsOn.map((d) => d.name)).toEqual(
          expect.arrayContaining(["event-platform-smtp", "event-platform-alert-webhook"]),
        );
      }
    }
  });

  it("generates the alert secret (32 random bytes, whsec_ and base64) when none is set, and exports it as a secret", () => {
    const generated = byType(configured, "random:index/randomBytes:RandomBytes");
    expect(generated.map((r) => [r.name, r.inputs.length])).toEqual([["event-platform-alert-webhook", 32]]);
    expect(byType(withSecret, "random:index/randomBytes:RandomBytes")).toEqual([]);
    for (const p of [configured, withSecret]) {
      expect(p.stdout).toContain(
        '"deadLetterAlerts":{"secret":"[secret]","url":"https://alerts.example.com/hooks/dead-letters"}',
      );
    }
    expect(dev.stdout).toContain('"deadLetterAlerts":{}');
  });

  it("opens the SMTP server's port at any address, the webhook ports at public addresses, the alert webhook's port", () => {
    expect(egressOf(configured, "notification").slice(6)).toEqual([
      { ports: [{ protocol: "TCP", port: 465 }] },
      {
        to: [
          { ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS.ipv4] } },
          { ipBlock: { cidr: "::/0", except: [...NON_PUBLIC_CIDRS.ipv6] } },
        ],
        ports: [
          { protocol: "TCP", port: 443 },
          { protocol: "TCP", port: 8443 },
        ],
      },
    ]);
    expect(egressOf(configured, "dead-letters").at(-1)).toEqual({ ports: [{ protocol: "TCP", port: 443 }] });
  });
});

describe("Strimzi mode", () => {
  it("installs the operator from the OCI chart 1.2.0 and creates every custom resource after it", () => {
    for (const p of [dev, prod]) {
      const [release] = byType(p, "kubernetes:helm.sh/v3:Release").filter((r) => r.name.includes("strimzi"));
      expect(release?.inputs).toMatchObject({
        chart: "oci://quay.io/strimzi-helm/strimzi-kafka-operator",
        version: "1.2.0",
        namespace: "kafka",
      });
      const custom = p.resources.filter((r) => r.type.startsWith("kubernetes:kafka.strimzi.io/"));
      expect(custom.length).toBeGreaterThanOrEqual(6);
      for (const r of custom)
        expect(r.dependsOn, r.name).toContainEqual({ type: "kubernetes:helm.sh/v3:Release", name: release?.name });
    }
  });

  it("creates a KafkaTopic per catalog topic with the catalog's settings", () => {
    for (const [p, replicas, minIsr] of [
      [dev, 1, "1"],
      [prod, 3, "2"],
    ] as const) {
      for (const topic of TOPIC_LIST) {
        expect(spec(named(p, "KafkaTopic", topic.name))).toEqual({
          topicName: topic.name,
          partitions: topic.partitions,
          replicas,
          config: {
            "retention.ms": String(topic.retentionMs),
            "cleanup.policy": topic.cleanupPolicy,
            "min.insync.replicas": minIsr,
          },
        });
      }
    }
  });

  it("dev: one ephemeral dual-role node, a plain listener and authType none", () => {
    const pool = spec(named(dev, "KafkaNodePool", "dual-role"));
    expect(pool).toMatchObject({
      replicas: 1,
      roles: ["controller", "broker"],
      storage: { volumes: [{ type: "ephemeral" }] },
    });
    const kafka = named(dev, "Kafka", "events");
    expect((kafka.metadata as { annotations: Record<string, string> }).annotations).toEqual({
      "pulumi.com/waitFor": "condition=Ready",
    });
    expect(metadataOf(named(dev, "Component", "kafka-pubsub"))).toEqual({
      brokers: "events-kafka-bootstrap.kafka.svc:9092",
      authType: "none",
      version: "3.9.0",
      initialOffset: "oldest",
    });
  });

  it("prod: three persistent nodes, SCRAM-SHA-512 over TLS with the program's CA, a KafkaUser limited to the catalog", () => {
    expect(spec(named(prod, "KafkaNodePool", "dual-role"))).toMatchObject({
      replicas: 3,
      storage: { volumes: [{ type: "persistent-claim", size: "100Gi", deleteClaim: false }] },
    });
    const kafka = spec(named(prod, "Kafka", "events")) as { kafka: Record<string, unknown>; clusterCa: unknown };
    expect(kafka.kafka.listeners).toMatchObject([
      { name: "scram", port: 9093, type: "internal", tls: true, authentication: { type: "scram-sha-512" } },
    ]);
    expect(kafka.kafka.config).toMatchObject({ "default.replication.factor": 3, "min.insync.replicas": 2 });
    expect(kafka.clusterCa).toEqual({ generateCertificateAuthority: false });
    const acls = (
      spec(named(prod, "KafkaUser", "dapr-sidecars")).authorization as {
        acls: { resource: { type: string; name: string } }[];
      }
    ).acls;
    expect(acls.filter((a) => a.resource.type === "topic").map((a) => a.resource.name)).toEqual(
      TOPIC_LIST.map((t) => t.name),
    );
    expect(metadataOf(named(prod, "Component", "kafka-pubsub"))).toEqual({
      brokers: "events-kafka-bootstrap.kafka.svc:9093",
      authType: "password",
      saslUsername: { name: "kafka-credentials", key: "username" },
      saslPassword: { name: "kafka-credentials", key: "password" },
      saslMechanism: "SHA-512",
      disableTls: "false",
      caCert: { name: "kafka-credentials", key: "ca.crt" },
      version: "3.9.0",
      initialOffset: "oldest",
    });
  });

  it("prod: every app waits for the sidecars' KafkaUser to be Ready and for their credentials Secret in the apps' namespace", () => {
    const [user] = byType(prod, "kubernetes:kafka.strimzi.io/v1:KafkaUser");
    expect(user?.inputs.metadata).toMatchObject({
      name: "dapr-sidecars",
      annotations: { "pulumi.com/waitFor": "condition=Ready" },
    });
    const credentials = byType(prod, "kubernetes:core/v1:Secret").find(
      (r) => r.inputs.metadata?.name === "kafka-credentials",
    );
    expect(credentials?.inputs.metadata?.namespace).toBe("event-platform");
    const services = byType(prod, "event-platform:apps:AppService");
    expect(services).toHaveLength(APP_LIST.length);
    for (const service of services) {
      expect(service.dependsOn, service.name).toContainEqual({ type: user?.type, name: user?.name });
      expect(service.dependsOn, service.name).toContainEqual({ type: credentials?.type, name: credentials?.name });
    }
    // dev's plain listener has no user to wait for.
    expect(byType(dev, "kubernetes:kafka.strimzi.io/v1:KafkaUser")).toEqual([]);
  });

  it("prod: HA Dapr, two replicas per app and a disruption budget each", () => {
    const [dapr] = byType(prod, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "dapr");
    expect(dapr?.inputs).toMatchObject({ version: "1.18.3", values: { global: { ha: { enabled: true } } } });
    for (const app of APP_LIST) expect(spec(named(prod, "Deployment", app.id)).replicas).toBe(2);
    expect(manifestsOf(prod, "PodDisruptionBudget")).toHaveLength(APP_LIST.length);
    expect(manifestsOf(dev, "PodDisruptionBudget")).toHaveLength(0);
  });
});

describe("Redpanda Cloud mode", () => {
  it("creates each catalog topic through @pulumi/kafka with an explicit name and replication 3, and no Strimzi", () => {
    const [provider] = byType(redpanda, "pulumi:providers:kafka");
    expect(provider?.inputs).toMatchObject({
      bootstrapServers: JSON.stringify(["seed-0.cluster.redpanda.example:9092"]),
      saslMechanism: "scram-sha256",
      saslUsername: "event-platform",
      saslPassword: "[secret]",
      tlsEnabled: "true",
    });
    const topics = byType(redpanda, "kafka:index/topic:Topic");
    expect(topics.map((t) => t.inputs.name)).toEqual(TOPIC_LIST.map((t) => t.name));
    for (const t of topics) {
      expect(t.inputs.replicationFactor).toBe(3);
      expect(t.inputs.config).not.toHaveProperty("min.insync.replicas");
    }
    expect(redpanda.resources.filter((r) => r.type.includes("strimzi"))).toEqual([]);
  });

  it("gives Dapr SCRAM SHA-256 over TLS with the credentials in a Secret", () => {
    expect(metadataOf(named(redpanda, "Component", "kafka-pubsub"))).toEqual({
      brokers: "seed-0.cluster.redpanda.example:9092",
      authType: "password",
      saslUsername: { name: "kafka-credentials", key: "username" },
      saslPassword: { name: "kafka-credentials", key: "password" },
      saslMechanism: "SHA-256",
      disableTls: "false",
      version: "3.9.0",
      initialOffset: "oldest",
    });
    expect(Object.keys(named(redpanda, "Secret", "kafka-credentials").stringData as object).sort()).toEqual([
      "password",
      "username",
    ]);
  });
});

describe("external mode", () => {
  it("uses the configured brokers, creates the topics through @pulumi/kafka and keeps min.insync.replicas", () => {
    const topics = byType(external, "kafka:index/topic:Topic");
    expect(topics).toHaveLength(TOPIC_LIST.length);
    expect(topics[0]?.inputs.config).toMatchObject({ "min.insync.replicas": "1" });
    expect(metadataOf(named(external, "Component", "kafka-pubsub")).brokers).toBe(
      "kafka-0.example:9092,kafka-1.example:9092",
    );
  });
});

describe("gateway fan-out", () => {
  it("gives the gateway its own component whose consumer group is the pod name", () => {
    for (const p of [dev, prod, redpanda, external]) {
      const gateway = named(p, "Component", "gateway-pubsub");
      expect(metadataOf(gateway).consumerGroup).toBe("{podName}");
      expect(gateway.scopes).toEqual(["gateway"]);
    }
  });
});

/** The mock's outputs of an image (infra/plan.js `mockImageOutputs`), which resources.json reports beside its inputs. */
type BuiltImage = Plan["resources"][number] & { outputs: { digest: string; ref: string } };
const IMAGE_TYPE = "docker-build:index:Image";
const imagesOf = (p: Plan) => byType(p, IMAGE_TYPE) as BuiltImage[];
const imageOf = (p: Plan, appId: string) =>
  imagesOf(p).find((r) => (r.inputs.buildArgs as { APP?: string } | undefined)?.APP === appId);
const containerImage = (p: Plan, appId: string) =>
  (spec(named(p, "Deployment", appId)).template as { spec: { containers: { image: string }[] } }).spec.containers[0]
    ?.image;

describe("images built by the program (apps.imageSource build, dev's default)", () => {
  it("are one docker-build Image per catalog app, from apps/Dockerfile with APP, pushed with a registry cache", () => {
    expect(imagesOf(dev).map((r) => r.inputs.buildArgs)).toEqual(APP_LIST.map((app) => ({ APP: app.id })));
    for (const app of APP_LIST) {
      const image = imageOf(dev, app.id);
      const repository = `localhost:5001/${app.id}`;
      expect(image?.parent).toEqual({ type: "event-platform:apps:AppImage", name: `event-platform-${app.id}` });
      expect(image?.inputs).toEqual({
        context: { location: "." },
        dockerfile: { location: "apps/Dockerfile" },
        buildArgs: { APP: app.id },
        platforms: ["linux/amd64"],
        tags: [`${repository}:dev`],
        push: true,
        cacheFrom: [{ registry: { ref: `${repository}:buildcache` } }],
        cacheTo: [
          {
            registry: {
              ref: `${repository}:buildcache`,
              mode: "max",
              imageManifest: true,
              ociMediaTypes: true,
              ignoreError: true,
            },
          },
        ],
        // The provider's defaults, as the SDK sends them.
        buildOnPreview: true,
        network: "default",
      });
    }
  });

  it("run in each Deployment as exactly that Image's ref: its tag pinned to the pushed digest", () => {
    for (const app of APP_LIST) {
      const outputs = imageOf(dev, app.id)?.outputs;
      // The mock's digest is a sha256 of the build's inputs (infra/plan.js); the real one is the pushed image's.
      expect(outputs?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(outputs?.ref).toBe(`localhost:5001/${app.id}:dev@${outputs?.digest}`);
      expect(containerImage(dev, app.id), app.id).toBe(outputs?.ref);
    }
    expect(new Set(APP_LIST.map((app) => containerImage(dev, app.id))).size).toBe(APP_LIST.length);
  });

  it("log in to the registry with apps.registryUsername and the secret registryPassword, and keep each reference when only other settings change", async () => {
    const result = await plan("dev", {
      config:
        "config:\n  event-platform:apps:\n    registryUsername: ci\n    buildPlatforms: [linux/amd64]\n    replicas: 2\n  event-platform:registryPassword:\n    secure: v1:placeholder\n",
    });
    expect(result.stderr).toBe("");
    for (const app of APP_LIST) {
      expect(imageOf(result, app.id)?.inputs.registries).toEqual([
        { address: "localhost:5001", username: "ci", password: "[secret]" },
      ]);
      // Neither the login nor the replica count is part of what is built: the pods keep their image.
      expect(containerImage(result, app.id)).toBe(containerImage(dev, app.id));
    }
  }, 120_000);
});

describe("prebuilt images (apps.imageSource prebuilt, prod's default)", () => {
  it("are not built: no Image, each Deployment runs <imageRegistry>/<app id>:<imageTag>", () => {
    for (const p of [prod, redpanda]) {
      expect(imagesOf(p)).toEqual([]);
      expect(byType(p, "event-platform:apps:AppImage")).toEqual([]);
      for (const app of APP_LIST) expect(containerImage(p, app.id)).toBe(`ghcr.io/event-platform/${app.id}:0.1.0`);
    }
  });

  it("run the apps and PostgreSQL given a digest as repo@sha256:..., the others by tag", async () => {
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const result = await plan("dev", {
      config: `config:\n  event-platform:apps:\n    imageSource: prebuilt\n    imageRegistry: registry.example.com/team\n    imageDigests:\n      backend: "${digest("b")}"\n      gateway: "${digest("c")}"\n  event-platform:postgres:\n    imageDigest: "${digest("d")}"\n`,
    });
    expect(result.stderr).toBe("");
    expect(imagesOf(result)).toEqual([]);
    const images = new Map(
      [...manifestsOf(result, "Deployment"), ...manifestsOf(result, "StatefulSet")].map((m) => [
        (m.metadata as { name: string }).name,
        (spec(m).template as { spec: { containers: { image: string }[] } }).spec.containers[0]?.image,
      ]),
    );
    expect(Object.fromEntries(images)).toEqual({
      backend: `registry.example.com/team/backend@${digest("b")}`,
      recurring: "registry.example.com/team/recurring:dev",
      notification: "registry.example.com/team/notification:dev",
      gateway: `registry.example.com/team/gateway@${digest("c")}`,
      "dead-letters": "registry.example.com/team/dead-letters:dev",
      postgres: `postgres@${digest("d")}`,
    });
  }, 120_000);
});

describe("invalid config", () => {
  it.each([
    [
      "kafka.mode: zookeeper",
      "config:\n  event-platform:kafka:\n    mode: zookeeper\n",
      'event-platform:kafka.mode: "zookeeper" is not allowed; allowed: strimzi, redpanda-cloud, external',
    ],
    [
      "node replicas 0",
      "config:\n  event-platform:kafka:\n    strimzi:\n      nodes: 0\n",
      "event-platform:kafka.strimzi.nodes: 0 is not allowed; it must be >= 1",
    ],
    [
      "prod with replication 1",
      "config:\n  event-platform:profile: prod\n  event-platform:databaseUrl:\n    secure: v1:x\n  event-platform:kafka:\n    replicationFactor: 1\n    minInsyncReplicas: 1\n",
      "event-platform:kafka.replicationFactor: 1 is too low for prod; allowed: 3 or more",
    ],
    [
      "an SMTP user without its password",
      "config:\n  event-platform:notification:\n    smtp:\n      host: smtp.example.com\n      from: tasks@example.com\n      user: mailer\n",
      "event-platform:smtpPassword is required when event-platform:notification.smtp.user is set: pulumi config set --secret smtpPassword <password>",
    ],
    [
      "prod with min.insync.replicas 3 of 3",
      "config:\n  event-platform:profile: prod\n  event-platform:databaseUrl:\n    secure: v1:x\n  event-platform:kafka:\n    minInsyncReplicas: 3\n",
      "event-platform:kafka.minInsyncReplicas: 3 is not allowed with event-platform:kafka.replicationFactor 3; allowed: 1 to 2",
    ],
  ])(
    "%s: exits non-zero with the config error naming the key, and nothing else",
    async (_, config, message) => {
      const result = await plan("dev", { config });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(message);
      expect(result.stderr.split("\n")[0]).toBe("Invalid stack configuration:");
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
    60_000,
  );
});
