// kill -9 of the Kafka broker during a stream of REST writes by several users, and its restart on the same port and data: every accepted write's event reaches task-events in per-user order, and each effect (a next occurrence per completed recurring task; per reminder an in-app notification, an email and a webhook) happens once.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TOPICS } from "@event-platform/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskSnapshot } from "../../apps/backend/src/task-snapshot";
import { type KafkaBroker, startKafka } from "../../local/kafka/broker";
import { freePort } from "../../local/process";
import { type RunningSystem, startSystem } from "../../local/system";
import { APPS } from "../../specs/apps";
import { apiOf } from "../e2e/harness";
import { createTestDatabase } from "../support/database";
import { recordTrials } from "../support/reliability";
import { Cleanup, newUser, TopicReader, uniqueTag, waitFor, waitUntilConsumed } from "../support/services";
import { everyChannel, occurrenceTally, tallyEvents, WebhookReceiver, WriteStream, waitForOwedEvents } from "./support";

const USERS = 4;

describe("kill -9 of the Kafka broker during writes", () => {
  const cleanup = new Cleanup();
  const prefix = `faults-kafka-${uniqueTag()}.`;
  let kafkaDir: string;
  let port: number;
  let broker: KafkaBroker;
  let system: RunningSystem;
  const counts = {
    writes: 0,
    lost: 0,
    occurrencesLost: 0,
    duplicated: 0,
    redelivered: 0,
    reminders: 0,
    remindersLost: 0,
    remindersTwice: 0,
    /** Webhook requests beyond the first of a message (same `webhook-id`). */
    webhookResends: 0,
  };
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    kafkaDir = await mkdtemp(path.join(tmpdir(), "faults-kafka-"));
    cleanup.add({ stop: () => rm(kafkaDir, { recursive: true, force: true }) });
    port = await freePort();
    broker = await startKafka({ dataDir: kafkaDir, port, heapMb: 384 });
    cleanup.add({ stop: () => broker.stop() });
    receiver = cleanup.add(await WebhookReceiver.start());
    const database = await createTestDatabase("faults_kafka");
    cleanup.add({ stop: () => database.drop() });
    const dataDir = await mkdtemp(path.join(tmpdir(), "faults-kafka-system-"));
    cleanup.add({ stop: () => rm(dataDir, { recursive: true, force: true }) });
    system = cleanup.add(
      await startSystem({
        dataDir,
        kafka: { bootstrap: broker.bootstrap, topicPrefix: prefix },
        databaseUrl: database.url,
        ports: "free",
        env: { LOG_LEVEL: "silent" },
      }),
    );
  }, 180_000);

  afterAll(async () => {
    recordTrials(__filename, [
      {
        area: "fault",
        name: `kill -9 the Kafka broker during REST writes by ${USERS} users, restart it on its port and data`,
        target: "backend outbox → task-events; recurring",
        tries: counts.writes,
        lost: counts.lost + counts.occurrencesLost,
        duplicated: counts.duplicated,
        leaked: 0,
        outcome: `every accepted write's event on task-events in per-user order (${counts.redelivered} records published twice, same event id); one next occurrence per completed recurring task`,
      },
      {
        area: "fault",
        name: "kill -9 the Kafka broker while reminders are due",
        target: "notification (schedule → reminder.triggered → in-app, SMTP, webhooks)",
        tries: counts.reminders,
        lost: counts.remindersLost,
        duplicated: counts.remindersTwice,
        leaked: 0,
        outcome: `one in-app notification, one email at the SMTP server and one signed webhook request (one webhook-id) per reminder on each channel; ${counts.webhookResends} webhook resends`,
      },
    ]);
    await cleanup.run();
  }, 120_000);

  it("loses no accepted write's event and creates each next occurrence and notification once", async () => {
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const user = newUser(`kafka-fault-${i}`);
        return { user, api: await apiOf(system, "backend", user) };
      }),
    );
    // Every channel on: in-app, email, and a webhook to the receiver here.
    const secrets = new Map<string, string>();
    for (const { user } of users) {
      secrets.set(user, await everyChannel(await apiOf(system, "notification", user), user, receiver));
    }
    // A reminder per user, due when the broker is down or coming back (a minute before a due date 65-75 s ahead).
    const reminded = await Promise.all(
      users.map(async ({ api }, i) => {
        const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
          title: `Reminder ${i}`,
          due_date: new Date(Date.now() + 65_000 + i * 3_000).toISOString(),
          remind_before_minutes: 1,
        });
        expect(created.status).toBe(201);
        return created.body.task_id;
      }),
    );
    const stream = new WriteStream(users, 100);
    await stream.acceptedMore(40);
    await broker.kill();
    // Writes keep being accepted while the broker is gone: they wait in the outbox.
    await stream.acceptedMore(40);
    await sleep(2_000);
    broker = await startKafka({ dataDir: kafkaDir, port, heapMb: 384 });
    await stream.acceptedMore(40);
    await stream.stop();

    const reader = cleanup.add(await TopicReader.start(prefix, broker.bootstrap));
    await waitForOwedEvents(reader, stream, 90_000);
    for (const writer of stream.users) {
      const tally = tallyEvents(reader.of(writer.user), writer.accepted);
      counts.writes += writer.accepted.length;
      counts.lost += tally.lost;
      counts.redelivered += tally.redelivered;
      expect(tally.onTopic).toEqual(tally.owed);
    }

    // The recurring service has answered every task event: a second occurrence would exist by now.
    await waitUntilConsumed({
      reader,
      bootstrap: broker.bootstrap,
      prefix,
      group: APPS.recurring.id,
      topic: TOPICS.taskEvents.name,
      timeoutMs: 90_000,
    });
    const occurrences = await occurrenceTally(stream);
    counts.occurrencesLost = occurrences.lost;
    counts.duplicated += occurrences.twice;

    // Every reminder reaches its user once on each channel: in the app, by email, by webhook. The notification
    // service is not killed here, so every send has its outcome recorded: no resend is due, not even under the
    // same webhook-id.
    for (const [i, { user }] of users.entries()) {
      const inbox = await apiOf(system, "notification", user);
      const notes = async () =>
        (await inbox.request<{ items: { task_id: number; reminder_id: string }[] }>("GET", "/api/notifications")).body
          .items;
      const mails = async () => (await system.mail.messages()).filter((m) => m.to.includes(`${user}@example.com`));
      const hooks = () => receiver.tally(user, secrets.get(user) ?? "");
      counts.reminders += 3;
      const arrived = await waitFor(
        async () => (await notes()).length > 0 && (await mails()).length > 0 && hooks().total > 0,
        `${user}'s reminder on every channel`,
        90_000,
      ).catch(() => false);
      // A repeat would come right behind the first: give it time to.
      await sleep(arrived ? 500 : 0);
      const items = await notes();
      const sent = await mails();
      const webhooks = hooks();
      counts.remindersLost += [items.length, sent.length, webhooks.total].filter((n) => n === 0).length;
      counts.remindersTwice +=
        Math.max(0, items.length - 1) + Math.max(0, sent.length - 1) + Math.max(0, webhooks.ids.length - 1);
      counts.webhookResends += webhooks.total - webhooks.ids.length;
      expect(items.map((n) => n.task_id)).toEqual([reminded[i]]);
      expect(sent).toHaveLength(1);
      expect(webhooks).toEqual({ total: 1, ids: [`reminder_${items[0]?.reminder_id}`], unverified: 0 });
    }
    expect(counts).toMatchObject({
      lost: 0,
      occurrencesLost: 0,
      duplicated: 0,
      remindersLost: 0,
      remindersTwice: 0,
      webhookResends: 0,
    });
  }, 300_000);
});
