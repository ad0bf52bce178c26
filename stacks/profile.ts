// The typed shape of a deployment profile: everything the Pulumi program needs to know about one environment.

export type Environment = "dev" | "prod";
export type KafkaMode = "strimzi" | "redpanda-cloud" | "external";
export type ScramMechanism = "SHA-256" | "SHA-512";

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface StrimziSettings {
  /** Namespace of the operator and the Kafka cluster. */
  namespace: string;
  /** Name of the `Kafka` resource; services and secrets derive from it (`<name>-kafka-bootstrap`). */
  clusterName: string;
  /** Strimzi operator (and Helm chart) version. */
  operatorVersion: string;
  /** Kafka version the cluster runs; one the operator supports. */
  kafkaVersion: string;
  /** Dual-role (controller + broker) KRaft nodes. */
  nodes: number;
  /** `ephemeral`, or a persistent volume claim per node of `storageSize`. */
  storage: { type: "ephemeral" } | { type: "persistent-claim"; size: string; storageClass?: string };
  /** SCRAM-SHA-512 over TLS for the apps' sidecars (a KafkaUser), or a plain listener (dev only). */
  authentication: "scram-sha-512" | "none";
  resources: ContainerResources;
}

export interface KafkaSettings {
  mode: KafkaMode;
  strimzi: StrimziSettings;
  /** Bootstrap servers of Redpanda Cloud or the external cluster. */
  bootstrapServers: string[];
  /** SASL user of Redpanda Cloud or the external cluster (its password is secret config `kafkaPassword`). */
  username: string;
  saslMechanism: ScramMechanism;
  /** Replication factor of every topic; at most the broker count. */
  replicationFactor: number;
  /** `min.insync.replicas` of every topic. */
  minInsyncReplicas: number;
  /** Kafka protocol version Dapr's client speaks. */
  protocolVersion: string;
}

export interface DaprProfile {
  /** Install the control plane; switch off when the cluster already runs Dapr. */
  install: boolean;
  namespace: string;
  chartVersion: string;
  highAvailability: boolean;
  logLevel: "debug" | "info" | "warn" | "error";
  tracingSamplingRate: string;
  otlpEndpoint: string;
  inboundRetry: { maxRetries: number; maxInterval: string };
  outboundRetry: { maxRetries: number; maxInterval: string };
  /** Requests and limits of the injected daprd container in every app pod (`dapr.io/sidecar-*` annotations). */
  sidecarResources: ContainerResources;
}

export interface PostgresProfile {
  /** In-cluster StatefulSet with a generated password, or an external server whose URL is secret config `databaseUrl`. */
  mode: "in-cluster" | "external";
  /** The in-cluster server's image, `name:tag`. */
  image: string;
  /** Pins the in-cluster server's image to this digest (`sha256:` and 64 hex digits): `name@digest`, the tag dropped. */
  imageDigest?: string;
  storageSize: string;
  /**
   * The external server's port (the one in `databaseUrl`): the apps with a database may connect to it, and to no
   * other port outside the cluster. The in-cluster server listens on 5432.
   */
  port: number;
}

/**
 * Where users reach the user-facing apps (`userFacing` in the app catalog) from: the pods of a namespace (those with `podLabels`
 * when given), such as an ingress controller's, or an IP block in CIDR notation (`except` carves sub-blocks out).
 */
export type IngressSource =
  | { namespace: string; podLabels?: Record<string, string> }
  | { cidr: string; except?: string[] };

export interface NetworkProfile {
  /** Who may open connections to the user-facing apps' ports; nothing else may reach any app's port. */
  ingressFrom: IngressSource[];
}

/**
 * Where the apps' images come from: `build`, the program builds each from `apps/Dockerfile` and pushes it; `prebuilt`,
 * images published beforehand (the release workflow's), by tag or digest.
 */
export type ImageSource = "build" | "prebuilt";

/** The platforms the program builds the apps' images for. */
export type BuildPlatform = "linux/amd64" | "linux/arm64";

export interface AppsProfile {
  /**
   * `build`: each app's image is built from the repository (BuildKit, through `@pulumi/docker-build`), pushed to
   * `<imageRegistry>/<app id>:<imageTag>`, and its Deployment runs the pushed digest, so only a change to the image
   * rolls its pods. `prebuilt`: each app runs `<imageRegistry>/<app id>:<imageTag>`, or `@<digest>` when pinned.
   */
  imageSource: ImageSource;
  /** The registry (host, optional port and path) the apps' repositories are in, such as `ghcr.io/event-platform`. */
  imageRegistry: string;
  imageTag: string;
  /**
   * Digests (`sha256:` and 64 hex digits) by app id; an app with one runs that exact image, whatever the tag.
   * `prebuilt` only: a built image runs the digest its build pushed.
   */
  imageDigests: Record<string, string>;
  /**
   * `build` only: the user the build logs in to the registry as, its password or token being secret config
   * `registryPassword`; empty: no login (a local registry, or a runner already logged in).
   */
  registryUsername: string;
  /** `build` only: the platforms each image is built for (one image index when several). */
  buildPlatforms: BuildPlatform[];
  /**
   * `build` only: keep BuildKit's cache in the registry, beside each image (`<repository>:buildcache`), so another
   * machine or a CI runner reuses the dependency layers. Exporting it needs a builder that can (Docker with the
   * containerd image store, or a docker-container builder); turn it off for one that cannot.
   */
  buildCache: boolean;
  replicas: number;
  /** A PodDisruptionBudget keeping `replicas - 1` pods up during voluntary disruptions. */
  disruptionBudget: boolean;
  resources: ContainerResources;
}

/** How the apps that authenticate users read a token's roles (their `JWT_ROLES_CLAIM` and `OPERATOR_ROLE`). */
export interface AuthProfile {
  /** The claim that lists a token's roles (an array of strings, or one string). */
  rolesClaim: string;
  /** The role that makes a user an operator: the dead-letter desk accepts only operators. */
  operatorRole: string;
}

/** The SMTP server the notification service sends email through; an empty `host` turns the email channel off. */
export interface SmtpProfile {
  /** Host name or IP address of the server; empty: no email channel. */
  host: string;
  /** 587 (submission, STARTTLS) by default; 465 with `secure`. */
  port: number;
  /** TLS from the first byte (SMTPS, port 465); false upgrades with STARTTLS when the server offers it. */
  secure: boolean;
  /** The sender of every email, `tasks@example.com` or `Tasks <tasks@example.com>`; required with `host`. */
  from: string;
  /** The SMTP user; empty: no authentication. Its password is secret config `smtpPassword`. */
  user: string;
}

export interface NotificationProfile {
  smtp: SmtpProfile;
  /** The ports the notification service may reach webhook receivers on (their URLs' ports); none closes webhooks. */
  webhookPorts: number[];
  /** How long one webhook delivery may take, in milliseconds. */
  webhookTimeoutMs: number;
  /**
   * Whether webhook URLs may resolve to private, loopback or link-local addresses (a receiver inside the cluster, in
   * dev). Off, the service refuses them and the NetworkPolicy lets webhook traffic reach public addresses only.
   * Never in prod.
   */
  webhookAllowPrivateAddresses: boolean;
}

export interface DeadLettersProfile {
  /**
   * Where the dead-letter desk posts an alert for each dead letter (Standard Webhooks, signed with secret config
   * `alertWebhookSecret`, generated when not set); empty: no alerts.
   */
  alertWebhookUrl: string;
}

/**
 * Where browsers reach the live board (served by the gateway) and the backend's REST API that the board calls: the
 * backend allows CORS from `origin` only (`CORS_ORIGINS`), the gateway accepts WebSockets from it
 * (`WS_ALLOWED_ORIGINS`) and tells the board `backendUrl` (`BACKEND_PUBLIC_URL`). Both empty: no board is served and
 * the backend answers no cross-origin caller.
 */
export interface BoardProfile {
  /** The gateway's public origin, `scheme://host[:port]` (no path), or empty. */
  origin: string;
  /** The backend's public URL as browsers reach it, or empty. */
  backendUrl: string;
}

/** One environment, complete: a stack's config overrides a profile and the result is validated. */
export interface PlatformProfile {
  environment: Environment;
  /** The apps' namespace. */
  namespace: string;
  kafka: KafkaSettings;
  dapr: DaprProfile;
  postgres: PostgresProfile;
  apps: AppsProfile;
  network: NetworkProfile;
  auth: AuthProfile;
  notification: NotificationProfile;
  deadLetters: DeadLettersProfile;
  board: BoardProfile;
}
