// One bundled service on Kubernetes: a Deployment with the Dapr sidecar annotations, a Service and a disruption budget.

import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as policyv1 from "@pulumi/kubernetes/policy/v1";
import * as pulumi from "@pulumi/pulumi";
import { APP_TERMINATION_GRACE_SECONDS } from "../specs/app-env";
import type { AppSpec } from "../specs/apps";
import { type EnvVar, healthProbes, podTemplate, workloadLabels } from "../specs/pods";
import type { ContainerResources } from "../stacks/profile";

/** The numeric user (and group) of the apps' images (apps/Dockerfile `USER`). */
export const APP_UID = 10001;

export interface AppServiceArgs {
  /** The app from the catalog (id, port). */
  app: AppSpec;
  namespace: pulumi.Input<string>;
  /** The image reference the container runs: a prebuilt image by tag or digest, or a built image's pinned `ref`. */
  image: pulumi.Input<string>;
  replicas: number;
  resources: ContainerResources;
  /** Annotations that have Dapr inject its sidecar; they go on the pod template. */
  sidecarAnnotations: Record<string, string>;
  /** The container's environment (specs/app-env.ts): plain values, and secrets only as `secretKeyRef`. */
  env: EnvVar[];
  /** Keep `replicas - 1` pods during voluntary disruptions (needs 2 or more replicas). */
  disruptionBudget: boolean;
}

/** A Deployment and a Service for one app; the PodDisruptionBudget when asked for. */
export class AppService extends pulumi.ComponentResource {
  readonly serviceName: pulumi.Output<string>;
  readonly port: number;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:apps:AppService", name, {}, opts);
    if (args.disruptionBudget && args.replicas < 2) {
      throw new Error(
        `AppService ${args.app.id}: a disruption budget needs 2 or more replicas, got ${args.replicas}; raise apps.replicas or turn apps.disruptionBudget off.`,
      );
    }
    const labels = workloadLabels(args.app.id);
    new appsv1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: args.app.id, namespace: args.namespace, labels },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: labels },
          // A built image's reference is known once its build has pushed it.
          template: pulumi.output(args.image).apply((image) =>
            podTemplate({
              labels,
              annotations: args.sidecarAnnotations,
              // The user the apps' images run as (apps/Dockerfile: USER 10001:10001).
              runAs: { user: APP_UID, group: APP_UID },
              // The app's SHUTDOWN_TIMEOUT_MS is set to end within it.
              terminationGracePeriodSeconds: APP_TERMINATION_GRACE_SECONDS,
              containers: [
                {
                  name: args.app.id,
                  image,
                  ports: [{ name: "http", containerPort: args.app.port }],
                  env: args.env,
                  resources: args.resources,
                  // Alive is /healthz, also while the app migrates before it listens; ready is /readyz (its dependencies).
                  ...healthProbes(
                    { httpGet: { path: "/healthz", port: "http" } },
                    { httpGet: { path: "/readyz", port: "http" } },
                  ),
                  writablePaths: ["/tmp"],
                },
              ],
            }),
          ),
        },
      },
      { parent: this },
    );
    const service = new corev1.Service(
      `${name}-service`,
      {
        metadata: { name: args.app.id, namespace: args.namespace, labels },
        spec: { selector: labels, ports: [{ name: "http", port: args.app.port, targetPort: "http" }] },
      },
      { parent: this },
    );
    if (args.disruptionBudget) {
      new policyv1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata: { name: args.app.id, namespace: args.namespace, labels },
          spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
        },
        { parent: this },
      );
    }
    this.serviceName = service.metadata.name;
    this.port = args.app.port;
    this.registerOutputs({ serviceName: this.serviceName, port: this.port });
  }
}
