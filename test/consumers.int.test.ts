// The consumers together, as deployed: backend, recurring, notification and the dead-letter desk, each with its development sidecar, all on one shared PostgreSQL database (a schema each) and real Kafka; what fails at any consumer reaches the desk, and a replay delivers it again.
import { randomUUID } from "node:crypto";
import { type EventType, TOPICS } from "@event-platform/events";
import { SidecarClient } from "@event-platform/service-kit";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskSnapshot } from "../apps/backend/src/task-snapshot";
import type { DeadLetterDesk } from "../apps/dead-letters/src/app";
import type { DeadLetterDetail } from "../apps/dead-letters/src/store";
import { entryOf, operatorApi, startDeskWithSidecar } from "../apps/dead-letters/test/harness";
import { type RunningNotification, startWithSidecar } from "../apps/notification/test/harness";
import {
  startBackendRecorder,
  startBackendSidecar,
  startRecurringSidecar,
  startTestBackend,
  startTestRecurring,
  waitUntilHandled,
} from "../apps/recurring/test/harness";
import { freePort } from "../local/process";
import type { TestApp } from "../local/sidecar/test-kit";
import { PUBSUB } from "../specs/apps";
import {
  Api,
  Cleanup,
  createTopics,
  newUser,
  type TestStore,
  TopicReader,
  testStore,
  uniqueTag,
  waitFor,
} from "./support/services";

/** An event with the contract's envelope and exactly the `data` given, as another team's producer may send it. */
function contractEvent(type: EventType, data: Record<string, unknown>) {
  return {
    specversion: "1.0",
    type,
    source: "/tasks/other-team",
    id: randomUUID(),
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data,
  };
}

describe("the consumers on one shared database", () => {
  const cleanup = new Cleanup();
  const prefix = `consumers-${uniqueTag()}.`;
  let store: TestStore;
  let reader: TopicReader;
  let backendUrl: string;
  /** Publishes as the backend does, through its sidecar. */
  let publisher: SidecarClient;
  let recorder: TestApp;
  let backendDown = false;
  let notification: RunningNotification;
  let desk: DeadLetterDesk;
  let operator: Api;

  beforeAll(async () => {
    store = cleanup.add(await testStore("postgres", "consumers"));
    await createTopics(prefix);
    reader = cleanup.add(await TopicReader.start(prefix));

    const backendDapr = await freePort();
    const backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(backendDapr) });
    cleanup.add({ stop: () => backend.close() });
    backendUrl = backend.url;
    const backendSidecar = await startBackendSidecar({
      backendPort: backend.port,
      httpPort: backendDapr,
      topicPrefix: prefix,
    });
    cleanup.add(backendSidecar);
    publisher = new SidecarClient({ url: backendSidecar.url, timeoutMs: 5_000 });

    // The recurring service reaches the backend through a gate that can play an unreachable backend.
    recorder = cleanup.add(await startBackendRecorder(backend.url, () => backendDown));
    const recurringDapr = await freePort();
    const recurring = await startTestRecurring({ ...store.env, DAPR_HTTP_PORT: String(recurringDapr) });
    cleanup.add({ stop: () => recurring.close() });
    cleanup.add(
      await startRecurringSidecar({
        recurringPort: recurring.port,
        httpPort: recurringDapr,
        topicPrefix: prefix,
        backendUrl: recorder.url,
      }),
    );

    notification = await startWithSidecar(store.env, prefix);
    cleanup.add(notification);
    const started = await startDeskWithSidecar(store.env, prefix);
    desk = started.desk;
    cleanup.add({ stop: () => started.desk.close() });
    cleanup.add(started.sidecar);
    operator = (await operatorApi(desk.url)).api;
  }, 240_000);

  afterAll(() => cleanup.run(), 120_000);

  it("keeps each service's tables in its own schema of the one database", async () => {
    const { rows } = await sql<{ table_schema: string }>`
      SELECT DISTINCT table_schema FROM information_schema.tables
      WHERE table_name = 'kysely_migration' ORDER BY table_schema`.execute(desk.database.db);
    expect(rows.map((r) => r.table_schema)).toEqual(["dead_letters", "notification", "public", "recurring"]);
  });

  it("a task.completed the recurring service could not hand to the backend is dead-lettered after the retries; a replay after the fix makes the next occurrence", async () => {
    const user = newUser("consumers-fix");
    const api = await Api.as(backendUrl, user);
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Water the plants",
      due_date: "2026-12-01T08:00:00Z",
      recurrence: "daily",
      time_zone: "Europe/Berlin",
    });
    expect(created.status).toBe(201);
    backendDown = true;
    const completed = await api.request<TaskSnapshot>("POST", `/api/tasks/${created.body.task_id}/complete`);
    expect(completed.status).toBe(200);

    // RETRY for every attempt of the inbound policy, then the dead-letter topic: the desk has it.
    const event = await waitFor(
      () =>
        reader
          .of(user)
          .find((r) => r.topic === TOPICS.taskEvents.name && r.event.type === "com.taskmanager.task.completed"),
      "the task.completed record",
    );
    const entry = await entryOf(operator, event.event.id, undefined, 60_000);
    expect(entry).toMatchObject({ topic: "task-events", key: user, subscribers: ["recurring"], count: 1 });
    expect(recorder.to(`/internal/tasks/${created.body.task_id}/next-occurrence`).length).toBeGreaterThan(1);
    expect((await api.request<{ total: number }>("GET", "/api/tasks")).body.total).toBe(1);

    // The fix: the backend answers again. The operator replays; the next occurrence comes, once.
    backendDown = false;
    const replay = await operator.request("POST", `/api/dead-letters/${entry.id}/replay`);
    expect(replay.status).toBeLessThan(300);
    const next = await waitFor(
      async () => {
        const page = await api.request<{ items: TaskSnapshot[] }>("GET", "/api/tasks?completed=false");
        return page.body.items[0];
      },
      "the next occurrence after the replay",
      60_000,
    );
    expect(next).toMatchObject({
      title: "Water the plants",
      due_date: "2026-12-02T08:00:00.000Z",
      parent_task_id: created.body.task_id,
    });
    await waitUntilHandled(reader, prefix);
    expect((await api.request<{ total: number }>("GET", "/api/tasks")).body.total).toBe(2);
  });

  it("an event that breaks the contract at any consumer reaches the desk with its topic, subscriber and why; a replay delivers it to that consumer again", async () => {
    const user = newUser("consumers-poison");
    const poisons = [
      {
        topic: TOPICS.taskEvents.name,
        subscriber: "recurring",
        event: contractEvent("com.taskmanager.task.completed", { task_id: "7", user_id: user }),
      },
      {
        topic: TOPICS.reminders.name,
        subscriber: "notification",
        event: contractEvent("com.taskmanager.reminder.scheduled", {
          task_id: 7,
          user_id: user,
          remind_at: "tomorrow",
        }),
      },
    ];
    for (const { topic, event } of poisons) {
      await publisher.publish({ pubsubName: PUBSUB, topic, event, partitionKey: user });
    }
    for (const { topic, subscriber, event } of poisons) {
      const entry = await entryOf(operator, event.id);
      expect(entry).toMatchObject({ topic, key: user, subscribers: [subscriber], count: 1, replayable: true });
      expect(entry.error).toMatch(/contract/);
      const replay = await operator.request("POST", `/api/dead-letters/${entry.id}/replay`);
      expect(replay.status).toBeLessThan(300);
      // Delivered to the consumer again, which drops it again: the same entry, seen twice, replayed once.
      const again = await entryOf(operator, event.id, (e: DeadLetterDetail) => e.count === 2, 60_000);
      expect(again.replays).toHaveLength(1);
    }
  });

  it("every consumer takes an event with only the contract's required fields", async () => {
    const user = newUser("consumers-minimal");
    const created = contractEvent("com.taskmanager.task.created", { task_id: 1, user_id: user });
    const scheduled = contractEvent("com.taskmanager.reminder.scheduled", {
      task_id: 1,
      user_id: user,
      remind_at: new Date().toISOString(),
    });
    await publisher.publish({ pubsubName: PUBSUB, topic: TOPICS.taskEvents.name, event: created, partitionKey: user });
    await publisher.publish({ pubsubName: PUBSUB, topic: TOPICS.reminders.name, event: scheduled, partitionKey: user });

    // notification: the reminder is due, so it triggers and the user gets an in-app notification.
    const inbox = await Api.as(notification.service.url, user);
    await waitFor(
      async () => {
        const page = await inbox.request<{ items: unknown[] }>("GET", "/api/notifications");
        return page.body.items.length === 1;
      },
      "the in-app notification of the minimal reminder",
      60_000,
    );
    // recurring: handled (its group is past the record) and nothing was dead-lettered.
    await waitUntilHandled(reader, prefix);
    const deadLetters = reader.records.filter((r) => r.topic === TOPICS.deadLetters.name && r.key === user);
    expect(deadLetters).toEqual([]);
  });

  it("a reminder the backend schedules reaches the user as an in-app notification, through the notification service", async () => {
    const user = newUser("consumers-reminder");
    const api = await Api.as(backendUrl, user);
    const due = new Date(Date.now() + 63_000).toISOString();
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Call the dentist",
      due_date: due,
      remind_before_minutes: 1,
    });
    expect(created.status).toBe(201);
    const inbox = await Api.as(notification.service.url, user);
    const items = await waitFor(
      async () => {
        const page = await inbox.request<{ items: { title?: string; task_id?: number }[] }>(
          "GET",
          "/api/notifications",
        );
        return page.body.items.length > 0 && page.body.items;
      },
      "the reminder's in-app notification",
      60_000,
    );
    expect(items).toHaveLength(1);
    expect(JSON.stringify(items[0])).toContain("Call the dentist");
  });
});
