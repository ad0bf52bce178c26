// Unit tests of the pod template rules every pod of the program follows (specs/pods.ts).
import { describe, expect, it } from "vitest";
import { dev } from "../stacks/dev";
import { APPS } from "./apps";
import { sidecarAnnotations } from "./dapr";
import {
  DISABLE_BUILTIN_K8S_SECRET_STORE,
  healthProbes,
  type PodTemplateArgs,
  podTemplate,
  STARTUP_SECONDS,
} from "./pods";

const LABELS = { "app.kubernetes.io/name": "backend" };
const CONTAINER = { name: "backend", image: "ghcr.io/event-platform/backend:0.1.0" };
const args = (annotations?: Record<string, string>): PodTemplateArgs => ({
  labels: LABELS,
  ...(annotations ? { annotations } : {}),
  spec: { containers: [CONTAINER] },
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
