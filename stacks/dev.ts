// The dev profile (minikube or kind): one ephemeral KRaft node, replication 1, non-HA Dapr, in-cluster PostgreSQL.
import type { PlatformProfile } from "./profile";

export const dev: PlatformProfile = {
  environment: "dev",
  namespace: "event-platform",
  kafka: {
    mode: "strimzi",
    strimzi: {
      namespace: "kafka",
      clusterName: "events",
      operatorVersion: "1.2.0",
      kafkaVersion: "4.3.1",
      nodes: 1,
      storage: { type: "ephemeral" },
      authentication: "none",
      resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
    },
    bootstrapServers: [],
    username: "",
    saslMechanism: "SHA-512",
    replicationFactor: 1,
    minInsyncReplicas: 1,
    protocolVersion: "3.9.0",
  },
  dapr: {
    install: true,
    namespace: "dapr-system",
    chartVersion: "1.18.3",
    highAvailability: false,
    logLevel: "info",
    tracingSamplingRate: "1",
    otlpEndpoint: "",
    inboundRetry: { maxRetries: 5, maxInterval: "10s" },
    outboundRetry: { maxRetries: 10, maxInterval: "10s" },
    sidecarResources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "300m", memory: "256Mi" } },
  },
  postgres: { mode: "in-cluster", image: "postgres:17.6", storageSize: "1Gi", port: 5432 },
  apps: {
    // `pulumi up` builds the images from this checkout and pushes them to the local registry of the README's kind
    // recipe (minikube's registry addon is localhost:5000), so a dev stack needs no published image.
    imageSource: "build",
    imageRegistry: "localhost:5001",
    imageTag: "dev",
    imageDigests: {},
    registryUsername: "",
    buildPlatforms: ["linux/amd64"],
    buildCache: true,
    replicas: 1,
    disruptionBudget: false,
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  },
  // The ingress-nginx controller of minikube's ingress addon and of kind's ingress guide; `kubectl port-forward`
  // reaches a pod through the kubelet, which no NetworkPolicy governs.
  network: { ingressFrom: [{ namespace: "ingress-nginx" }] },
  auth: { rolesClaim: "roles", operatorRole: "operator" },
  notification: {
    // No email channel until a stack names its SMTP server.
    smtp: { host: "", port: 587, secure: false, from: "", user: "" },
    webhookPorts: [443, 80],
    webhookTimeoutMs: 10_000,
    webhookAllowPrivateAddresses: false,
  },
  deadLetters: { alertWebhookUrl: "" },
  // `kubectl port-forward svc/gateway 3003` and `svc/backend 3000` (README, "Try it on a cluster").
  board: { origin: "http://localhost:3003", backendUrl: "http://localhost:3000" },
};
