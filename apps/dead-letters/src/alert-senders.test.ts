// Unit tests of the alert's wire form: Standard Webhooks' body and headers, a signature `Webhook.verify` accepts, and a stable webhook-id.
import { randomBytes } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  ALERT_TYPE,
  alertBody,
  type DeadLetterAlert,
  webhookHeaders,
  webhookSender,
  withoutUrl,
} from "./alert-senders";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const ALERT: DeadLetterAlert = {
  id: 7,
  identity: "ab".repeat(32),
  topic: "task-events",
  event_type: "com.taskmanager.task.completed",
  subscribers: ["recurring"],
  event_id: "0b7e3f0e-8a5b-4a51-9d59-1f0c3c2a7d11",
  error: "delivery failed after the subscriber's retries or was dropped by it",
  first_seen_at: "2026-11-30T10:00:00.000Z",
};

describe("alert webhook requests", () => {
  it("carry type, timestamp and the entry under data, without the identity digest", () => {
    const now = new Date("2026-11-30T10:00:05.000Z");
    const { identity: _identity, ...data } = ALERT;
    expect(JSON.parse(alertBody(ALERT, now))).toEqual({ type: ALERT_TYPE, timestamp: now.toISOString(), data });
  });

  it("are signed so that standardwebhooks' Webhook.verify accepts them, and only them", () => {
    const now = new Date();
    const body = alertBody(ALERT, now);
    const headers = webhookHeaders(ALERT, body, now, new Webhook(SECRET));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(SECRET).verify(body.replace("task-events", "reminders"), headers)).toThrow(
      WebhookVerificationError,
    );
    const otherSecret = `whsec_${randomBytes(32).toString("base64")}`;
    expect(() => new Webhook(otherSecret).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it("keep one webhook-id per entry across sends, and carry no signature without a secret", () => {
    const first = webhookHeaders(ALERT, "{}", new Date(1_000_000));
    const later = webhookHeaders(ALERT, "{}", new Date(2_000_000));
    expect(first["webhook-id"]).toBe(later["webhook-id"]);
    expect(first).toEqual({
      "content-type": "application/json",
      "webhook-id": `dead-letter-${ALERT.identity}`,
      "webhook-timestamp": "1000",
    });
  });
});

describe("webhookSender", () => {
  it("fails without the URL in the error, its cause or its stack", async () => {
    const url = "http://alertuser:s3cr3t-pw@127.0.0.1:9/hook?token=tok3n";
    const error = await webhookSender({ url }, 1_000)(ALERT, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const text = [(error as Error).message, String((error as Error).cause), (error as Error).stack].join("\n");
    expect(text).toContain("<ALERT_WEBHOOK_URL>");
    expect(text).not.toMatch(/s3cr3t|tok3n|alertuser/);
  });

  it("redacts the URL in whatever form fetch writes it", () => {
    const url = "HTTPS://Hooks.Example.com/a?token=t0k";
    const redacted = withoutUrl(new TypeError(`bad ${new URL(url).href}`, { cause: new Error(url) }), url);
    expect(redacted.message).toBe("bad <ALERT_WEBHOOK_URL>");
    expect((redacted.cause as Error).message).toBe("<ALERT_WEBHOOK_URL>");
    expect(redacted.name).toBe("TypeError");
  });
});
