// Unit tests of the pod template rules every pod of the program follows (specs/pods.ts).
import { describe, expect, it } from "vitest";
import { APPS } from "./apps";
import { sidecarAnnotations } from "./dapr";
import { DISABLE_BUILTIN_K8S_SECRET_STORE, type PodTemplateArgs, podTemplate } from "./pods";

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
    expect(podTemplate(args(sidecarAnnotations(APPS.backend, { logLevel: "info" }))).spec).toMatchObject({
      automountServiceAccountToken: false,
      containers: [CONTAINER],
    });
  });

  it("disable daprd's built-in Kubernetes secret store in a pod with a Dapr sidecar, which has no token to start it", () => {
    const sidecar = sidecarAnnotations(APPS.backend, { logLevel: "info" });
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
