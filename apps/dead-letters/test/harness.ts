// Helpers of the desk's integration suites: a desk on either database with its development sidecar, operator clients, throwaway subscribers that fail, and records produced straight onto a topic.
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { freePort } from "../../../local/process";
import { KafkaPublisher } from "../../../local/sidecar/kafka-publisher";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import { type AppAnswer, type AppRequest, startTestApp, type TestApp } from "../../../local/sidecar/test-kit";
import {
  Api,
  fromSidecar,
  newUser,
  startAppSidecar,
  TEST_JWT_SECRET,
  testAppToken,
  tokenFor,
  waitFor,
} from "../../../test/support/services";
import { type DeadLetterDesk, startDeadLetters } from "../src/app";
import { loadConfig } from "../src/config";
import type { DeadLetterDetail, DeadLetterPage } from "../src/store";

export {
  Api,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
  type DatabaseKind,
  fromSidecar,
  newUser,
  TopicReader,
  testStore,
  tokenFor,
  uniqueTag,
  waitFor,
} from "../../../test/support/services";

/** The desk's app id, which is also its consumer group and the scope of its Dapr subscription. */
export const DESK = "dead-letters";

/**
 * Starts a desk on 127.0.0.1 and a free port, with short relay and alert timings so that failures and recoveries
 * take milliseconds. `env` adds or overrides variables (the store's, DAPR_HTTP_PORT, ALERT_WEBHOOK_URL, ...).
 */
export async function startTestDesk(env: Record<string, string>): Promise<DeadLetterDesk> {
  const config = loadConfig({
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.DEAD_LETTERS_TEST_LOG ? "info" : "silent",
    JWT_SECRET: TEST_JWT_SECRET,
    APP_API_TOKEN: testAppToken(DESK),
    OUTBOX_POLL_INTERVAL_MS: "200",
    OUTBOX_BACKOFF_INITIAL_MS: "20",
    OUTBOX_BACKOFF_MAX_MS: "250",
    ALERT_POLL_INTERVAL_MS: "300",
    ALERT_TIMEOUT_MS: "2000",
    ALERT_BACKOFF_INITIAL_MS: "20",
    ALERT_BACKOFF_MAX_MS: "100",
    SHUTDOWN_TIMEOUT_MS: "10000",
    ...env,
  });
  return startDeadLetters(config);
}

/** A desk with its development sidecar on the platform's own Dapr resources, under a topic prefix. */
export async function startDeskWithSidecar(
  env: Record<string, string>,
  topicPrefix: string,
): Promise<{ desk: DeadLetterDesk; sidecar: Sidecar }> {
  const daprPort = await freePort();
  const desk = await startTestDesk({ ...env, DAPR_HTTP_PORT: String(daprPort) });
  try {
    const sidecar = await startAppSidecar({ appId: DESK, appPort: desk.port, httpPort: daprPort, topicPrefix });
    return { desk, sidecar };
  } catch (error) {
    await desk.close();
    throw error;
  }
}

/**
 * Delivers a body to the desk's subscription route as its sidecar does: the app token, daprd's content type, and
 * the original record's metadata as headers. Resolves the desk's answer.
 */
export async function deliver(
  desk: DeadLetterDesk,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${desk.url}/events/dead-letter`, {
    method: "POST",
    headers: { ...fromSidecar(DESK), "content-type": "application/cloudevents+json", ...headers },
    body,
  });
  return { status: response.status, body: await response.json() };
}

/** A REST client with an operator's token (the `roles` claim holds `operator`); `userId` is its `sub`. */
export async function operatorApi(baseUrl: string): Promise<{ api: Api; userId: string }> {
  const userId = newUser("operator");
  return { api: new Api(baseUrl, await tokenFor(userId, { roles: ["operator"] })), userId };
}

/**
 * A stand-in for one of the catalog's subscribers: an HTTP app answering every delivery with `answer()`, behind
 * its own development sidecar under `appId`, so that the platform's Subscription for that app (with
 * `dead-letters` as its dead-letter topic) delivers to it and dead-letters what it refuses.
 */
export async function startFailingSubscriber(options: {
  appId: string;
  topicPrefix: string;
  answer: (request: AppRequest) => AppAnswer;
  /** What `{podName}` expands to: the gateway's consumer group. */
  instanceId?: string;
}): Promise<{ app: TestApp; sidecar: Sidecar; stop(): Promise<void> }> {
  const app = await startTestApp(options.answer);
  try {
    const sidecar = await startAppSidecar({
      appId: options.appId,
      appPort: app.port,
      topicPrefix: options.topicPrefix,
      ...(options.instanceId ? { instanceId: options.instanceId } : {}),
    });
    return {
      app,
      sidecar,
      stop: async () => {
        await sidecar.stop();
        await app.stop();
      },
    };
  } catch (error) {
    await app.stop();
    throw error;
  }
}

/** A CloudEvent with exactly the fields the contract requires for `type`, published by the backend. */
export function contractEvent(type: string, data: Record<string, unknown>): Record<string, unknown> {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: "/tasks/backend",
    type,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data,
  };
}

/** Publishes a CloudEvent through a sidecar's publish API under `key`, as the backend's relay does. */
export async function publishThrough(sidecar: Sidecar, topic: string, event: unknown, key: string): Promise<void> {
  const query = new URLSearchParams({ "metadata.partitionKey": key });
  const response = await fetch(`${sidecar.url}/v1.0/publish/kafka-pubsub/${topic}?${query}`, {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json" },
    body: JSON.stringify(event),
  });
  if (response.status !== 204) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
}

/**
 * Writes one record straight onto a broker topic (prefix included), as daprd's producer would: how a test puts
 * on `dead-letters` what no subscriber would dead-letter (a body that is not JSON), with the headers daprd writes.
 */
export async function produce(record: {
  topic: string;
  value: string;
  key?: string;
  headers: Record<string, string>;
}): Promise<void> {
  const publisher = new KafkaPublisher([inject("kafkaBrokers")], "dead-letters-tests");
  try {
    await publisher.send({ ...record, value: Buffer.from(record.value, "utf8") });
  } finally {
    await publisher.close();
  }
}

/** Waits until the desk holds an entry for the CloudEvent `eventId` (matching `ready` when given), and reads it. */
export async function entryOf(
  api: Api,
  eventId: string,
  ready: (entry: DeadLetterDetail) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<DeadLetterDetail> {
  return waitFor(
    async () => {
      const page = await api.request<DeadLetterPage>("GET", "/api/dead-letters?limit=100");
      const found = page.body.items.find((item) => item.event_id === eventId);
      if (!found) return undefined;
      const entry = (await api.request<DeadLetterDetail>("GET", `/api/dead-letters/${found.id}`)).body;
      return ready(entry) ? entry : undefined;
    },
    `the desk's entry for event ${eventId}`,
    timeoutMs,
  );
}
