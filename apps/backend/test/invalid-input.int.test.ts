// Invalid input over REST, MCP and the internal route: 400 naming every bad field by its path, never a 500, and nothing written.
import { randomUUID } from "node:crypto";
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
  startTestBackend,
  tableCounts,
  testStore,
  toolResult,
} from "./harness";

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The violation paths the answer must list, in any order. */
  paths: string[];
}

describe.each(DATABASE_KINDS)("invalid input on %s", (kind) => {
  const cleanup = new Cleanup();
  let backend: Backend;
  let api: Api;
  let userId: string;
  let task: TaskSnapshot;

  beforeAll(async () => {
    const store = cleanup.add(await testStore(kind, `backend_invalid_${kind}`));
    backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(await freePort()) });
    cleanup.add({ stop: () => backend.close() });
    userId = newUser("invalid");
    api = await Api.as(backend.url, userId);
    task = (await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "valid", recurrence: "daily" })).body;
    await api.request("POST", `/api/tasks/${task.task_id}/complete`);
  });
  afterAll(() => cleanup.run());

  const cases = (): Case[] => [
    {
      name: "a task with every field wrong",
      method: "POST",
      path: "/api/tasks",
      body: {
        title: "",
        description: 7,
        priority: "urgent",
        tags: ["a", "a"],
        due_date: "tomorrow",
        remind_before_minutes: 525_601,
        recurrence: "yearly",
        parent_task_id: "42",
        completed: true,
      },
      paths: [
        "/body/completed",
        "/body/title",
        "/body/description",
        "/body/priority",
        "/body/tags",
        "/body/due_date",
        "/body/remind_before_minutes",
        "/body/recurrence",
        "/body/parent_task_id",
      ],
    },
    {
      name: "a task without a title",
      method: "POST",
      path: "/api/tasks",
      body: { tags: [1] },
      paths: ["/body/title", "/body/tags/0"],
    },
    { name: "an array for a body", method: "POST", path: "/api/tasks", body: [{ title: "x" }], paths: ["/body"] },
    {
      name: "values PostgreSQL could not store",
      method: "POST",
      path: "/api/tasks",
      body: { title: "nul\u0000byte", due_date: "2016-12-31T23:59:60Z", tags: ["ok", "\u0000"] },
      paths: ["/body/title", "/body/due_date", "/body/tags/1"],
    },
    {
      name: "text that is blank, not well-formed Unicode, or holds control characters",
      method: "POST",
      path: "/api/tasks",
      body: { title: "   ", description: "esc\u001b[0m", tags: ["ok", "lone \ud800", "tab\tbed"] },
      paths: ["/body/title", "/body/description", "/body/tags/1", "/body/tags/2"],
    },
    {
      name: "a title holding a lone surrogate (it would be stored as U+FFFD)",
      method: "POST",
      path: "/api/tasks",
      body: { title: "half an emoji \ud83d" },
      paths: ["/body/title"],
    },
    {
      name: "a patch to a blank title",
      method: "PATCH",
      path: "/api/tasks/{id}",
      body: { title: " \u3000 " },
      paths: ["/body/title"],
    },
    { name: "a blank search", method: "GET", path: "/api/tasks?q=%20%20", paths: ["/querystring/q"] },
    {
      name: "a parent that is not one of the user's tasks",
      method: "POST",
      path: "/api/tasks",
      body: { title: "orphan", parent_task_id: 9_007_199_254_740_991 },
      paths: ["/body/parent_task_id"],
    },
    {
      name: "a bad id and a bad patch at once",
      method: "PATCH",
      path: "/api/tasks/not-a-number",
      body: { priority: "urgent", due_date: 5 },
      paths: ["/params/task_id", "/body/priority", "/body/due_date"],
    },
    { name: "an empty patch", method: "PATCH", path: "/api/tasks/{id}", body: {}, paths: ["/body"] },
    {
      name: "a patch of a field that is not writable",
      method: "PATCH",
      path: "/api/tasks/{id}",
      body: { completed: false, task_id: 1, user_id: "someone-else" },
      paths: ["/body/completed", "/body/task_id", "/body/user_id"],
    },
    {
      name: "a task as its own parent",
      method: "PATCH",
      path: "/api/tasks/{id}",
      body: { parent_task_id: "{id:number}" },
      paths: ["/body/parent_task_id"],
    },
    {
      name: "a list query with every parameter wrong",
      method: "GET",
      path: "/api/tasks?completed=maybe&priority=urgent&sort=title&order=up&limit=0&offset=-1&due_from=soon&page=2",
      paths: [
        "/querystring/page",
        "/querystring/completed",
        "/querystring/priority",
        "/querystring/due_from",
        "/querystring/sort",
        "/querystring/order",
        "/querystring/limit",
        "/querystring/offset",
      ],
    },
    {
      name: "a due range that ends before it starts",
      method: "GET",
      path: "/api/tasks?due_from=2030-01-02T00:00:00Z&due_to=2030-01-01T00:00:00Z",
      paths: ["/querystring/due_to"],
    },
    {
      name: "a uuid for an id",
      method: "GET",
      path: "/api/tasks/3f1c2a4e-8b7d-4c6a-9e21-5d0b7a9c1f34",
      paths: ["/params/task_id"],
    },
    { name: "a negative id to delete", method: "DELETE", path: "/api/tasks/-1", paths: ["/params/task_id"] },
    { name: "an id with a leading zero", method: "GET", path: "/api/tasks/0123", paths: ["/params/task_id"] },
    { name: "an id in an exponent", method: "POST", path: "/api/tasks/1e3/complete", paths: ["/params/task_id"] },
    {
      name: "an id past the largest safe integer",
      method: "GET",
      path: "/api/tasks/9007199254740993",
      paths: ["/params/task_id"],
    },
    {
      name: "a next-occurrence request with a bad id and body",
      method: "POST",
      path: "/internal/tasks/abc/next-occurrence",
      body: { event_id: "e1", user_id: "", extra: true },
      headers: { ...FROM_SIDECAR },
      paths: ["/params/task_id", "/body/extra", "/body/event_id", "/body/user_id"],
    },
  ];

  it.each(cases().map((c) => [c.name, c] as const))("REST: %s is a 400 listing each bad field", async (_, c) => {
    const before = await tableCounts(backend);
    const id = String(task.task_id);
    const path = c.path.replaceAll("{id}", id);
    const body = c.body === undefined ? undefined : JSON.parse(JSON.stringify(c.body).replaceAll('"{id:number}"', id));
    const answer = await api.request<{ violations?: { path: string; message: string }[] }>(
      c.method,
      path,
      body,
      c.headers,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, error: "Bad Request", message: "Invalid input" });
    expect(answer.body.violations?.map((v) => v.path).sort()).toEqual([...c.paths].sort());
    for (const violation of answer.body.violations ?? []) expect(violation.message.length).toBeGreaterThan(0);
    expect(await tableCounts(backend)).toEqual(before);
  });

  it("REST: a body that is not JSON, or not declared as JSON, is a 4xx and writes nothing", async () => {
    const before = await tableCounts(backend);
    const malformed = await api.request("POST", "/api/tasks", '{"title": "unterminated', {
      "content-type": "application/json",
    });
    expect(malformed.status).toBe(400);
    const form = await api.request("POST", "/api/tasks", "title=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);
    const huge = await api.request("POST", "/api/tasks", { title: "x", description: "y".repeat(300_000) });
    expect(huge.status).toBe(413);
    expect(await tableCounts(backend)).toEqual(before);
  });

  it("bounded work: a body nested 2,200 levels deep is a 400 on every route that reads a body, never a 500", async () => {
    const before = await tableCounts(backend);
    const deep = `{"title":"t","x":${"[".repeat(2_200)}${"]".repeat(2_200)}}`;
    const json = { "content-type": "application/json" };
    const mcp = { ...json, accept: "application/json, text/event-stream" };
    const mcpCall = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_task","arguments":${deep}}}`;
    const attempts: [string, string, string, Record<string, string>][] = [
      ["POST", "/api/tasks", deep, json],
      ["PATCH", `/api/tasks/${task.task_id}`, deep, json],
      ["POST", "/mcp", mcpCall, mcp],
      ["POST", `/internal/tasks/${task.task_id}/next-occurrence`, deep, { ...json, ...FROM_SIDECAR }],
      ["POST", "/api/tasks", `${"[".repeat(100_000)}${"]".repeat(100_000)}`, json],
    ];
    for (const [method, path, body, headers] of attempts) {
      const answer = await api.request<{ statusCode: number; message: string }>(method, path, body, headers);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.body.message).toBe("The JSON body is nested deeper than 32 levels");
    }
    expect(await tableCounts(backend)).toEqual(before);
  });

  it("bounded work: a body of thousands of unknown fields gets a 400 of bounded size", async () => {
    const body = Object.fromEntries([["title", "t"], ...Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i])]);
    const answer = await api.request<{ violations: { path: string; message: string }[] }>("POST", "/api/tasks", body);
    expect(answer.status).toBe(400);
    expect(answer.body.violations).toHaveLength(51);
    expect(answer.body.violations[0]).toEqual({ path: "/body/f0", message: "must NOT have additional properties" });
    expect(answer.body.violations[50]).toEqual({ path: "", message: "and 9950 more violations" });
  });

  it("MCP: bad tool arguments are tool errors listing each bad field; nothing is written", async () => {
    const before = await tableCounts(backend);
    const client = await mcpClientFor(backend.url, userId);
    try {
      const calls: [string, Record<string, unknown>, string[]][] = [
        [
          "add_task",
          { title: "", priority: "urgent", tags: "home", extra: 1 },
          ["/extra", "/title", "/priority", "/tags"],
        ],
        ["add_task", {}, ["/title"]],
        ["add_task", { title: " ", tags: ["\udfff"], description: "\u0007" }, ["/title", "/tags/0", "/description"]],
        ["update_task", { task_id: "x", due_date: "later" }, ["/task_id", "/due_date"]],
        ["update_task", { task_id: task.task_id }, [""]],
        ["complete_task", { task_id: "12" }, ["/task_id"]],
        ["complete_task", { task_id: 1.5 }, ["/task_id"]],
        ["delete_task", {}, ["/task_id"]],
        ["list_tasks", { limit: 500, completed: "yes" }, ["/limit", "/completed"]],
        ["list_tasks", { due_from: "2030-01-02T00:00:00Z", due_to: "2030-01-01T00:00:00Z" }, ["/due_to"]],
      ];
      for (const [name, args, paths] of calls) {
        const result = toolResult<{ error: { status: number; violations: { path: string }[] } }>(
          await client.callTool({ name, arguments: args }),
        );
        expect(result.isError, name).toBe(true);
        expect(result.error.status).toBe(400);
        expect(result.error.violations.map((v) => v.path).sort(), `${name} ${JSON.stringify(args)}`).toEqual(
          [...paths].sort(),
        );
      }
    } finally {
      await client.close();
    }
    expect(await tableCounts(backend)).toEqual(before);
  });

  it("a task cannot become a subtask of its own subtask, at any depth, over REST or MCP; nothing is written", async () => {
    const make = async (body: Record<string, unknown>) =>
      (await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body.task_id;
    const top = await make({ title: "top" });
    const middle = await make({ title: "middle", parent_task_id: top });
    const bottom = await make({ title: "bottom", parent_task_id: middle });
    const before = await tableCounts(backend);
    for (const parent of [middle, bottom]) {
      const answer = await api.request<{ violations: unknown[] }>("PATCH", `/api/tasks/${top}`, {
        parent_task_id: parent,
      });
      expect(answer.status, `top under ${parent}`).toBe(400);
      expect(answer.body.violations).toEqual([
        { path: "/body/parent_task_id", message: "must not be one of the task's own subtasks" },
      ]);
    }
    const client = await mcpClientFor(backend.url, userId);
    try {
      const result = toolResult<{ error: { status: number; violations: { path: string }[] } }>(
        await client.callTool({ name: "update_task", arguments: { task_id: top, parent_task_id: bottom } }),
      );
      expect(result.isError).toBe(true);
      expect(result.error.violations.map((v) => v.path)).toEqual(["/parent_task_id"]);
    } finally {
      await client.close();
    }
    expect(await tableCounts(backend)).toEqual(before);
    // Moving a subtree elsewhere is still allowed.
    expect((await api.request("PATCH", `/api/tasks/${bottom}`, { parent_task_id: top })).status).toBe(200);
  });

  it("MCP: a tool name that is a property of every JavaScript object is an unknown tool, not an internal error", async () => {
    const client = await mcpClientFor(backend.url, userId);
    try {
      for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
        const result = toolResult<{ error: { status: number; message: string } }>(
          await client.callTool({ name, arguments: {} }),
        );
        expect(result.isError, name).toBe(true);
        expect(result.error, name).toMatchObject({ status: 404, message: expect.stringMatching(/^Unknown tool /) });
      }
    } finally {
      await client.close();
    }
  });

  it("the internal route: 404 for an unknown task, 409 for one that cannot recur, nothing written", async () => {
    const before = await tableCounts(backend);
    const internal = new Api(backend.url);
    const request = (id: number, headers: Record<string, string> = FROM_SIDECAR) =>
      internal.request(
        "POST",
        `/internal/tasks/${id}/next-occurrence`,
        { event_id: randomUUID(), user_id: userId },
        headers,
      );
    expect((await request(task.task_id + 1_000_000)).status).toBe(404);
    const open = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "open", recurrence: "weekly" });
    const afterCreate = await tableCounts(backend);
    expect(await request(open.body.task_id)).toMatchObject({
      status: 409,
      body: { message: `Task ${open.body.task_id} is not completed` },
    });
    const once = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "once" });
    await api.request("POST", `/api/tasks/${once.body.task_id}/complete`);
    const afterComplete = await tableCounts(backend);
    expect(await request(once.body.task_id)).toMatchObject({
      status: 409,
      body: { message: `Task ${once.body.task_id} is not recurring` },
    });
    expect(await tableCounts(backend)).toEqual(afterComplete);
    expect(afterCreate.tasks).toBe(before.tasks + 1);
    const last = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "the last day",
      recurrence: "daily",
      due_date: "9999-12-31T12:00:00Z",
    });
    await api.request("POST", `/api/tasks/${last.body.task_id}/complete`);
    const afterLast = await tableCounts(backend);
    expect(await request(last.body.task_id)).toMatchObject({
      status: 409,
      body: { message: `Task ${last.body.task_id} has no next occurrence before the year 10000` },
    });
    expect(await tableCounts(backend)).toEqual(afterLast);
  });
});
