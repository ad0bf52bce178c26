// A user never sees or touches another user's task: 404 (never 403) on every REST route and MCP tool; no token or a bad one is a 401.
import { randomUUID } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Backend } from "../src/app";
import type { TaskSnapshot } from "../src/task-snapshot";
import {
  Api,
  Cleanup,
  DATABASE_KINDS,
  FROM_SIDECAR,
  mcpClientFor,
  newUser,
  outboxRows,
  startTestBackend,
  TEST_JWT_SECRET,
  tableCounts,
  testStore,
  tokenFor,
  toolResult,
} from "./harness";

describe.each(DATABASE_KINDS)("user isolation on %s", (kind) => {
  const cleanup = new Cleanup();
  let backend: Backend;
  let alice: Api;
  let bob: Api;
  let bobId: string;
  let task: TaskSnapshot;

  beforeAll(async () => {
    const store = cleanup.add(await testStore(kind, `backend_isolation_${kind}`));
    // No sidecar: these tests are about the API; the relay keeps its events until one appears.
    backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(await freePort()) });
    cleanup.add({ stop: () => backend.close() });
    alice = await Api.as(backend.url, newUser("alice"));
    bobId = newUser("bob");
    bob = await Api.as(backend.url, bobId);
    const created = await alice.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Alice's secret plan",
      description: "only for alice",
      tags: ["private"],
      due_date: "2031-05-01T10:00:00.000Z",
      remind_before_minutes: 10,
    });
    expect(created.status).toBe(201);
    task = created.body;
  });
  afterAll(() => cleanup.run());

  it("REST: 404 on get, update, delete and complete, exactly as for a task that does not exist", async () => {
    // An id no task has: ids are handed out in order, so this one is far ahead of them.
    const missing = task.task_id + 1_000_000;
    const attempts = (id: number) => [
      bob.request("GET", `/api/tasks/${id}`),
      bob.request("PATCH", `/api/tasks/${id}`, { title: "mine now" }),
      bob.request("DELETE", `/api/tasks/${id}`),
      bob.request("POST", `/api/tasks/${id}/complete`),
    ];
    const onAlices = await Promise.all(attempts(task.task_id));
    const onMissing = await Promise.all(attempts(missing));
    for (const [i, answer] of onAlices.entries()) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ ...(onMissing[i]?.body as object), message: `Task ${task.task_id} not found` });
    }
    expect(onMissing.map((a) => a.status)).toEqual([404, 404, 404, 404]);
  });

  it("REST: Alice's task is in none of Bob's lists or searches, and cannot be his task's parent", async () => {
    for (const query of ["", "?q=secret", "?tag=private", "?due_from=2031-01-01T00:00:00Z"]) {
      const list = await bob.request<{ items: TaskSnapshot[]; total: number }>("GET", `/api/tasks${query}`);
      expect(list.status).toBe(200);
      expect(list.body.items.map((t) => t.task_id)).not.toContain(task.task_id);
    }
    const asParent = await bob.request("POST", "/api/tasks", { title: "child", parent_task_id: task.task_id });
    expect(asParent.status).toBe(400);
    expect(asParent.body.violations).toEqual([
      { path: "/body/parent_task_id", message: "must be the id of one of your tasks" },
    ]);
    const own = await bob.request<TaskSnapshot>("POST", "/api/tasks", { title: "Bob's own" });
    const reparent = await bob.request("PATCH", `/api/tasks/${own.body.task_id}`, { parent_task_id: task.task_id });
    expect(reparent.status).toBe(400);
    expect(reparent.body.violations).toEqual([
      { path: "/body/parent_task_id", message: "must be the id of one of your tasks" },
    ]);
  });

  it("MCP: update_task, complete_task and delete_task answer 404, list_tasks never shows it, add_task cannot use it as parent", async () => {
    const client: Client = await mcpClientFor(backend.url, bobId);
    try {
      for (const name of ["update_task", "complete_task", "delete_task"]) {
        const args = name === "update_task" ? { task_id: task.task_id, title: "mine now" } : { task_id: task.task_id };
        const result = toolResult<{ error: { status: number; message: string } }>(
          await client.callTool({ name, arguments: args }),
        );
        expect(result, name).toEqual({
          isError: true,
          error: { status: 404, message: `Task ${task.task_id} not found` },
        });
      }
      const listed = toolResult<{ items: TaskSnapshot[] }>(
        await client.callTool({ name: "list_tasks", arguments: { q: "secret" } }),
      );
      expect(listed.items).toEqual([]);
      const child = toolResult<{ error: { status: number; violations: unknown[] } }>(
        await client.callTool({ name: "add_task", arguments: { title: "child", parent_task_id: task.task_id } }),
      );
      expect(child.error).toMatchObject({
        status: 400,
        violations: [{ path: "/parent_task_id", message: "must be the id of one of your tasks" }],
      });
    } finally {
      await client.close();
    }
  });

  it("leaves Alice's task and her events untouched", async () => {
    const mine = await alice.request<TaskSnapshot>("GET", `/api/tasks/${task.task_id}`);
    expect(mine).toEqual({ status: 200, body: task });
    expect((await outboxRows(backend, task.user_id)).map((r) => r.type)).toEqual([
      "com.taskmanager.task.created",
      "com.taskmanager.reminder.scheduled",
      "com.taskmanager.ui.task_list_changed",
    ]);
    // Bob's only events are those of the one task he created himself.
    expect((await outboxRows(backend, bobId)).map((r) => r.type)).toEqual([
      "com.taskmanager.task.created",
      "com.taskmanager.ui.task_list_changed",
    ]);
  });

  /** A completed recurring task of the user behind `api`. */
  async function completedRecurring(api: Api, title: string): Promise<TaskSnapshot> {
    const task = (await api.request<TaskSnapshot>("POST", "/api/tasks", { title, recurrence: "daily" })).body;
    await api.request("POST", `/api/tasks/${task.task_id}/complete`);
    return task;
  }

  /** A next-occurrence request as the recurring service makes it through its sidecar: the event's id and user. */
  const nextOccurrence = <T>(taskId: number, eventId: string, userId: string) =>
    new Api(backend.url).request<T>(
      "POST",
      `/internal/tasks/${taskId}/next-occurrence`,
      { event_id: eventId, user_id: userId },
      FROM_SIDECAR,
    );

  it("next occurrence: the same completion event id for Bob's task never answers with Alice's task", async () => {
    const aliceTask = await completedRecurring(alice, "Alice's daily");
    const bobTask = await completedRecurring(bob, "Bob's daily");
    const eventId = randomUUID();
    // Each request names the task's owner, as the task.completed event does.
    const next = (source: TaskSnapshot) => nextOccurrence<TaskSnapshot>(source.task_id, eventId, source.user_id);

    const forAlice = await next(aliceTask);
    expect(forAlice.status).toBe(201);
    expect(forAlice.body).toMatchObject({ user_id: aliceTask.user_id, parent_task_id: aliceTask.task_id });
    // The replayed event id names Bob's task: it is a request about Bob's task, answered with Bob's data only.
    const forBob = await next(bobTask);
    expect(forBob.status).toBe(201);
    expect(forBob.body).toMatchObject({ user_id: bobId, title: "Bob's daily", parent_task_id: bobTask.task_id });
    expect(JSON.stringify(forBob.body)).not.toContain("Alice");
    // Each is idempotent within its own user.
    expect(await next(aliceTask)).toEqual({ status: 200, body: forAlice.body });
    expect(await next(bobTask)).toEqual({ status: 200, body: forBob.body });
  });

  it("next occurrence: a request naming another user than the task's owner is a 404, as for no task, and writes nothing", async () => {
    const aliceTask = await completedRecurring(alice, "Alice's other daily");
    const before = await tableCounts(backend);
    const eventId = randomUUID();
    const asBob = await nextOccurrence<{ message: string }>(aliceTask.task_id, eventId, bobId);
    const missing = await nextOccurrence<{ message: string }>(aliceTask.task_id + 1_000_000, eventId, bobId);
    expect(asBob.status).toBe(404);
    expect(asBob.body.message).toBe(`Task ${aliceTask.task_id} not found`);
    expect(missing.status).toBe(404);
    expect(Object.keys(asBob.body).sort()).toEqual(Object.keys(missing.body).sort());
    expect(await tableCounts(backend)).toEqual(before);

    // Once Alice's own request has been answered, the same event id under Bob's name still finds nothing.
    expect((await nextOccurrence(aliceTask.task_id, eventId, aliceTask.user_id)).status).toBe(201);
    const afterAlice = await tableCounts(backend);
    expect((await nextOccurrence(aliceTask.task_id, eventId, bobId)).status).toBe(404);
    expect(await tableCounts(backend)).toEqual(afterAlice);
  });

  it("next occurrence: one per completed task, whatever the event id; a repeat under another id answers the first task, 200, writing nothing", async () => {
    const source = await completedRecurring(alice, "Alice's one next");
    const first = await nextOccurrence<TaskSnapshot>(source.task_id, randomUUID(), source.user_id);
    expect(first.status).toBe(201);
    const afterFirst = await tableCounts(backend);
    for (let i = 0; i < 5; i++) {
      expect(await nextOccurrence(source.task_id, randomUUID(), source.user_id)).toEqual({
        status: 200,
        body: first.body,
      });
    }
    expect(await tableCounts(backend)).toEqual(afterFirst);
  });

  it("next occurrence: a user_id no token can carry (NUL, control characters, blank) is a 400 naming the field, not a 500", async () => {
    const source = await completedRecurring(alice, "Alice's guarded");
    const before = await tableCounts(backend);
    for (const userId of ["a\u0000", "a\u0007b", "   ", "\ud800"]) {
      const answer = await nextOccurrence<{ violations: { path: string }[] }>(source.task_id, randomUUID(), userId);
      expect(answer.status, JSON.stringify(userId)).toBe(400);
      expect(answer.body.violations.map((v) => v.path)).toContain("/body/user_id");
    }
    expect(await tableCounts(backend)).toEqual(before);
  });

  it("the routes only the Dapr sidecar calls answer 401 without the app API token, whatever dapr-caller-app-id says", async () => {
    const before = await tableCounts(backend);
    const caller = new Api(backend.url);
    const completed = (await alice.request<TaskSnapshot>("POST", "/api/tasks", { title: "daily", recurrence: "daily" }))
      .body;
    await alice.request("POST", `/api/tasks/${completed.task_id}/complete`);
    const afterSetup = await tableCounts(backend);
    const next = (headers: Record<string, string>) =>
      caller.request(
        "POST",
        `/internal/tasks/${completed.task_id}/next-occurrence`,
        { event_id: randomUUID(), user_id: completed.user_id },
        headers,
      );
    const refusals: Record<string, string>[] = [
      {},
      // What any pod that reaches the app port can send: Dapr's caller header identifies, it does not authenticate.
      { "dapr-caller-app-id": "recurring" },
      { "dapr-caller-app-id": "recurring", "dapr-api-token": "not-the-token" },
      { "dapr-api-token": `${FROM_SIDECAR["dapr-api-token"]}x` },
      { "dapr-api-token": "" },
      // A user's bearer token is not the sidecar's.
      { authorization: `Bearer ${await tokenFor(bobId)}` },
    ];
    for (const headers of refusals) {
      const answer = await next(headers);
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      expect(answer.body).toMatchObject({ statusCode: 401, error: "Unauthorized" });
      const subscribe = await caller.request("GET", "/dapr/subscribe", undefined, headers);
      expect(subscribe.status, JSON.stringify(headers)).toBe(401);
    }
    expect(await tableCounts(backend)).toEqual(afterSetup);
    expect(afterSetup.tasks).toBe(before.tasks + 1);
    // The sidecar's own calls go through.
    expect(await caller.request("GET", "/dapr/subscribe", undefined, FROM_SIDECAR)).toEqual({ status: 200, body: [] });
    expect((await next(FROM_SIDECAR)).status).toBe(201);
  });

  it("answers 401 on every route without a token or with a bad one (a bad signature, no exp, iat far ahead, too long a life), and writes nothing", async () => {
    const before = await tableCounts(backend);
    const mallory = await Api.as(backend.url, newUser("mallory"));
    const now = Math.floor(Date.now() / 1000);
    const signedToken = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const tokens = [
      undefined,
      "Bearer not-a-jwt",
      // A token signed with another secret.
      "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJlLW9mLWFub3RoZXItc2VjcmV0",
      "Basic YWxpY2U6c2VjcmV0",
      // Signed with the right secret, but a token without exp would never expire,
      `Bearer ${await signedToken({ sub: "mallory", iat: now })}`,
      // one issued ten years ahead would outlive any rotation,
      `Bearer ${await signedToken({ sub: "mallory", iat: now + 10 * 365 * 86_400, exp: now + 10 * 365 * 86_400 + 60 })}`,
      // and one that claims to live a year is longer-lived than JWT_MAX_LIFETIME_SECONDS allows (a day).
      `Bearer ${await signedToken({ sub: "mallory", iat: now, exp: now + 365 * 86_400 })}`,
    ];
    const routes: [string, string, unknown?][] = [
      ["POST", "/api/tasks", { title: "x" }],
      ["GET", "/api/tasks"],
      ["GET", `/api/tasks/${task.task_id}`],
      ["PATCH", `/api/tasks/${task.task_id}`, { title: "x" }],
      ["DELETE", `/api/tasks/${task.task_id}`],
      ["POST", `/api/tasks/${task.task_id}/complete`],
      ["POST", "/mcp", { jsonrpc: "2.0", id: 1, method: "tools/list" }],
    ];
    for (const authorization of tokens) {
      const api = new Api(backend.url);
      for (const [method, path, body] of routes) {
        const answer = await api.request(method, path, body, authorization ? { authorization } : {});
        expect(answer.status, `${method} ${path} with ${authorization ?? "no token"}`).toBe(401);
        expect(answer.body).toMatchObject({ statusCode: 401, error: "Unauthorized" });
      }
    }
    // A valid token is accepted, so the 401s above are about the tokens.
    expect((await mallory.request("GET", "/api/tasks")).status).toBe(200);
    expect(await tableCounts(backend)).toEqual(before);
  });
});
