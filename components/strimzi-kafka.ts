// A Strimzi KRaft cluster: node pool, Kafka, the catalog's topics and, when secured, its own CA and the sidecars' SCRAM user.

import type { CustomResource } from "@pulumi/kubernetes/apiextensions";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { Catalog } from "../specs/apps";
import type { NetworkPolicyPeer } from "../specs/network";
import {
  bootstrapAddress,
  clusterCaCertSecretName,
  clusterCaKeySecretName,
  kafka,
  kafkaTopics,
  nodePool,
  SIDECAR_USER,
  type StrimziTopicSettings,
  sidecarUser,
} from "../specs/strimzi";
import type { StrimziSettings } from "../stacks/profile";
import { customResource } from "./custom-resource";

export interface StrimziKafkaArgs {
  /** Cluster settings from the stack's config. */
  settings: StrimziSettings;
  /** Replication of the internal and catalog topics. */
  topics: StrimziTopicSettings;
  /** The catalog's topics become KafkaTopics; its apps' consumer groups and topics are the sidecars' ACLs. */
  catalog: Catalog;
  /** Who may connect to the listener (the apps' sidecars); Strimzi generates the brokers' NetworkPolicy from it. */
  clients: NetworkPolicyPeer[];
  /** The operator's Helm release: it installs the CRDs, so every custom resource waits for it. */
  operatorRelease: pulumi.Resource;
}

/** SCRAM credentials of the sidecars' KafkaUser, and the CA that signs the brokers' certificates. */
export interface SidecarCredentials {
  username: string;
  password: pulumi.Output<string>;
  caCertPem: pulumi.Output<string>;
}

/** The Kafka cluster and its topics. Apps depend on `ready`, which Pulumi completes once the cluster is Ready. */
export class StrimziKafka extends pulumi.ComponentResource {
  readonly bootstrapServers: string;
  /** The `Kafka` resource; it carries `pulumi.com/waitFor: condition=Ready`. */
  readonly ready: CustomResource;
  readonly topics: CustomResource[];
  /** Set when the cluster authenticates clients (SCRAM over TLS). */
  readonly sidecarCredentials?: SidecarCredentials;
  /**
   * The sidecars' `KafkaUser`, when the cluster authenticates clients; it carries `pulumi.com/waitFor: condition=Ready`,
   * so what depends on it starts only once its SCRAM credential and ACLs are in Kafka.
   */
  readonly sidecarUser?: CustomResource;

  constructor(name: string, args: StrimziKafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:kafka:StrimziKafka", name, {}, opts);
    const { settings } = args;
    const afterOperator = { parent: this, dependsOn: [args.operatorRelease] };
    const caSecrets = settings.authentication === "scram-sha-512" ? this.clusterCa(name, settings) : undefined;

    const pool = customResource(name, nodePool(settings), afterOperator);
    this.ready = customResource(name, kafka(settings, args.topics, args.clients), {
      ...afterOperator,
      dependsOn: [args.operatorRelease, pool, ...(caSecrets?.resources ?? [])],
    });
    this.topics = kafkaTopics(settings, args.topics, args.catalog.topics).map((topic) =>
      customResource(name, topic, afterOperator),
    );
    this.bootstrapServers = bootstrapAddress(settings);

    if (caSecrets) {
      const password = new random.RandomPassword(
        `${name}-sidecar-password`,
        { length: 32, special: false },
        { parent: this },
      );
      const passwordSecret = new corev1.Secret(
        `${name}-sidecar-password`,
        {
          metadata: { name: `${SIDECAR_USER}-password`, namespace: settings.namespace },
          type: "Opaque",
          stringData: { password: password.result },
        },
        { parent: this },
      );
      this.sidecarUser = customResource(
        name,
        sidecarUser(settings, `${SIDECAR_USER}-password`, args.catalog.apps, args.catalog.topics),
        {
          ...afterOperator,
          dependsOn: [args.operatorRelease, passwordSecret, this.ready],
        },
      );
      this.sidecarCredentials = { username: SIDECAR_USER, password: password.result, caCertPem: caSecrets.certPem };
    }

    this.registerOutputs({ bootstrapServers: this.bootstrapServers });
  }

  /**
   * A cluster CA of the program's own, installed where Strimzi looks for it. Strimzi's generated CA would live
   * only in the Kafka namespace; owning it lets the sidecars' namespace receive the certificate at deploy time.
   * Strimzi does not renew a user-provided CA: it is valid for three years (see README, "Rotating the Kafka CA").
   */
  private clusterCa(name: string, settings: StrimziSettings) {
    const key = new tls.PrivateKey(`${name}-cluster-ca-key`, { algorithm: "RSA", rsaBits: 4096 }, { parent: this });
    const cert = new tls.SelfSignedCert(
      `${name}-cluster-ca-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        isCaCertificate: true,
        validityPeriodHours: 3 * 365 * 24,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
        subject: { commonName: `${settings.clusterName}-cluster-ca`, organization: "event-platform" },
      },
      { parent: this },
    );
    // Where Strimzi looks for a user-provided CA: its secret names, labels, and generation 0 of the cert and the key.
    const strimziSecret = (
      suffix: string,
      secretName: string,
      part: "cert" | "key",
      data: Record<string, pulumi.Output<string>>,
    ) =>
      new corev1.Secret(
        `${name}-${suffix}`,
        {
          metadata: {
            name: secretName,
            namespace: settings.namespace,
            labels: { "strimzi.io/kind": "Kafka", "strimzi.io/cluster": settings.clusterName },
            annotations: { [`strimzi.io/ca-${part}-generation`]: "0" },
          },
          stringData: data,
        },
        { parent: this },
      );
    const certSecret = strimziSecret("cluster-ca-cert", clusterCaCertSecretName(settings), "cert", {
      "ca.crt": cert.certPem,
    });
    const keySecret = strimziSecret("cluster-ca", clusterCaKeySecretName(settings), "key", {
      "ca.key": key.privateKeyPemPkcs8,
    });
    return { certPem: cert.certPem, resources: [certSecret, keySecret] };
  }
}
