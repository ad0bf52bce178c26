// The demo's data folder: Kafka's data and the databases kept together (a record of which Kafka cluster and which databases belong together), checked at every start, wiped together by --fresh; and the persisted signing key of user tokens.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { APP_LIST } from "../specs/apps";

/** The demo's data folder unless `--data-dir` names another: in the clone (`.cache/`, ignored by git). */
export const DEFAULT_DATA_DIR = path.resolve(__dirname, "../.cache/demo");

/** What the data folder holds, by path. */
export interface DemoPaths {
  root: string;
  /** The record of what belongs together (`DemoRecord`), as JSON. */
  record: string;
  /** The HS256 key user tokens are signed with (JWT_SECRET of every user-facing app). */
  signingKey: string;
  /** The local Kafka broker's data (`startKafka`'s `dataDir`). */
  kafka: string;
  /** The local broker's cluster id, once formatted. */
  kafkaMeta: string;
  /** The mail the SMTP sink received. */
  mail: string;
  /** The sidecars' logs. */
  logs: string;
  /** Each app's PGlite data folder, when no DATABASE_URL is set. */
  pglite(appId: string): string;
}

/** The layout of a demo data folder. */
export function demoPaths(root: string): DemoPaths {
  const absolute = path.resolve(root);
  return {
    root: absolute,
    record: path.join(absolute, "demo.json"),
    signingKey: path.join(absolute, "signing-key"),
    kafka: path.join(absolute, "kafka"),
    kafkaMeta: path.join(absolute, "kafka", "logs", "meta.properties"),
    mail: path.join(absolute, "mail"),
    logs: path.join(absolute, "logs"),
    pglite: (appId) => path.join(absolute, "pglite", appId),
  };
}

/** Where the databases live: PGlite folders in the data folder, or one PostgreSQL database (named without its password). */
export type DatabaseIdentity = { kind: "pglite" } | { kind: "postgres"; database: string };

/** Which Kafka cluster holds the events: the local broker of the data folder, or an external one, with the topic prefix used there. */
export interface KafkaIdentity {
  external: boolean;
  clusterId: string;
  /** Put before every topic and consumer group name on the cluster ("" on the local broker). */
  topicPrefix: string;
}

/** The record of a data folder: which Kafka cluster and which databases hold its state together. */
export interface DemoRecord {
  kafka: KafkaIdentity;
  database: DatabaseIdentity;
  /** RFC 3339: when this pairing began (the first start, or the last --fresh). */
  createdAt: string;
  /** Whether a start ever completed: until then, half-made data may be missing on either side and is wiped. */
  complete: boolean;
}

/** What a start finds: the record (if any), and what exists of each side. */
export interface Observed {
  /** The record of a start that completed; undefined before the first (an unfinished first start's data is wiped). */
  record: DemoRecord | undefined;
  /** Without a record: whether the folder holds data all the same (an earlier demo's, made before records). */
  unrecorded: boolean;
  /** The Kafka cluster in use: external with its id, or the local broker (its id when its data exists). */
  kafka: { external: true; clusterId: string } | { external: false; clusterId: string | undefined };
  database: DatabaseIdentity;
  /** The apps with a database whose data exists (their PGlite folder; on PostgreSQL, their tables). */
  databasesWithData: string[];
}

/** Thrown when the data folder's parts do not belong together; the message says what to do. */
export class DemoDataMismatch extends Error {
  override name = "DemoDataMismatch";
}

const FRESH =
  "Start over with `npm run demo -- --fresh` (it deletes the demo's data folder, Kafka's and the databases' together).";

function describeDatabase(database: DatabaseIdentity): string {
  return database.kind === "pglite" ? "embedded PostgreSQL (PGlite)" : `PostgreSQL database ${database.database}`;
}

/**
 * Why the parts found cannot run together, or undefined when they can: Kafka's data and the databases must come
 * from the same pairing, never one without the other (events on topics for tasks that are gone, or tasks whose
 * history Kafka never saw). `dataApps` are the app ids that have a database.
 */
export function mismatchOf(observed: Observed, dataApps: readonly string[]): string | undefined {
  const { record, kafka, database, databasesWithData } = observed;
  if (!record) {
    if (observed.unrecorded) {
      return `This data folder holds data of an earlier demo but no record of which Kafka data goes with it (the demo used to keep its database while Kafka started empty). ${FRESH}`;
    }
    if (database.kind === "postgres" && databasesWithData.length > 0) {
      return `${describeDatabase(database)} (DATABASE_URL) already holds the tables of ${databasesWithData.join(", ")}, but this data folder has no record of the Kafka events that go with them. Point DATABASE_URL at an empty database.`;
    }
    return undefined;
  }
  if (record.kafka.external !== kafka.external) {
    return `This data folder's events are on ${record.kafka.external ? "an external Kafka cluster (KAFKA_BROKERS)" : "the demo's own Kafka broker"}, but this start uses ${kafka.external ? "an external one (KAFKA_BROKERS)" : "the demo's own broker"}. Run it as before, or: ${FRESH}`;
  }
  if (kafka.clusterId !== record.kafka.clusterId) {
    return kafka.external
      ? `KAFKA_BROKERS names Kafka cluster ${kafka.clusterId}, but this data folder's events are on cluster ${record.kafka.clusterId}: its databases would not match the topics. Use that cluster, or: ${FRESH}`
      : `The databases are here but Kafka's data (cluster ${record.kafka.clusterId}) is gone: the topics would lack every event the databases were built from. ${FRESH}`;
  }
  if (
    database.kind !== record.database.kind ||
    (database.kind === "postgres" &&
      record.database.kind === "postgres" &&
      database.database !== record.database.database)
  ) {
    return `This data folder's databases are ${describeDatabase(record.database)}, but this start uses ${describeDatabase(database)}. Run it as before, or: ${FRESH}`;
  }
  const missing = dataApps.filter((id) => !databasesWithData.includes(id));
  if (missing.length > 0) {
    return `Kafka's data is here but the databases of ${missing.join(", ")} are gone: the topics hold events of tasks that no longer exist. ${FRESH}`;
  }
  return undefined;
}

/** The record, or undefined when there is none. */
export async function readRecord(paths: DemoPaths): Promise<DemoRecord | undefined> {
  if (!existsSync(paths.record)) return undefined;
  return JSON.parse(await readFile(paths.record, "utf8")) as DemoRecord;
}

export async function writeRecord(paths: DemoPaths, record: DemoRecord): Promise<void> {
  await mkdir(paths.root, { recursive: true });
  await writeFile(paths.record, `${JSON.stringify(record, null, 2)}\n`);
}

/** The cluster id of the local broker's data (`cluster.id` in its meta.properties), or undefined before it is formatted. */
export async function localClusterId(paths: DemoPaths): Promise<string | undefined> {
  if (!existsSync(paths.kafkaMeta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(await readFile(paths.kafkaMeta, "utf8"))?.[1]?.trim();
}

/** The apps with a database whose PGlite folder holds data. */
export async function pgliteDataOf(paths: DemoPaths): Promise<string[]> {
  const found: string[] = [];
  for (const app of APP_LIST.filter((a) => a.database)) {
    const dir = paths.pglite(app.id);
    if (existsSync(dir) && (await readdir(dir)).length > 0) found.push(app.id);
  }
  return found;
}

/**
 * Deletes the data folder's state (Kafka's data, the databases, the mail, the logs, the record) and keeps the
 * signing key, so tokens minted before stay valid. Anything else in the folder (an earlier demo's layout) goes too.
 */
export async function wipeState(paths: DemoPaths): Promise<void> {
  if (!existsSync(paths.root)) return;
  for (const name of await readdir(paths.root)) {
    const entry = path.join(paths.root, name);
    if (entry !== paths.signingKey) await rm(entry, { recursive: true, force: true });
  }
}

/** Whether the folder holds anything besides the signing key: an earlier demo's data without a record. */
export async function holdsState(paths: DemoPaths): Promise<boolean> {
  if (!existsSync(paths.root)) return false;
  return (await readdir(paths.root)).some((name) => path.join(paths.root, name) !== paths.signingKey);
}

/**
 * The demo's signing key: read from the data folder, or made (32 random bytes, hex: above HS256's 32-character
 * minimum of the services' JWT_SECRET) and stored there readable by its owner only.
 */
export async function signingKey(paths: DemoPaths): Promise<string> {
  if (existsSync(paths.signingKey)) return (await readFile(paths.signingKey, "utf8")).trim();
  const key = randomBytes(32).toString("hex");
  await mkdir(paths.root, { recursive: true });
  await writeFile(paths.signingKey, `${key}\n`, { mode: 0o600 });
  await chmod(paths.signingKey, 0o600);
  return key;
}

/** A topic prefix of its own for a pairing on an external cluster, so that --fresh gets new, empty topics. */
export function newTopicPrefix(): string {
  return `demo-${randomBytes(4).toString("hex")}.`;
}

/** A PostgreSQL URL named without its user and password: host, port and database. */
export function databaseName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
}
