// The Strimzi cluster operator, installed from its OCI Helm chart and watching the Kafka namespace.
import { Release } from "@pulumi/kubernetes/helm/v3/release";
import * as pulumi from "@pulumi/pulumi";

export const STRIMZI_CHART = "oci://quay.io/strimzi-helm/strimzi-kafka-operator";

export interface StrimziOperatorArgs {
  /** Namespace of the operator; it watches this namespace for Kafka resources. */
  namespace: pulumi.Input<string>;
  /** Operator and chart version (they are the same for Strimzi). */
  version: string;
}

/** The Strimzi operator. Custom resources of Strimzi must depend on `release`, which installs the CRDs. */
export class StrimziOperator extends pulumi.ComponentResource {
  /** The Helm release; it waits until the operator runs. */
  readonly release: Release;

  constructor(name: string, args: StrimziOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:kafka:StrimziOperator", name, {}, opts);
    this.release = new Release(
      `${name}-release`,
      {
        name: "strimzi",
        chart: STRIMZI_CHART,
        version: args.version,
        namespace: args.namespace,
        values: {
          // The chart's default: watch only its own namespace, where the Kafka cluster lives.
          watchAnyNamespace: false,
          // The operator's own container passes Pod Security `restricted` by the chart's default securityContext; the
          // pods it creates (Kafka nodes, entity operator) do so only with the restricted pod security provider (its
          // default, baseline, sets no seccomp profile and keeps capabilities).
          extraEnvs: [{ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" }],
        },
        atomic: true,
      },
      { parent: this },
    );
    this.registerOutputs({ release: this.release.status });
  }
}
