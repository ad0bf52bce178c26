// The desk on a real broker behind the development sidecar, on both databases: dead letters made for real by failing subscribers, stored with their origin, counted once per event, replayed under their key, raw records taken, signed alerts, and an orderly shutdown.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { saramaPartition } from "../../../local/sidecar/kafka-publisher";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import { type AppRequest, committedOffsets, startTestApp, type TestApp } from "../../../local/sidecar/test-kit";
import type { DeadLetterDesk } from "../src/app";
import type { DeadLetterDetail, ReplayRecord } from "../src/store";
import {
  type Api,
  Cleanup,
  contractEvent,
  createTopics,
  DATABASE_KINDS,
  DESK,
  entryOf,
  newUser,
  operatorApi,
  produce,
  publishThrough,
  startDeskWithSidecar,
  startFailingSubscriber,
  TopicReader,
  testStore,
  uniqueTag,
  waitFor,
} from "./harness";

const DROP = { body: { status: "DROP" } };
const deliveriesOf = (app: TestApp, eventId: unknown) =>
  app.requests.filter((r) => (r.json as { id?: unknown } | undefined)?.id === eventId);

describe.each(DATABASE_KINDS)("dead-letter desk on %s", (kind) => {
  const cleanup = new Cleanup();
  const prefix = `dead-letters-${kind}-${uniqueTag()}.`;
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  let desk: DeadLetterDesk;
  let deskSidecar: Sidecar;
  let reader: TopicReader;
  let webhook: TestApp;
  let api: Api;
  let operator: string;
  // The recurring stand-in refuses every event until the test "fixes" it.
  let recurringFixed = false;
  let recurring: Awaited<ReturnType<typeof startFailingSubscriber>>;
  let notification: Awaited<ReturnType<typeof startFailingSubscriber>>;
  let gatewayPods: Awaited<ReturnType<typeof startFailingSubscriber>>[];

  beforeAll(async () => {
    await createTopics(prefix);
    const store = cleanup.add(await testStore(kind, `dead_letters_desk_${kind}`));
    webhook = cleanup.add(await startTestApp(() => ({ status: 204 })));
    ({ desk, sidecar: deskSidecar } = await startDeskWithSidecar(
      { ...store.env, ALERT_WEBHOOK_URL: `${webhook.url}/alerts`, ALERT_WEBHOOK_SECRET: secret },
      prefix,
    ));
    cleanup.add({ stop: () => desk.close() });
    cleanup.add(deskSidecar);
    reader = cleanup.add(await TopicReader.start(prefix));
    const tag = uniqueTag();
    const started = await Promise.all([
      startFailingSubscriber({ appId: "recurring", topicPrefix: prefix, answer: () => (recurringFixed ? {} : DROP) }),
      startFailingSubscriber({ appId: "notification", topicPrefix: prefix, answer: () => ({ status: 500 }) }),
      // Two gateway pods: each has a consumer group of its own ({podName}), so each gets every update.
      startFailingSubscriber({ appId: "gateway", topicPrefix: prefix, instanceId: `gw-a-${tag}`, answer: () => DROP }),
      startFailingSubscriber({ appId: "gateway", topicPrefix: prefix, instanceId: `gw-b-${tag}`, answer: () => DROP }),
    ]);
    for (const subscriber of started) cleanup.add(subscriber);
    [recurring, notification, ...gatewayPods] = started as [
      typeof recurring,
      typeof notification,
      ...typeof gatewayPods,
    ];
    ({ api, userId: operator } = await operatorApi(desk.url));
  });
  afterAll(() => cleanup.run());

  it("stores an event its subscriber dropped with its original topic, subscriber and error; a replay republishes it to that topic under its key and records who and when", async () => {
    const user = newUser("dl-replay");
    const event = contractEvent("com.taskmanager.task.completed", { task_id: 1, user_id: user, is_recurring: true });
    await publishThrough(deskSidecar, "task-events", event, user);

    const entry = await entryOf(api, event.id as string);
    expect(entry).toMatchObject({
      topic: "task-events",
      key: user,
      subscribers: ["recurring"],
      event_id: event.id,
      event_source: "/tasks/backend",
      event_type: "com.taskmanager.task.completed",
      error: `delivery failed after the subscriber's retries or was dropped by it; see the subscriber's log for event ${event.id}`,
      count: 1,
      replayable: true,
      replays: [],
    });
    // As it came off the topic: Dapr's topic and pubsubname fields included.
    expect(entry.event).toMatchObject({ ...event, topic: "task-events", pubsubname: "kafka-pubsub" });
    expect(deliveriesOf(recurring.app, event.id)).toHaveLength(1);

    recurringFixed = true;
    const before = Date.now();
    const first = await api.request<ReplayRecord>("POST", `/api/dead-letters/${entry.id}/replay`);
    const second = await api.request<ReplayRecord>("POST", `/api/dead-letters/${entry.id}/replay`);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(first.body).toMatchObject({
      dead_letter_id: entry.id,
      topic: "task-events",
      key: user,
      replayed_by: operator,
    });

    const onTopic = () => reader.of(user).filter((r) => r.topic === "task-events" && r.event.id === event.id);
    await waitFor(() => onTopic().length === 3, "the original and two replays on task-events");
    const records = onTopic();
    expect(new Set(records.map((r) => `${r.key}/${r.partition}`))).toEqual(
      new Set([`${user}/${records[0]?.partition}`]),
    );
    expect(records[2]?.event).toMatchObject({ id: event.id, source: event.source, type: event.type, data: event.data });
    // The fixed subscriber took both replays; nothing new was dead-lettered.
    await waitFor(() => deliveriesOf(recurring.app, event.id).length === 3, "both replays delivered to the subscriber");

    const after = (await api.request<DeadLetterDetail>("GET", `/api/dead-letters/${entry.id}`)).body;
    expect(after.count).toBe(1);
    expect(after.replays).toEqual([first.body, second.body]);
    for (const replay of after.replays) {
      expect(Date.parse(replay.replayed_at)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(replay.replayed_at)).toBeLessThanOrEqual(Date.now() + 1_000);
    }
  });

  it("stores an event its subscriber failed with HTTP 500 through every retry, naming the contract violations it has", async () => {
    const user = newUser("dl-retries");
    const event = contractEvent("com.taskmanager.reminder.scheduled", { task_id: 2, user_id: user });
    await publishThrough(deskSidecar, "reminders", event, user);

    const entry = await entryOf(api, event.id as string);
    expect(entry).toMatchObject({ topic: "reminders", key: user, subscribers: ["notification"], count: 1 });
    expect(entry.error).toMatch(/^breaks the contract of reminders: \/data\/remind_at must have required property/);
    // One attempt and the inbound policy's three retries (local settings), then the dead-letter topic.
    expect(deliveriesOf(notification.app, event.id)).toHaveLength(4);
  });

  it("makes one entry with count 2 of an event that two gateway pods dead-lettered", async () => {
    const user = newUser("dl-pods");
    const event = contractEvent("com.taskmanager.ui.task_list_changed", { user_id: user, action: "refresh" });
    await publishThrough(deskSidecar, "task-updates", event, user);

    const entry = await entryOf(api, event.id as string, (e) => e.count === 2);
    expect(entry).toMatchObject({ topic: "task-updates", key: user, subscribers: ["gateway"], count: 2 });
    expect(Date.parse(entry.last_seen_at)).toBeGreaterThanOrEqual(Date.parse(entry.first_seen_at));
    for (const pod of gatewayPods) expect(deliveriesOf(pod.app, event.id)).toHaveLength(1);
    const listed = await api.request<{ items: { event_id: string }[] }>("GET", "/api/dead-letters?topic=task-updates");
    expect(listed.body.items.filter((item) => item.event_id === event.id)).toHaveLength(1);
  });

  // A record that is not a JSON object at all never reaches the desk under the catalog's subscription: daprd fails
  // to read it as a CloudEvent and, with no dead-letter topic, redelivers it for ever (README, "Limit"). This is the
  // most daprd hands over of a record that is no event; api.int.test.ts delivers the rest as a rawPayload sidecar would.
  it("stores a dead letter that is no CloudEvent as it came, answers SUCCESS, and goes on with the records after it", async () => {
    const user = newUser("dl-raw");
    const original = (offset: string) => ({
      __topic: "task-events",
      __key: user,
      __partition: "1",
      __offset: offset,
      __timestamp: String(Date.now()),
      pubsubName: "kafka-pubsub",
    });
    const topic = `${prefix}${DESK}`;
    await produce({ topic, key: user, value: '{"not":"a CloudEvent\\u0000"}', headers: original("7") });
    const next = contractEvent("com.taskmanager.task.deleted", { task_id: 3, user_id: user });
    await produce({ topic, key: user, value: JSON.stringify(next), headers: original("8") });

    // The next record of the same partition was taken: the first did not hold it up.
    await entryOf(api, next.id as string);
    const listed = await api.request<{ items: DeadLetterDetail[] }>("GET", "/api/dead-letters?topic=task-events");
    const firstId = listed.body.items.find((item) => item.key === user && item.event_id === null)?.id;
    const first = (await api.request<DeadLetterDetail>("GET", `/api/dead-letters/${firstId}`)).body;
    expect(first).toMatchObject({
      topic: "task-events",
      partition: 1,
      offset: "7",
      subscribers: ["recurring"],
      event: { not: "a CloudEvent\u0000" },
      error: expect.stringMatching(/^breaks the contract of task-events: /),
      count: 1,
      replayable: false,
    });
    const replay = await api.request("POST", `/api/dead-letters/${firstId}/replay`);
    expect(replay).toEqual({
      status: 409,
      body: expect.objectContaining({
        message: `Dead letter ${firstId} is JSON but not a CloudEvent (no id or source): Dapr cannot republish it as one`,
      }),
    });

    // Answered SUCCESS: the desk's group committed past both records, and the first never came again.
    const partition = saramaPartition(Buffer.from(user), 3);
    const last = reader.records.filter((r) => r.topic === DESK && r.key === user).at(-1);
    await waitFor(async () => {
      const committed = (await committedOffsets(inject("kafkaBrokers"), `${prefix}${DESK}`, topic)).get(partition);
      return last !== undefined && committed !== undefined && committed > last.offset;
    }, "the desk's offset committed past both records");
    expect((await api.request<DeadLetterDetail>("GET", `/api/dead-letters/${firstId}`)).body.count).toBe(1);
  });

  it("stores a dead letter that is not JSON at all raw, answers SUCCESS, and goes on with the records after it", async () => {
    const user = newUser("dl-text");
    const headers = { __topic: "reminders", __key: user, __partition: "2", pubsubName: "kafka-pubsub" };
    const topic = `${prefix}${DESK}`;
    // Bytes daprd could not read as a CloudEvent: on a subscription without raw payloads they would stall the
    // partition for ever (this subscription has no dead-letter topic of its own).
    const text = "reminder for \u0000 task 9 <not json>";
    await produce({ topic, key: user, value: text, headers: { ...headers, __offset: "41" } });
    const next = contractEvent("com.taskmanager.reminder.cancelled", {
      task_id: 9,
      user_id: user,
      remind_at: "2026-12-01T09:00:00Z",
    });
    await produce({ topic, key: user, value: JSON.stringify(next), headers: { ...headers, __offset: "42" } });

    await entryOf(api, next.id as string);
    const listed = await api.request<{ items: DeadLetterDetail[] }>("GET", "/api/dead-letters?topic=reminders");
    const rawId = listed.body.items.find((item) => item.key === user && item.event_id === null)?.id;
    expect(rawId).toBeDefined();
    const raw = (await api.request<DeadLetterDetail>("GET", `/api/dead-letters/${rawId}`)).body;
    // Stored as text; PostgreSQL text holds no NUL, so that one character becomes U+FFFD (README).
    expect(raw).toMatchObject({
      topic: "reminders",
      offset: "41",
      subscribers: ["notification"],
      raw_body: text.replace("\u0000", "\uFFFD"),
    });
    expect(raw).not.toHaveProperty("event");
    expect((await api.request("POST", `/api/dead-letters/${rawId}/replay`)).status).toBe(409);
  });

  it("sends one signed alert per new entry to the webhook, none for a repeat", async () => {
    const user = newUser("dl-alerts");
    const headers = { __topic: "task-events", __key: user, __partition: "0", pubsubName: "kafka-pubsub" };
    const first = contractEvent("com.taskmanager.task.deleted", { task_id: 4, user_id: user });
    const second = contractEvent("com.taskmanager.task.deleted", { task_id: 5, user_id: user });
    const topic = `${prefix}${DESK}`;
    await produce({ topic, key: user, value: JSON.stringify(first), headers: { ...headers, __offset: "100" } });
    await produce({ topic, key: user, value: JSON.stringify(first), headers: { ...headers, __offset: "100" } });
    await produce({ topic, key: user, value: JSON.stringify(second), headers: { ...headers, __offset: "101" } });

    const entries = [
      await entryOf(api, first.id as string, (e) => e.count === 2 && e.alerted_at !== null),
      await entryOf(api, second.id as string, (e) => e.alerted_at !== null),
    ];
    // Longer than a few alert polls, so that a second alert would have shown up.
    await sleep(1_500);
    const alertOf = (request: AppRequest) => (request.json as { data?: { id?: number } } | undefined)?.data?.id;
    for (const entry of entries) {
      const alerts = webhook.requests.filter((r) => alertOf(r) === entry.id);
      expect(alerts).toHaveLength(1);
      const [alert] = alerts as [AppRequest];
      expect(alert.path).toBe("/alerts");
      const verified = new Webhook(secret).verify(alert.body.toString("utf8"), alert.headers as Record<string, string>);
      expect(verified).toEqual({
        type: "dead_letter.created",
        timestamp: expect.any(String),
        data: {
          id: entry.id,
          topic: "task-events",
          event_type: "com.taskmanager.task.deleted",
          subscribers: ["recurring"],
          event_id: entry.event_id,
          error: entry.error,
          first_seen_at: entry.first_seen_at,
        },
      });
    }
    // Across the whole file: no entry was alerted twice.
    const alerted = webhook.requests.map(alertOf);
    expect(new Set(alerted).size).toBe(alerted.length);
  });

  it("shuts down in order: a replay stored just before is still published, then nothing is served and the database is closed", async () => {
    const user = newUser("dl-shutdown");
    const event = contractEvent("com.taskmanager.task.deleted", { task_id: 6, user_id: user });
    await produce({
      topic: `${prefix}${DESK}`,
      key: user,
      value: JSON.stringify(event),
      headers: { __topic: "task-events", __key: user },
    });
    const entry = await entryOf(api, event.id as string);
    expect((await api.request("POST", `/api/dead-letters/${entry.id}/replay`)).status).toBe(202);
    await desk.close();

    await waitFor(
      () => reader.of(user).some((r) => r.topic === "task-events" && r.event.id === event.id),
      "the replay published before or during the shutdown",
    );
    await expect(fetch(`${desk.url}/healthz`)).rejects.toThrow();
    await expect(desk.database.ping()).rejects.toThrow();
  });
});
