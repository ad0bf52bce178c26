// The alert loop: sends the alert of every new entry once, after its commit, with retries and backoff; entries whose alert is still pending (made while down, or the webhook failed) are picked up by the next poll.
import { type BackoffSettings, backoffDelay, type PassOutcome, Periodic } from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import { type Kysely, sql } from "kysely";
import type { AlertSender, DeadLetterAlert } from "./alert-senders";
import type { Tables } from "./tables";

export interface AlerterSettings {
  /** Calls per alert in one round, the first included. */
  attempts: number;
  /** The longest one call may take; bounds the claim's lease with `attempts` and `backoff`. */
  timeoutMs: number;
  backoff: BackoffSettings;
  /** How often pending alerts are looked for without a wake; also the wait before a failed alert's next round. */
  pollIntervalMs: number;
}

/**
 * Sends pending alerts in the order their entries became due, one per pass of a kit `Periodic`. Each entry is
 * claimed first (its `alert_due_at` moved past the round's longest duration, under `FOR UPDATE SKIP LOCKED`), so
 * replicas never send one alert at the same time, and a replica that dies mid-round leaves the entry due again once
 * the lease ends. A sent alert sets `alerted_at`; a round whose every attempt failed is logged and the entry waits
 * for the next poll. A crash between a send and its mark resends that alert, with the same `webhook-id`.
 *
 * `wake()` after a commit that made a new entry looks now rather than at the next poll. `stop(deadline)` stops after
 * the alert in hand; a send still running at the deadline is aborted, and its entry stays pending for the next start.
 */
export class Alerter extends Periodic {
  constructor(db: Kysely<Tables>, send: AlertSender, settings: AlerterSettings, log: FastifyBaseLogger) {
    super(
      (signal) => sendNext(db, send, settings, log, signal),
      {
        intervalMs: settings.pollIntervalMs,
        // Reading the pending alerts failed (the database unreachable): tried again after about a poll interval.
        backoff: { initialMs: settings.pollIntervalMs, maxMs: settings.pollIntervalMs },
        // An aborted round still records that its alert is pending before the database closes.
        waitForPass: true,
      },
      log,
    );
  }
}

/** Claims the next pending alert and sends it: `more` when there was one, `idle` when none is due. */
async function sendNext(
  db: Kysely<Tables>,
  send: AlertSender,
  settings: AlerterSettings,
  log: FastifyBaseLogger,
  signal: AbortSignal,
): Promise<PassOutcome> {
  const alert = await claimNext(db, leaseSeconds(settings));
  if (!alert) return "idle";
  if (await sendWithRetries(alert, send, settings, log, signal)) {
    await db.updateTable("dead_letters").set({ alerted_at: sql`now()` }).where("id", "=", String(alert.id)).execute();
  } else {
    await db
      .updateTable("dead_letters")
      .set({ alert_due_at: sql`now() + make_interval(secs => ${settings.pollIntervalMs / 1000})` })
      .where("id", "=", String(alert.id))
      .execute();
  }
  return "more";
}

/** The longest a round can take: every attempt timing out, with the longest backoff between them, and a margin. */
function leaseSeconds({ attempts, timeoutMs, backoff }: AlerterSettings): number {
  return (attempts * (timeoutMs + backoff.maxMs) + 1_000) / 1_000;
}

async function claimNext(db: Kysely<Tables>, leaseSeconds: number): Promise<DeadLetterAlert | undefined> {
  const row = await db
    .updateTable("dead_letters")
    .set({
      alert_due_at: sql`now() + make_interval(secs => ${leaseSeconds})`,
      alert_attempts: sql`alert_attempts + 1`,
    })
    .where("id", "=", (eb) =>
      eb
        .selectFrom("dead_letters")
        .select("id")
        .where("alerted_at", "is", null)
        .where("alert_due_at", "<=", sql<Date>`now()`)
        .orderBy("alert_due_at")
        .orderBy("id")
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["id", "identity", "topic", "event_type", "subscribers", "event_id", "error", "first_seen_at"])
    .executeTakeFirst();
  if (!row) return undefined;
  return { ...row, id: Number(row.id), first_seen_at: row.first_seen_at.toISOString() };
}

/** One round: up to `attempts` calls with backoff between them; false when all failed or `signal` aborted. */
async function sendWithRetries(
  alert: DeadLetterAlert,
  send: AlertSender,
  { attempts, backoff }: AlerterSettings,
  log: FastifyBaseLogger,
  signal: AbortSignal,
): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await send(alert, signal);
      return true;
    } catch (error) {
      const reason = failureReason(error);
      if (attempt >= attempts || signal.aborted) {
        log.error(
          { deadLetter: alert.id, attempts: attempt, reason },
          "alert not sent; it stays pending for the next poll",
        );
        return false;
      }
      const delayMs = backoffDelay(attempt, backoff);
      log.warn({ deadLetter: alert.id, attempt, reason, retryInMs: delayMs }, "alert not sent; retrying");
      const slept = await sleep(delayMs, signal);
      if (!slept) return false;
    }
  }
}

/** An error's message, with its cause's (fetch reports the refused connection or the timeout as the cause). */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** Waits `ms`; resolves false at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (finished: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", aborted);
      resolve(finished);
    };
    const aborted = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", aborted, { once: true });
  });
}
