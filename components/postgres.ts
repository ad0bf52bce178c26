// The apps' PostgreSQL: an in-cluster StatefulSet with a generated password (dev), or an external server's URL from secret config (prod).

import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { APP_SECRETS } from "../specs/app-env";
import { healthProbes, POSTGRES_NAME, type ProbeHandler, podTemplate, workloadLabels } from "../specs/pods";

/** The port the in-cluster server listens on (PostgreSQL's default). */
export const POSTGRES_PORT = 5432;
const DATABASE = "events";
const USER = "events";
/** The uid and gid of the `postgres` user in the official image. */
const POSTGRES_UID = 999;
/** Where the volume claim is mounted; PGDATA is a directory below it (the mount point itself holds lost+found). */
const DATA_DIR = "/var/lib/postgresql/data";
/** Whether the server accepts connections to the apps' database (through its Unix socket, inside the pod). */
const pgIsReady: ProbeHandler = { exec: { command: ["pg_isready", "-U", USER, "-d", DATABASE] } };

export type PostgresArgs =
  | { mode: "in-cluster"; namespace: pulumi.Input<string>; image: string; storageSize: string }
  | { mode: "external"; namespace: pulumi.Input<string>; databaseUrl: pulumi.Input<string> };

/** The database server (in-cluster) or its URL (external), exposed to the apps as one Secret. */
export class Postgres extends pulumi.ComponentResource {
  /** Resources the apps wait for: the URL Secret and, in-cluster, the server. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:data:Postgres", name, {}, opts);
    const labels = workloadLabels(POSTGRES_NAME);
    let url: pulumi.Input<string>;
    const server: pulumi.Resource[] = [];
    if (args.mode === "external") {
      url = args.databaseUrl;
    } else {
      const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
      const credentials = new corev1.Secret(
        `${name}-credentials`,
        {
          metadata: { name: "postgres-credentials", namespace: args.namespace, labels },
          type: "Opaque",
          stringData: { POSTGRES_USER: USER, POSTGRES_PASSWORD: password.result, POSTGRES_DB: DATABASE },
        },
        { parent: this },
      );
      const service = new corev1.Service(
        `${name}-service`,
        {
          metadata: { name: POSTGRES_NAME, namespace: args.namespace, labels },
          spec: {
            selector: labels,
            ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: POSTGRES_PORT }],
            clusterIP: "None",
          },
        },
        { parent: this },
      );
      const statefulSet = new appsv1.StatefulSet(
        `${name}-statefulset`,
        {
          metadata: { name: POSTGRES_NAME, namespace: args.namespace, labels },
          spec: {
            serviceName: POSTGRES_NAME,
            replicas: 1,
            selector: { matchLabels: labels },
            template: podTemplate({
              labels,
              // The postgres user of the official Debian-based image; fsGroup makes the volume claim writable for it.
              runAs: { user: POSTGRES_UID, group: POSTGRES_UID },
              fsGroup: POSTGRES_UID,
              containers: [
                {
                  name: "postgres",
                  image: args.image,
                  ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                  envFrom: [{ secretRef: { name: "postgres-credentials" } }],
                  env: [{ name: "PGDATA", value: `${DATA_DIR}/pgdata` }],
                  volumeMounts: [{ name: "data", mountPath: DATA_DIR }],
                  // The server's socket and lock file, and temporary files of the entrypoint's initdb run.
                  writablePaths: ["/var/run/postgresql", "/tmp"],
                  ...healthProbes(pgIsReady, pgIsReady),
                  resources: {
                    requests: { cpu: "100m", memory: "256Mi" },
                    limits: { cpu: "1", memory: "512Mi" },
                  },
                },
              ],
            }),
            volumeClaimTemplates: [
              {
                metadata: { name: "data" },
                spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: args.storageSize } } },
              },
            ],
          },
        },
        { parent: this, dependsOn: [credentials] },
      );
      server.push(service, statefulSet);
      url = pulumi.interpolate`postgres://${USER}:${password.result}@${POSTGRES_NAME}.${args.namespace}.svc:${POSTGRES_PORT}/${DATABASE}`;
    }
    const urlSecret = new corev1.Secret(
      `${name}-url`,
      {
        metadata: { name: APP_SECRETS.databaseUrl.name, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { [APP_SECRETS.databaseUrl.key]: pulumi.secret(url) },
      },
      { parent: this },
    );
    this.ready = [urlSecret, ...server];
    this.registerOutputs({});
  }
}
