// Each REST and MCP write, and the next occurrence over Dapr service invocation, publishes exactly its events: right topics, keyed by user, in order.
import type { AnyCloudEvent, EventType } from "@event-platform/events";
import { TOPICS, taskFieldsOf, validateEvent } from "@event-platform/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import { contractViolations } from "../../../test/support/contract";
import type { Backend } from "../src/app";
import type { TaskSnapshot } from "../src/task-snapshot";
import {
  Api,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
  mcpClientFor,
  newUser,
  outboxRows,
  type ReadEvent,
  startBackendSidecar,
  startTestBackend,
  TopicReader,
  testStore,
  toolResult,
  uniqueTag,
  waitFor,
} from "./harness";

const HOUR_MS = 3_600_000;
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR_MS).toISOString();

/**
 * Waits until every outbox row of the user is published and read back, then checks the outbox's own accounting
 * against Kafka: each row published once and read once, keyed by the user, on its topic and one partition per
 * topic, in outbox id order. Returns the user's records per topic.
 */
async function publishedEventsOf(backend: Backend, reader: TopicReader, user: string) {
  const rows = await waitFor(async () => {
    const all = await outboxRows(backend, user);
    return all.length > 0 && all.every((r) => r.published) && all;
  }, `every outbox row of ${user} published`);
  const records = await waitFor(
    () => reader.of(user).length >= rows.length && reader.of(user),
    `${rows.length} records of ${user} read back`,
  );
  expect(records.map((r) => r.event.id).sort()).toEqual(rows.map((r) => r.eventId).sort());
  expect(rows.every((r) => r.publishCount === 1)).toBe(true);
  const byTopic = new Map<string, ReadEvent[]>();
  for (const record of records) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
  for (const [topic, onTopic] of byTopic) {
    expect(onTopic.every((r) => r.key === user)).toBe(true);
    expect(new Set(onTopic.map((r) => r.partition)).size, `${topic}: one partition per user`).toBe(1);
    expect(
      onTopic.map((r) => r.event.id),
      `${topic}: in outbox order`,
    ).toEqual(rows.filter((r) => r.topic === topic).map((r) => r.eventId));
    // The CloudEvent arrives as stored; Dapr only adds its extension attributes. It keeps the mission's contract.
    for (const r of onTopic) {
      expect(r.event).toMatchObject({ topic, pubsubname: "kafka-pubsub", specversion: "1.0" });
      expect(contractViolations(r.event), r.event.type).toEqual([]);
      expect(validateEvent(r.event).valid).toBe(true);
    }
  }
  const on = (topic: string) => (byTopic.get(topic) ?? []).map((r) => r.event);
  return {
    taskEvents: on(TOPICS.taskEvents.name),
    reminders: on(TOPICS.reminders.name),
    ui: on(TOPICS.taskUpdates.name),
  };
}

const types = (events: AnyCloudEvent[]) => events.map((e) => e.type);
const dataOf = (event: AnyCloudEvent | undefined) => event?.data as Record<string, unknown>;

describe.each(DATABASE_KINDS)("events of every write, on %s", (kind) => {
  const cleanup = new Cleanup();
  const prefix = `backend-events-${kind}-${uniqueTag()}.`;
  let backend: Backend;
  let sidecar: Sidecar;
  let reader: TopicReader;

  beforeAll(async () => {
    await createTopics(prefix);
    const store = cleanup.add(await testStore(kind, `backend_events_${kind}`));
    const daprPort = await freePort();
    backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(daprPort) });
    cleanup.add({ stop: () => backend.close() });
    sidecar = cleanup.add(
      await startBackendSidecar({ backendPort: backend.port, httpPort: daprPort, topicPrefix: prefix }),
    );
    reader = cleanup.add(await TopicReader.start(prefix));
  });
  afterAll(() => cleanup.run());

  it("REST: create, update, reschedule, complete, create, delete, each with exactly its events", async () => {
    const user = newUser("rest");
    const api = await Api.as(backend.url, user);
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Water the plants",
      tags: ["home"],
      due_date: inHours(48),
      remind_before_minutes: 30,
      recurrence: "weekly",
    });
    expect(created.status).toBe(201);
    const id = created.body.task_id;
    expect((await api.request("PATCH", `/api/tasks/${id}`, { title: "Water all the plants" })).status).toBe(200);
    const newDue = inHours(72);
    expect((await api.request("PATCH", `/api/tasks/${id}`, { due_date: newDue })).status).toBe(200);
    const completed = await api.request<TaskSnapshot>("POST", `/api/tasks/${id}/complete`);
    expect(completed.body).toMatchObject({ completed: true });
    // Completing again, and a patch that changes nothing, write nothing and emit nothing.
    expect((await api.request("POST", `/api/tasks/${id}/complete`)).status).toBe(200);
    expect((await api.request("PATCH", `/api/tasks/${id}`, { title: "Water all the plants" })).status).toBe(200);
    const other = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "Buy soil" });
    expect((await api.request("DELETE", `/api/tasks/${other.body.task_id}`)).status).toBe(204);
    expect((await api.request("GET", "/api/tasks")).status).toBe(200);

    const { taskEvents, reminders, ui } = await publishedEventsOf(backend, reader, user);
    expect(types(taskEvents)).toEqual([
      "com.taskmanager.task.created",
      "com.taskmanager.task.updated",
      "com.taskmanager.task.updated",
      "com.taskmanager.task.completed",
      "com.taskmanager.task.created",
      "com.taskmanager.task.deleted",
    ] satisfies EventType[]);
    expect(dataOf(taskEvents[0])).toEqual(taskFieldsOf(created.body));
    expect(dataOf(taskEvents[1])).toMatchObject({
      changes: { title: "Water all the plants" },
      previous: { title: "Water the plants" },
    });
    expect(dataOf(taskEvents[2])).toMatchObject({
      changes: { due_date: newDue },
      previous: { due_date: created.body.due_date },
    });
    expect(dataOf(taskEvents[3])).toMatchObject({ task_id: id, is_recurring: true, recurrence: "weekly" });
    expect(dataOf(taskEvents[5])).toMatchObject({ task_id: other.body.task_id, user_id: user });

    expect(types(reminders)).toEqual([
      "com.taskmanager.reminder.scheduled",
      "com.taskmanager.reminder.cancelled",
      "com.taskmanager.reminder.scheduled",
      "com.taskmanager.reminder.cancelled",
    ] satisfies EventType[]);
    const [first, rescheduled, second, cancelled] = reminders.map(dataOf);
    expect(first).toMatchObject({ task_id: id, due_at: created.body.due_date, remind_before_minutes: 30 });
    expect(Date.parse(String(first?.remind_at))).toBe(Date.parse(String(created.body.due_date)) - 30 * 60_000);
    expect(rescheduled).toMatchObject({
      reminder_id: first?.reminder_id,
      remind_at: first?.remind_at,
      reason: "rescheduled",
    });
    expect(second).toMatchObject({ task_id: id, due_at: newDue, title: "Water all the plants" });
    expect(second?.reminder_id).not.toBe(first?.reminder_id);
    expect(cancelled).toMatchObject({
      reminder_id: second?.reminder_id,
      remind_at: second?.remind_at,
      reason: "completed",
    });

    expect(ui.map((e) => [e.type, dataOf(e).action])).toEqual([
      ["com.taskmanager.ui.task_list_changed", "add"],
      ["com.taskmanager.ui.task_list_changed", "update"],
      ["com.taskmanager.ui.task_list_changed", "update"],
      ["com.taskmanager.ui.task_status_changed", "update"],
      ["com.taskmanager.ui.task_list_changed", "update"],
      ["com.taskmanager.ui.task_list_changed", "add"],
      ["com.taskmanager.ui.task_list_changed", "remove"],
    ]);
    expect(dataOf(ui[3])?.task_snapshot).toEqual(completed.body);
    // The removed task as it was.
    expect(dataOf(ui[6])?.task_snapshot).toEqual(other.body);
  });

  it("MCP: add_task, update_task, complete_task, delete_task through the same service, with the same events", async () => {
    const user = newUser("mcp");
    const client = await mcpClientFor(backend.url, user);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        "add_task",
        "complete_task",
        "delete_task",
        "list_tasks",
        "update_task",
      ]);
      const added = toolResult<TaskSnapshot>(
        await client.callTool({
          name: "add_task",
          arguments: { title: "Call the bank", due_date: inHours(5), remind_before_minutes: 60, priority: "high" },
        }),
      );
      expect(added).toMatchObject({ title: "Call the bank", user_id: user, priority: "high" });
      const updated = toolResult<TaskSnapshot>(
        await client.callTool({
          name: "update_task",
          arguments: { task_id: added.task_id, remind_before_minutes: null },
        }),
      );
      expect(updated.remind_before_minutes).toBeNull();
      const listed = toolResult<{ items: TaskSnapshot[]; total: number }>(
        await client.callTool({ name: "list_tasks", arguments: { priority: "high" } }),
      );
      expect(listed.items.map((t) => t.task_id)).toEqual([added.task_id]);
      expect(
        toolResult(await client.callTool({ name: "complete_task", arguments: { task_id: added.task_id } })),
      ).toMatchObject({
        completed: true,
      });
      expect(toolResult(await client.callTool({ name: "delete_task", arguments: { task_id: added.task_id } }))).toEqual(
        {
          task_id: added.task_id,
          deleted: true,
        },
      );
    } finally {
      await client.close();
    }

    const { taskEvents, reminders, ui } = await publishedEventsOf(backend, reader, user);
    expect(types(taskEvents)).toEqual([
      "com.taskmanager.task.created",
      "com.taskmanager.task.updated",
      "com.taskmanager.task.completed",
      "com.taskmanager.task.deleted",
    ] satisfies EventType[]);
    expect(dataOf(taskEvents[1])).toMatchObject({
      changes: { remind_before_minutes: null },
      previous: { remind_before_minutes: 60 },
    });
    expect(dataOf(taskEvents[2])).toMatchObject({ is_recurring: false });
    expect(dataOf(taskEvents[2])).not.toHaveProperty("recurrence");
    // Clearing the offset cancels the reminder; completing and deleting have none left to cancel.
    expect(reminders.map((e) => [e.type, dataOf(e).reason])).toEqual([
      ["com.taskmanager.reminder.scheduled", undefined],
      ["com.taskmanager.reminder.cancelled", "removed"],
    ]);
    expect(types(ui)).toEqual([
      "com.taskmanager.ui.task_list_changed",
      "com.taskmanager.ui.task_list_changed",
      "com.taskmanager.ui.task_status_changed",
      "com.taskmanager.ui.task_list_changed",
      "com.taskmanager.ui.task_list_changed",
    ] satisfies EventType[]);
  });

  it("next occurrence: invoked through the sidecar for the task.completed event, created once, a repeat answers the same task", async () => {
    const user = newUser("recurring");
    const api = await Api.as(backend.url, user);
    const task = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Pay rent",
      due_date: "2031-01-31T09:00:00.000Z",
      remind_before_minutes: 1440,
      recurrence: "monthly",
      tags: ["money"],
      priority: "high",
    });
    await api.request("POST", `/api/tasks/${task.body.task_id}/complete`);
    // What the recurring service does: read the task.completed event and invoke the backend through Dapr.
    const completedEvent = await waitFor(
      () => reader.of(user).find((r) => r.event.type === "com.taskmanager.task.completed")?.event,
      "the task.completed event on Kafka",
    );
    const invoke = () =>
      fetch(`${sidecar.url}/v1.0/invoke/backend/method/internal/tasks/${task.body.task_id}/next-occurrence`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ event_id: completedEvent.id, user_id: user }),
      });
    const first = await invoke();
    expect(first.status).toBe(201);
    const next = (await first.json()) as TaskSnapshot;
    expect(next).toMatchObject({
      title: "Pay rent",
      priority: "high",
      tags: ["money"],
      recurrence: "monthly",
      remind_before_minutes: 1440,
      due_date: "2031-02-28T09:00:00.000Z",
      completed: false,
      completed_at: null,
      parent_task_id: task.body.task_id,
      user_id: user,
    });
    const outboxBefore = (await outboxRows(backend, user)).length;
    const repeat = await invoke();
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toEqual(next);
    expect((await outboxRows(backend, user)).length).toBe(outboxBefore);

    const { taskEvents, reminders, ui } = await publishedEventsOf(backend, reader, user);
    expect(taskEvents.map((e) => [e.type, dataOf(e).task_id])).toEqual([
      ["com.taskmanager.task.created", task.body.task_id],
      ["com.taskmanager.task.completed", task.body.task_id],
      ["com.taskmanager.task.created", next.task_id],
    ]);
    expect(reminders.map((e) => [e.type, dataOf(e).task_id])).toEqual([
      ["com.taskmanager.reminder.scheduled", task.body.task_id],
      ["com.taskmanager.reminder.cancelled", task.body.task_id],
      ["com.taskmanager.reminder.scheduled", next.task_id],
    ]);
    expect(dataOf(reminders[2])?.remind_at).toBe("2031-02-27T09:00:00.000Z");
    expect(types(ui)).toEqual([
      "com.taskmanager.ui.task_list_changed",
      "com.taskmanager.ui.task_status_changed",
      "com.taskmanager.ui.task_list_changed",
      "com.taskmanager.ui.task_list_changed",
    ] satisfies EventType[]);
  });
});
