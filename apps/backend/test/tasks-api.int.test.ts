// The task API on both databases: CRUD, filters, search, sort and paging, the next occurrence's idempotency, health, and data kept across restarts.
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Backend } from "../src/app";
import { MIGRATION_NAMES } from "../src/migrations";
import type { TaskSnapshot } from "../src/task-snapshot";
import {
  Api,
  Cleanup,
  DATABASE_KINDS,
  FROM_SIDECAR,
  newUser,
  startTestBackend,
  type TestStore,
  tableCounts,
  testStore,
} from "./harness";

interface Page {
  items: TaskSnapshot[];
  total: number;
  limit: number;
  offset: number;
}

describe.each(DATABASE_KINDS)("task API on %s", (kind) => {
  const cleanup = new Cleanup();
  let store: TestStore;
  let env: Record<string, string>;
  let backend: Backend;

  beforeAll(async () => {
    store = cleanup.add(await testStore(kind, `backend_api_${kind}`));
    env = { ...store.env, DAPR_HTTP_PORT: String(await freePort()) };
    backend = await startTestBackend(env);
    cleanup.add({ stop: () => backend.close() });
  });
  afterAll(() => cleanup.run());

  it("creates with defaults, gets, patches only what is sent, completes and deletes", async () => {
    const api = await Api.as(backend.url, newUser("crud"));
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "Read a book" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: "Read a book",
      description: null,
      priority: "medium",
      tags: [],
      due_date: null,
      remind_before_minutes: null,
      recurrence: null,
      completed: false,
      completed_at: null,
      parent_task_id: null,
    });
    expect(created.body.created_at).toBe(created.body.updated_at);
    const id = created.body.task_id;
    expect(await api.request("GET", `/api/tasks/${id}`)).toEqual({ status: 200, body: created.body });

    // An offset with a numeric time zone is stored as the same instant, in UTC.
    const patched = await api.request<TaskSnapshot>("PATCH", `/api/tasks/${id}`, {
      description: "War and Peace",
      due_date: "2030-06-01T12:00:00+02:00",
      tags: ["leisure"],
    });
    expect(patched.body).toMatchObject({
      title: "Read a book",
      description: "War and Peace",
      due_date: "2030-06-01T10:00:00.000Z",
      tags: ["leisure"],
      priority: "medium",
    });
    expect(Date.parse(patched.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));
    const cleared = await api.request<TaskSnapshot>("PATCH", `/api/tasks/${id}`, { description: null, due_date: null });
    expect(cleared.body).toMatchObject({ description: null, due_date: null, tags: ["leisure"] });

    const child = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "Chapter 1", parent_task_id: id });
    expect(child.body.parent_task_id).toBe(id);

    const done = await api.request<TaskSnapshot>("POST", `/api/tasks/${id}/complete`);
    expect(done.body).toMatchObject({ completed: true });
    expect(done.body.completed_at).not.toBeNull();
    const again = await api.request<TaskSnapshot>("POST", `/api/tasks/${id}/complete`);
    expect(again.body).toEqual(done.body);

    expect(await api.request("DELETE", `/api/tasks/${id}`)).toEqual({ status: 204, body: undefined });
    expect((await api.request("GET", `/api/tasks/${id}`)).status).toBe(404);
    expect((await api.request("DELETE", `/api/tasks/${id}`)).status).toBe(404);
  });

  it("filters by completion, priority, tag and due range, searches title and description, sorts and pages", async () => {
    const api = await Api.as(backend.url, newUser("list"));
    const make = async (body: Record<string, unknown>) =>
      (await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body;
    const a = await make({ title: "Alpha report", priority: "low", tags: ["work"], due_date: "2030-01-03T00:00:00Z" });
    const b = await make({
      title: "Beta",
      description: "the 100% REPORT_draft",
      priority: "high",
      tags: ["work", "urgent"],
    });
    const c = await make({ title: "Gamma", priority: "medium", tags: ["home"], due_date: "2030-01-01T00:00:00Z" });
    const d = await make({ title: "Delta", priority: "high", due_date: "2030-01-02T00:00:00Z" });
    await api.request("POST", `/api/tasks/${c.task_id}/complete`);
    const ids = async (query: string) =>
      (await api.request<Page>("GET", `/api/tasks${query}`)).body.items.map((t) => t.task_id);

    expect(await ids("")).toEqual([a.task_id, b.task_id, c.task_id, d.task_id]);
    expect(await ids("?order=desc")).toEqual([d.task_id, c.task_id, b.task_id, a.task_id]);
    expect(await ids("?completed=true")).toEqual([c.task_id]);
    expect(await ids("?completed=false")).toEqual([a.task_id, b.task_id, d.task_id]);
    expect(await ids("?priority=high")).toEqual([b.task_id, d.task_id]);
    expect(await ids("?tag=work")).toEqual([a.task_id, b.task_id]);
    expect(await ids("?tag=wor")).toEqual([]);
    expect(await ids("?due_from=2030-01-02T00:00:00Z")).toEqual([a.task_id, d.task_id]);
    expect(await ids("?due_to=2030-01-02T00:00:00Z")).toEqual([c.task_id, d.task_id]);
    expect(await ids("?due_from=2030-01-02T00:00:00Z&due_to=2030-01-02T00:00:00Z")).toEqual([d.task_id]);
    // Case-insensitive, in title or description; % and _ are plain characters.
    expect(await ids("?q=report")).toEqual([a.task_id, b.task_id]);
    expect(await ids(`?q=${encodeURIComponent("100%")}`)).toEqual([b.task_id]);
    expect(await ids("?q=REPORT_d")).toEqual([b.task_id]);
    expect(await ids("?q=Alph_")).toEqual([]);
    expect(await ids("?q=a%25")).toEqual([]);
    // Due date: soonest first, tasks without one last in either direction; priority: high first.
    expect(await ids("?sort=due_date")).toEqual([c.task_id, d.task_id, a.task_id, b.task_id]);
    expect(await ids("?sort=due_date&order=desc")).toEqual([a.task_id, d.task_id, c.task_id, b.task_id]);
    expect(await ids("?sort=priority")).toEqual([b.task_id, d.task_id, c.task_id, a.task_id]);
    expect(await ids("?sort=priority&order=desc")).toEqual([a.task_id, c.task_id, d.task_id, b.task_id]);
    expect(await ids("?priority=high&tag=urgent&completed=false&q=beta")).toEqual([b.task_id]);

    const first = await api.request<Page>("GET", "/api/tasks?limit=3");
    expect(first.body).toMatchObject({ total: 4, limit: 3, offset: 0 });
    expect(first.body.items.map((t) => t.task_id)).toEqual([a.task_id, b.task_id, c.task_id]);
    const second = await api.request<Page>("GET", "/api/tasks?limit=3&offset=3");
    expect(second.body).toMatchObject({ total: 4, limit: 3, offset: 3 });
    expect(second.body.items.map((t) => t.task_id)).toEqual([d.task_id]);
    expect((await api.request<Page>("GET", "/api/tasks?offset=10")).body).toMatchObject({ items: [], total: 4 });
    expect((await api.request<Page>("GET", "/api/tasks?priority=high&limit=1")).body.total).toBe(2);
  });

  it("creates the next occurrence of a recurring task once per event id, with the due date advanced", async () => {
    const user = newUser("recurring");
    const api = await Api.as(backend.url, user);
    const internal = new Api(backend.url);
    const nextOf = async (body: Record<string, unknown>) => {
      const task = (await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body;
      await api.request("POST", `/api/tasks/${task.task_id}/complete`);
      const eventId = randomUUID();
      const call = () =>
        internal.request<TaskSnapshot>(
          "POST",
          `/internal/tasks/${task.task_id}/next-occurrence`,
          { event_id: eventId, user_id: user },
          FROM_SIDECAR,
        );
      return { task, call };
    };

    const daily = await nextOf({
      title: "Stretch",
      recurrence: "daily",
      due_date: "2030-12-31T07:00:00Z",
      tags: ["health"],
    });
    const first = await daily.call();
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      title: "Stretch",
      tags: ["health"],
      recurrence: "daily",
      due_date: "2031-01-01T07:00:00.000Z",
      completed: false,
      parent_task_id: daily.task.task_id,
    });
    const counts = await tableCounts(backend);
    const repeat = await daily.call();
    expect(repeat).toEqual({ status: 200, body: first.body });
    expect(await tableCounts(backend)).toEqual(counts);
    // The repeat answers the first answer even after the new task changed or went away.
    await api.request("DELETE", `/api/tasks/${first.body.task_id}`);
    expect(await daily.call()).toEqual({ status: 200, body: first.body });

    const weekly = await nextOf({ title: "Review", recurrence: "weekly", due_date: "2030-02-26T09:00:00Z" });
    expect((await weekly.call()).body.due_date).toBe("2030-03-05T09:00:00.000Z");
    const leap = await nextOf({ title: "Rent", recurrence: "monthly", due_date: "2032-01-31T09:00:00Z" });
    const february = (await leap.call()).body;
    expect(february.due_date).toBe("2032-02-29T09:00:00.000Z");
    // The series keeps its day: after February's 29th comes March's 31st.
    await api.request("POST", `/api/tasks/${february.task_id}/complete`);
    const march = await internal.request<TaskSnapshot>(
      "POST",
      `/internal/tasks/${february.task_id}/next-occurrence`,
      { event_id: randomUUID(), user_id: user },
      FROM_SIDECAR,
    );
    expect(march.body.due_date).toBe("2032-03-31T09:00:00.000Z");
    const undated = await nextOf({ title: "Someday", recurrence: "monthly" });
    expect((await undated.call()).body).toMatchObject({ due_date: null, recurrence: "monthly" });
  });

  it("keeps a time zone per task: UTC by default, any IANA name in its canonical spelling, changed by a patch", async () => {
    const api = await Api.as(backend.url, newUser("zones"));
    const plain = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "no zone given" });
    expect(plain.body.time_zone).toBe("UTC");
    const paris = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "Paris", time_zone: "europe/paris" });
    expect(paris.body.time_zone).toBe("Europe/Paris");
    const moved = await api.request<TaskSnapshot>("PATCH", `/api/tasks/${paris.body.task_id}`, {
      time_zone: "Asia/Tokyo",
    });
    expect(moved.body.time_zone).toBe("Asia/Tokyo");
    for (const time_zone of ["Mars/Base", "+05:00", "EST5EDT5"]) {
      const refused = await api.request<{ violations: { path: string }[] }>("POST", "/api/tasks", {
        title: "bad zone",
        time_zone,
      });
      expect(refused.status, time_zone).toBe(400);
      expect(new Set(refused.body.violations.map((v) => v.path))).toEqual(new Set(["/body/time_zone"]));
    }
  });

  it("computes the next occurrence on the wall clock of the task's time zone: 09:00 in New York stays 09:00 across DST", async () => {
    const user = newUser("new-york");
    const api = await Api.as(backend.url, user);
    const internal = new Api(backend.url);
    const advance = async (taskId: number) => {
      await api.request("POST", `/api/tasks/${taskId}/complete`);
      const answer = await internal.request<TaskSnapshot>(
        "POST",
        `/internal/tasks/${taskId}/next-occurrence`,
        { event_id: randomUUID(), user_id: user },
        FROM_SIDECAR,
      );
      expect(answer.status).toBe(201);
      return answer.body;
    };
    const nextOf = async (body: Record<string, unknown>) =>
      advance((await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body.task_id);
    const daily = await nextOf({
      title: "Stand-up",
      recurrence: "daily",
      due_date: "2026-03-07T09:00:00-05:00",
      time_zone: "America/New_York",
    });
    // Daylight saving time starts on 2026-03-08: 09:00 EDT is 13:00Z (UTC arithmetic would give 14:00Z, 10:00 local).
    expect(daily).toMatchObject({ due_date: "2026-03-08T13:00:00.000Z", time_zone: "America/New_York" });
    // Monthly on the 31st in Los Angeles: 20:00 on Jan 31 is Feb 1 in UTC. Then Feb 28 and Mar 31, 20:00 local.
    const february = await nextOf({
      title: "Invoice",
      recurrence: "monthly",
      due_date: "2026-01-31T20:00:00-08:00",
      time_zone: "America/Los_Angeles",
    });
    expect(february.due_date).toBe("2026-03-01T04:00:00.000Z");
    const march = await advance(february.task_id);
    expect(march.due_date).toBe("2026-04-01T03:00:00.000Z");
  });

  it("detaches the subtasks of a deleted task, with a task.updated each; the database's foreign key does the same", async () => {
    const user = newUser("subtasks");
    const api = await Api.as(backend.url, user);
    const make = async (body: Record<string, unknown>) =>
      (await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body;
    const parent = await make({ title: "Move house" });
    const first = await make({ title: "Pack", parent_task_id: parent.task_id });
    const second = await make({ title: "Clean", parent_task_id: parent.task_id });
    expect((await api.request("DELETE", `/api/tasks/${parent.task_id}`)).status).toBe(204);
    for (const child of [first, second]) {
      const after = await api.request<TaskSnapshot>("GET", `/api/tasks/${child.task_id}`);
      expect(after.status).toBe(200);
      expect(after.body.parent_task_id).toBeNull();
    }
    const events = await backend.database.db
      .selectFrom("outbox")
      .select("event")
      .where("partition_key", "=", user)
      .orderBy("id")
      .execute();
    const updates = events
      .map((row) => row.event as { type: string; data: Record<string, unknown> })
      .filter((event) => event.type === "com.taskmanager.task.updated");
    expect(updates.map((e) => [e.data.task_id, e.data.changes, e.data.previous])).toEqual([
      [first.task_id, { parent_task_id: null }, { parent_task_id: parent.task_id }],
      [second.task_id, { parent_task_id: null }, { parent_task_id: parent.task_id }],
    ]);

    // A delete that bypasses the service: the foreign key (ON DELETE SET NULL) still leaves no dangling parent.
    const other = await make({ title: "Paint" });
    const brush = await make({ title: "Buy brushes", parent_task_id: other.task_id });
    await sql`DELETE FROM tasks WHERE id = ${other.task_id}`.execute(backend.database.db);
    expect((await api.request<TaskSnapshot>("GET", `/api/tasks/${brush.task_id}`)).body.parent_task_id).toBeNull();
    // And a parent must be the same user's task, whoever writes the row.
    const stranger = await (await Api.as(backend.url, newUser("stranger"))).request<TaskSnapshot>(
      "POST",
      "/api/tasks",
      {
        title: "not yours",
      },
    );
    await expect(
      sql`UPDATE tasks SET parent_task_id = ${stranger.body.task_id} WHERE id = ${brush.task_id}`.execute(
        backend.database.db,
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it("reports health, and is ready with the database up and no sidecar: the outbox keeps the writes meanwhile", async () => {
    expect(await new Api(backend.url).request("GET", "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    const ready = await new Api(backend.url).request("GET", "/readyz");
    expect(ready).toEqual({ status: 200, body: { status: "ready", checks: { database: "ok" } } });
    // And it takes writes: they wait in the outbox for the sidecar.
    const api = await Api.as(backend.url, newUser("no-sidecar"));
    expect((await api.request("POST", "/api/tasks", { title: "kept in the outbox" })).status).toBe(201);
  });

  it("keeps its data across a restart and applies each migration once", async () => {
    const user = newUser("restart");
    const api = await Api.as(backend.url, user);
    const kept = (await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "survives a restart" })).body;
    await backend.close();
    backend = await startTestBackend(env);
    cleanup.add({ stop: () => backend.close() });
    const again = await Api.as(backend.url, user);
    expect(await again.request("GET", `/api/tasks/${kept.task_id}`)).toEqual({ status: 200, body: kept });
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
      backend.database.db,
    );
    expect(rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
    expect(backend.database.kind).toBe(kind);
  });
});
