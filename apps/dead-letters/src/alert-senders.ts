// Where the alert of a new dead letter goes: a webhook (JSON, signed per Standard Webhooks when a secret is set) or, without one, a structured warn line in the log.
import type { FastifyBaseLogger } from "fastify";
import { Webhook } from "standardwebhooks";

/** What an alert says about a new entry. */
export interface DeadLetterAlert {
  id: number;
  /** The entry's identity digest: the same for every send of its alert (the webhook's `webhook-id`). */
  identity: string;
  topic: string | null;
  event_type: string | null;
  subscribers: string[];
  event_id: string | null;
  error: string;
  first_seen_at: string;
}

/** Sends one alert; throws when it did not go through (the caller retries). */
export type AlertSender = (alert: DeadLetterAlert, signal: AbortSignal) => Promise<void>;

/** The Standard Webhooks event type of an alert. */
export const ALERT_TYPE = "dead_letter.created";

/** The webhook's JSON body: Standard Webhooks' recommended `type`, `timestamp` and `data`. */
export function alertBody(alert: DeadLetterAlert, now: Date): string {
  const { identity: _identity, ...data } = alert;
  return JSON.stringify({ type: ALERT_TYPE, timestamp: now.toISOString(), data });
}

/**
 * The headers of one webhook call. `webhook-id` stays the same on every retry and resend of one entry's alert, so a
 * receiver can drop repeats; `webhook-timestamp` is the send time in seconds, and `webhook-signature` (with a
 * secret) `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` as `standardwebhooks`' `Webhook.sign` makes it.
 */
export function webhookHeaders(alert: DeadLetterAlert, body: string, now: Date, signer?: Webhook) {
  const id = `dead-letter-${alert.identity}`;
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    ...(signer ? { "webhook-signature": signer.sign(id, now, body) } : {}),
  };
}

/**
 * `error` with every occurrence of `url` (as given, and as the URL parser writes it) in its message, and its
 * cause's, replaced by `<ALERT_WEBHOOK_URL>`: fetch names the URL in some errors ("Request cannot be constructed
 * from a URL that includes credentials: …"), and the URL may carry a token.
 */
export function withoutUrl(error: unknown, url: string): Error {
  const forms = new Set([url]);
  try {
    forms.add(new URL(url).href);
  } catch {
    // Not a URL: only the form given can appear.
  }
  const redact = (text: string) => [...forms].reduce((t, form) => t.replaceAll(form, "<ALERT_WEBHOOK_URL>"), text);
  if (!(error instanceof Error)) return new Error(redact(String(error)));
  const cause = error.cause instanceof Error ? new Error(redact(error.cause.message)) : undefined;
  const redacted = new Error(redact(error.message), cause ? { cause } : {});
  redacted.name = error.name;
  return redacted;
}

/**
 * POSTs alerts to `url`; any answer but 2xx is a failure. Redirects are not followed: a moved receiver is a
 * configuration to fix, not a place to send alerts to unannounced. Neither the URL nor the secret is ever logged:
 * a failure's error (and its cause) has the URL redacted (`withoutUrl`), stack included.
 */
export function webhookSender(webhook: { url: string; secret?: string }, timeoutMs: number): AlertSender {
  const signer = webhook.secret === undefined ? undefined : new Webhook(webhook.secret);
  return async (alert, signal) => {
    const now = new Date();
    const body = alertBody(alert, now);
    let response: Response;
    try {
      response = await fetch(webhook.url, {
        method: "POST",
        headers: webhookHeaders(alert, body, now, signer),
        body,
        redirect: "manual",
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      await response.body?.cancel();
    } catch (error) {
      throw withoutUrl(error, webhook.url);
    }
    if (response.status < 200 || response.status > 299) {
      throw new Error(`the alert webhook answered HTTP ${response.status}`);
    }
  };
}

/** Without a webhook: one warn line per new entry, with the alert's fields under `deadLetter`. */
export function logSender(log: FastifyBaseLogger): AlertSender {
  return async (alert) => {
    const { identity: _identity, ...deadLetter } = alert;
    log.warn({ deadLetter }, "new dead letter");
  };
}
