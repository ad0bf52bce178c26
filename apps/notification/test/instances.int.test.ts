// Two notification instances at once (two services, two sidecars, one PostgreSQL database, one consumer group): each of several reminders triggered once and delivered exactly once per channel. PostgreSQL only: PGlite is one process's database.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../../local/sidecar/test-kit";
import { startSmtpServer, type TestSmtpServer } from "../../../test/support/smtp";
import type { NotificationPage } from "../src/notifications";
import {
  Api,
  Cleanup,
  createTopics,
  deliveriesOf,
  newUser,
  publishReminder,
  type RunningNotification,
  scheduledData,
  scheduledEvent,
  setPreferences,
  startWebhookReceiver,
  startWithSidecar,
  TEST_FROM,
  TopicReader,
  testStore,
  triggeredInOutbox,
  uniqueTag,
  waitFor,
} from "./harness";

const USERS = 6;

describe("two instances on one database", () => {
  const cleanup = new Cleanup();
  const prefix = `notification-instances-${uniqueTag()}.`;
  let instances: RunningNotification[];
  let smtp: TestSmtpServer;
  let receiver: TestApp;
  let reader: TopicReader;

  beforeAll(async () => {
    await createTopics(prefix);
    const store = cleanup.add(await testStore("postgres", "notification_instances"));
    smtp = cleanup.add(await startSmtpServer());
    receiver = cleanup.add(await startWebhookReceiver());
    const env = { ...store.env, SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port), SMTP_FROM: TEST_FROM };
    instances = [];
    for (const name of ["a", "b"]) {
      instances.push(cleanup.add(await startWithSidecar(env, prefix, `notification-${name}`)));
    }
    reader = cleanup.add(await TopicReader.start(prefix));
  });
  afterAll(() => cleanup.run());

  it("delivers each of several reminders exactly once per channel", async () => {
    const [first, second] = instances as [RunningNotification, RunningNotification];
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const user = newUser(`instances${i}`);
        // Preferences through either instance: they share the database.
        const api = await Api.as((i % 2 === 0 ? first : second).service.url, user);
        const preferences = await setPreferences(api, {
          email: true,
          email_address: `${user}@example.org`,
          webhook: true,
          webhook_url: `${receiver.url}/${user}`,
        });
        return { user, api, secret: preferences.webhook_secret ?? "", data: scheduledData(user, i + 1, 2_000) };
      }),
    );
    for (const [i, { user, data }] of users.entries()) {
      await publishReminder((i % 2 === 0 ? first : second).publisher, user, scheduledEvent(data));
    }

    for (const { data } of users) {
      await waitFor(
        async () => {
          const deliveries = Object.values(await deliveriesOf(first.service, data.reminder_id));
          return deliveries.length === 3 && deliveries.every((d) => d.status === "delivered");
        },
        `every channel of ${data.reminder_id} delivered`,
        30_000,
      );
    }
    // Time for any duplicate to show: both schedulers and both workers keep polling.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const mails = await smtp.messages();
    for (const { user, api, secret, data } of users) {
      const page = (await api.request<NotificationPage>("GET", "/api/notifications")).body;
      expect(page.items.map((n) => n.reminder_id)).toEqual([data.reminder_id]);
      expect(mails.filter((m) => m.to.includes(`${user}@example.org`)).map((m) => m.headers["message-id"])).toEqual([
        `<${data.reminder_id}.reminder@example.com>`,
      ]);
      const calls = receiver.to(`/${user}`);
      expect(calls).toHaveLength(1);
      expect(
        new Webhook(secret).verify(calls[0]?.body ?? "", calls[0]?.headers as Record<string, string>),
      ).toMatchObject({ data: { reminder_id: data.reminder_id } });
      const deliveries = Object.values(await deliveriesOf(second.service, data.reminder_id));
      expect(deliveries.map((d) => d.attempts)).toEqual([1, 1, 1]);
      const stored = await triggeredInOutbox(first.service, data.reminder_id);
      expect(stored).toEqual([{ eventId: expect.any(String), publishCount: 1 }]);
      const onTopic = reader
        .of(user)
        .filter((r) => r.event.type === "com.taskmanager.reminder.triggered")
        .map((r) => r.event.id);
      expect(onTopic).toEqual([stored[0]?.eventId]);
    }
  });
});
