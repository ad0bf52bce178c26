// The Dapr control plane (operator, sidecar injector, sentry, placement, scheduler) from the official Helm chart.
import { Release } from "@pulumi/kubernetes/helm/v3/release";
import * as pulumi from "@pulumi/pulumi";

export const DAPR_HELM_REPO = "https://dapr.github.io/helm-charts/";

export interface DaprControlPlaneArgs {
  namespace: pulumi.Input<string>;
  chartVersion: string;
  /** Three replicas of each control-plane service. */
  highAvailability: boolean;
}

/** Dapr's control plane. Its CRDs come with the chart, so Dapr resources depend on `release`. */
export class DaprControlPlane extends pulumi.ComponentResource {
  readonly release: Release;

  constructor(name: string, args: DaprControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:dapr:DaprControlPlane", name, {}, opts);
    this.release = new Release(
      `${name}-release`,
      {
        name: "dapr",
        chart: "dapr",
        version: args.chartVersion,
        repositoryOpts: { repo: DAPR_HELM_REPO },
        namespace: args.namespace,
        values: {
          global: {
            ha: { enabled: args.highAvailability },
            mtls: { enabled: true },
            logAsJson: true,
            // The chart's containers already run non-root, read-only, with every capability dropped; with a seccomp
            // profile they pass Pod Security `restricted` (its default "" leaves it out).
            seccompProfile: "RuntimeDefault",
          },
          // The injected daprd keeps its capabilities unless told (the chart's default is false); the apps' namespace
          // enforces `restricted`, which requires them dropped. daprd needs none.
          dapr_sidecar_injector: { sidecarDropALLCapabilities: true },
        },
        atomic: true,
      },
      { parent: this },
    );
    this.registerOutputs({ release: this.release.status });
  }
}
