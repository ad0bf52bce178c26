// The composition root: namespaces, Kafka (Strimzi, Redpanda Cloud or external), Dapr, data, secrets and the apps, from one validated config.

import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../infra/config";
import { APP_SECRETS, appEnvironment } from "../specs/app-env";
import { type AppSpec, CATALOG, type Catalog, GATEWAY_PUBSUB, PUBSUB } from "../specs/apps";
import { APP_TOKEN_KEY, appTokenSecretName, type SecretKeyRef, sidecarAnnotations } from "../specs/dapr";
import { appImageBuild, prebuiltImage } from "../specs/images";
import { type KafkaEndpoint, kafkaClientPeers, outboundTargets, portOf, portsOf } from "../specs/network";
import { PLATFORM_LABELS, pinnedImage, podSecurityLabels } from "../specs/pods";
import { strimziEndpoint } from "../specs/strimzi";
import { AppImage } from "./app-image";
import { AppService } from "./app-service";
import { DaprControlPlane } from "./dapr-control-plane";
import { DaprPubsub, type KafkaCredentials } from "./dapr-pubsub";
import { NetworkPolicies } from "./network-policies";
import { POSTGRES_PORT, Postgres } from "./postgres";
import { ProviderTopics } from "./provider-topics";
import { StrimziKafka } from "./strimzi-kafka";
import { StrimziOperator } from "./strimzi-operator";

/** Random bytes in a Standard Webhooks secret (`whsec_` and their base64): the specification allows 24 to 64. */
const ALERT_SECRET_BYTES = 32;

export interface EventPlatformArgs {
  config: PlatformConfig;
  /** The apps and topics to deploy: the bundled ones (`CATALOG`) unless a benchmark plans a synthetic catalog. */
  catalog?: Catalog;
}

interface KafkaWiring {
  bootstrapServers: string;
  credentials?: KafkaCredentials;
  /** Where the sidecars reach the brokers, for their egress NetworkPolicy. */
  endpoint: KafkaEndpoint;
  /** What the apps wait for: the Ready Kafka cluster, its topics and the sidecars' Ready KafkaUser, or the provider's topics. */
  ready: pulumi.Resource[];
}

/** Everything one stack deploys. */
export class EventPlatform extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly bootstrapServers: string;
  readonly topics: string[];
  readonly pubsubNames: string[];
  readonly services: { name: pulumi.Output<string>; port: number }[];
  /**
   * The secret the dead-letter desk signs its alerts with, for the receiver to verify them: secret config
   * `alertWebhookSecret`, or the generated one; none without `deadLetters.alertWebhookUrl`.
   */
  readonly alertWebhookSecret?: pulumi.Output<string>;

  constructor(name: string, args: EventPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:index:EventPlatform", name, {}, opts);
    const { config, catalog = CATALOG } = args;
    const namespace = this.namespaceOf(`${name}-apps`, config.namespace);

    const kafka = this.kafka(name, config, catalog);
    const controlPlane = config.dapr.install
      ? new DaprControlPlane(
          `${name}-dapr`,
          {
            namespace: this.namespaceOf(`${name}-dapr-system`, config.dapr.namespace).metadata.name,
            chartVersion: config.dapr.chartVersion,
            highAvailability: config.dapr.highAvailability,
          },
          { parent: this },
        )
      : undefined;
    const pubsub = new DaprPubsub(
      `${name}-pubsub`,
      {
        settings: {
          namespace: config.namespace,
          controlPlaneNamespace: config.dapr.namespace,
          pubsub: {
            brokers: kafka.bootstrapServers,
            protocolVersion: config.kafka.protocolVersion,
            initialOffset: "oldest",
          },
          inboundRetry: config.dapr.inboundRetry,
          outboundRetry: config.dapr.outboundRetry,
          tracingSamplingRate: config.dapr.tracingSamplingRate,
          ...(config.dapr.otlpEndpoint ? { otlpEndpoint: config.dapr.otlpEndpoint } : {}),
          logLevel: config.dapr.logLevel,
        },
        ...(kafka.credentials ? { credentials: kafka.credentials } : {}),
        ...(controlPlane ? { controlPlane: controlPlane.release } : {}),
        apps: catalog.apps,
      },
      { parent: this, dependsOn: [namespace] },
    );

    const postgres = new Postgres(
      `${name}-postgres`,
      config.postgres.mode === "in-cluster"
        ? {
            mode: "in-cluster",
            namespace: config.namespace,
            image: pinnedImage(config.postgres.image, config.postgres.imageDigest),
            storageSize: config.postgres.storageSize,
          }
        : {
            mode: "external",
            namespace: config.namespace,
            databaseUrl: this.required(config.secrets.databaseUrl, "databaseUrl"),
          },
      { parent: this, dependsOn: [namespace] },
    );
    const inNamespace = (resourceName: string, ref: SecretKeyRef, value: pulumi.Input<string>) =>
      this.secret(resourceName, ref, config.namespace, value, [namespace]);
    const jwtKey = new random.RandomPassword(`${name}-jwt-key`, { length: 64, special: false }, { parent: this });
    const appSecrets = [inNamespace(`${name}-jwt-key`, APP_SECRETS.jwtKey, jwtKey.result)];
    const { smtp } = config.notification;
    if (smtp.user) {
      appSecrets.push(
        inNamespace(
          `${name}-smtp`,
          APP_SECRETS.smtpPassword,
          this.required(config.secrets.smtpPassword, "smtpPassword"),
        ),
      );
    }
    if (config.deadLetters.alertWebhookUrl) {
      this.alertWebhookSecret = pulumi.secret(config.secrets.alertWebhookSecret ?? this.generatedAlertSecret(name));
      appSecrets.push(inNamespace(`${name}-alert-webhook`, APP_SECRETS.alertWebhookSecret, this.alertWebhookSecret));
    }

    const network = new NetworkPolicies(
      `${name}-network`,
      {
        settings: {
          namespace: config.namespace,
          daprNamespace: config.dapr.namespace,
          kafka: kafka.endpoint,
          postgres:
            config.postgres.mode === "in-cluster"
              ? { type: "in-cluster", port: POSTGRES_PORT }
              : { type: "external", port: config.postgres.port },
          ingressFrom: config.network.ingressFrom,
          ...(config.dapr.otlpEndpoint ? { otlpPort: portOf(config.dapr.otlpEndpoint) } : {}),
          outbound: outboundTargets(config),
        },
        apps: catalog.apps,
      },
      { parent: this, dependsOn: [namespace] },
    );

    const appDependencies = [
      ...(controlPlane ? [controlPlane.release] : []),
      // The pods start under their NetworkPolicies, never open.
      ...network.policies,
      ...pubsub.resources,
      ...kafka.ready,
      ...postgres.ready,
      ...appSecrets,
    ];
    this.services = catalog.apps.map((app) => {
      // Dapr's app API token: daprd sends it on every call to the app (annotation dapr.io/app-token-secret), the app
      // reads it from the same Secret and refuses calls without it.
      const token = new random.RandomPassword(
        `${name}-${app.id}-app-token`,
        { length: 64, special: false },
        { parent: this },
      );
      const appTokenSecret = inNamespace(
        `${name}-${app.id}-app-token`,
        { name: appTokenSecretName(app), key: APP_TOKEN_KEY },
        token.result,
      );
      const service = new AppService(
        `${name}-${app.id}`,
        {
          app,
          namespace: config.namespace,
          image: this.appImage(`${name}-${app.id}`, app, config),
          replicas: config.apps.replicas,
          resources: config.apps.resources,
          sidecarAnnotations: sidecarAnnotations(app, config.dapr),
          env: appEnvironment(app, {
            logLevel: config.dapr.logLevel,
            auth: config.auth,
            notification: config.notification,
            deadLetters: config.deadLetters,
            board: config.board,
          }),
          disruptionBudget: config.apps.disruptionBudget,
        },
        { parent: this, dependsOn: [...appDependencies, appTokenSecret] },
      );
      return { name: service.serviceName, port: service.port };
    });

    this.namespace = namespace.metadata.name;
    this.bootstrapServers = kafka.bootstrapServers;
    this.topics = catalog.topics.map((t) => t.name);
    this.pubsubNames = [PUBSUB, GATEWAY_PUBSUB];
    this.registerOutputs({
      namespace: this.namespace,
      bootstrapServers: this.bootstrapServers,
      topics: this.topics,
      pubsubNames: this.pubsubNames,
      services: this.services,
      alertWebhookSecret: this.alertWebhookSecret,
    });
  }

  /**
   * A namespace that enforces Pod Security `restricted` (and warns and audits at it). Every pod of the three
   * namespaces passes it: the apps' and PostgreSQL's templates come from specs/pods.ts, the Dapr chart's with
   * `global.seccompProfile` (DaprControlPlane) and the Strimzi operator's and Kafka's with the operator's restricted
   * pod security provider (StrimziOperator), so none of them needs `baseline`.
   */
  private namespaceOf(resourceName: string, namespace: string): corev1.Namespace {
    return new corev1.Namespace(
      resourceName,
      {
        metadata: {
          name: namespace,
          labels: { ...PLATFORM_LABELS, ...podSecurityLabels("restricted") },
        },
      },
      { parent: this },
    );
  }

  /** A Secret holding one value under the key its readers use; the value stays secret in state and in the plan. */
  private secret(
    resourceName: string,
    ref: SecretKeyRef,
    namespace: string,
    value: pulumi.Input<string>,
    dependsOn: pulumi.Resource[],
  ): corev1.Secret {
    return new corev1.Secret(
      resourceName,
      {
        metadata: { name: ref.name, namespace },
        type: "Opaque",
        stringData: { [ref.key]: pulumi.secret(value) },
      },
      { parent: this, dependsOn },
    );
  }

  /**
   * The image an app runs: with `apps.imageSource` build, the digest its build pushed to the stack's registry (logging
   * in as `apps.registryUsername` when set); with `prebuilt`, the configured tag or digest.
   */
  private appImage(name: string, app: AppSpec, config: PlatformConfig): pulumi.Input<string> {
    const { apps } = config;
    if (apps.imageSource === "prebuilt") return prebuiltImage(apps, app);
    const credentials = apps.registryUsername
      ? {
          username: apps.registryUsername,
          password: this.required(config.secrets.registryPassword, "registryPassword"),
        }
      : undefined;
    return new AppImage(
      name,
      { build: appImageBuild(apps, app), ...(credentials ? { credentials } : {}) },
      { parent: this },
    ).ref;
  }

  /** A Standard Webhooks secret of {@link ALERT_SECRET_BYTES} random bytes: `whsec_` and their base64. */
  private generatedAlertSecret(name: string): pulumi.Output<string> {
    const bytes = new random.RandomBytes(`${name}-alert-webhook`, { length: ALERT_SECRET_BYTES }, { parent: this });
    return pulumi.interpolate`whsec_${bytes.base64}`;
  }

  private required<T>(value: T | undefined, key: string): T {
    // resolveConfig already rejects a stack without it; this only narrows the type.
    if (value === undefined) throw new Error(`event-platform:${key} is required`);
    return value;
  }

  private kafka(name: string, config: PlatformConfig, catalog: Catalog): KafkaWiring {
    const { kafka } = config;
    if (kafka.mode === "strimzi") {
      const namespace = this.namespaceOf(`${name}-kafka-namespace`, kafka.strimzi.namespace);
      const operator = new StrimziOperator(
        `${name}-strimzi`,
        { namespace: namespace.metadata.name, version: kafka.strimzi.operatorVersion },
        { parent: this },
      );
      const cluster = new StrimziKafka(
        `${name}-kafka`,
        {
          settings: kafka.strimzi,
          topics: { replicationFactor: kafka.replicationFactor, minInsyncReplicas: kafka.minInsyncReplicas },
          catalog,
          clients: kafkaClientPeers(config.namespace, catalog.apps),
          operatorRelease: operator.release,
        },
        { parent: this, dependsOn: [namespace] },
      );
      const credentials = cluster.sidecarCredentials;
      return {
        bootstrapServers: cluster.bootstrapServers,
        ...(credentials
          ? {
              credentials: {
                username: credentials.username,
                password: credentials.password,
                mechanism: "SHA-512",
                caCertPem: credentials.caCertPem,
              },
            }
          : {}),
        endpoint: strimziEndpoint(kafka.strimzi),
        // The sidecars' SCRAM credential must be in Kafka before they start, or their first connections fail.
        ready: [cluster.ready, ...cluster.topics, ...(cluster.sidecarUser ? [cluster.sidecarUser] : [])],
      };
    }
    const sasl = kafka.username
      ? {
          username: kafka.username,
          password: this.required(config.secrets.kafkaPassword, "kafkaPassword"),
          mechanism: kafka.saslMechanism,
        }
      : undefined;
    const topics = new ProviderTopics(
      `${name}-topics`,
      {
        topics: catalog.topics,
        bootstrapServers: kafka.bootstrapServers,
        ...(sasl ? { sasl } : {}),
        replicationFactor: kafka.replicationFactor,
        // Redpanda has no min.insync.replicas topic property: its Raft groups acknowledge on a majority.
        ...(kafka.mode === "external" ? { minInsyncReplicas: kafka.minInsyncReplicas } : {}),
      },
      { parent: this },
    );
    return {
      bootstrapServers: kafka.bootstrapServers.join(","),
      endpoint: { type: "external", ports: portsOf(kafka.bootstrapServers) },
      ...(sasl ? { credentials: { username: sasl.username, password: sasl.password, mechanism: sasl.mechanism } } : {}),
      ready: topics.topics,
    };
  }
}
