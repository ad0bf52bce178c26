// The prod profile: three persistent KRaft nodes with SCRAM over TLS, replication 3, HA Dapr, external PostgreSQL.
import { dev } from "./dev";
import type { PlatformProfile } from "./profile";

export const prod: PlatformProfile = {
  environment: "prod",
  namespace: "event-platform",
  kafka: {
    ...dev.kafka,
    strimzi: {
      ...dev.kafka.strimzi,
      nodes: 3,
      storage: { type: "persistent-claim", size: "100Gi" },
      authentication: "scram-sha-512",
      resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    },
    replicationFactor: 3,
    minInsyncReplicas: 2,
  },
  dapr: {
    ...dev.dapr,
    highAvailability: true,
    tracingSamplingRate: "0.1",
    inboundRetry: { maxRetries: 8, maxInterval: "30s" },
    outboundRetry: { maxRetries: 15, maxInterval: "30s" },
    // Dapr's production starting point for a sidecar (docs.dapr.io, "Production guidelines on Kubernetes").
    sidecarResources: { requests: { cpu: "100m", memory: "250Mi" }, limits: { cpu: "300m", memory: "1000Mi" } },
  },
  postgres: { ...dev.postgres, mode: "external" },
  apps: {
    ...dev.apps,
    // The release workflow's images (.github/workflows/release.yml): built once per version tag for amd64 and arm64,
    // with SBOM and provenance attestations, so prod runs exactly what was released, not what the deploying machine
    // happens to build. `apps.imageSource build` builds them in `pulumi up` instead.
    imageSource: "prebuilt",
    imageRegistry: "ghcr.io/event-platform",
    imageTag: "0.1.0",
    replicas: 2,
    disruptionBudget: true,
    resources: { requests: { cpu: "200m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  },
  network: { ingressFrom: [{ namespace: "ingress-nginx" }] },
  auth: dev.auth,
  // The SMTP server and the alert webhook are the deployment's own: a prod stack sets them (README, Stack config).
  notification: dev.notification,
  deadLetters: dev.deadLetters,
  // The public addresses are the deployment's own: a prod stack sets both to serve the board (README, Stack config).
  board: { origin: "", backendUrl: "" },
};
