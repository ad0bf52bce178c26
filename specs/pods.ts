// Pod templates as pure functions: every pod the program runs is built here, so the rules that hold for all of them live in one place.

/** The annotation that has Dapr inject its sidecar (dapr/dapr `pkg/injector/annotations`). */
export const DAPR_ENABLED = "dapr.io/enabled";
/**
 * The annotation that stops daprd from loading its built-in Kubernetes secret store (dapr/dapr v1.18.3
 * `pkg/runtime/runtime.go`, `appendBuiltinSecretStore`). That store needs the pod's service-account token; without one
 * it fails to initialise and daprd exits, so a pod without the token must carry this annotation.
 */
export const DISABLE_BUILTIN_K8S_SECRET_STORE = "dapr.io/disable-builtin-k8s-secret-store";

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
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}

/** The fields of a pod spec the program sets (Kubernetes `core/v1` PodSpec). */
export interface PodSpec {
  automountServiceAccountToken: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: ({ name: string; emptyDir: Record<string, never> } | { name: string; [source: string]: unknown })[];
}

/** A pod template (`spec.template` of a Deployment or StatefulSet). */
export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface PodTemplateArgs {
  labels: Record<string, string>;
  /** Pod annotations, such as the Dapr sidecar's; they must be on the pod template, where Dapr reads them. */
  annotations?: Record<string, string>;
  spec: Omit<PodSpec, "automountServiceAccountToken">;
}

/**
 * A pod template without a service-account token: none of the program's pods calls the Kubernetes API (the Dapr
 * operator resolves the components' `secretKeyRef`s, FACTS.md "Dapr on Kubernetes"). A pod with a Dapr sidecar
 * therefore also gets {@link DISABLE_BUILTIN_K8S_SECRET_STORE}, without which daprd exits and the pod crash-loops.
 */
export function podTemplate(args: PodTemplateArgs): PodTemplate {
  const sidecar = args.annotations?.[DAPR_ENABLED] === "true";
  const annotations = sidecar ? { ...args.annotations, [DISABLE_BUILTIN_K8S_SECRET_STORE]: "true" } : args.annotations;
  return {
    metadata: { labels: args.labels, ...(annotations ? { annotations } : {}) },
    spec: { ...args.spec, automountServiceAccountToken: false },
  };
}
