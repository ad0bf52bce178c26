// The demo's data folder: Kafka's data and the databases start together or not at all, --fresh wipes both and keeps the signing key.
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type DemoPaths,
  type DemoRecord,
  databaseName,
  demoPaths,
  holdsState,
  mismatchOf,
  type Observed,
  pgliteDataOf,
  signingKey,
  wipeState,
} from "./demo-data";

const DATA_APPS = ["backend", "recurring", "notification", "dead-letters"];

const localRecord: DemoRecord = {
  kafka: { external: false, clusterId: "cluster-a", topicPrefix: "" },
  database: { kind: "pglite" },
  createdAt: "2026-11-30T10:00:00Z",
  complete: true,
};

/** A start that finds everything of `localRecord` in place. */
const intact: Observed = {
  record: localRecord,
  unrecorded: false,
  kafka: { external: false, clusterId: "cluster-a" },
  database: { kind: "pglite" },
  databasesWithData: DATA_APPS,
};

describe("mismatchOf", () => {
  it("lets a first start on an empty folder, and a start that finds both sides of its pairing, run", () => {
    const first: Observed = {
      ...intact,
      record: undefined,
      kafka: { external: false, clusterId: undefined },
      databasesWithData: [],
    };
    expect(mismatchOf(first, DATA_APPS)).toBeUndefined();
    expect(mismatchOf(intact, DATA_APPS)).toBeUndefined();
  });

  it("refuses databases whose Kafka data is gone, and Kafka data whose databases are gone, suggesting --fresh", () => {
    const kafkaGone = mismatchOf({ ...intact, kafka: { external: false, clusterId: undefined } }, DATA_APPS);
    expect(kafkaGone).toMatch(/Kafka's data \(cluster cluster-a\) is gone/);
    expect(kafkaGone).toMatch(/npm run demo -- --fresh/);
    const databaseGone = mismatchOf({ ...intact, databasesWithData: ["backend", "notification"] }, DATA_APPS);
    expect(databaseGone).toMatch(/databases of recurring, dead-letters are gone/);
    expect(databaseGone).toMatch(/--fresh/);
  });

  it("refuses data of an earlier demo that kept no record (its database with an empty Kafka)", () => {
    const old: Observed = {
      ...intact,
      record: undefined,
      unrecorded: true,
      kafka: { external: false, clusterId: undefined },
    };
    expect(mismatchOf(old, DATA_APPS)).toMatch(/earlier demo but no record of which Kafka data goes with it.*--fresh/);
  });

  it("refuses another Kafka cluster in KAFKA_BROKERS than the folder's, naming both", () => {
    const record: DemoRecord = {
      ...localRecord,
      kafka: { external: true, clusterId: "cluster-a", topicPrefix: "demo-1." },
    };
    const other = mismatchOf({ ...intact, record, kafka: { external: true, clusterId: "cluster-b" } }, DATA_APPS);
    expect(other).toMatch(
      /KAFKA_BROKERS names Kafka cluster cluster-b, but this data folder's events are on cluster cluster-a/,
    );
    const local = mismatchOf({ ...intact, record }, DATA_APPS);
    expect(local).toMatch(
      /events are on an external Kafka cluster \(KAFKA_BROKERS\), but this start uses the demo's own broker/,
    );
  });

  it("refuses another database than the folder's: PGlite for PostgreSQL, or another PostgreSQL database", () => {
    const onPostgres: Observed = { ...intact, database: { kind: "postgres", database: "db:5432/demo" } };
    expect(mismatchOf(onPostgres, DATA_APPS)).toMatch(
      /databases are embedded PostgreSQL \(PGlite\), but this start uses PostgreSQL database db:5432\/demo/,
    );
    const record: DemoRecord = { ...localRecord, database: { kind: "postgres", database: "db:5432/demo" } };
    const elsewhere: Observed = { ...intact, record, database: { kind: "postgres", database: "db:5432/other" } };
    expect(mismatchOf(elsewhere, DATA_APPS)).toMatch(
      /PostgreSQL database db:5432\/demo, but this start uses PostgreSQL database db:5432\/other/,
    );
  });

  it("refuses a first start on a PostgreSQL database that already holds the services' tables", () => {
    const used: Observed = {
      record: undefined,
      unrecorded: false,
      kafka: { external: false, clusterId: undefined },
      database: { kind: "postgres", database: "db:5432/shared" },
      databasesWithData: ["backend"],
    };
    expect(mismatchOf(used, DATA_APPS)).toMatch(
      /already holds the tables of backend.*Point DATABASE_URL at an empty database/,
    );
  });
});

describe("the data folder", () => {
  let paths: DemoPaths;
  beforeEach(async () => {
    paths = demoPaths(await mkdtemp(path.join(tmpdir(), "demo-data-")));
  });
  afterEach(() => rm(paths.root, { recursive: true, force: true }));

  it("keeps one signing key, readable by its owner only, and --fresh keeps it while the state goes", async () => {
    const key = await signingKey(paths);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(paths.signingKey)).mode & 0o777).toBe(0o600);
    expect(await signingKey(paths)).toBe(key);
    expect(await holdsState(paths)).toBe(false);

    await mkdir(paths.pglite("backend"), { recursive: true });
    await writeFile(path.join(paths.pglite("backend"), "PG_VERSION"), "18");
    await mkdir(path.join(paths.kafka, "logs"), { recursive: true });
    expect(await holdsState(paths)).toBe(true);
    expect(await pgliteDataOf(paths)).toEqual(["backend"]);

    await wipeState(paths);
    expect(await holdsState(paths)).toBe(false);
    expect(await pgliteDataOf(paths)).toEqual([]);
    expect(await signingKey(paths)).toBe(key);
  });
});

describe("databaseName", () => {
  it("names a PostgreSQL database by host, port and name, never its user or password", () => {
    expect(databaseName("postgres://demo:s3cret@db.example.com:6543/tasks?sslmode=require")).toBe(
      "db.example.com:6543/tasks",
    );
    expect(databaseName("postgresql://localhost/tasks")).toBe("localhost:5432/tasks");
  });
});
