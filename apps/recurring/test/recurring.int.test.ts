// The recurring service end to end, on real Kafka, PostgreSQL and PGlite, with the development sidecar in front of both it and the backend: one next occurrence per completion, whatever is redelivered, dropped or restarted.
import { randomUUID } from "node:crypto";
import { type EventType, TOPICS } from "@event-platform/events";
import { processedEventKey } from "@event-platform/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import type { TestApp } from "../../../local/sidecar/test-kit";
import { APPS, PUBSUB } from "../../../specs/apps";
import { programmaticSubscriptions } from "../../../specs/subscriptions";
import type { Backend } from "../../backend/src/app";
import type { TaskSnapshot } from "../../backend/src/task-snapshot";
import type { Recurring } from "../src/app";
import {
  Api,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
  FROM_SIDECAR,
  newUser,
  publish,
  type ReadEvent,
  startBackendRecorder,
  startBackendSidecar,
  startRecurringSidecar,
  startTestBackend,
  startTestRecurring,
  type TestStore,
  TopicReader,
  testStore,
  uniqueTag,
  waitFor,
  waitUntilHandled,
} from "./harness";

const COMPLETED: EventType = "com.taskmanager.task.completed";
const TASK_EVENTS = TOPICS.taskEvents.name;
const DEAD_LETTERS = TOPICS.deadLetters.name;

/** A task event with the contract's envelope and exactly the `data` given, as another team's producer may send it. */
function contractEvent(type: EventType, data: Record<string, unknown>) {
  return {
    specversion: "1.0",
    type,
    source: "/tasks/backend",
    id: randomUUID(),
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data,
  };
}

describe.each(DATABASE_KINDS)("the recurring service on %s", (kind) => {
  const cleanup = new Cleanup();
  const prefix = `recurring-${kind}-${uniqueTag()}.`;
  let backend: Backend;
  let backendSidecar: Sidecar;
  let recorder: TestApp;
  let reader: TopicReader;
  let store: TestStore;
  let recurring: Recurring;
  let sidecar: Sidecar | undefined;

  /** Starts the service on its store, then its sidecar (which invokes the backend through the recorder). */
  async function startRecurringPair() {
    const daprPort = await freePort();
    recurring = await startTestRecurring({ ...store.env, DAPR_HTTP_PORT: String(daprPort) });
    sidecar = await startRecurringSidecar({
      recurringPort: recurring.port,
      httpPort: daprPort,
      topicPrefix: prefix,
      backendUrl: recorder.url,
    });
  }

  /** As a pod stops: the sidecar leaves the consumer group (in-flight deliveries stay uncommitted), then the service drains. */
  async function stopRecurringPair() {
    await sidecar?.stop();
    await recurring.close();
  }

  beforeAll(async () => {
    await createTopics(prefix);
    const backendStore = cleanup.add(await testStore(kind, `recurring_backend_${kind}`));
    store = cleanup.add(await testStore(kind, `recurring_${kind}`));
    const backendDaprPort = await freePort();
    backend = await startTestBackend({ ...backendStore.env, DAPR_HTTP_PORT: String(backendDaprPort) });
    cleanup.add({ stop: () => backend.close() });
    backendSidecar = cleanup.add(
      await startBackendSidecar({ backendPort: backend.port, httpPort: backendDaprPort, topicPrefix: prefix }),
    );
    recorder = cleanup.add(await startBackendRecorder(backend.url));
    reader = cleanup.add(await TopicReader.start(prefix));
    await startRecurringPair();
    cleanup.add({ stop: () => stopRecurringPair() });
  });
  afterAll(() => cleanup.run());

  /** Publishes a CloudEvent unchanged to task-events through the backend's sidecar, keyed by its user. */
  async function publishTaskEvent(event: object, user: string) {
    const answer = await publish(backendSidecar.url, PUBSUB, TASK_EVENTS, JSON.stringify(event), {
      contentType: "application/cloudevents+json",
      query: { "metadata.partitionKey": user },
    });
    expect(answer.status).toBe(204);
  }

  /** The user's tasks whose parent is `taskId`: the next occurrences created for it. */
  async function nextOccurrencesOf(api: Api, taskId: number): Promise<TaskSnapshot[]> {
    const page = await api.request<{ items: TaskSnapshot[] }>("GET", "/api/tasks?limit=100");
    return page.body.items.filter((task) => task.parent_task_id === taskId);
  }

  /** Creates a task over REST, completes it, and waits until the recurring service has handled every event so far. */
  async function completeAndWait(api: Api, user: string, body: Record<string, unknown>) {
    const task = (await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body;
    expect((await api.request("POST", `/api/tasks/${task.task_id}/complete`)).status).toBe(200);
    await waitFor(
      () => reader.of(user).some((r) => r.event.type === COMPLETED && dataOf(r).task_id === task.task_id),
      `the task.completed event of task ${task.task_id}`,
    );
    await waitUntilHandled(reader, prefix);
    return { task, next: await nextOccurrencesOf(api, task.task_id) };
  }

  const dataOf = (record: ReadEvent) => record.event.data as Record<string, unknown>;
  const deadLettersOf = (user: string) => reader.of(user).filter((r) => r.topic === DEAD_LETTERS);
  /** The next-occurrence requests that reached the backend for a user. */
  const requestsFor = (user: string) =>
    recorder.requests.filter((r) => (r.json as { user_id?: unknown } | undefined)?.user_id === user);

  it("is live and ready with its database, and answers GET /dapr/subscribe with the catalog's subscriptions, to its sidecar only", async () => {
    const caller = new Api(recurring.url);
    expect(await caller.request("GET", "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    expect(await caller.request("GET", "/readyz")).toEqual({
      status: 200,
      body: { status: "ready", checks: { database: "ok" } },
    });
    expect(await caller.request("GET", "/dapr/subscribe", undefined, FROM_SIDECAR)).toEqual({
      status: 200,
      body: programmaticSubscriptions(APPS.recurring),
    });
    const user = newUser("intruder");
    const event = contractEvent(COMPLETED, { task_id: 1, user_id: user, is_recurring: true });
    const refused: Record<string, string>[] = [{}, { "dapr-api-token": "not-the-token" }, { "dapr-api-token": "" }];
    for (const headers of refused) {
      const subscribe = await caller.request("GET", "/dapr/subscribe", undefined, headers);
      expect(subscribe.status, JSON.stringify(headers)).toBe(401);
      const delivery = await caller.request("POST", "/events/task-completed", JSON.stringify(event), {
        ...headers,
        "content-type": "application/cloudevents+json",
      });
      expect(delivery.status, JSON.stringify(headers)).toBe(401);
    }
    expect(requestsFor(user)).toEqual([]);
  });

  it("creates exactly one next occurrence when the same task.completed event is delivered three times", async () => {
    const user = newUser("triple");
    const api = await Api.as(backend.url, user);
    const task = (
      await api.request<TaskSnapshot>("POST", "/api/tasks", {
        title: "Stretch",
        tags: ["health"],
        recurrence: "daily",
        due_date: "2031-03-10T07:00:00Z",
      })
    ).body;
    await api.request("POST", `/api/tasks/${task.task_id}/complete`);
    const completed = await waitFor(
      () => reader.of(user).find((r) => r.event.type === COMPLETED)?.event,
      "the task.completed event on Kafka",
    );
    // The very same CloudEvent, same id, twice more: what a redelivery or a producer's retry looks like.
    await publishTaskEvent(completed, user);
    await publishTaskEvent(completed, user);
    await waitFor(
      () => reader.of(user).filter((r) => r.topic === TASK_EVENTS && r.event.id === completed.id).length === 3,
      "three deliveries of the event on task-events",
    );
    await waitUntilHandled(reader, prefix);

    const next = await nextOccurrencesOf(api, task.task_id);
    expect(next).toHaveLength(1);
    expect(next[0]).toMatchObject({
      title: "Stretch",
      tags: ["health"],
      recurrence: "daily",
      due_date: "2031-03-11T07:00:00.000Z",
      completed: false,
      user_id: user,
    });
    // Asked once: the second and third deliveries found the event recorded and made no call.
    expect(requestsFor(user).map((r) => [r.method, r.path, r.json])).toEqual([
      ["POST", `/internal/tasks/${task.task_id}/next-occurrence`, { event_id: completed.id, user_id: user }],
    ]);
    const recorded = await recurring.database.db
      .selectFrom("next_occurrences")
      .select(["user_id", "task_id", "next_task_id", "created"])
      .where("event_key", "=", processedEventKey(completed))
      .execute();
    expect(recorded).toEqual([
      {
        user_id: user,
        task_id: String(task.task_id),
        next_task_id: String(next[0]?.task_id),
        created: true,
      },
    ]);
    expect(deadLettersOf(user)).toEqual([]);
  });

  it("monthly from 31 January: 28 February in 2026, 29 February in the leap year 2028", async () => {
    const user = newUser("monthly");
    const api = await Api.as(backend.url, user);
    const monthly = { title: "Rent", recurrence: "monthly", time_zone: "UTC" };
    const in2026 = await completeAndWait(api, user, { ...monthly, due_date: "2026-01-31T09:00:00Z" });
    expect(in2026.next.map((t) => t.due_date)).toEqual(["2026-02-28T09:00:00.000Z"]);
    const in2028 = await completeAndWait(api, user, { ...monthly, due_date: "2028-01-31T09:00:00Z" });
    expect(in2028.next.map((t) => t.due_date)).toEqual(["2028-02-29T09:00:00.000Z"]);
  });

  it("daily at 09:00 in Europe/Berlin stays 09:00 local across the start of summer time (29 March 2026)", async () => {
    const user = newUser("berlin");
    const api = await Api.as(backend.url, user);
    const { next } = await completeAndWait(api, user, {
      title: "Stand-up",
      recurrence: "daily",
      time_zone: "Europe/Berlin",
      due_date: "2026-03-28T08:00:00Z",
    });
    // 09:00 CET is 08:00Z; the next day 09:00 CEST is 07:00Z (UTC arithmetic would give 10:00 local).
    expect(next).toMatchObject([{ due_date: "2026-03-29T07:00:00.000Z", time_zone: "Europe/Berlin" }]);
  });

  it("accepts events with only the contract's required fields: task.created does nothing, a minimal task.completed asks the backend", async () => {
    const user = newUser("minimal");
    const api = await Api.as(backend.url, user);
    // The backend's completion of a task without recurrence says is_recurring: false, and asks nothing.
    const { task: once, next: none } = await completeAndWait(api, user, { title: "once" });
    expect(none).toEqual([]);
    expect((await api.request("PATCH", `/api/tasks/${once.task_id}`, { recurrence: "weekly" })).status).toBe(200);

    const created = contractEvent("com.taskmanager.task.created", { task_id: 1, user_id: user });
    const completed = contractEvent(COMPLETED, { task_id: once.task_id, user_id: user });
    await publishTaskEvent(created, user);
    await publishTaskEvent(completed, user);
    await waitFor(
      () => reader.of(user).some((r) => r.event.id === completed.id),
      "the minimal task.completed event on Kafka",
    );
    await waitUntilHandled(reader, prefix);

    // Without is_recurring the backend is asked, and it decides: the task recurs now, so it has a next occurrence.
    expect(requestsFor(user).map((r) => [r.path, r.json])).toEqual([
      [`/internal/tasks/${once.task_id}/next-occurrence`, { event_id: completed.id, user_id: user }],
    ]);
    expect(await nextOccurrencesOf(api, once.task_id)).toMatchObject([{ recurrence: "weekly", completed: false }]);
    expect(deadLettersOf(user)).toEqual([]);
    // An ignored event leaves nothing behind.
    const kept = await recurring.database.db
      .selectFrom("processed_events")
      .select("event_key")
      .where("event_key", "in", [created, completed].map(processedEventKey))
      .execute();
    expect(kept).toEqual([{ event_key: processedEventKey(completed) }]);
  });

  it("drops a task.completed of an unknown task, and one that breaks the contract, to dead-letters with their key", async () => {
    const user = newUser("dropped");
    const unknown = contractEvent(COMPLETED, { task_id: 987_654_321, user_id: user, is_recurring: true });
    const broken = contractEvent(COMPLETED, { task_id: "7", user_id: user, is_recurring: true });
    await publishTaskEvent(unknown, user);
    await publishTaskEvent(broken, user);
    const letters = await waitFor(
      () => deadLettersOf(user).length >= 2 && deadLettersOf(user),
      "two dead letters of the user",
    );
    expect(letters.map((r) => r.key)).toEqual([user, user]);
    expect(letters.map((r) => r.event)).toEqual([expect.objectContaining(unknown), expect.objectContaining(broken)]);
    // The unknown task was asked for once (404: DROP, no retry); the broken event never reached the handler.
    expect(requestsFor(user).map((r) => r.path)).toEqual(["/internal/tasks/987654321/next-occurrence"]);
    await waitUntilHandled(reader, prefix);
    expect(deadLettersOf(user)).toHaveLength(2);
  });

  it("loses nothing when stopped and restarted mid-stream: events published while it was down are handled after", async () => {
    const user = newUser("restart");
    const api = await Api.as(backend.url, user);
    const tasks: TaskSnapshot[] = [];
    for (let day = 1; day <= 6; day += 1) {
      const body = { title: `Run ${day}`, recurrence: "daily", due_date: `2031-06-0${day}T06:00:00Z` };
      tasks.push((await api.request<TaskSnapshot>("POST", "/api/tasks", body)).body);
    }
    const complete = (task: TaskSnapshot) => api.request("POST", `/api/tasks/${task.task_id}/complete`);
    for (const task of tasks.slice(0, 3)) await complete(task);
    // Down while the first completions are on their way.
    await stopRecurringPair();
    for (const task of tasks.slice(3)) await complete(task);
    await waitFor(
      () => reader.of(user).filter((r) => r.event.type === COMPLETED).length === 6,
      "six task.completed events on Kafka",
    );

    await startRecurringPair();
    await waitUntilHandled(reader, prefix, 60_000);
    for (const [i, task] of tasks.entries()) {
      expect(await nextOccurrencesOf(api, task.task_id), task.title).toMatchObject([
        { due_date: `2031-06-0${i + 2}T06:00:00.000Z`, completed: false },
      ]);
    }
    const recorded = await recurring.database.db
      .selectFrom("next_occurrences")
      .select("task_id")
      .where("user_id", "=", user)
      .execute();
    expect(recorded.map((r) => Number(r.task_id)).sort((a, b) => a - b)).toEqual(tasks.map((t) => t.task_id));
    expect(deadLettersOf(user)).toEqual([]);
  });

  it("shuts down gracefully: an in-flight delivery finishes, and a delivery after the drain began is answered 503 RETRY", async () => {
    const user = newUser("shutdown");
    const api = await Api.as(backend.url, user);
    const { task, next } = await completeAndWait(api, user, { title: "Water", recurrence: "weekly" });
    expect(next).toHaveLength(1);
    // Deliveries straight to the service, as its sidecar makes them; these events are on no topic.
    const deliver = (event: object) =>
      new Api(recurring.url).request<{ status: string }>("POST", "/events/task-completed", JSON.stringify(event), {
        ...FROM_SIDECAR,
        "content-type": "application/cloudevents+json",
      });
    const inFlight = contractEvent(COMPLETED, { task_id: task.task_id, user_id: user, is_recurring: true });
    const late = contractEvent(COMPLETED, { task_id: task.task_id, user_id: user, is_recurring: true });

    // Hold the delivery in its database transaction: on PostgreSQL the same event's row waits for this
    // transaction, on PGlite (one session) every query does.
    const rollback = new Error("rolled back by the test");
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = () => {};
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const hold = recurring.database.db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto("processed_events")
          .values({ event_key: processedEventKey(inFlight) })
          .execute();
        holding();
        await released;
        throw rollback;
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error;
      });
    await held;
    const first = deliver(inFlight);
    await waitFor(() => recurring.subscriber.inFlight === 1, "the delivery in flight");

    const closing = recurring.close();
    expect(await deliver(late)).toEqual({ status: 503, body: { status: "RETRY" } });
    release();
    await hold;
    expect(await first).toEqual({ status: 200, body: { status: "SUCCESS" } });
    await closing;

    expect(requestsFor(user).map((r) => (r.json as { event_id: string }).event_id)).toEqual([
      expect.any(String),
      inFlight.id,
    ]);
    // The in-flight event has another id than the first completion's: the backend answered it with the same next
    // task (200), so the completed task still has one next occurrence.
    expect(await nextOccurrencesOf(api, task.task_id)).toEqual(next);
  });

  it("is not ready once its database is closed", async () => {
    const own = await testStore(kind, `recurring_ready_${kind}`);
    const service = await startTestRecurring({ ...own.env, DAPR_HTTP_PORT: String(await freePort()) });
    try {
      const caller = new Api(service.url);
      expect((await caller.request("GET", "/readyz")).status).toBe(200);
      await service.database.close();
      expect(await caller.request("GET", "/readyz")).toEqual({
        status: 503,
        body: { status: "not ready", checks: { database: expect.any(String) } },
      });
      expect((await caller.request("GET", "/healthz")).status).toBe(200);
    } finally {
      await service.close();
      await own.stop();
    }
  });
});
