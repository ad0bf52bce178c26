// Idempotent consumers: the record of each processed event commits in the same transaction as the event's effect, so a redelivered event changes nothing.
import { createHash } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { type Generated, type Kysely, sql, type Transaction } from "kysely";
import type { AppSpec } from "../../specs/apps";
import type { BackoffSettings } from "./backoff";
import { Periodic } from "./periodic";

/** The table every consumer keeps (create it in a migration with `createProcessedEventsTable`). */
export interface ProcessedEventsTable {
  /** `processedEventKey` of the event: the record of one (source, id) pair. */
  event_key: string;
  processed_at: Generated<Date>;
}

export interface ProcessedEventsTables {
  processed_events: ProcessedEventsTable;
}

/** The migration step that makes the processed-events table; used by each consumer's own first migration. */
export async function createProcessedEventsTable(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE processed_events (
      event_key text PRIMARY KEY CHECK (event_key ~ '^[0-9a-f]{64}$'),
      processed_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX processed_events_by_time ON processed_events (processed_at)`.execute(db);
}

/**
 * The key an event is recorded under: the SHA-256 digest, in lower-case hex, of `[source, id]` as a JSON array.
 * CloudEvents identify an event by `source` and `id` together (CloudEvents 1.0, "id"), and both may be any string:
 * a NUL (which PostgreSQL's text refuses) or 20 KB (beyond a btree index row's 8191 bytes) must not make the record
 * fail, or the event would be retried for ever. JSON keeps the pair apart (no source can pass for another split)
 * and escapes a lone surrogate, so distinct pairs give distinct digests.
 */
export function processedEventKey(event: { source: string; id: string }): string {
  return createHash("sha256")
    .update(JSON.stringify([event.source, event.id]), "utf8")
    .digest("hex");
}

/** Whether `processOnce` ran the effect now or had already recorded the event. */
export type ProcessOutcome = "processed" | "duplicate";

/**
 * Runs `effect` once per event: in one transaction, records the event's `processedEventKey` and runs the effect; if the record is
 * there already, the transaction does nothing and resolves `duplicate`. Two deliveries of one event at once are
 * serialized by the primary key (the second insert waits for the first transaction, then finds its row). An effect
 * that throws rolls back the record with it, so the event is processed again when redelivered.
 */
export async function processOnce<Tables extends ProcessedEventsTables>(
  db: Kysely<Tables>,
  event: { source: string; id: string },
  effect: (trx: Transaction<Tables>) => Promise<void>,
): Promise<ProcessOutcome> {
  const untyped = db as unknown as Kysely<ProcessedEventsTables>;
  return untyped.transaction().execute(async (trx) => {
    const recorded = await trx
      .insertInto("processed_events")
      .values({ event_key: processedEventKey(event) })
      .onConflict((conflict) => conflict.column("event_key").doNothing())
      .returning("event_key")
      .executeTakeFirst();
    if (!recorded) return "duplicate";
    await effect(trx as unknown as Transaction<Tables>);
    return "processed";
  });
}

/**
 * Forgets events processed before `olderThan`: no broker still holds them once their topic's retention has passed,
 * so none can be redelivered. Returns how many records went.
 */
export async function purgeProcessedEvents(db: Kysely<ProcessedEventsTables>, olderThan: Date): Promise<number> {
  const result = await db.deleteFrom("processed_events").where("processed_at", "<", olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Extra time processed-event records are kept beyond the longest retention of the topics they came from. */
const RETENTION_MARGIN_MS = 24 * 60 * 60 * 1000;
/** How often the purger looks for records past their retention. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * How long `app` keeps its processed-event records, in ms: the longest retention of the topics it subscribes to
 * (specs/apps.ts, events/src/topics.ts) and a day more. Past that no broker holds the event, so it cannot be
 * redelivered; a dead letter replayed later was never processed (that is why it was dead-lettered), so forgetting
 * changes nothing for it either. Throws for an app that subscribes to nothing.
 */
export function processedEventsRetentionMs(app: AppSpec): number {
  if (app.subscriptions.length === 0)
    throw new Error(`App ${app.id} subscribes to nothing: it keeps no processed events`);
  return Math.max(...app.subscriptions.map((sub) => sub.topic.retentionMs)) + RETENTION_MARGIN_MS;
}

/**
 * A worker that forgets `app`'s processed-event records once they are older than `processedEventsRetentionMs`,
 * hourly, so the table stays as large as the topics' retention allows. A failed pass (the database unreachable)
 * is retried with `backoff` (1 s doubling to 5 min by default).
 */
export function processedEventsPurger(
  db: Kysely<ProcessedEventsTables>,
  app: AppSpec,
  log: FastifyBaseLogger,
  backoff: BackoffSettings = { initialMs: 1_000, maxMs: 300_000 },
): Periodic {
  const retentionMs = processedEventsRetentionMs(app);
  return new Periodic(
    async () => {
      const purged = await purgeProcessedEvents(db, new Date(Date.now() - retentionMs));
      if (purged > 0) log.info({ purged }, "processed-event records past their topics' retention forgotten");
      return "idle";
    },
    { intervalMs: PURGE_INTERVAL_MS, backoff },
    log,
  );
}
