// Unit tests of the pod template rules every pod of the program follows (specs/pods.ts).
import { describe, expect, it } from "vitest";
import { dev } from "../stacks/dev";
import { APPS } from "./apps";
import { sidecarAnnotations } from "./dapr";
import {
  CONTAINER_SECURITY_CONTEXT,
  DISABLE_BUILTIN_K8S_SECRET_STORE,
  healthProbes,
  imageReference,
  POD_SECURITY_VERSION,
  type PodTemplateArgs,
  pinnedImage,
  podSecurityLabels,
  podTemplate,
  STARTUP_SECONDS,
  writableVolumeName,
} from "./pods";

const LABELS = { "app.kubernetes.io/name": "backend" };
const CONTAINER = { name: "backend", image: "ghcr.io/event-platform/backend:0.1.0" };
const args = (annotations?: Record<string, string>): PodTemplateArgs => ({
  labels: LABELS,
  ...(annotations ? { annotations } : {}),
  runAs: { user: 10001, group: 10001 },
  containers: [CONTAINER],
});

describe("pod templates", () => {
  it("never mount a service-account token", () => {
    expect(podTemplate(args()).spec.automountServiceAccountToken).toBe(false);
    expect(podTemplate(args(sidecarAnnotations(APPS.backend, dev.dapr))).spec).toMatchObject({
      automountServiceAccountToken: false,
      containers: [CONTAINER],
    });
  });

  it("disable daprd's built-in Kubernetes secret store in a pod with a Dapr sidecar, which has no token to start it", () => {
    const sidecar = sidecarAnnotations(APPS.backend, dev.dapr);
    const template = podTemplate(args(sidecar));
    expect(DISABLE_BUILTIN_K8S_SECRET_STORE).toBe("dapr.io/disable-builtin-k8s-secret-store");
    expect(template.metadata).toEqual({
      labels: LABELS,
      annotations: { ...sidecar, "dapr.io/disable-builtin-k8s-secret-store": "true" },
    });
  });

  it("leave a pod without a sidecar unannotated", () => {
    expect(podTemplate(args()).metadata).toEqual({ labels: LABELS });
    expect(podTemplate(args({ "dapr.io/enabled": "false" })).metadata.annotations).toEqual({
      "dapr.io/enabled": "false",
    });
  });

  it("pass Pod Security restricted: a numeric non-root user, seccomp RuntimeDefault, no capabilities, no escalation", () => {
    const { spec } = podTemplate(args());
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(spec.containers[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(spec.containers[0]?.securityContext).toBe(CONTAINER_SECURITY_CONTEXT);
    expect(spec).not.toHaveProperty("volumes");
  });

  it("give each path a container writes to an emptyDir, beside its own volume mounts, and the volume group", () => {
    const { spec } = podTemplate({
      labels: LABELS,
      runAs: { user: 999, group: 999 },
      fsGroup: 999,
      containers: [
        {
          name: "postgres",
          image: "postgres:17.6",
          volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
          writablePaths: ["/var/run/postgresql", "/tmp"],
        },
      ],
    });
    expect(spec.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    expect(spec.containers[0]).toEqual({
      name: "postgres",
      image: "postgres:17.6",
      volumeMounts: [
        { name: "data", mountPath: "/var/lib/postgresql/data" },
        { name: "writable-var-run-postgresql", mountPath: "/var/run/postgresql" },
        { name: "writable-tmp", mountPath: "/tmp" },
      ],
      securityContext: CONTAINER_SECURITY_CONTEXT,
    });
    expect(spec.volumes).toEqual([
      { name: "writable-var-run-postgresql", emptyDir: {} },
      { name: "writable-tmp", emptyDir: {} },
    ]);
  });

  it("set the termination grace period when given, else leave Kubernetes' default", () => {
    expect(podTemplate({ ...args(), terminationGracePeriodSeconds: 45 }).spec.terminationGracePeriodSeconds).toBe(45);
    expect(podTemplate(args()).spec).not.toHaveProperty("terminationGracePeriodSeconds");
  });

  it("name writable volumes as DNS labels and refuse a relative path", () => {
    expect(writableVolumeName("/tmp")).toBe("writable-tmp");
    expect(writableVolumeName("/app/data/Cache_Dir/")).toBe("writable-app-data-cache-dir");
    expect(writableVolumeName(`/${"x".repeat(80)}`)).toHaveLength(63);
    expect(() => writableVolumeName("tmp")).toThrow('A writable path must be absolute, got "tmp".');
  });
});

describe("Pod Security namespace labels", () => {
  it("enforce, warn and audit one level, pinned to the verified Kubernetes version", () => {
    expect(POD_SECURITY_VERSION).toBe("v1.34");
    expect(podSecurityLabels("restricted")).toEqual({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "v1.34",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.34",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.34",
    });
  });
});

describe("health probes", () => {
  const alive = { httpGet: { path: "/healthz", port: "http" } };
  const ready = { httpGet: { path: "/readyz", port: "http" } };
  const probes = healthProbes(alive, ready);

  it("give a slow start (a migration before the app listens) 5 minutes before liveness probing begins", () => {
    expect(STARTUP_SECONDS).toBe(300);
    expect(probes.startupProbe).toEqual({ ...alive, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 60 });
    expect(probes.startupProbe.periodSeconds * probes.startupProbe.failureThreshold).toBe(STARTUP_SECONDS);
  });

  it("then restart a hung process after 30 s and take an unready one out of service", () => {
    expect(probes.livenessProbe).toEqual({ ...alive, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
    expect(probes.readinessProbe).toEqual({ ...ready, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 });
  });

  it("probe with a command as well", () => {
    const command = { exec: { command: ["pg_isready"] } };
    expect(healthProbes(command, command).startupProbe).toMatchObject(command);
  });
});

describe("image references", () => {
  const DIGEST = `sha256:${"0f".repeat(32)}`;

  it("prefer the digest to the tag, which they then leave out", () => {
    expect(imageReference("ghcr.io/event-platform/backend", "0.1.0")).toBe("ghcr.io/event-platform/backend:0.1.0");
    expect(imageReference("ghcr.io/event-platform/backend", "0.1.0", DIGEST)).toBe(
      `ghcr.io/event-platform/backend@${DIGEST}`,
    );
  });

  it("pin a name:tag image to a digest, keeping a registry's port", () => {
    expect(pinnedImage("postgres:17.6")).toBe("postgres:17.6");
    expect(pinnedImage("postgres:17.6", DIGEST)).toBe(`postgres@${DIGEST}`);
    expect(pinnedImage("postgres", DIGEST)).toBe(`postgres@${DIGEST}`);
    expect(pinnedImage("registry.local:5000/db/postgres:17.6", DIGEST)).toBe(
      `registry.local:5000/db/postgres@${DIGEST}`,
    );
    expect(pinnedImage("registry.local:5000/db/postgres", DIGEST)).toBe(`registry.local:5000/db/postgres@${DIGEST}`);
  });
});
