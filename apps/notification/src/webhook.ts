// The webhook channel: the user's URL checked, signing secrets generated, and each reminder POSTed as JSON signed per the Standard Webhooks specification (the `standardwebhooks` library), with a timeout and no private addresses.
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { urlProblem } from "@event-platform/service-kit";
import { Webhook } from "standardwebhooks";
import { ForbiddenAddressError, isNonPublicAddress, literalAddress, publicOnlyLookup } from "./address-policy";
import type { DeliveryContent } from "./reminder";

/** The longest webhook URL taken. */
export const MAX_WEBHOOK_URL_LENGTH = 2_048;

/**
 * A new signing secret: `whsec_` and 32 random bytes in base64, the form the Standard Webhooks libraries read (the
 * specification asks for 24 to 64 bytes). Shown to its user once per change of URL; a secret: never logged.
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The `webhook-id` of a reminder's webhook: the same on every attempt, so a receiver that saw it already (an
 * attempt whose answer got lost, or a send repeated after a crash) can tell it is a repeat.
 */
export function webhookId(reminderId: string): string {
  return `reminder_${reminderId}`;
}

/**
 * What is wrong with `value` as a webhook URL, or undefined: an absolute http(s) URL without credentials (they
 * would be stored and sent in clear), whose host, when written as an IP address, is public unless
 * `allowPrivateAddresses`. A host name is checked on every delivery instead, on the addresses it resolves to.
 */
export function webhookUrlProblem(value: string, allowPrivateAddresses: boolean): string | undefined {
  const problem = urlProblem(value, { protocols: ["https:", "http:"], credentials: false });
  if (problem !== undefined) return problem;
  const url = new URL(value);
  const address = literalAddress(url.hostname);
  if (!allowPrivateAddresses && address !== undefined && isNonPublicAddress(address)) {
    return "must not point at a loopback, private or link-local address";
  }
  return undefined;
}

/**
 * The body every webhook carries, in the shape the Standard Webhooks specification recommends: `type`,
 * `timestamp` (when the reminder fired) and `data` (the reminder). The same bytes on every attempt.
 */
export function webhookBody(content: DeliveryContent): string {
  return JSON.stringify({ type: "reminder.triggered", timestamp: content.triggered_at, data: content });
}

/**
 * The Standard Webhooks headers of one attempt: `webhook-id`, `webhook-timestamp` (Unix seconds of this attempt:
 * receivers refuse stale ones, so each attempt is signed anew) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`
 * of `id.timestamp.body` with the secret, `Webhook.sign`).
 */
export function signedHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

export interface WebhookOptions {
  timeoutMs: number;
  allowPrivateAddresses: boolean;
}

/**
 * POSTs a signed reminder to `url` and resolves when it answers 2xx; throws otherwise (another status, a redirect,
 * which is not followed, no answer within `timeoutMs`, or a host that is only private addresses). The
 * connection goes only to public addresses unless `allowPrivateAddresses`.
 */
export async function sendWebhook(
  url: string,
  secret: string,
  content: DeliveryContent,
  options: WebhookOptions,
): Promise<void> {
  const target = new URL(url);
  const address = literalAddress(target.hostname);
  if (!options.allowPrivateAddresses && address !== undefined && isNonPublicAddress(address)) {
    throw new ForbiddenAddressError(
      `${address} is outside the public internet; WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off`,
    );
  }
  const body = webhookBody(content);
  const headers = {
    "content-type": "application/json",
    "user-agent": "event-platform-notification",
    ...signedHeaders(secret, webhookId(content.reminder_id), new Date(), body),
  };
  const status = await post(target, headers, body, options);
  if (status < 200 || status > 299) throw new Error(`the webhook answered ${status}`);
}

function post(url: URL, headers: Record<string, string>, body: string, options: WebhookOptions): Promise<number> {
  const request = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        // A connection of its own per attempt: nothing is shared with an earlier, possibly hung one.
        agent: false,
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.allowPrivateAddresses ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        // The status is the answer; the body is not read, so a receiver cannot hold the worker with it.
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    outgoing.on("error", (error: Error) =>
      reject(error.name === "AbortError" ? new Error(`no answer within ${options.timeoutMs} ms`) : error),
    );
    outgoing.end(body);
  });
}
