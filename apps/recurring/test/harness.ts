// Helpers of the recurring service's integration suites: the service on either database with its development sidecar, a backend with its own, a recorder of the invocations that reach the backend, and how far the service's consumer group has got.
import { TOPICS } from "@event-platform/events";
import { freePort } from "../../../local/process";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import { startTestApp, type TestApp } from "../../../local/sidecar/test-kit";
import { APPS } from "../../../specs/apps";
import {
  fromSidecar,
  startAppSidecar,
  type TopicReader,
  testAppToken,
  waitUntilConsumed,
} from "../../../test/support/services";
import { type Recurring, startRecurring } from "../src/app";
import { loadConfig } from "../src/config";

export { publish } from "../../../local/sidecar/test-kit";
export {
  Api,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
  newUser,
  type ReadEvent,
  type TestStore,
  TopicReader,
  testStore,
  uniqueTag,
  waitFor,
} from "../../../test/support/services";
export { startBackendSidecar, startTestBackend } from "../../backend/test/harness";

/** The headers of a call from the recurring service's Dapr sidecar (deliveries, `/dapr/subscribe`). */
export const FROM_SIDECAR = fromSidecar(APPS.recurring.id);

/** Starts the recurring service on 127.0.0.1 and a free port; `env` adds or overrides variables (the store's, DAPR_HTTP_PORT). */
export async function startTestRecurring(env: Record<string, string>): Promise<Recurring> {
  const config = loadConfig({
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.RECURRING_TEST_LOG ? "info" : "silent",
    APP_API_TOKEN: testAppToken(APPS.recurring.id),
    SIDECAR_TIMEOUT_MS: "5000",
    SHUTDOWN_TIMEOUT_MS: "10000",
    ...env,
  });
  return startRecurring(config);
}

/** Starts the development sidecar of the recurring service, invoking the backend at `backendUrl`. */
export function startRecurringSidecar(options: {
  recurringPort: number;
  httpPort: number;
  topicPrefix: string;
  backendUrl: string;
}): Promise<Sidecar> {
  return startAppSidecar({
    appId: APPS.recurring.id,
    appPort: options.recurringPort,
    httpPort: options.httpPort,
    topicPrefix: options.topicPrefix,
    appAddresses: { [APPS.backend.id]: options.backendUrl },
  });
}

/** The headers an invocation carries from the caller's sidecar to the callee, passed on to the backend as they came. */
const FORWARDED_HEADERS = ["content-type", "dapr-api-token", "dapr-caller-app-id", "traceparent"];

/**
 * An HTTP pass-through in front of the backend: each request is sent on unchanged and answered with the backend's
 * own answer, and recorded (`requests`, `to(path)`), so a test can count how often the backend was asked. While
 * `unreachable()` says so, it answers 503 instead, as a backend that is down or restarting would.
 */
export function startBackendRecorder(backendUrl: string, unreachable: () => boolean = () => false): Promise<TestApp> {
  return startTestApp(async (request) => {
    if (unreachable()) return { status: 503, body: "backend unavailable" };
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const query = request.query.size > 0 ? `?${request.query}` : "";
    const response = await fetch(`${backendUrl}${request.path}${query}`, {
      method: request.method,
      headers,
      ...(request.body.length > 0 ? { body: request.body } : {}),
    });
    return {
      status: response.status,
      headers: { "content-type": response.headers.get("content-type") ?? "text/plain" },
      body: await response.text(),
    };
  });
}

/**
 * Waits until the recurring service's consumer group has committed past every `task-events` record the reader
 * has read: each of them was delivered and got a final answer (SUCCESS, or DROP to the dead-letter topic).
 */
export async function waitUntilHandled(reader: TopicReader, topicPrefix: string, timeoutMs = 30_000): Promise<void> {
  await waitUntilConsumed({
    reader,
    prefix: topicPrefix,
    group: APPS.recurring.id,
    topic: TOPICS.taskEvents.name,
    timeoutMs,
  });
}
