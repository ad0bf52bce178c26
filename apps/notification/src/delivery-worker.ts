// The delivery worker: claims due email and webhook deliveries, sends each through its channel as the user's preferences stand now, and records every attempt; failures are retried with backoff until the last attempt.
import type { PassOutcome } from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import {
  type AttemptResult,
  type ClaimedDelivery,
  claimDeliveries,
  type RetryPolicy,
  recordAttempt,
} from "./deliveries";
import type { Mailer } from "./email";
import { preferencesOf } from "./preferences";
import type { Database } from "./tables";
import { sendWebhook, type WebhookOptions } from "./webhook";

export interface DeliveryWorkerOptions {
  /** Absent without SMTP_HOST: email deliveries are then skipped. */
  mailer?: Mailer;
  webhook: WebhookOptions;
  /** Deliveries claimed and attempted at once. */
  concurrency: number;
  /** How long a claim holds a delivery: longer than any attempt can take. */
  leaseMs: number;
  retry: RetryPolicy;
  log: FastifyBaseLogger;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One pass of the worker: claims up to `concurrency` due deliveries and attempts them all at once. Each attempt
 * reads the user's preferences as they are now: a channel turned off (or email without an SMTP server) is
 * `skipped`, not sent. Delivery is at least once: a send that succeeded but whose outcome was not recorded (the
 * process died in between, or its lease ran out) is sent again, with the same Message-ID or `webhook-id` so the
 * receiver can drop the repeat.
 */
export function deliveryPass(database: Database, options: DeliveryWorkerOptions): () => Promise<PassOutcome> {
  const attempt = async (claimed: ClaimedDelivery): Promise<AttemptResult> => {
    const preferences = await preferencesOf(database.db, claimed.userId);
    if (claimed.channel === "email") {
      if (!options.mailer)
        return { outcome: "skipped", target: null, error: "no SMTP server is configured (SMTP_HOST)" };
      const to = preferences.email_address;
      if (!preferences.email || to === null) return { outcome: "skipped", target: null, error: "email was turned off" };
      try {
        await options.mailer.send(to, claimed.content);
        return { outcome: "delivered", target: to };
      } catch (error) {
        return { outcome: "failed", target: to, error: message(error) };
      }
    }
    if (claimed.channel === "webhook") {
      const { webhook_url: url, webhook_secret: secret } = preferences;
      if (!preferences.webhook || url === null || secret === null) {
        return { outcome: "skipped", target: null, error: "the webhook was turned off" };
      }
      try {
        await sendWebhook(url, secret, claimed.content, options.webhook);
        return { outcome: "delivered", target: url };
      } catch (error) {
        return { outcome: "failed", target: url, error: message(error) };
      }
    }
    // In-app deliveries are made delivered; one is never pending.
    return { outcome: "delivered", target: null };
  };

  const deliver = async (claimed: ClaimedDelivery) => {
    const result = await attempt(claimed);
    const recorded = await recordAttempt(database.db, claimed, result, options.retry);
    // The target is not logged: a webhook URL often carries a token of its own.
    const detail = {
      deliveryId: claimed.deliveryId,
      reminderId: claimed.reminderId,
      channel: claimed.channel,
      attempt: claimed.attempt,
      outcome: result.outcome,
      ...(result.error ? { error: result.error } : {}),
    };
    if (!recorded) options.log.warn(detail, "delivery lease lost before its outcome was recorded");
    else if (result.outcome === "failed") options.log.warn(detail, "delivery attempt failed");
    else options.log.info(detail, "delivery attempt done");
  };

  return async () => {
    const claimed = await claimDeliveries(database.db, options.concurrency, options.leaseMs);
    const results = await Promise.allSettled(claimed.map(deliver));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    // An outcome that could not be recorded (the database gone) fails the pass; the lease brings the delivery back.
    if (failure) throw failure.reason;
    return claimed.length === options.concurrency ? "more" : "idle";
  };
}
