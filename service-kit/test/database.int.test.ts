// The kit's database pieces on real PostgreSQL and PGlite: idempotent processing under concurrency and failure, reads in one snapshot, transactions under an advisory lock, and services sharing one database in schemas of their own, each with its own outbox relay.
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import { afterEach, describe, expect, it } from "vitest";
import { APPS } from "../../specs/apps";
import { Cleanup, DATABASE_KINDS, testStore, waitFor } from "../../test/support/services";
import { type Database, openDatabase, readInOneSnapshot, transactionWithLock } from "../src/database";
import { appendToOutbox, createOutboxTable, type OutboxRecord, type OutboxTables } from "../src/outbox";
import { OutboxRelay, relayLockKey } from "../src/outbox-relay";
import {
  createProcessedEventsTable,
  type ProcessedEventsTables,
  processedEventKey,
  processedEventsPurger,
  processedEventsRetentionMs,
  processOnce,
  purgeProcessedEvents,
} from "../src/processed-events";

const silent = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => silent,
} as unknown as FastifyBaseLogger;

interface EffectsTable {
  id: string;
}
interface MomentsTable {
  name: string;
  at: Date;
  at_local: Date;
  day: Date;
}
type Tables = ProcessedEventsTables & OutboxTables & { effects: EffectsTable; moments: MomentsTable };

const MIGRATIONS: Record<string, Migration> = {
  "0001_kit_test": {
    async up(db: Kysely<unknown>) {
      await createProcessedEventsTable(db);
      await createOutboxTable(db);
      await sql`CREATE TABLE effects (id text NOT NULL)`.execute(db);
      await sql`CREATE TABLE moments (name text, at timestamptz, at_local timestamp, day date)`.execute(db);
    },
  },
};

async function open(cleanup: Cleanup, env: Record<string, string>, schema: string): Promise<Database<Tables>> {
  const database = await openDatabase<Tables>(
    { ...(env.DATABASE_URL ? { url: env.DATABASE_URL } : {}), poolSize: 4, dataDir: env.DATA_DIR ?? "" },
    { appId: `kit-${schema}`, schema, migrations: MIGRATIONS },
    silent,
  );
  cleanup.add({ stop: () => database.close() });
  return database;
}

const effects = async (db: Kysely<Tables>) => (await db.selectFrom("effects").select("id").execute()).map((r) => r.id);

describe.each(DATABASE_KINDS)("processOnce on %s", (kind) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("runs the effect once per event, however many deliveries arrive at once", async () => {
    const store = await testStore(kind, "kit_process_once");
    cleanup.add(store);
    const { db } = await open(cleanup, store.env, "consumer");
    const event = { source: "/tasks/backend", id: randomUUID() };
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        processOnce(db, event, async (trx) => {
          await trx.insertInto("effects").values({ id: event.id }).execute();
        }),
      ),
    );
    expect(outcomes.filter((o) => o === "processed")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(4);
    expect(await effects(db)).toEqual([event.id]);
    // The same id from another source is another event.
    expect(
      await processOnce(db, { ...event, source: "/tasks/other" }, async (trx) => {
        await trx.insertInto("effects").values({ id: "other" }).execute();
      }),
    ).toBe("processed");
  });

  it("forgets the event when its effect fails, so the redelivery processes it", async () => {
    const store = await testStore(kind, "kit_process_fail");
    cleanup.add(store);
    const { db } = await open(cleanup, store.env, "consumer");
    const event = { source: "/tasks/backend", id: randomUUID() };
    await expect(
      processOnce(db, event, async (trx) => {
        await trx.insertInto("effects").values({ id: "half" }).execute();
        throw new Error("the effect failed half-way");
      }),
    ).rejects.toThrow("half-way");
    expect(await effects(db)).toEqual([]);
    expect(
      await processOnce(db, event, async (trx) => {
        await trx.insertInto("effects").values({ id: "whole" }).execute();
      }),
    ).toBe("processed");
    expect(await effects(db)).toEqual(["whole"]);
    expect(await purgeProcessedEvents(db, new Date(Date.now() + 60_000))).toBe(1);
  });

  it("the purger forgets records past the app's topics' retention and keeps the others", async () => {
    const store = await testStore(kind, "kit_purger");
    cleanup.add(store);
    const { db } = await open(cleanup, store.env, "consumer");
    const old = { source: "/tasks/backend", id: randomUUID() };
    const recent = { source: "/tasks/backend", id: randomUUID() };
    for (const event of [old, recent]) await processOnce(db, event, async () => {});
    const past = new Date(Date.now() - processedEventsRetentionMs(APPS.recurring) - 60_000);
    await db
      .updateTable("processed_events")
      .set({ processed_at: past })
      .where("event_key", "=", processedEventKey(old))
      .execute();
    const purger = processedEventsPurger(db, APPS.recurring, silent);
    purger.start();
    try {
      await waitFor(
        async () => (await db.selectFrom("processed_events").select("event_key").execute()).length === 1,
        "the old record forgotten",
      );
    } finally {
      await purger.stop(Date.now() + 2_000);
    }
    const left = await db.selectFrom("processed_events").select("event_key").execute();
    expect(left.map((r) => r.event_key)).toEqual([processedEventKey(recent)]);
  });
});

describe.each(DATABASE_KINDS)("readInOneSnapshot on %s", (kind) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  const countOf = async (db: Kysely<Tables>) =>
    Number(
      (
        await db
          .selectFrom("effects")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("sees one snapshot: a row committed between two of its reads is in neither, and is there afterwards", async () => {
    const store = await testStore(kind, "kit_snapshot");
    cleanup.add(store);
    const { db } = await open(cleanup, store.env, "snapshot");
    await db.insertInto("effects").values({ id: "before" }).execute();
    let committed: Promise<unknown> = Promise.resolve();
    const [first, second] = await readInOneSnapshot(db, async (trx) => {
      const first = await countOf(trx);
      // Another session commits a row now. PGlite is one session, so there the insert waits for the snapshot's end;
      // on PostgreSQL it commits on a pooled connection of its own before the second read.
      committed = db.insertInto("effects").values({ id: "between" }).execute();
      if (kind === "postgres") await committed;
      return [first, await countOf(trx)];
    });
    await committed;
    expect([first, second]).toEqual([1, 1]);
    expect(await countOf(db)).toBe(2);
  });

  it("is read-only: a write in it fails and nothing is stored", async () => {
    const store = await testStore(kind, "kit_snapshot_ro");
    cleanup.add(store);
    const { db } = await open(cleanup, store.env, "snapshot_ro");
    await expect(
      readInOneSnapshot(db, (trx) => trx.insertInto("effects").values({ id: "written" }).execute()),
    ).rejects.toThrow(/read-only transaction/);
    expect(await countOf(db)).toBe(0);
  });
});

describe.each(DATABASE_KINDS)("transactionWithLock on %s", (kind) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  const ids = async (db: Kysely<Tables>) =>
    (await db.selectFrom("effects").select("id").orderBy("id").execute()).map((row) => row.id);
  /** Whether another session could take the lock now, asked as the parameterized two-int form. */
  const freeElsewhere = (db: Kysely<Tables>, space: number, name: string) =>
    db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ free: boolean }>`
        SELECT pg_try_advisory_xact_lock(${space}::int, hashtext(${name})) AS free`.execute(trx);
      return rows[0]?.free;
    });

  it("commits what its work wrote, holding the lock of any name (quotes, backslashes) until it ends", async () => {
    const store = await testStore(kind, "kit_locked");
    cleanup.add(store);
    const database = await open(cleanup, store.env, "locked");
    const name = `O'Brien \\ "x" \u00e9 ' OR 1=1 --`;
    const during = await transactionWithLock(database, { space: 42, name }, async (trx) => {
      await trx.insertInto("effects").values({ id: "inside" }).execute();
      // PGlite is one session: another transaction there would wait for this one to end.
      return kind === "postgres" ? await freeElsewhere(database.db, 42, name) : false;
    });
    expect(during).toBe(false);
    expect(await freeElsewhere(database.db, 42, name)).toBe(true);
    expect(await ids(database.db)).toEqual(["inside"]);
  });

  it("rolls back and rethrows when its work throws, and the connection serves the next transaction", async () => {
    const store = await testStore(kind, "kit_locked_rollback");
    cleanup.add(store);
    const database = await open(cleanup, store.env, "locked_rollback");
    const failed = transactionWithLock(database, { space: 42, name: "u" }, async (trx) => {
      await trx.insertInto("effects").values({ id: "rolled back" }).execute();
      throw new Error("the work failed");
    });
    await expect(failed).rejects.toThrow("the work failed");
    // A statement that fails inside, its error caught: the server rolls the transaction back at COMMIT.
    const caught = transactionWithLock(database, { space: 42, name: "u" }, async (trx) => {
      await trx.insertInto("effects").values({ id: "aborted" }).execute();
      await sql`SELECT 1 / 0`.execute(trx).catch(() => undefined);
    });
    await expect(caught).rejects.toThrow();
    for (let i = 0; i < 6; i++) {
      await transactionWithLock(database, { space: 42, name: "u" }, (trx) =>
        trx
          .insertInto("effects")
          .values({ id: `after ${i}` })
          .execute(),
      );
    }
    expect(await ids(database.db)).toEqual(Array.from({ length: 6 }, (_, i) => `after ${i}`));
  });
});

describe.each(DATABASE_KINDS)("values on %s", (kind) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("records an event whatever its source and id hold (NUL, 20 KB), once", async () => {
    const store = await testStore(kind, "kit_process_any_source");
    cleanup.add(store);
    const { db } = await open(cleanup, store.env, "consumer");
    const events = [
      { source: "/tasks/\u0000x", id: randomUUID() },
      { source: `/tasks/${"a-".repeat(10_000)}`, id: "x".repeat(20_000) },
      { source: "/tasks/backend", id: "\u0000" },
    ];
    for (const event of events) {
      const effect = async () => {};
      expect(await processOnce(db, event, effect)).toBe("processed");
      expect(await processOnce(db, event, effect)).toBe("duplicate");
    }
  });

  it("round-trips dates from the year 0000 (1 BC) to 9999 through Kysely, as node-postgres does", async () => {
    const store = await testStore(kind, "kit_dates");
    cleanup.add(store);
    const { db } = await open(cleanup, store.env, "dates");
    const instants = [
      "0000-01-01T00:00:00.000Z",
      "0001-01-01T00:00:00.000Z",
      "0099-06-01T12:34:56.789Z",
      "1899-12-31T23:59:59.999Z",
      "2030-01-01T10:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
    ];
    // node-postgres (and so PGlite now) reads a timestamp and a date as local time: the same instant in a UTC process.
    expect(new Date(0).getTimezoneOffset()).toBe(0);
    for (const iso of instants) {
      const at = new Date(iso);
      await db.insertInto("moments").values({ name: iso, at, at_local: at, day: at }).execute();
    }
    const rows = await db.selectFrom("moments").selectAll().orderBy("at").execute();
    expect(rows.map((r) => [r.name, r.at.toISOString(), r.at_local.toISOString()])).toEqual(
      instants.map((iso) => [iso, iso, iso]),
    );
    expect(rows.map((r) => r.day.toISOString().slice(0, 10))).toEqual(instants.map((iso) => iso.slice(0, 10)));
    // PostgreSQL itself holds the same instants: 1 BC for the ISO year 0.
    const { rows: written } = await sql<{ text: string }>`
      SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS BC') AS text FROM moments ORDER BY at`.execute(
      db,
    );
    expect(written.map((r) => r.text)).toEqual([
      "0001-01-01 00:00:00.000 BC",
      "0001-01-01 00:00:00.000 AD",
      "0099-06-01 12:34:56.789 AD",
      "1899-12-31 23:59:59.999 AD",
      "2030-01-01 10:00:00.000 AD",
      "9999-12-31 23:59:59.999 AD",
    ]);
    // A comparison parameter is written the same way.
    const before = await db
      .selectFrom("moments")
      .select("name")
      .where("at", "<", new Date("0001-01-01T00:00:00Z"))
      .execute();
    expect(before.map((r) => r.name)).toEqual(["0000-01-01T00:00:00.000Z"]);
  });
});

describe("services sharing one PostgreSQL database", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("keep their tables apart in their own schemas and each publish their own outbox", async () => {
    const store = await testStore("postgres", "kit_shared_db");
    cleanup.add(store);
    const first = await open(cleanup, store.env, "first_app");
    const second = await open(cleanup, store.env, "second_app");
    // Same table names, no clash; the migration record of each lives beside its tables.
    await first.db.insertInto("effects").values({ id: "in first" }).execute();
    expect(await effects(second.db)).toEqual([]);
    const { rows } = await sql<{ table_schema: string }>`
      SELECT table_schema FROM information_schema.tables
      WHERE table_name = 'kysely_migration' ORDER BY table_schema`.execute(first.db);
    expect(rows.map((r) => r.table_schema)).toEqual(["first_app", "second_app"]);

    const published: string[] = [];
    const relays = [first, second].map((database, i) => {
      const schema = i === 0 ? "first_app" : "second_app";
      const relay = new OutboxRelay(
        database,
        {
          publish: async (record: OutboxRecord) => {
            published.push(`${schema}:${(record.event as { id: string }).id}`);
          },
        },
        {
          batchSize: 10,
          pollIntervalMs: 50,
          backoff: { initialMs: 10, maxMs: 50 },
          retentionHours: 1,
          lockKey: relayLockKey(schema),
        },
        silent,
      );
      relay.start();
      cleanup.add({ stop: () => relay.stop(Date.now() + 2_000) });
      return relay;
    });
    for (const [database, id] of [
      [first, "a"],
      [second, "b"],
    ] as const) {
      await database.db
        .transaction()
        .execute((trx) => appendToOutbox(trx, [{ topic: "task-events", partitionKey: "u", event: { id } }]));
      relays.forEach((relay) => {
        relay.wake();
      });
    }
    const deadline = Date.now() + 10_000;
    while (published.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(published.sort()).toEqual(["first_app:a", "second_app:b"]);
  });
});
