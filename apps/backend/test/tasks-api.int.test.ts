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
      reminder_offset_minutes: null,
      recurrence: null,
      completed: false,
      completed_at: null,
      parent_task_id: null,
    });
    expect(created.body.created_at).toBe(created.body.updated_at);
    const { id } = created.body;
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
    await api.request("POST", `/api/tasks/${c.id}/complete`);
    const ids = async (query: string) =>
      (await api.request<Page>("GET", `/api/tasks${query}`)).body.items.map((t) => t.id);

    expect(await ids("")).toEqual([a.id, b.id, c.id, d.id]);
    expect(await ids("?order=desc")).toEqual([d.id, c.id, b.id, a.id]);
    expect(await ids("?completed=true")).toEqual([c.id]);
    expect(await ids("?completed=false")).toEqual([a.id, b.id, d.id]);
    expect(await ids("?priority=high")).toEqual([b.id, d.id]);
    expect(await ids("?tag=work")).toEqual([a.id, b.id]);
    expect(await ids("?tag=wor")).toEqual([]);
    expect(await ids("?due_from=2030-01-02T00:00:00Z")).toEqual([a.id, d.id]);
    expect(await ids("?due_to=2030-01-02T00:00:00Z")).toEqual([c.id, d.id]);
    expect(await ids("?due_from=2030-01-02T00:00:00Z&due_to=2030-01-02T00:00:00Z")).toEqual([d.id]);
    // Case-insensitive, in title or description; % and _ are plain characters.
    expect(await ids("?q=report")).toEqual([a.id, b.id]);
    expect(await ids(`?q=${encodeURIComponent("100%")}`)).toEqual([b.id]);
    expect(await ids("?q=REPORT_d")).toEqual([b.id]);
    expect(await ids("?q=Alph_")).toEqual([]);
    expect(await ids("?q=a%25")).toEqual([]);
    // Due date: soonest first, tasks without one last in either direction; priority: high first.
    expect(await ids("?sort=due_date")).toEqual([c.id, d.id, a.id, b.id]);
    expect(await ids("?sort=due_date&order=desc")).toEqual([a.id, d.id, c.id, b.id]);
    expect(await ids("?sort=priority")).toEqual([b.id, d.id, c.id, a.id]);
    expect(await ids("?sort=priority&order=desc")).toEqual([a.id, c.id, d.id, b.id]);
    expect(await ids("?priority=high&tag=urgent&completed=false&q=beta")).toEqual([b.id]);

    const first = await api.request<Page>("GET", "/api/tasks?limit=3");
    expect(first.body).toMatchObject({ total: 4, limit: 3, offset: 0 });
    expect(first.body.items.map((t) => t.id)).toEqual([a.id, b.id, c.id]);
    const second = await api.request<Page>("GET", "/api/tasks?limit=3&offset=3");
    expect(second.body).toMatchObject({ total: 4, limit: 3, offset: 3 });
    expect(second.body.items.map((t) => t.id)).toEqual([d.id]);
    expect((await api.request<Page>("GET", "/api/tasks?offset=10")).body).toMatchObject({ items: [], total: 4 });
    expect((await api.request<Page>("GET", "/api/tasks?priority=high&limit=1")).body.total).toBe(2);
  });

  it("creates the next occurrence of a recurring task once per event id, with the due date advanced", async () => {
    const api = await Api.as(backend.url, newUser("recurring"));
    const internal = new Api(backend.url);
    const nextOf = async (body: Record<string, unknown>) => {
      const task = (await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body;
      await api.request("POST", `/api/tasks/${task.id}/complete`);
      const eventId = randomUUID();
      const call = () =>
        internal.request<TaskSnapshot>(
          "POST",
          `/internal/tasks/${task.id}/next-occurrence`,
          { event_id: eventId },
          { "dapr-caller-app-id": "recurring" },
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
      parent_task_id: daily.task.id,
    });
    const counts = await tableCounts(backend);
    const repeat = await daily.call();
    expect(repeat).toEqual({ status: 200, body: first.body });
    expect(await tableCounts(backend)).toEqual(counts);
    // The repeat answers the first answer even after the new task changed or went away.
    await api.request("DELETE", `/api/tasks/${first.body.id}`);
    expect(await daily.call()).toEqual({ status: 200, body: first.body });

    const weekly = await nextOf({ title: "Review", recurrence: "weekly", due_date: "2030-02-26T09:00:00Z" });
    expect((await weekly.call()).body.due_date).toBe("2030-03-05T09:00:00.000Z");
    const leap = await nextOf({ title: "Rent", recurrence: "monthly", due_date: "2032-01-31T09:00:00Z" });
    const february = (await leap.call()).body;
    expect(february.due_date).toBe("2032-02-29T09:00:00.000Z");
    // The series keeps its day: after February's 29th comes March's 31st.
    await api.request("POST", `/api/tasks/${february.id}/complete`);
    const march = await internal.request<TaskSnapshot>(
      "POST",
      `/internal/tasks/${february.id}/next-occurrence`,
      { event_id: randomUUID() },
      { "dapr-caller-app-id": "recurring" },
    );
    expect(march.body.due_date).toBe("2032-03-31T09:00:00.000Z");
    const undated = await nextOf({ title: "Someday", recurrence: "monthly" });
    expect((await undated.call()).body).toMatchObject({ due_date: null, recurrence: "monthly" });
  });

  it("reports health, and readiness with the database up and no sidecar", async () => {
    expect(await new Api(backend.url).request("GET", "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    const ready = await new Api(backend.url).request("GET", "/readyz");
    expect(ready).toEqual({
      status: 503,
      body: { status: "not ready", checks: { database: "ok", sidecar: "unhealthy" } },
    });
  });

  it("keeps its data across a restart and applies each migration once", async () => {
    const user = newUser("restart");
    const api = await Api.as(backend.url, user);
    const kept = (await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "survives a restart" })).body;
    await backend.close();
    backend = await startTestBackend(env);
    cleanup.add({ stop: () => backend.close() });
    const again = await Api.as(backend.url, user);
    expect(await again.request("GET", `/api/tasks/${kept.id}`)).toEqual({ status: 200, body: kept });
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
      backend.database.db,
    );
    expect(rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
    expect(backend.database.kind).toBe(kind);
  });
});
