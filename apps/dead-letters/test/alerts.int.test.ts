// Alerts that must not be lost, on both databases: a failing webhook keeps the alert pending across a restart until it answers, and a slow one never holds up a delivery.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import { type AppAnswer, startTestApp } from "../../../local/sidecar/test-kit";
import type { DeadLetterDesk } from "../src/app";
import type { DeadLetterPage } from "../src/store";
import {
  Cleanup,
  contractEvent,
  DATABASE_KINDS,
  deliver,
  newUser,
  operatorApi,
  startTestDesk,
  testStore,
  waitFor,
} from "./harness";

const SUCCESS = { status: 200, body: { status: "SUCCESS" } };

describe.each(DATABASE_KINDS)("dead-letter alerts on %s", (kind) => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it("keeps an alert pending while the webhook fails, across a restart, and sends it once the webhook answers", async () => {
    const store = cleanup.add(await testStore(kind, `dead_letters_alerts_${kind}`));
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const answers: number[] = [];
    let answer: AppAnswer = { status: 503 };
    const hook = cleanup.add(
      await startTestApp(() => {
        answers.push(answer.status ?? 200);
        return answer;
      }),
    );
    const env = {
      ...store.env,
      DAPR_HTTP_PORT: String(await freePort()),
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_WEBHOOK_SECRET: secret,
      ALERT_ATTEMPTS: "2",
    };
    const event = contractEvent("com.taskmanager.task.deleted", { task_id: 1, user_id: newUser("dl-pending") });

    const first: DeadLetterDesk = await startTestDesk(env);
    cleanup.add({ stop: () => first.close() });
    expect(await deliver(first, JSON.stringify(event), { __topic: "task-events" })).toEqual(SUCCESS);
    // Two rounds of two attempts each, all refused.
    await waitFor(() => answers.length >= 4, "two failed rounds of alert attempts");
    const { api: firstApi } = await operatorApi(first.url);
    const pending = (await firstApi.request<DeadLetterPage>("GET", "/api/dead-letters")).body.items;
    expect(pending).toMatchObject([{ event_id: event.id, alerted_at: null }]);
    await first.close();

    answer = { status: 204 };
    const second = await startTestDesk(env);
    cleanup.add({ stop: () => second.close() });
    const { api } = await operatorApi(second.url);
    await waitFor(async () => {
      const [entry] = (await api.request<DeadLetterPage>("GET", "/api/dead-letters")).body.items;
      return entry?.alerted_at !== null && entry?.alerted_at !== undefined;
    }, "the pending alert sent after the restart");
    await sleep(1_000);

    // Exactly one accepted; every attempt was the same message (one webhook-id), and the accepted one is signed.
    expect(answers.filter((status) => status === 204)).toHaveLength(1);
    expect(new Set(hook.requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    const accepted = hook.requests[answers.indexOf(204)];
    const verified = new Webhook(secret).verify(
      accepted?.body.toString("utf8") ?? "",
      accepted?.headers as Record<string, string>,
    );
    expect(verified).toMatchObject({ type: "dead_letter.created", data: { event_id: event.id, topic: "task-events" } });
  });

  it("answers a delivery at once while the webhook hangs, and gives the alert up only for the round", async () => {
    const store = cleanup.add(await testStore(kind, `dead_letters_slow_${kind}`));
    let hanging = true;
    const hook = cleanup.add(
      await startTestApp(async () => {
        if (hanging) await sleep(1_500);
        return { status: hanging ? 200 : 204 };
      }),
    );
    const desk = await startTestDesk({
      ...store.env,
      DAPR_HTTP_PORT: String(await freePort()),
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_TIMEOUT_MS: "300",
      ALERT_ATTEMPTS: "1",
    });
    cleanup.add({ stop: () => desk.close() });
    const event = contractEvent("com.taskmanager.task.deleted", { task_id: 2, user_id: newUser("dl-slow") });

    const started = Date.now();
    expect(await deliver(desk, JSON.stringify(event), { __topic: "task-events" })).toEqual(SUCCESS);
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitFor(() => hook.requests.length >= 1, "the first, timed-out, alert attempt");
    hanging = false;
    const { api } = await operatorApi(desk.url);
    await waitFor(async () => {
      const [entry] = (await api.request<DeadLetterPage>("GET", "/api/dead-letters")).body.items;
      return entry?.alerted_at !== null && entry?.alerted_at !== undefined;
    }, "the alert sent at a later poll, once the webhook answers in time");
  });
});
