// Durable deliveries, one per (reminder, channel): made with the triggered event's processing, claimed under a lease by one worker at a time, and each attempt recorded with its outcome.
import { randomUUID } from "node:crypto";
import { type BackoffSettings, backoffDelay } from "@event-platform/service-kit";
import { type Kysely, sql, type Transaction } from "kysely";
import { storeInAppNotification } from "./notifications";
import type { DeliveryContent, Reminder } from "./reminder";
import type { Channel, DeliveryOutcome, Tables } from "./tables";

/** Errors are kept to this many characters: enough to act on, bounded whatever a server answered. */
const MAX_ERROR_LENGTH = 1_000;

/**
 * Makes the deliveries of a triggered reminder in the caller's transaction (the one that records the event as
 * processed), one per channel, each at most once per reminder and channel whatever event asks again (the unique
 * key). The in-app channel is a row in this same database, so it is delivered right here, exactly once; email and
 * webhook deliveries are left `pending` for the worker. Returns how many pending deliveries were made.
 */
export async function createDeliveries(
  trx: Transaction<Tables>,
  reminder: Reminder,
  content: DeliveryContent,
  channels: readonly Channel[],
): Promise<number> {
  if (channels.length === 0) return 0;
  const made = await trx
    .insertInto("deliveries")
    .values(
      channels.map((channel) => ({
        reminder_id: reminder.reminderId,
        channel,
        user_id: reminder.userId,
        content: JSON.stringify(content),
        ...(channel === "in_app"
          ? { status: "delivered" as const, attempts: 1, delivered_at: sql<Date>`now()` }
          : { status: "pending" as const }),
      })),
    )
    .onConflict((conflict) => conflict.columns(["reminder_id", "channel"]).doNothing())
    .returning(["delivery_id", "channel"])
    .execute();
  const inApp = made.find((row) => row.channel === "in_app");
  if (inApp) {
    await storeInAppNotification(trx, reminder);
    await trx
      .insertInto("delivery_attempts")
      .values({
        delivery_id: Number(inApp.delivery_id),
        attempt: 1,
        started_at: sql<Date>`now()`,
        outcome: "delivered",
        target: null,
        error: null,
      })
      .execute();
  }
  return made.filter((row) => row.channel !== "in_app").length;
}

/** A delivery an attempt holds the lease of. */
export interface ClaimedDelivery {
  deliveryId: string;
  reminderId: string;
  channel: Channel;
  userId: string;
  content: DeliveryContent;
  /** This attempt's number, from 1. */
  attempt: number;
  /** Only the holder of this claim may record the attempt's outcome. */
  claimId: string;
  startedAt: Date;
}

/**
 * Claims up to `limit` pending deliveries that are due, oldest first, for `leaseMs`, in one statement: `FOR UPDATE SKIP LOCKED`
 * keeps two instances claiming at the same moment off each other's rows, and the lease (the row's next attempt
 * moved to the lease's end) keeps them off while the attempt runs without holding a transaction open across the
 * send. An instance that dies mid-attempt leaves the lease to expire, and the delivery is attempted again.
 */
export async function claimDeliveries(db: Kysely<Tables>, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const claimId = randomUUID();
  const rows = await db
    .updateTable("deliveries")
    .set({
      attempts: sql<number>`attempts + 1`,
      next_attempt_at: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`,
      claim_id: claimId,
      updated_at: sql<Date>`now()`,
    })
    .where("delivery_id", "in", (eb) =>
      eb
        .selectFrom("deliveries")
        .select("delivery_id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", sql<Date>`now()`)
        .orderBy("next_attempt_at")
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["delivery_id", "reminder_id", "channel", "user_id", "content", "attempts"])
    .returning(sql<Date>`now()`.as("started_at"))
    .execute();
  return rows.map((row) => ({
    deliveryId: String(row.delivery_id),
    reminderId: row.reminder_id,
    channel: row.channel,
    userId: row.user_id,
    content: row.content as DeliveryContent,
    attempt: row.attempts,
    claimId,
    startedAt: row.started_at,
  }));
}

/** How an attempt ended: where it went (an email address, a webhook URL), and why it failed or was skipped. */
export interface AttemptResult {
  outcome: DeliveryOutcome;
  target: string | null;
  error?: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  backoff: BackoffSettings;
}

/**
 * Records an attempt's outcome and the attempt itself, in one transaction. A failed attempt before the last is
 * retried after `backoffDelay(attempt)`; after the last the delivery is `failed`. Returns false, recording
 * nothing, when the claim is no longer this attempt's (its lease expired and another attempt took the delivery).
 */
export async function recordAttempt(
  db: Kysely<Tables>,
  claimed: ClaimedDelivery,
  result: AttemptResult,
  policy: RetryPolicy,
): Promise<boolean> {
  const error = result.error === undefined ? null : result.error.slice(0, MAX_ERROR_LENGTH);
  const retry = result.outcome === "failed" && claimed.attempt < policy.maxAttempts;
  const status = retry ? "pending" : result.outcome;
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("deliveries")
      .set({
        status,
        claim_id: null,
        last_error: error,
        updated_at: sql<Date>`now()`,
        ...(result.outcome === "delivered" ? { delivered_at: sql<Date>`now()` } : {}),
        ...(retry
          ? {
              next_attempt_at: sql<Date>`now() + ${backoffDelay(claimed.attempt, policy.backoff)} * interval '1 millisecond'`,
            }
          : {}),
      })
      .where("delivery_id", "=", claimed.deliveryId)
      .where("claim_id", "=", claimed.claimId)
      .returning("delivery_id")
      .executeTakeFirst();
    if (!updated) return false;
    await trx
      .insertInto("delivery_attempts")
      .values({
        delivery_id: Number(claimed.deliveryId),
        attempt: claimed.attempt,
        started_at: claimed.startedAt,
        outcome: result.outcome,
        target: result.target,
        error,
      })
      .execute();
    return true;
  });
}
