// Pod templates as pure functions: every pod the program runs is built here, so the rules that hold for all of them live in one place.

/** The annotation that has Dapr inject its sidecar (dapr/dapr `pkg/injector/annotations`). */
export const DAPR_ENABLED = "dapr.io/enabled";
/**
 * The annotation that stops daprd from loading its built-in Kubernetes secret store (dapr/dapr v1.18.3
 * `pkg/runtime/runtime.go`, `appendBuiltinSecretStore`). That store needs the pod's service-account token; without one
 * it fails to initialise and daprd exits, so a pod without the token must carry this annotation.
 */
export const DISABLE_BUILTIN_K8S_SECRET_STORE = "dapr.io/disable-builtin-k8s-secret-store";

/** The label every object of the platform carries. */
export const PLATFORM_LABELS = { "app.kubernetes.io/part-of": "event-platform" } as const;
/** The label that names a workload; its pods are selected by it (Services, NetworkPolicies, disruption budgets). */
export const APP_NAME_LABEL = "app.kubernetes.io/name";
/** The name (and `app.kubernetes.io/name`) of the in-cluster PostgreSQL. */
export const POSTGRES_NAME = "postgres";

/** The labels of a workload of the platform (an app by its id, or PostgreSQL) and of its pods. */
export function workloadLabels(name: string): Record<string, string> {
  return { [APP_NAME_LABEL]: name, ...PLATFORM_LABELS };
}

/**
 * A container image reference: `repository@digest` when a digest pins it (preferred: the tag is left out, since the
 * runtime would pull by the digest anyway and a tag beside it only misleads), else `repository:tag`.
 */
export function imageReference(repository: string, tag: string, digest?: string): string {
  return digest ? `${repository}@${digest}` : `${repository}:${tag}`;
}

/**
 * `image` (`name[:tag]`, the name possibly with a registry host and port) pinned to `digest` when one is given:
 * `postgres:17.6` with `sha256:…` → `postgres@sha256:…`; without a digest, `image` unchanged.
 */
export function pinnedImage(image: string, digest?: string): string {
  if (!digest) return image;
  const lastSlash = image.lastIndexOf("/");
  const tagAt = image.lastIndexOf(":");
  const repository = tagAt > lastSlash ? image.slice(0, tagAt) : image;
  return `${repository}@${digest}`;
}

/** A value read from one key of a Secret. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

/** What a probe runs: an HTTP GET on a (named) port, or a command. */
export type ProbeHandler = { httpGet: { path: string; port: string | number } } | { exec: { command: string[] } };

/** A probe as Kubernetes takes it (`core/v1` Probe). */
export type Probe = ProbeHandler & { periodSeconds: number; timeoutSeconds: number; failureThreshold: number };

/** The three probes of a long-running container. */
export interface HealthProbes {
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
}

/**
 * How long a container may take to start before the kubelet restarts it: 60 startup probes 5 s apart, 5 minutes
 * (the backend migrates its database before it listens; PostgreSQL runs initdb on its first start).
 */
export const STARTUP_SECONDS = 300;
const STARTUP_PERIOD_SECONDS = 5;

/**
 * Startup, liveness and readiness probes. Kubernetes runs no liveness or readiness probe until the startup probe has
 * succeeded, so `alive` is probed every 5 s for up to {@link STARTUP_SECONDS}, then every 10 s with 3 failures (30 s)
 * allowed; `ready` every 5 s. Each probe times out after 2 s.
 */
export function healthProbes(alive: ProbeHandler, ready: ProbeHandler): HealthProbes {
  return {
    startupProbe: {
      ...alive,
      periodSeconds: STARTUP_PERIOD_SECONDS,
      timeoutSeconds: 2,
      failureThreshold: STARTUP_SECONDS / STARTUP_PERIOD_SECONDS,
    },
    livenessProbe: { ...alive, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { ...ready, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
  };
}

/** A volume mounted into a container. */
export interface VolumeMount {
  name: string;
  mountPath: string;
}

/** The fields of a container the program sets (Kubernetes `core/v1` Container). */
export interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { secretRef: { name: string } }[];
  resources?: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext: ContainerSecurityContext;
  volumeMounts?: VolumeMount[];
}

/** The container security context of Pod Security `restricted`, with a read-only root filesystem on top. */
export interface ContainerSecurityContext {
  allowPrivilegeEscalation: false;
  readOnlyRootFilesystem: true;
  capabilities: { drop: ["ALL"] };
}

/** The pod security context of Pod Security `restricted`: a numeric non-root user, the runtime's seccomp profile. */
export interface PodSecurityContext {
  runAsNonRoot: true;
  runAsUser: number;
  runAsGroup: number;
  fsGroup?: number;
  seccompProfile: { type: "RuntimeDefault" };
}

/** A volume of the pod: an `emptyDir` for a writable path (the only kind the program declares in a template). */
export interface Volume {
  name: string;
  emptyDir: Record<string, never>;
}

/** The fields of a pod spec the program sets (Kubernetes `core/v1` PodSpec). */
export interface PodSpec {
  automountServiceAccountToken: false;
  terminationGracePeriodSeconds?: number;
  securityContext: PodSecurityContext;
  containers: Container[];
  volumes?: Volume[];
}

/** A pod template (`spec.template` of a Deployment or StatefulSet). */
export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

/** A container as a component describes it: what it runs, and the paths it must write to. */
export type ContainerArgs = Omit<Container, "securityContext"> & {
  /**
   * Absolute paths the process writes to (such as `/tmp`); each gets an `emptyDir`, since the root filesystem is
   * read-only. Persistent data comes as a `volumeMounts` entry of a volume claim instead.
   */
  writablePaths?: readonly string[];
};

export interface PodTemplateArgs {
  labels: Record<string, string>;
  /** Pod annotations, such as the Dapr sidecar's; they must be on the pod template, where Dapr reads them. */
  annotations?: Record<string, string>;
  /**
   * The numeric user and group every container runs as: the image's own non-root user. A number (not just
   * `runAsNonRoot`) lets the kubelet verify it before it starts a container whose image names its user.
   */
  runAs: { user: number; group: number };
  /** The group that owns mounted volumes, for a container that writes to a persistent volume claim. */
  fsGroup?: number;
  /** How long the kubelet waits after SIGTERM before it kills the containers (Kubernetes' default: 30 seconds). */
  terminationGracePeriodSeconds?: number;
  containers: ContainerArgs[];
}

/** The container security context every container of the program gets. */
export const CONTAINER_SECURITY_CONTEXT: ContainerSecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** The name of the `emptyDir` volume for a writable path: `/var/run/postgresql` → `writable-var-run-postgresql`. */
export function writableVolumeName(path: string): string {
  const slug = path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  if (!path.startsWith("/") || slug === "")
    throw new Error(`A writable path must be absolute, got ${JSON.stringify(path)}.`);
  return `writable-${slug}`.slice(0, 63).replace(/-$/, "");
}

/**
 * The pod template of every workload the program runs. It passes the Pod Security `restricted` profile
 * (kubernetes.io/docs/concepts/security/pod-security-standards): a numeric non-root user, seccomp `RuntimeDefault`,
 * every capability dropped, no privilege escalation; and it keeps the root filesystem read-only, with an `emptyDir`
 * for each path a container writes to.
 *
 * It mounts no service-account token: none of the program's pods calls the Kubernetes API (the Dapr operator
 * resolves the components' `secretKeyRef`s, FACTS.md "Dapr on Kubernetes"). A pod with a Dapr sidecar therefore also
 * gets {@link DISABLE_BUILTIN_K8S_SECRET_STORE}, without which daprd exits and the pod crash-loops. The injected
 * daprd container runs under the same pod security context (the Dapr chart's `sidecarDropALLCapabilities` drops its
 * capabilities).
 */
export function podTemplate(args: PodTemplateArgs): PodTemplate {
  const sidecar = args.annotations?.[DAPR_ENABLED] === "true";
  const annotations = sidecar ? { ...args.annotations, [DISABLE_BUILTIN_K8S_SECRET_STORE]: "true" } : args.annotations;
  const writablePaths = [...new Set(args.containers.flatMap((c) => c.writablePaths ?? []))];
  const containers = args.containers.map(({ writablePaths: paths = [], volumeMounts = [], ...container }) => {
    const mounts = [...volumeMounts, ...paths.map((path) => ({ name: writableVolumeName(path), mountPath: path }))];
    return {
      ...container,
      securityContext: CONTAINER_SECURITY_CONTEXT,
      ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    };
  });
  return {
    metadata: { labels: args.labels, ...(annotations ? { annotations } : {}) },
    spec: {
      automountServiceAccountToken: false,
      ...(args.terminationGracePeriodSeconds !== undefined
        ? { terminationGracePeriodSeconds: args.terminationGracePeriodSeconds }
        : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: args.runAs.user,
        runAsGroup: args.runAs.group,
        ...(args.fsGroup !== undefined ? { fsGroup: args.fsGroup } : {}),
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers,
      ...(writablePaths.length > 0
        ? { volumes: writablePaths.map((path) => ({ name: writableVolumeName(path), emptyDir: {} })) }
        : {}),
    },
  };
}

/** The Pod Security Standards levels the program labels its namespaces with. */
export type PodSecurityLevel = "restricted" | "baseline";

/**
 * The Kubernetes version whose Pod Security Standards the namespace labels pin (the `-version` labels), the API
 * server the platform is verified against; pinning keeps a cluster upgrade from tightening the rules unannounced.
 */
export const POD_SECURITY_VERSION = "v1.34";

/**
 * Pod Security admission labels for a namespace: enforce `level`, and warn and audit at the same level, all pinned
 * to {@link POD_SECURITY_VERSION}.
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return Object.fromEntries(
    ["enforce", "warn", "audit"].flatMap((mode) => [
      [`pod-security.kubernetes.io/${mode}`, level],
      [`pod-security.kubernetes.io/${mode}-version`, POD_SECURITY_VERSION],
    ]),
  );
}
