// The REST API, health and the sidecar's routes, on both databases: JWT on /api, each user only their own notifications and preferences, bad input a 400 naming the field, the app token on /dapr/subscribe and the event routes.
import { randomUUID } from "node:crypto";
import { buildEvent, eventSource } from "@event-platform/events";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import { APPS } from "../../../specs/apps";
import { programmaticSubscriptions } from "../../../specs/subscriptions";
import type { NotificationService } from "../src/app";
import type { NotificationPage } from "../src/notifications";
import type { Preferences } from "../src/preferences";
import {
  Api,
  Cleanup,
  DATABASE_KINDS,
  fromSidecar,
  newUser,
  scheduledData,
  startTestNotification,
  testStore,
} from "./harness";

const TRIGGERED_PATH = "/events/reminder-triggered";

describe.each(DATABASE_KINDS)("REST API and sidecar routes, on %s", (kind) => {
  const cleanup = new Cleanup();
  let service: NotificationService;

  beforeAll(async () => {
    const store = cleanup.add(await testStore(kind, `notification_api_${kind}`));
    // No SMTP server and no private webhook addresses; no sidecar either: the tests call as the sidecar would.
    service = await startTestNotification({
      ...store.env,
      DAPR_HTTP_PORT: String(await freePort()),
      WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "false",
    });
    cleanup.add({ stop: () => service.close() });
  });
  afterAll(() => cleanup.run());

  /** Delivers a reminder.triggered event to the service as its sidecar would; returns its data. */
  async function deliverTriggered(user: string, taskId: number, id = randomUUID()) {
    const data = { ...scheduledData(user, taskId, -1_000), triggered_at: new Date().toISOString() };
    const event = buildEvent("com.taskmanager.reminder.triggered", data, { source: eventSource("notification"), id });
    const response = await fetch(`${service.url}${TRIGGERED_PATH}`, {
      method: "POST",
      headers: { ...fromSidecar("notification"), "content-type": "application/cloudevents+json" },
      body: JSON.stringify(event),
    });
    expect(await response.json()).toEqual({ status: "SUCCESS" });
    return { data, id };
  }

  it("answers 401 on every /api route without a valid token", async () => {
    const anonymous = new Api(service.url);
    const forged = new Api(
      service.url,
      await new SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("mallory")
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode("another-secret-another-secret-0123456789")),
    );
    for (const api of [anonymous, forged]) {
      for (const [method, path, body] of [
        ["GET", "/api/notifications"],
        ["POST", `/api/notifications/${randomUUID()}/read`],
        ["GET", "/api/preferences"],
        ["PUT", "/api/preferences", { in_app: false }],
      ] as const) {
        const answer = await api.request(method, path, body);
        expect(answer.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  it("serves /healthz and /readyz, and /dapr/subscribe and the event routes only with the app token", async () => {
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok" } });

    const subscribe = await fetch(`${service.url}/dapr/subscribe`, { headers: fromSidecar("notification") });
    expect(await subscribe.json()).toEqual(programmaticSubscriptions(APPS.notification));
    expect((await fetch(`${service.url}/dapr/subscribe`)).status).toBe(401);
    expect((await fetch(`${service.url}/dapr/subscribe`, { headers: fromSidecar("backend") })).status).toBe(401);
    const unsigned = await fetch(`${service.url}${TRIGGERED_PATH}`, { method: "POST", body: "{}" });
    expect(unsigned.status).toBe(401);
  });

  it("takes every contract-valid reminder event on each route: any source (NUL, 20 KB), years 0000 to 9999, every date-time form, 300 KB; a cancelled event on the scheduled route is DROP", async () => {
    const user = newUser("contract-valid");
    const post = async (path: string, event: object) => {
      const response = await fetch(`${service.url}${path}`, {
        method: "POST",
        headers: { ...fromSidecar("notification"), "content-type": "application/cloudevents+json" },
        body: JSON.stringify(event),
      });
      return [response.status, await response.json()];
    };
    const variants: [string, (data: ReturnType<typeof scheduledData>) => object][] = [
      ["NUL source", (data) => ({ source: "/tasks/\u0000x", data })],
      ["20 KB source", (data) => ({ source: `/tasks/${"a-".repeat(10_000)}`, data })],
      [
        "year 0000",
        (data) => ({ data: { ...data, remind_at: "0000-01-01T00:00:00Z", due_at: "0000-01-01T00:30:00Z" } }),
      ],
      ["year 0001", (data) => ({ data: { ...data, remind_at: "0001-01-01T00:00:00Z" } })],
      ["year 0099", (data) => ({ data: { ...data, remind_at: "0099-06-01T00:00:00Z" } })],
      ["year 9999", (data) => ({ data: { ...data, remind_at: "9999-12-31T23:59:59Z" } })],
      [
        "+01 offsets",
        (data) => ({ data: { ...data, remind_at: "2030-01-01T10:00:00+01", due_at: "2030-01-01 11:00:00+0100" } }),
      ],
      ["leap second", (data) => ({ data: { ...data, remind_at: "2016-12-31t23:59:60z" } })],
      ["300 KB title", (data) => ({ data: { ...data, title: "x".repeat(300_000) } })],
    ];
    const types = [
      ["/events/reminder-scheduled", "com.taskmanager.reminder.scheduled"],
      ["/events/reminder-cancelled", "com.taskmanager.reminder.cancelled"],
      [TRIGGERED_PATH, "com.taskmanager.reminder.triggered"],
    ] as const;
    for (const [name, variant] of variants) {
      for (const [path, type] of types) {
        const { source, data } = variant(scheduledData(user, 1, 60_000)) as { source?: string; data: object };
        // Built by hand: the project's own schemas (buildEvent) are stricter than the contract consumers take.
        const event = {
          specversion: "1.0",
          type,
          source: source ?? eventSource("backend"),
          id: randomUUID(),
          time: new Date().toISOString(),
          datacontenttype: "application/json",
          data,
        };
        expect(await post(path, event), `${name} on ${path}`).toEqual([200, { status: "SUCCESS" }]);
      }
    }
    const cancelled = buildEvent(
      "com.taskmanager.reminder.cancelled",
      { ...scheduledData(user, 2, 60_000), reason: "completed" },
      {
        source: eventSource("backend"),
      },
    );
    expect(await post("/events/reminder-scheduled", cancelled)).toEqual([200, { status: "DROP" }]);
  });

  it("preferences: the defaults, replaced whole, a webhook secret per URL, and each user only their own", async () => {
    const alice = await Api.as(service.url, newUser("alice"));
    const bob = await Api.as(service.url, newUser("bob"));
    const defaults = {
      in_app: true,
      email: false,
      email_address: null,
      webhook: false,
      webhook_url: null,
      webhook_secret: null,
    };
    expect((await alice.request("GET", "/api/preferences")).body).toEqual({ ...defaults, updated_at: null });

    const set = await alice.request<Preferences>("PUT", "/api/preferences", {
      in_app: false,
      webhook: true,
      webhook_url: "https://hooks.example.com/alice",
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ in_app: false, webhook: true, webhook_url: "https://hooks.example.com/alice" });
    const secret = set.body.webhook_secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect((await alice.request("GET", "/api/preferences")).body).toEqual(set.body);

    // The same URL keeps its secret; the fields left out go back to their defaults.
    const same = await alice.request<Preferences>("PUT", "/api/preferences", {
      webhook_url: "https://hooks.example.com/alice",
    });
    expect(same.body).toMatchObject({ in_app: true, webhook: false, webhook_secret: secret });
    const moved = await alice.request<Preferences>("PUT", "/api/preferences", {
      webhook_url: "https://hooks.example.com/a2",
    });
    expect(moved.body.webhook_secret).toMatch(/^whsec_/);
    expect(moved.body.webhook_secret).not.toBe(secret);
    expect((await alice.request<Preferences>("PUT", "/api/preferences", {})).body).toMatchObject({ ...defaults });

    // Bob sees his own (the defaults), never Alice's.
    await alice.request("PUT", "/api/preferences", { webhook: true, webhook_url: "https://hooks.example.com/alice" });
    expect((await bob.request("GET", "/api/preferences")).body).toEqual({ ...defaults, updated_at: null });
  });

  it("refuses bad preferences with a 400 naming the field, and writes nothing", async () => {
    const api = await Api.as(service.url, newUser("careless"));
    const before = (await api.request("PUT", "/api/preferences", { in_app: false })).body;
    for (const [body, path] of [
      [{ email: true, email_address: "careless@example.org" }, "/body/email"],
      [{ email_address: "not an address" }, "/body/email_address"],
      [{ webhook: true }, "/body/webhook_url"],
      [{ webhook_url: "ftp://hooks.example.com/" }, "/body/webhook_url"],
      [{ webhook_url: "http://127.0.0.1:8080/hook" }, "/body/webhook_url"],
      [{ webhook_url: "http://169.254.169.254/latest/meta-data" }, "/body/webhook_url"],
      [{ in_app: "yes" }, "/body/in_app"],
      [{ sms: true }, "/body/sms"],
    ] as const) {
      const answer = await api.request<{ violations: { path: string }[] }>("PUT", "/api/preferences", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(
        answer.body.violations.map((v) => v.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect((await api.request("GET", "/api/preferences")).body).toEqual(before);
  });

  it("notifications: each user's own, newest first, paged, filtered by unread, marked read by their user only", async () => {
    const aliceId = newUser("alice");
    const alice = await Api.as(service.url, aliceId);
    const bobId = newUser("bob");
    const bob = await Api.as(service.url, bobId);
    const first = await deliverTriggered(aliceId, 1);
    const second = await deliverTriggered(aliceId, 2);
    const third = await deliverTriggered(aliceId, 3);
    await deliverTriggered(bobId, 4);
    // Delivered again (same id): nothing more.
    await deliverTriggered(aliceId, 1, first.id);

    const all = (await alice.request<NotificationPage>("GET", "/api/notifications")).body;
    expect(all.total).toBe(3);
    expect(all.items.map((n) => n.task_id)).toEqual([3, 2, 1]);
    expect(all.items[0]).toMatchObject({
      reminder_id: third.data.reminder_id,
      title: "Task 3",
      time_zone: "Europe/Paris",
      read_at: null,
    });
    const page = (await alice.request<NotificationPage>("GET", "/api/notifications?limit=2&offset=2")).body;
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 2 });
    expect(page.items.map((n) => n.reminder_id)).toEqual([first.data.reminder_id]);

    const target = all.items.find((n) => n.reminder_id === second.data.reminder_id);
    const path = `/api/notifications/${target?.notification_id}/read`;
    // Bob cannot mark Alice's, nor see it: the same 404 as for an id that does not exist.
    expect((await bob.request("POST", path)).status).toBe(404);
    expect((await bob.request("POST", `/api/notifications/${randomUUID()}/read`)).status).toBe(404);
    expect((await bob.request<NotificationPage>("GET", "/api/notifications")).body.items.map((n) => n.task_id)).toEqual(
      [4],
    );

    const read = await alice.request<{ read_at: string }>("POST", path);
    expect(read.status).toBe(200);
    expect(read.body.read_at).not.toBeNull();
    // Marking again keeps the first time.
    expect((await alice.request<{ read_at: string }>("POST", path)).body.read_at).toBe(read.body.read_at);
    const unread = (await alice.request<NotificationPage>("GET", "/api/notifications?unread=true")).body;
    expect(unread.items.map((n) => n.task_id)).toEqual([3, 1]);
    const readOnly = (await alice.request<NotificationPage>("GET", "/api/notifications?unread=false")).body;
    expect(readOnly.items.map((n) => n.task_id)).toEqual([2]);

    const badId = await alice.request<{ violations: { path: string }[] }>("POST", "/api/notifications/42/read");
    expect(badId.status).toBe(400);
    expect(badId.body.violations.map((v) => v.path)).toEqual(["/params/notification_id"]);
    const badPage = await alice.request<{ violations: { path: string }[] }>(
      "GET",
      "/api/notifications?limit=0&unread=maybe",
    );
    expect(badPage.status).toBe(400);
    expect(badPage.body.violations.map((v) => v.path).sort()).toEqual(["/querystring/limit", "/querystring/unread"]);
  });
});
