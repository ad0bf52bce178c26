// The desk's HTTP surface on both databases, deliveries made as its sidecar makes them: filters and paging, the operator role, 400s naming the field, any body taken, the sidecar's routes, health and log alerts.
import { setTimeout as sleep } from "node:timers/promises";
import { unpublishedHead } from "@event-platform/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import { APPS } from "../../../specs/apps";
import { programmaticSubscriptions } from "../../../specs/subscriptions";
import type { DeadLetterDesk } from "../src/app";
import type { DeadLetterDetail, DeadLetterPage } from "../src/store";
import {
  Api,
  Cleanup,
  contractEvent,
  DATABASE_KINDS,
  DESK,
  deliver,
  fromSidecar,
  newUser,
  operatorApi,
  startTestDesk,
  testStore,
  tokenFor,
  uniqueTag,
  waitFor,
} from "./harness";

const SUCCESS = { status: 200, body: { status: "SUCCESS" } };

describe.each(DATABASE_KINDS)("dead-letter desk API on %s", (kind) => {
  const cleanup = new Cleanup();
  let desk: DeadLetterDesk;
  let api: Api;

  beforeAll(async () => {
    const store = cleanup.add(await testStore(kind, `dead_letters_api_${kind}`));
    // No sidecar: replays wait in the outbox, which these tests do not look at.
    desk = await startTestDesk({ ...store.env, DAPR_HTTP_PORT: String(await freePort()) });
    cleanup.add({ stop: () => desk.close() });
    ({ api } = await operatorApi(desk.url));
  });
  afterAll(() => cleanup.run());

  /** Delivers a contract event as dead-lettered from `topic`, keyed by its user. */
  const deliverEvent = async (topic: string, event: Record<string, unknown>) => {
    const key = (event.data as { user_id: string }).user_id;
    expect(await deliver(desk, JSON.stringify(event), { __topic: topic, __key: key })).toEqual(SUCCESS);
  };
  const listed = async (query: string) => {
    const answer = await api.request<DeadLetterPage>("GET", `/api/dead-letters?${query}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const eventIds = async (query: string) => (await listed(query)).items.map((item) => item.event_id);

  it("lists by topic, type, subscriber and time, the most recently seen first, in pages", async () => {
    const user = newUser("dl-filters");
    const since = new Date().toISOString();
    const completed = contractEvent("com.taskmanager.task.completed", { task_id: 1, user_id: user });
    const scheduled = contractEvent("com.taskmanager.reminder.scheduled", { task_id: 1, user_id: user });
    const changed = contractEvent("com.taskmanager.ui.task_list_changed", { user_id: user, action: "refresh" });
    const deleted = contractEvent("com.taskmanager.task.deleted", { task_id: 1, user_id: user });
    await deliverEvent("task-events", completed);
    await sleep(5);
    await deliverEvent("reminders", scheduled);
    await sleep(5);
    await deliverEvent("task-updates", changed);
    await sleep(5);
    const middle = new Date().toISOString();
    await sleep(5);
    await deliverEvent("task-events", deleted);

    const s = `since=${encodeURIComponent(since)}`;
    expect(await eventIds(s)).toEqual([deleted.id, changed.id, scheduled.id, completed.id]);
    expect(await eventIds(`${s}&topic=task-events`)).toEqual([deleted.id, completed.id]);
    expect(await eventIds(`${s}&type=com.taskmanager.reminder.scheduled`)).toEqual([scheduled.id]);
    expect(await eventIds(`${s}&subscriber=gateway`)).toEqual([changed.id]);
    expect(await eventIds(`${s}&subscriber=backend`)).toEqual([]);
    expect(await eventIds(`since=${encodeURIComponent(middle)}`)).toEqual([deleted.id]);
    expect(await eventIds(`${s}&until=${encodeURIComponent(middle)}`)).toEqual([
      changed.id,
      scheduled.id,
      completed.id,
    ]);
    const page = await listed(`${s}&limit=2&offset=1`);
    expect(page).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.items.map((item) => item.event_id)).toEqual([changed.id, scheduled.id]);

    // Seen again: one entry, counted, and the most recent now.
    await deliverEvent("task-events", completed);
    expect(await eventIds(s)).toEqual([completed.id, deleted.id, changed.id, scheduled.id]);
    expect((await listed(`${s}&topic=task-events`)).items.map((item) => item.count)).toEqual([2, 1]);
  });

  it("answers 401 without a valid token and 403 to a user without the operator role, on every route", async () => {
    // With an operator's token: the list, and no such entry to read or replay.
    const routes = [
      ["GET", "/api/dead-letters", 200],
      ["GET", "/api/dead-letters/999999999", 404],
      ["POST", "/api/dead-letters/999999999/replay", 404],
    ] as const;
    const user = new Api(desk.url, await tokenFor(newUser("dl-user")));
    const otherRole = new Api(desk.url, await tokenFor(newUser("dl-viewer"), { roles: ["viewer"] }));
    const forged = new Api(desk.url, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
    // The claim may hold one role as a plain string.
    const operator = new Api(desk.url, await tokenFor(newUser("dl-operator"), { roles: "operator" }));
    for (const [method, path, status] of routes) {
      expect((await new Api(desk.url).request(method, path)).status).toBe(401);
      expect((await forged.request(method, path)).status).toBe(401);
      expect((await user.request(method, path)).status).toBe(403);
      expect((await otherRole.request(method, path)).status).toBe(403);
      expect((await operator.request(method, path)).status).toBe(status);
    }
  });

  it("refuses bad filters and ids with 400 naming the field, and answers 404 for an unknown entry", async () => {
    const cases: [string, string, string][] = [
      ["GET", "/api/dead-letters?topic=no%20spaces", "/querystring/topic"],
      ["GET", "/api/dead-letters?type=", "/querystring/type"],
      ["GET", "/api/dead-letters?subscriber=nobody", "/querystring/subscriber"],
      ["GET", "/api/dead-letters?since=yesterday", "/querystring/since"],
      ["GET", "/api/dead-letters?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "/querystring/until"],
      ["GET", "/api/dead-letters?limit=0", "/querystring/limit"],
      ["GET", "/api/dead-letters?limit=101", "/querystring/limit"],
      ["GET", "/api/dead-letters?offset=-1", "/querystring/offset"],
      ["GET", "/api/dead-letters?colour=red", "/querystring/colour"],
      ["GET", "/api/dead-letters/abc", "/params/id"],
      ["GET", "/api/dead-letters/0", "/params/id"],
      ["GET", "/api/dead-letters/0123", "/params/id"],
      ["POST", "/api/dead-letters/1234567890123456/replay", "/params/id"],
    ];
    for (const [method, path, field] of cases) {
      const answer = await api.request<{ violations: { path: string }[] }>(method, path);
      expect({ path, status: answer.status, fields: answer.body.violations.map((v) => v.path) }).toEqual({
        path,
        status: 400,
        fields: [field],
      });
    }
    expect((await api.request("GET", "/api/dead-letters/999999999")).status).toBe(404);
    expect((await api.request("POST", "/api/dead-letters/999999999/replay")).status).toBe(404);
  });

  it("takes any body and answers SUCCESS; what it cannot republish gets a 409 saying why", async () => {
    const tag = uniqueTag();
    const user = newUser("dl-bodies");
    const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    // What a sidecar delivers for a record on a subscription with rawPayload: "true" (contrib FromRawPayload).
    const envelope = JSON.stringify({
      id: "3f1c1f8e-7c55-4a7b-9d0e-0d5c9b0a6e11",
      specversion: "1.0",
      datacontenttype: "application/octet-stream",
      source: "Dapr",
      type: "com.dapr.event.sent",
      topic: "dead-letters",
      pubsubname: "kafka-pubsub",
      data_base64: base64("binary\u0000junk"),
    });
    const noUser = contractEvent("com.taskmanager.ui.task_list_changed", { action: "refresh" });
    const bodies: { name: string; body: string; headers: Record<string, string> }[] = [
      { name: "text", body: "<xml>not json</xml>", headers: {} },
      { name: "enveloped", body: envelope, headers: { __partition: "2", __offset: "9" } },
      { name: "deep", body: `${"[".repeat(100)}${"]".repeat(100)}`, headers: {} },
      { name: "large", body: "x".repeat(600_000), headers: {} },
      { name: "empty", body: "", headers: {} },
      { name: "array", body: "[1,2,3]", headers: {} },
      { name: "nokey", body: JSON.stringify(noUser), headers: {} },
    ];
    for (const { name, body, headers } of bodies) {
      expect({ name, answer: await deliver(desk, body, { __topic: `edge-${tag}-${name}`, ...headers }) }).toEqual({
        name,
        answer: SUCCESS,
      });
    }
    // Neither an original topic nor a key: still stored.
    const orphan = contractEvent("com.taskmanager.task.deleted", { task_id: 9, user_id: user });
    expect(await deliver(desk, JSON.stringify({ ...orphan, topic: undefined }))).toEqual(SUCCESS);
    const task = contractEvent("com.taskmanager.task.deleted", { task_id: 9, user_id: user });
    expect(await deliver(desk, JSON.stringify(task), { __topic: "task-updates" })).toEqual(SUCCESS);
    const noKey = contractEvent("com.taskmanager.ui.task_list_changed", { action: "refresh" });
    expect(await deliver(desk, JSON.stringify(noKey), { __topic: "task-updates" })).toEqual(SUCCESS);

    const entryOn = async (topic: string) => {
      const [item] = (await listed(`topic=${topic}`)).items;
      return (await api.request<DeadLetterDetail>("GET", `/api/dead-letters/${item?.id}`)).body;
    };
    const enveloped = await entryOn(`edge-${tag}-enveloped`);
    expect(enveloped).toMatchObject({
      raw_body: "binary\uFFFDjunk",
      partition: 2,
      offset: "9",
      error: expect.stringMatching(/^not JSON: /),
    });
    for (const name of ["text", "deep", "large", "empty"]) {
      const entry = await entryOn(`edge-${tag}-${name}`);
      expect({ name, raw: typeof entry.raw_body, error: entry.error }).toEqual({
        name,
        raw: "string",
        error: expect.stringMatching(/^not JSON: /),
      });
    }
    expect((await entryOn(`edge-${tag}-large`)).raw_body).toHaveLength(600_000);
    expect((await entryOn(`edge-${tag}-array`)).event).toEqual([1, 2, 3]);

    const refusal = async (id: number) => {
      const answer = await api.request<{ message: string }>("POST", `/api/dead-letters/${id}/replay`);
      expect(answer.status).toBe(409);
      return answer.body.message;
    };
    expect(await refusal(enveloped.id)).toBe(
      `Dead letter ${enveloped.id} was stored raw (its body is not JSON): there is no event to replay`,
    );
    const array = await entryOn(`edge-${tag}-array`);
    expect(await refusal(array.id)).toMatch(/is JSON but not a CloudEvent/);
    const orphanId = (await listed("limit=100")).items.find((item) => item.event_id === orphan.id)?.id ?? 0;
    expect(await refusal(orphanId)).toBe(
      `Dead letter ${orphanId} came from an unknown topic; the desk replays only to task-events, reminders, task-updates`,
    );
    const misplaced = await entryOn(`edge-${tag}-nokey`);
    expect(await refusal(misplaced.id)).toMatch(/came from topic "edge-[0-9a-f]+-nokey"; the desk replays only to/);
    const keyless = (await listed("topic=task-updates&limit=100")).items.find((item) => item.event_id === noKey.id);
    expect(await refusal(keyless?.id ?? 0)).toBe(
      `Dead letter ${keyless?.id} has no original key (no __key header, no data.user_id): it cannot keep its partition`,
    );
    // The key falls back to the event's user, every source topic's key.
    const byUser = (await listed("topic=task-updates&limit=100")).items.find((item) => item.event_id === task.id);
    expect(byUser).toMatchObject({ key: user, replayable: true });
    expect((await api.request("POST", `/api/dead-letters/${byUser?.id}/replay`)).status).toBe(202);
  });

  it("replays a JSON dead letter with the very text it came with; a key with a NUL gets a 409, not another key", async () => {
    const user = newUser("dl-bytes");
    const event = contractEvent("com.taskmanager.task.deleted", { task_id: 1, user_id: user });
    // What a parse and a stringify would change: a number beyond 2^53, one beyond float64, a duplicate key, spacing.
    const text = JSON.stringify({ ...event, topic: "task-updates" })
      .replace('"task_id":1', '"task_id":9007199254740993, "huge": 1e400, "task_id" :9007199254740993')
      .replace("{", "{ ");
    expect(await deliver(desk, text, { __topic: "task-updates", __key: user })).toEqual(SUCCESS);
    const entryId = (await listed("topic=task-updates&limit=100")).items.find((i) => i.event_id === event.id)?.id;
    expect(entryId).toBeDefined();
    const entry = (await api.request<DeadLetterDetail>("GET", `/api/dead-letters/${entryId}`)).body;
    expect(entry).toMatchObject({ key: user, replayable: true });
    expect((await api.request("POST", `/api/dead-letters/${entryId}/replay`)).status).toBe(202);
    const head = await unpublishedHead(desk.database.db, 1_000);
    const replayed = head.filter((record) => record.partitionKey === user);
    expect(replayed.map((record) => record.eventJson)).toEqual([text]);

    // A key with a NUL (as a record can carry it) is kept exactly, shown readably, and refused a replay under
    // another key: the outbox's key column is text.
    const nul = contractEvent("com.taskmanager.task.deleted", { task_id: 2, user_id: user });
    expect(await deliver(desk, JSON.stringify(nul), { __topic: "task-updates", __key: user })).toEqual(SUCCESS);
    const nulId = (await listed("topic=task-updates&limit=100")).items.find((i) => i.event_id === nul.id)?.id;
    await desk.database.db
      .updateTable("dead_letters")
      .set({ original_key_bytes: Buffer.from(`${user}\u0000tail`, "utf8") })
      .where("id", "=", String(nulId))
      .execute();
    const refused = await api.request<{ message: string }>("POST", `/api/dead-letters/${nulId}/replay`);
    expect(refused).toMatchObject({
      status: 409,
      body: { message: expect.stringMatching(/has a NUL in its original key/) },
    });
  });

  it("answers GET /dapr/subscribe with the catalog's subscription, and refuses the sidecar's routes without the app token", async () => {
    const subscribe = await fetch(`${desk.url}/dapr/subscribe`, { headers: fromSidecar(DESK) });
    expect(subscribe.status).toBe(200);
    expect(await subscribe.json()).toEqual(programmaticSubscriptions(APPS.deadLetters));
    expect((await fetch(`${desk.url}/dapr/subscribe`)).status).toBe(401);
    const wrongToken = { "dapr-api-token": "x".repeat(40) };
    expect((await fetch(`${desk.url}/dapr/subscribe`, { headers: wrongToken })).status).toBe(401);
    const delivery = await fetch(`${desk.url}/events/dead-letter`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: "{}",
    });
    expect(delivery.status).toBe(401);
  });

  it("is live and ready while its database answers", async () => {
    const live = await fetch(`${desk.url}/healthz`);
    expect([live.status, await live.json()]).toEqual([200, { status: "ok" }]);
    const ready = await fetch(`${desk.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", checks: { database: "ok" } }]);
  });

  it("without a webhook, logs each new entry's alert and marks it alerted", async () => {
    const event = contractEvent("com.taskmanager.task.deleted", { task_id: 5, user_id: newUser("dl-log") });
    await deliverEvent("task-events", event);
    await waitFor(async () => {
      const item = (await listed("topic=task-events&limit=100")).items.find((i) => i.event_id === event.id);
      return item?.alerted_at !== null && item?.alerted_at !== undefined;
    }, "the entry marked alerted");
  });
});
