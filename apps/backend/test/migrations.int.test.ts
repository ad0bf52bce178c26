// Migration 0003 on both databases: tasks of the uuid era carried over to integer ids in creation order, parents and recorded next-occurrence answers mapped to them, and the API serving them afterwards.
import { randomUUID } from "node:crypto";
import { PGlite, types } from "@electric-sql/pglite";
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Backend } from "../src/app";
import { MIGRATION_NAMES, migrateTo } from "../src/migrations";
import type { TaskSnapshot } from "../src/task-snapshot";
import {
  Api,
  Cleanup,
  DATABASE_KINDS,
  type DatabaseKind,
  FROM_SIDECAR,
  startTestBackend,
  tableCounts,
  testStore,
} from "./harness";

/** The store's database, opened without the backend, for writing rows as an older version of it did. */
async function openRaw(kind: DatabaseKind, env: Record<string, string>): Promise<Kysely<unknown>> {
  if (kind === "postgres") {
    return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env.DATABASE_URL }) }) });
  }
  const pglite = await PGlite.create(String(env.DATA_DIR), { parsers: { [types.INT8]: (value: string) => value } });
  return new Kysely({ dialect: new PGliteDialect({ pglite }) });
}

const ALICE = "alice-before-0003";
const BOB = "bob-before-0003";
const uuids = {
  bob: randomUUID(),
  parent: randomUUID(),
  child: randomUUID(),
  orphan: randomUUID(),
  next: randomUUID(),
  gone: randomUUID(),
  reminder: randomUUID(),
  event: randomUUID(),
};

/** A task row as migration 0002 stored it: uuid ids, `reminder_offset_minutes`, no time zone. */
async function insertTask(
  db: Kysely<unknown>,
  row: { id: string; user: string; title: string; created: string; parent?: string; completed?: boolean },
) {
  const recurring = row.id === uuids.parent || row.id === uuids.next;
  await sql`
    INSERT INTO tasks (id, user_id, title, priority, tags, due_date, reminder_offset_minutes, recurrence,
                       monthly_anchor_day, completed, completed_at, parent_task_id, reminder_id, created_at, updated_at)
    VALUES (${row.id}, ${row.user}, ${row.title}, 'high', ${["home"]},
            ${recurring ? "2030-01-31T09:00:00Z" : null}, ${recurring ? 60 : null}, ${recurring ? "monthly" : null},
            ${recurring ? 31 : null}, ${row.completed ?? false}, ${row.completed ? row.created : null},
            ${row.parent ?? null}, ${row.id === uuids.next ? uuids.reminder : null}, ${row.created}, ${row.created})`.execute(
    db,
  );
}

describe.each(DATABASE_KINDS)("migration 0003 (integer task ids) on %s", (kind) => {
  const cleanup = new Cleanup();
  let backend: Backend;
  let alice: Api;
  let tasks: TaskSnapshot[];
  const byTitle = (title: string) => tasks.find((t) => t.title === title) as TaskSnapshot;

  beforeAll(async () => {
    const store = cleanup.add(await testStore(kind, `backend_migration_${kind}`));
    const db = await openRaw(kind, store.env);
    try {
      await migrateTo(db, "0002_tasks_monthly_anchor_day");
      // Bob's task is the oldest, so it gets id 1; Alice's follow in creation order.
      await insertTask(db, { id: uuids.bob, user: BOB, title: "bob's", created: "2026-01-01T00:00:00Z" });
      await insertTask(db, {
        id: uuids.parent,
        user: ALICE,
        title: "rent",
        created: "2026-01-02T00:00:00Z",
        completed: true,
      });
      await insertTask(db, {
        id: uuids.child,
        user: ALICE,
        title: "child",
        created: "2026-01-03T00:00:00Z",
        parent: uuids.parent,
      });
      // A subtask whose parent was deleted before the database kept parents valid.
      await insertTask(db, {
        id: uuids.orphan,
        user: ALICE,
        title: "orphan",
        created: "2026-01-04T00:00:00Z",
        parent: uuids.gone,
      });
      await insertTask(db, {
        id: uuids.next,
        user: ALICE,
        title: "rent",
        created: "2026-01-05T00:00:00Z",
        parent: uuids.parent,
      });
      const answer = {
        id: uuids.next,
        user_id: ALICE,
        title: "rent",
        description: null,
        priority: "high",
        tags: ["home"],
        due_date: "2030-02-28T09:00:00.000Z",
        reminder_offset_minutes: 60,
        recurrence: "monthly",
        completed: false,
        completed_at: null,
        parent_task_id: uuids.parent,
        created_at: "2026-01-05T00:00:00.000Z",
        updated_at: "2026-01-05T00:00:00.000Z",
      };
      await sql`INSERT INTO processed_requests (event_id, task_id, response)
                VALUES (${uuids.event}, ${uuids.next}, ${JSON.stringify(answer)})`.execute(db);
      await sql`INSERT INTO outbox (event, topic, partition_key)
                VALUES (${JSON.stringify({ type: "com.taskmanager.task.created", data: { task_id: uuids.bob } })},
                        'task-events', ${BOB})`.execute(db);
    } finally {
      await db.destroy();
    }

    // The backend migrates the database to the latest version as it starts.
    backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(await freePort()) });
    cleanup.add({ stop: () => backend.close() });
    alice = await Api.as(backend.url, ALICE);
    tasks = (await alice.request<{ items: TaskSnapshot[] }>("GET", "/api/tasks")).body.items;
  });
  afterAll(() => cleanup.run());

  it("applies every migration once", async () => {
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
      backend.database.db,
    );
    expect(rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
  });

  it("gives every task an integer id in creation order, over all users", async () => {
    expect(tasks.map((t) => [t.title, t.task_id])).toEqual([
      ["rent", 2],
      ["child", 3],
      ["orphan", 4],
      ["rent", 5],
    ]);
    const bob = await Api.as(backend.url, BOB);
    expect(
      (await bob.request<{ items: TaskSnapshot[] }>("GET", "/api/tasks")).body.items.map((t) => t.task_id),
    ).toEqual([1]);
    // New tasks continue the sequence.
    const created = await alice.request<TaskSnapshot>("POST", "/api/tasks", { title: "after the migration" });
    expect(created.body.task_id).toBe(6);
  });

  it("maps parents to the new ids, and a parent that no longer existed to null", () => {
    expect(byTitle("child").parent_task_id).toBe(2);
    expect(byTitle("orphan").parent_task_id).toBeNull();
    expect(tasks.find((t) => t.task_id === 5)?.parent_task_id).toBe(2);
  });

  it("keeps every field, with remind_before_minutes for the offset and UTC as the time zone", () => {
    expect(tasks.find((t) => t.task_id === 5)).toMatchObject({
      user_id: ALICE,
      priority: "high",
      tags: ["home"],
      due_date: "2030-01-31T09:00:00.000Z",
      remind_before_minutes: 60,
      recurrence: "monthly",
      time_zone: "UTC",
      completed: false,
      created_at: "2026-01-05T00:00:00.000Z",
    });
  });

  it("answers a repeated next-occurrence request with the recorded answer, in the new ids, writing nothing", async () => {
    const before = await tableCounts(backend);
    const repeat = await new Api(backend.url).request<TaskSnapshot>(
      "POST",
      "/internal/tasks/2/next-occurrence",
      { event_id: uuids.event, user_id: ALICE },
      FROM_SIDECAR,
    );
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({
      task_id: 5,
      parent_task_id: 2,
      user_id: ALICE,
      remind_before_minutes: 60,
      time_zone: "UTC",
      due_date: "2030-02-28T09:00:00.000Z",
    });
    expect(repeat.body).not.toHaveProperty("id");
    expect(await tableCounts(backend)).toEqual(before);
  });

  it("keeps the outbox rows as they were stored", async () => {
    const rows = await backend.database.db.selectFrom("outbox").select(["partition_key", "event"]).execute();
    expect(rows).toContainEqual({
      partition_key: BOB,
      event: { type: "com.taskmanager.task.created", data: { task_id: uuids.bob } },
    });
  });
});
