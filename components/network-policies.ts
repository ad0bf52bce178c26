// The apps' namespace's NetworkPolicies (specs/network.ts): default deny, then each app's own traffic.
import * as networkingv1 from "@pulumi/kubernetes/networking/v1";
import type * as inputs from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import type { AppSpec } from "../specs/apps";
import { type NetworkSettings, networkPolicies } from "../specs/network";

export interface NetworkPoliciesArgs {
  /** The apps' namespace, the Dapr control plane, Kafka, PostgreSQL and where users come from. */
  settings: NetworkSettings;
  /** The app catalog: one set of policies per app. */
  apps: readonly AppSpec[];
}

/** One NetworkPolicy per object of `networkPolicies`; the apps depend on `policies`, so their pods start under them. */
export class NetworkPolicies extends pulumi.ComponentResource {
  readonly policies: networkingv1.NetworkPolicy[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:network:NetworkPolicies", name, {}, opts);
    this.policies = networkPolicies(args.settings, args.apps).map(
      ({ metadata, spec }) =>
        new networkingv1.NetworkPolicy(
          `${name}-${metadata.name}`,
          { metadata, spec: spec as inputs.networking.v1.NetworkPolicySpec },
          { parent: this },
        ),
    );
    this.registerOutputs({ names: this.policies.map((p) => p.metadata.name) });
  }
}
