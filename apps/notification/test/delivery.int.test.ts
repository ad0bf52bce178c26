// A reminder from its schedule to its deliveries, on a real broker, both databases, the development sidecar, a real SMTP server and a real webhook receiver: once per channel, nothing when cancelled, nothing more when redelivered, contract-only events taken, broken ones dead-lettered, and a graceful shutdown.
import { randomUUID } from "node:crypto";
import { contractViolationsOn, TOPICS } from "@event-platform/events";
import { processedEventKey } from "@event-platform/service-kit";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { TestApp } from "../../../local/sidecar/test-kit";
import { startSmtpServer, type TestSmtpServer } from "../../../test/support/smtp";
import type { NotificationPage } from "../src/notifications";
import { derivedReminderId } from "../src/reminder";
import {
  Api,
  Cleanup,
  cancelledEvent,
  createTopics,
  DATABASE_KINDS,
  deliveriesOf,
  newUser,
  publishReminder,
  type RunningNotification,
  scheduledData,
  scheduledEvent,
  setPreferences,
  startTestNotification,
  startWebhookReceiver,
  startWithSidecar,
  TEST_FROM,
  TopicReader,
  testStore,
  triggeredInOutbox,
  uniqueTag,
  waitFor,
} from "./harness";

const TRIGGERED = "com.taskmanager.reminder.triggered";
const SMTP_LOGIN = { user: "notification", password: "smtp-test-password" };

describe.each(DATABASE_KINDS)("reminder delivery, on %s", (kind) => {
  const cleanup = new Cleanup();
  const prefix = `notification-delivery-${kind}-${uniqueTag()}.`;
  let running: RunningNotification;
  let smtp: TestSmtpServer;
  let receiver: TestApp;
  let reader: TopicReader;
  let storeEnv: Record<string, string>;
  /** The webhook path whose receiver takes 1.5 s to answer (the shutdown test). */
  const slowPath = `/slow-${uniqueTag()}`;

  beforeAll(async () => {
    await createTopics(prefix);
    const store = cleanup.add(await testStore(kind, `notification_delivery_${kind}`));
    storeEnv = store.env;
    smtp = cleanup.add(await startSmtpServer({ auth: SMTP_LOGIN }));
    receiver = cleanup.add(
      await startWebhookReceiver(async (path) => {
        if (path === slowPath) await new Promise((resolve) => setTimeout(resolve, 1_500));
        return 200;
      }),
    );
    running = cleanup.add(
      await startWithSidecar(
        {
          ...store.env,
          SMTP_HOST: smtp.host,
          SMTP_PORT: String(smtp.port),
          SMTP_USER: SMTP_LOGIN.user,
          SMTP_PASSWORD: SMTP_LOGIN.password,
          SMTP_FROM: TEST_FROM,
        },
        prefix,
      ),
    );
    reader = cleanup.add(await TopicReader.start(prefix));
  });
  afterAll(() => cleanup.run());

  /** A user with every channel on: email to `<user>@example.org`, webhooks to `/<user>` (or `path`). */
  async function userWithEveryChannel(name: string, path?: string) {
    const user = newUser(name);
    const api = await Api.as(running.service.url, user);
    const address = `${user}@example.org`;
    const webhookPath = path ?? `/${user}`;
    const preferences = await setPreferences(api, {
      email: true,
      email_address: address,
      webhook: true,
      webhook_url: `${receiver.url}${webhookPath}`,
    });
    return { user, api, address, webhookPath, secret: preferences.webhook_secret ?? "" };
  }

  const notificationsOf = async (api: Api) => (await api.request<NotificationPage>("GET", "/api/notifications")).body;
  const mailsTo = async (address: string) => (await smtp.messages()).filter((m) => m.to.includes(address));
  const triggeredOf = (user: string, reminderId: string) =>
    reader
      .of(user)
      .filter(
        (r) => r.event.type === TRIGGERED && (r.event.data as { reminder_id?: string }).reminder_id === reminderId,
      );

  it("a reminder due in 2 s: exactly one in-app notification, one email, one verified webhook and one reminder.triggered", async () => {
    const { user, api, address, webhookPath, secret } = await userWithEveryChannel("due");
    const data = scheduledData(user, 41, 2_000);
    await publishReminder(running.publisher, user, scheduledEvent(data));

    const page = await waitFor(async () => {
      const listed = await notificationsOf(api);
      return listed.items.length > 0 && listed;
    }, "the in-app notification");
    const [mail] = await waitFor(async () => {
      const mails = await mailsTo(address);
      return mails.length > 0 && mails;
    }, "the email");
    const [call] = await waitFor(() => receiver.to(webhookPath).length > 0 && receiver.to(webhookPath), "the webhook");
    const [record] = await waitFor(
      () => triggeredOf(user, data.reminder_id).length > 0 && triggeredOf(user, data.reminder_id),
      "reminder.triggered",
    );
    await waitFor(async () => {
      const deliveries = await deliveriesOf(running.service, data.reminder_id);
      return Object.values(deliveries).every((d) => d.status === "delivered") && Object.keys(deliveries).length === 3;
    }, "every delivery recorded");

    // Not before its time.
    expect(Date.parse(page.items[0]?.created_at ?? "")).toBeGreaterThanOrEqual(Date.parse(data.remind_at));
    expect(page).toMatchObject({
      total: 1,
      items: [{ reminder_id: data.reminder_id, task_id: 41, title: "Task 41", read_at: null }],
    });
    expect(mail).toMatchObject({ from: "tasks@example.com", to: [address], subject: "Reminder: Task 41" });
    expect(mail?.headers["message-id"]).toBe(`<${data.reminder_id}.reminder@example.com>`);
    expect(mail?.text).toContain("(Europe/Paris)");
    const verified = new Webhook(secret).verify(call?.body ?? "", call?.headers as Record<string, string>);
    expect(verified).toMatchObject({
      type: "reminder.triggered",
      data: { reminder_id: data.reminder_id, task_id: 41, user_id: user },
    });
    expect(call?.headers["webhook-id"]).toBe(`reminder_${data.reminder_id}`);
    expect(record?.event).toMatchObject({
      type: TRIGGERED,
      source: "/tasks/notification",
      data: { ...data, remind_at: new Date(data.remind_at).toISOString() },
    });
    expect(contractViolationsOn(TOPICS.reminders, record?.event)).toEqual([]);

    // Later passes of the scheduler and the worker add nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await notificationsOf(api)).total).toBe(1);
    expect(await mailsTo(address)).toHaveLength(1);
    expect(receiver.to(webhookPath)).toHaveLength(1);
    expect(triggeredOf(user, data.reminder_id)).toHaveLength(1);
    expect(await triggeredInOutbox(running.service, data.reminder_id)).toEqual([
      { eventId: record?.event.id, publishCount: 1 },
    ]);
    const deliveries = await deliveriesOf(running.service, data.reminder_id);
    expect(
      Object.values(deliveries)
        .map((d) => [d.channel, d.status, d.attempts])
        .sort(),
    ).toEqual([
      ["email", "delivered", 1],
      ["in_app", "delivered", 1],
      ["webhook", "delivered", 1],
    ]);
  });

  it("a reminder cancelled before it is due, or whose cancellation arrives before its schedule, delivers nothing and publishes nothing", async () => {
    const { user, api, address, webhookPath } = await userWithEveryChannel("cancelled");
    const cancelled = scheduledData(user, 1, 2_000);
    const cancelledFirst = scheduledData(user, 2, 2_000);
    const control = scheduledData(user, 3, 2_500);
    await publishReminder(running.publisher, user, scheduledEvent(cancelled));
    await publishReminder(running.publisher, user, cancelledEvent(cancelled));
    await publishReminder(running.publisher, user, cancelledEvent(cancelledFirst));
    await publishReminder(running.publisher, user, scheduledEvent(cancelledFirst));
    await publishReminder(running.publisher, user, scheduledEvent(control));

    // The control reminder comes due after the other two: once all of it is delivered, their time has passed.
    await waitFor(async () => {
      const deliveries = await deliveriesOf(running.service, control.reminder_id);
      return Object.values(deliveries).filter((d) => d.status === "delivered").length === 3;
    }, "the control reminder delivered on every channel");
    await waitFor(
      () => triggeredOf(user, control.reminder_id).length === 1,
      "the control reminder's reminder.triggered",
    );

    expect((await notificationsOf(api)).items.map((n) => n.reminder_id)).toEqual([control.reminder_id]);
    expect((await mailsTo(address)).map((m) => m.headers["message-id"])).toEqual([
      `<${control.reminder_id}.reminder@example.com>`,
    ]);
    expect(receiver.to(webhookPath)).toHaveLength(1);
    for (const reminder of [cancelled, cancelledFirst]) {
      expect(triggeredOf(user, reminder.reminder_id)).toEqual([]);
      expect(await triggeredInOutbox(running.service, reminder.reminder_id)).toEqual([]);
      expect(await deliveriesOf(running.service, reminder.reminder_id)).toEqual({});
    }
    const statuses = await running.service.database.db
      .selectFrom("reminders")
      .select(["reminder_id", "status", "cancel_reason"])
      .where("user_id", "=", user)
      .orderBy("task_id")
      .execute();
    expect(statuses).toEqual([
      { reminder_id: cancelled.reminder_id, status: "cancelled", cancel_reason: "completed" },
      { reminder_id: cancelledFirst.reminder_id, status: "cancelled", cancel_reason: "completed" },
      { reminder_id: control.reminder_id, status: "triggered", cancel_reason: null },
    ]);
  });

  it("a redelivered reminder.scheduled or reminder.triggered (same id, published again) changes nothing", async () => {
    const { user, api, address, webhookPath } = await userWithEveryChannel("redelivered");
    const data = scheduledData(user, 5, 500);
    const scheduled = scheduledEvent(data);
    await publishReminder(running.publisher, user, scheduled);
    const [record] = await waitFor(
      () => triggeredOf(user, data.reminder_id).length > 0 && triggeredOf(user, data.reminder_id),
      "reminder.triggered",
    );
    await waitFor(
      async () => (await mailsTo(address)).length === 1 && receiver.to(webhookPath).length === 1,
      "email and webhook",
    );

    // The same events again, as a broker redelivers them or an operator replays them; then a marker reminder of the
    // same user, behind them in the same partition: once it is delivered, they have been processed.
    const { topic: _topic, pubsubname: _pubsubname, ...triggered } = record?.event ?? {};
    await publishReminder(running.publisher, user, scheduled);
    await publishReminder(running.publisher, user, triggered);
    await publishReminder(running.publisher, user, scheduled);
    const marker = scheduledData(user, 6, 0);
    await publishReminder(running.publisher, user, scheduledEvent(marker));
    await waitFor(async () => (await notificationsOf(api)).total === 2, "the marker's notification");
    await waitFor(async () => (await mailsTo(address)).length === 2, "the marker's email");

    expect((await notificationsOf(api)).items.filter((n) => n.reminder_id === data.reminder_id)).toHaveLength(1);
    expect(
      (await mailsTo(address)).filter((m) => m.headers["message-id"]?.startsWith(`<${data.reminder_id}`)),
    ).toHaveLength(1);
    expect(
      receiver.to(webhookPath).filter((r) => r.headers["webhook-id"] === `reminder_${data.reminder_id}`),
    ).toHaveLength(1);
    expect(await triggeredInOutbox(running.service, data.reminder_id)).toHaveLength(1);
    const deliveries = await deliveriesOf(running.service, data.reminder_id);
    expect(Object.values(deliveries).map((d) => d.attempts)).toEqual([1, 1, 1]);
    const processed = await running.service.database.db
      .selectFrom("processed_events")
      .select("event_key")
      .where(
        "event_key",
        "in",
        [scheduled, { source: String(record?.event.source), id: String(record?.event.id) }].map(processedEventKey),
      )
      .execute();
    expect(processed).toHaveLength(2);
  });

  it("takes an event with only the contract's required fields: it triggers, with a derived reminder id, and is delivered in-app", async () => {
    const user = newUser("minimal");
    const api = await Api.as(running.service.url, user);
    const remindAt = new Date(Date.now() + 1_000).toISOString();
    const minimal = {
      specversion: "1.0",
      type: "com.taskmanager.reminder.scheduled",
      source: "/tasks/backend",
      id: randomUUID(),
      time: new Date().toISOString(),
      data: { task_id: 1, user_id: user, remind_at: remindAt },
    };
    await publishReminder(running.publisher, user, minimal);
    const reminderId = derivedReminderId(user, 1, new Date(remindAt));
    const page = await waitFor(async () => {
      const listed = await notificationsOf(api);
      return listed.total > 0 && listed;
    }, "the in-app notification");
    expect(page.items).toMatchObject([{ reminder_id: reminderId, task_id: 1, title: null, due_at: null }]);
    const [record] = await waitFor(
      () => triggeredOf(user, reminderId).length > 0 && triggeredOf(user, reminderId),
      "reminder.triggered",
    );
    expect(contractViolationsOn(TOPICS.reminders, record?.event)).toEqual([]);
    expect(record?.event.data).toMatchObject({ task_id: 1, user_id: user, reminder_id: reminderId });
    // Default preferences: in-app only.
    expect(Object.keys(await deliveriesOf(running.service, reminderId))).toEqual(["in_app"]);
  });

  it("drops an event that breaks the contract to dead-letters, storing nothing", async () => {
    const user = newUser("broken");
    const broken = {
      specversion: "1.0",
      type: "com.taskmanager.reminder.scheduled",
      source: "/tasks/backend",
      id: randomUUID(),
      time: new Date().toISOString(),
      data: { task_id: "one", user_id: user },
    };
    await publishReminder(running.publisher, user, broken);
    const [dead] = await waitFor(
      () =>
        reader.of(user).filter((r) => r.topic === TOPICS.deadLetters.name).length > 0 &&
        reader.of(user).filter((r) => r.topic === TOPICS.deadLetters.name),
      "the event on dead-letters",
    );
    expect(dead?.event).toMatchObject({ id: broken.id, data: broken.data });
    const stored = await running.service.database.db
      .selectFrom("reminders")
      .select("reminder_id")
      .where("user_id", "=", user)
      .execute();
    expect(stored).toEqual([]);
  });

  it("shuts down gracefully: an attempt in flight finishes and is recorded before the database closes", async () => {
    const { user, webhookPath } = await userWithEveryChannel("shutdown", slowPath);
    const data = scheduledData(user, 9, 0);
    await publishReminder(running.publisher, user, scheduledEvent(data));
    await waitFor(() => receiver.to(webhookPath).length === 1, "the slow webhook called", 20_000);
    const started = Date.now();
    await running.service.close();
    // The receiver answers 1.5 s after the call: close waited for it.
    expect(Date.now() - started).toBeGreaterThan(800);
    await expect(fetch(`${running.service.url}/healthz`)).rejects.toThrow();

    // The same database, opened again by a new instance.
    const again = await startTestNotification({ ...storeEnv, DAPR_HTTP_PORT: String(await freePort()) });
    cleanup.add({ stop: () => again.close() });
    const deliveries = await deliveriesOf(again, data.reminder_id);
    expect(deliveries.webhook).toMatchObject({ status: "delivered", attempts: 1 });
    expect(receiver.to(webhookPath)).toHaveLength(1);
  });
});
