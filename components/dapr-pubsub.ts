// The apps' Dapr wiring: pub/sub components, subscriptions with dead letters, resiliency and configuration, with Kafka credentials as a Secret.
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { type AppSpec, appsUsing, PUBSUB } from "../specs/apps";
import { type DaprSettings, daprResources, type KafkaAuth } from "../specs/dapr";
import { customResource } from "./custom-resource";

/** The Secret in the apps' namespace that the pub/sub components read through `secretKeyRef`. */
export const KAFKA_CREDENTIALS_SECRET = "kafka-credentials";

export interface KafkaCredentials {
  username: pulumi.Input<string>;
  password: pulumi.Input<string>;
  mechanism: "SHA-256" | "SHA-512";
  /** PEM of the CA that signed the brokers' certificates, when it is not a public CA. */
  caCertPem?: pulumi.Input<string>;
}

export interface DaprPubsubArgs {
  /** Everything but the authentication, which follows from `credentials`. */
  settings: Omit<DaprSettings, "pubsub"> & { pubsub: Omit<DaprSettings["pubsub"], "auth"> };
  /** SASL SCRAM over TLS when set; `authType: none` (a plain listener) otherwise. */
  credentials?: KafkaCredentials;
  /** The Dapr control plane (it installs the CRDs), when this program installs it. */
  controlPlane?: pulumi.Resource;
  /** The app catalog: the components' scopes and the subscriptions. */
  apps: readonly AppSpec[];
}

/** Dapr components, subscriptions, resiliency and configuration; apps depend on `resources`. */
export class DaprPubsub extends pulumi.ComponentResource {
  /** Every resource the sidecars load at start: create them before the Deployments. */
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: DaprPubsubArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:dapr:DaprPubsub", name, {}, opts);
    const { credentials } = args;
    const secret = credentials
      ? new corev1.Secret(
          `${name}-kafka-credentials`,
          {
            metadata: {
              name: KAFKA_CREDENTIALS_SECRET,
              namespace: args.settings.namespace,
              labels: { "app.kubernetes.io/part-of": "event-platform" },
            },
            type: "Opaque",
            stringData: {
              username: credentials.username,
              password: credentials.password,
              ...(credentials.caCertPem ? { "ca.crt": credentials.caCertPem } : {}),
            },
          },
          { parent: this },
        )
      : undefined;
    const auth: KafkaAuth = credentials
      ? {
          type: "scram",
          mechanism: credentials.mechanism,
          username: { name: KAFKA_CREDENTIALS_SECRET, key: "username" },
          password: { name: KAFKA_CREDENTIALS_SECRET, key: "password" },
          ...(credentials.caCertPem ? { caCert: { name: KAFKA_CREDENTIALS_SECRET, key: "ca.crt" } } : {}),
        }
      : { type: "none" };
    const settings: DaprSettings = { ...args.settings, pubsub: { ...args.settings.pubsub, auth } };
    const dependsOn = [...(args.controlPlane ? [args.controlPlane] : []), ...(secret ? [secret] : [])];
    this.resources = [
      ...(secret ? [secret] : []),
      ...daprResources(settings, args.apps).map((object) => customResource(name, object, { parent: this, dependsOn })),
    ];
    this.registerOutputs({ pubsubScopes: appsUsing(PUBSUB, args.apps) });
  }
}
