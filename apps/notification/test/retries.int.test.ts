// Failing channels, on both databases: a webhook answering 500 twice and an SMTP server that is down, then up, are retried with backoff and every attempt recorded, while the other channels are delivered once; the last attempt marks a delivery failed.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { TestApp } from "../../../local/sidecar/test-kit";
import { startSmtpServer, type TestSmtpServer } from "../../../test/support/smtp";
import type { NotificationPage } from "../src/notifications";
import {
  Api,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
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
  testStore,
  uniqueTag,
  waitFor,
} from "./harness";

/** Webhooks to this path always fail. */
const BROKEN = "/broken";

describe.each(DATABASE_KINDS)("failing channels, on %s", (kind) => {
  const cleanup = new Cleanup();
  const prefix = `notification-retries-${kind}-${uniqueTag()}.`;
  let running: RunningNotification;
  let receiver: TestApp;
  let smtpPort: number;
  let smtp: TestSmtpServer | undefined;

  beforeAll(async () => {
    await createTopics(prefix);
    const store = cleanup.add(await testStore(kind, `notification_retries_${kind}`));
    // Nothing listens on the SMTP port until the test starts a server there.
    smtpPort = await freePort();
    receiver = cleanup.add(await startWebhookReceiver((path, nth) => (path === BROKEN || nth <= 2 ? 500 : 200)));
    running = cleanup.add(
      await startWithSidecar(
        {
          ...store.env,
          SMTP_HOST: "127.0.0.1",
          SMTP_PORT: String(smtpPort),
          SMTP_FROM: TEST_FROM,
          DELIVERY_MAX_ATTEMPTS: "6",
        },
        prefix,
      ),
    );
  });
  afterAll(async () => {
    await smtp?.stop();
    await cleanup.run();
  });

  it("retries a webhook answering 500 twice and an unreachable SMTP server with backoff, recording each attempt; in-app is delivered once", async () => {
    const user = newUser("retried");
    const api = await Api.as(running.service.url, user);
    const address = `${user}@example.org`;
    const { webhook_secret: secret } = await setPreferences(api, {
      email: true,
      email_address: address,
      webhook: true,
      webhook_url: `${receiver.url}/${user}`,
    });
    const data = scheduledData(user, 3, 0);
    await publishReminder(running.publisher, user, scheduledEvent(data));

    // Two failed email attempts, then the SMTP server comes up.
    await waitFor(async () => {
      const { email } = await deliveriesOf(running.service, data.reminder_id);
      return (email?.tries.length ?? 0) >= 2;
    }, "two failed email attempts");
    smtp = await startSmtpServer({ port: smtpPort });
    const deliveries = await waitFor(
      async () => {
        const all = await deliveriesOf(running.service, data.reminder_id);
        return Object.values(all).length === 3 && Object.values(all).every((d) => d.status === "delivered") && all;
      },
      "every channel delivered",
      30_000,
    );

    const { webhook, email, in_app: inApp } = deliveries;
    expect(webhook?.tries.map((t) => [t.attempt, t.outcome, t.error])).toEqual([
      [1, "failed", "the webhook answered 500"],
      [2, "failed", "the webhook answered 500"],
      [3, "delivered", null],
    ]);
    expect(webhook?.tries.every((t) => t.target === `${receiver.url}/${user}`)).toBe(true);
    const emailTries = email?.tries ?? [];
    expect(emailTries.at(-1)).toMatchObject({ outcome: "delivered", error: null, target: address });
    expect(emailTries.length).toBeGreaterThanOrEqual(3);
    for (const failed of emailTries.slice(0, -1)) {
      expect(failed).toMatchObject({ outcome: "failed", target: address });
      expect(failed.error).toMatch(/ECONNREFUSED|connect/);
    }
    // Exponential backoff from 300 ms, each wait in the upper half of its ceiling: at least 150 ms, then 300 ms.
    const gaps = (webhook?.tries ?? [])
      .slice(1)
      .map((t, i) => t.startedAt.getTime() - (webhook?.tries[i]?.startedAt.getTime() ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(140);
    expect(gaps[1]).toBeGreaterThanOrEqual(290);
    expect(inApp).toMatchObject({ status: "delivered", attempts: 1, tries: [{ outcome: "delivered" }] });

    // Each channel reached its receiver once successfully: the webhook's three calls are one message (one id), one
    // email arrived, one notification exists.
    const calls = receiver.to(`/${user}`);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.headers["webhook-id"]))).toEqual(new Set([`reminder_${data.reminder_id}`]));
    const last = calls.at(-1);
    expect(new Webhook(secret ?? "").verify(last?.body ?? "", last?.headers as Record<string, string>)).toMatchObject({
      data: { reminder_id: data.reminder_id },
    });
    expect((await smtp.messages()).filter((m) => m.to.includes(address))).toHaveLength(1);
    expect((await api.request<NotificationPage>("GET", "/api/notifications")).body.total).toBe(1);
  });

  it("marks a delivery failed after DELIVERY_MAX_ATTEMPTS, with the last error, and delivers the other channels", async () => {
    const user = newUser("failing");
    const api = await Api.as(running.service.url, user);
    await setPreferences(api, { webhook: true, webhook_url: `${receiver.url}${BROKEN}` });
    const data = scheduledData(user, 4, 0);
    await publishReminder(running.publisher, user, scheduledEvent(data));
    const { webhook, in_app: inApp } = await waitFor(
      async () => {
        const all = await deliveriesOf(running.service, data.reminder_id);
        return all.webhook?.status === "failed" && all;
      },
      "the webhook delivery failed for good",
      30_000,
    );
    expect(webhook).toMatchObject({ attempts: 6, lastError: "the webhook answered 500" });
    expect(webhook?.tries.map((t) => t.outcome)).toEqual(Array(6).fill("failed"));
    expect(inApp?.status).toBe("delivered");
    expect((await api.request<NotificationPage>("GET", "/api/notifications")).body.total).toBe(1);
  });
});
