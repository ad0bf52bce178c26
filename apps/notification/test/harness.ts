// Helpers of the notification service's integration suites: a service on either database with its development sidecar, reminder events published as the backend publishes them, a webhook receiver, and the delivery records.
import { randomUUID } from "node:crypto";
import { buildEvent, type EventData, eventSource } from "@event-platform/events";
import { SidecarClient } from "@event-platform/service-kit";
import { sql } from "kysely";
import { freePort } from "../../../local/process";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import { startTestApp, type TestApp } from "../../../local/sidecar/test-kit";
import { PUBSUB } from "../../../specs/apps";
import {
  type Api,
  startAppSidecar,
  TEST_JWT_SECRET,
  testAppToken,
  waitFor as waitForWithin,
} from "../../../test/support/services";
import { type NotificationService, startNotification } from "../src/app";
import { loadConfig } from "../src/config";
import type { Preferences } from "../src/preferences";
import type { Channel, ChannelDeliveryStatus, DeliveryOutcome } from "../src/tables";

export {
  Api,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
  type DatabaseKind,
  fromSidecar,
  newUser,
  type ReadEvent,
  TopicReader,
  testStore,
  uniqueTag,
} from "../../../test/support/services";

/**
 * `waitFor` with 30 s by default rather than 15: a reminder crosses Kafka twice before it is delivered (scheduled,
 * then triggered through the outbox), and the suites share two cores with the broker, PostgreSQL and other suites.
 */
export function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  message: string,
  timeoutMs = 30_000,
): Promise<T> {
  return waitForWithin(probe, message, timeoutMs);
}

/** The service's app API token in the tests: its sidecar sends it, and so do tests that call as the sidecar. */
export const TEST_APP_TOKEN = testAppToken("notification");

/** The sender of the tests' emails. */
export const TEST_FROM = "Tasks <tasks@example.com>";

/**
 * Starts a notification service on 127.0.0.1 and a free port, with loops of 100 ms, deliveries retried after
 * 300 ms doubling up to 2 s, and webhooks allowed to reach 127.0.0.1 (the tests' receiver). `env` adds or
 * overrides variables (the store's, DAPR_HTTP_PORT, SMTP_*, ...).
 */
export async function startTestNotification(env: Record<string, string>): Promise<NotificationService> {
  const config = loadConfig({
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.NOTIFICATION_TEST_LOG ? "info" : "silent",
    JWT_SECRET: TEST_JWT_SECRET,
    APP_API_TOKEN: TEST_APP_TOKEN,
    SCHEDULER_POLL_INTERVAL_MS: "100",
    DELIVERY_POLL_INTERVAL_MS: "100",
    DELIVERY_BACKOFF_INITIAL_MS: "300",
    DELIVERY_BACKOFF_MAX_MS: "2000",
    OUTBOX_POLL_INTERVAL_MS: "200",
    OUTBOX_BACKOFF_INITIAL_MS: "20",
    OUTBOX_BACKOFF_MAX_MS: "250",
    SIDECAR_TIMEOUT_MS: "3000",
    SMTP_TIMEOUT_MS: "3000",
    WEBHOOK_TIMEOUT_MS: "3000",
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true",
    SHUTDOWN_TIMEOUT_MS: "10000",
    ...env,
  });
  return startNotification(config);
}

/** A notification service with its development sidecar (the service first: the sidecar waits for its port). */
export interface RunningNotification {
  service: NotificationService;
  sidecar: Sidecar;
  /** Publishes through this instance's sidecar, as the backend publishes through its own. */
  publisher: SidecarClient;
  stop(): Promise<void>;
}

/** Starts a service and its sidecar on `topicPrefix`; `instanceId` tells two sidecars of one app apart. */
export async function startWithSidecar(
  env: Record<string, string>,
  topicPrefix: string,
  instanceId?: string,
): Promise<RunningNotification> {
  const daprPort = await freePort();
  const service = await startTestNotification({ ...env, DAPR_HTTP_PORT: String(daprPort) });
  let sidecar: Sidecar;
  try {
    sidecar = await startAppSidecar({
      appId: "notification",
      appPort: service.port,
      httpPort: daprPort,
      topicPrefix,
      ...(instanceId ? { instanceId } : {}),
    });
  } catch (error) {
    await service.close();
    throw error;
  }
  return {
    service,
    sidecar,
    publisher: new SidecarClient({ url: sidecar.url, timeoutMs: 5_000 }),
    stop: async () => {
      await sidecar.stop();
      await service.close();
    },
  };
}

/** The data of a reminder as the backend schedules it: every field, due `inMs` from now. */
export function scheduledData(
  userId: string,
  taskId: number,
  inMs: number,
): EventData<"com.taskmanager.reminder.scheduled"> {
  const remindAt = new Date(Date.now() + inMs);
  return {
    reminder_id: randomUUID(),
    task_id: taskId,
    user_id: userId,
    remind_at: remindAt.toISOString(),
    title: `Task ${taskId}`,
    due_at: new Date(remindAt.getTime() + 30 * 60_000).toISOString(),
    remind_before_minutes: 30,
    time_zone: "Europe/Paris",
  };
}

/** A `reminder.scheduled` event of the backend, built with the contract's builder. */
export function scheduledEvent(data: EventData<"com.taskmanager.reminder.scheduled">) {
  return buildEvent("com.taskmanager.reminder.scheduled", data, { source: eventSource("backend") });
}

/** The backend's `reminder.cancelled` of a scheduled reminder. */
export function cancelledEvent(data: EventData<"com.taskmanager.reminder.scheduled">) {
  return buildEvent(
    "com.taskmanager.reminder.cancelled",
    { ...data, reason: "completed" },
    { source: eventSource("backend") },
  );
}

/** Any CloudEvent on `reminders` (contract-only, or one that breaks the contract), keyed by `userId`. */
export async function publishReminder(publisher: SidecarClient, userId: string, event: unknown): Promise<void> {
  await publisher.publish({ pubsubName: PUBSUB, topic: "reminders", event, partitionKey: userId });
}

/** Sets a user's preferences; returns what the service answered. */
export async function setPreferences(api: Api, preferences: Record<string, unknown>): Promise<Preferences> {
  const answer = await api.request<Preferences>("PUT", "/api/preferences", preferences);
  if (answer.status !== 200)
    throw new Error(`PUT /api/preferences answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * An HTTP server that receives webhooks and records every request; `answer` gives the status of each, from its
 * path and its number among the requests to that path (1 for the first); 200 by default.
 */
export async function startWebhookReceiver(
  answer: (path: string, nth: number) => number | Promise<number> = () => 200,
): Promise<TestApp> {
  let app: TestApp | undefined;
  app = await startTestApp(async (request) => ({
    status: await answer(request.path, app?.to(request.path).length ?? 1),
  }));
  return app;
}

export interface DeliveryRecord {
  channel: Channel;
  status: ChannelDeliveryStatus;
  attempts: number;
  lastError: string | null;
  tries: { attempt: number; outcome: DeliveryOutcome; error: string | null; target: string | null; startedAt: Date }[];
}

/** The deliveries of a reminder by channel, with every recorded attempt in order. */
export async function deliveriesOf(
  service: NotificationService,
  reminderId: string,
): Promise<Record<string, DeliveryRecord>> {
  const db = service.database.db;
  const rows = await db.selectFrom("deliveries").selectAll().where("reminder_id", "=", reminderId).execute();
  const records: Record<string, DeliveryRecord> = {};
  for (const row of rows) {
    const tries = await db
      .selectFrom("delivery_attempts")
      .selectAll()
      .where("delivery_id", "=", row.delivery_id)
      .orderBy("attempt")
      .execute();
    records[row.channel] = {
      channel: row.channel,
      status: row.status,
      attempts: row.attempts,
      lastError: row.last_error,
      tries: tries.map((t) => ({
        attempt: t.attempt,
        outcome: t.outcome,
        error: t.error,
        target: t.target,
        startedAt: t.started_at,
      })),
    };
  }
  return records;
}

/** How many `reminder.triggered` events the service stored for a reminder, and how often each was published. */
export async function triggeredInOutbox(
  service: NotificationService,
  reminderId: string,
): Promise<{ eventId: string; publishCount: number }[]> {
  const { rows } = await sql<{ event_id: string; publish_count: number }>`
    SELECT event->>'id' AS event_id, publish_count FROM outbox
    WHERE event->>'type' = 'com.taskmanager.reminder.triggered' AND event->'data'->>'reminder_id' = ${reminderId}`.execute(
    service.database.db,
  );
  return rows.map((row) => ({ eventId: row.event_id, publishCount: row.publish_count }));
}
