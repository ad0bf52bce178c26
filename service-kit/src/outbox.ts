// The transactional outbox: events stored in the write's own transaction, read back in id order and marked once published.
import { type AnyCloudEvent, partitionKeyOf, topicOfEvent } from "@event-platform/events";
import { type ColumnType, type Generated, type Kysely, sql, type Transaction } from "kysely";

/** The outbox table as Kysely sees it (made by `createOutboxTable`). */
export interface OutboxTable {
  /** Identity column: publishing in id order keeps each key's events in commit order. */
  id: Generated<string>;
  /** The CloudEvent exactly as it is published; `json`, not `jsonb`, so its text is kept as written. */
  event: ColumnType<unknown, string, never>;
  topic: string;
  partition_key: string;
  created_at: Generated<Date>;
  published_at: Date | null;
  /** How many times the relay published this row: 1 once published; more would mean a duplicate. */
  publish_count: Generated<number>;
}

export interface OutboxTables {
  outbox: OutboxTable;
}

/** The migration step that makes the outbox table and its indexes; used by each publishing service's migrations. */
export async function createOutboxTable(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event json NOT NULL,
      topic text NOT NULL,
      partition_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      publish_count integer NOT NULL DEFAULT 0
    )`.execute(db);
  // The relay only ever reads the unpublished head; this index stays as small as the backlog.
  await sql`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`.execute(db);
  await sql`CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL`.execute(db);
}

/** One event to store: any CloudEvent (a catalog event, or another), stored as `JSON.stringify` writes it. */
export interface OutboxEntry {
  topic: string;
  /** The Kafka record key the event is published under. */
  partitionKey: string;
  event: unknown;
}

/**
 * One event to store as JSON text, stored and published byte for byte: a dead letter replayed as it came, whose
 * numbers beyond 2^53, duplicate keys or spacing a parse and a stringify would change. The text must be JSON
 * PostgreSQL's `json` type takes.
 */
export interface OutboxTextEntry {
  topic: string;
  partitionKey: string;
  eventJson: string;
}

/** One stored event, ready to publish: `eventJson` is its text as stored, `event` that text as the driver parses it. */
export interface OutboxRecord {
  id: string;
  topic: string;
  partitionKey: string;
  event: unknown;
  eventJson: string;
}

/** The outbox entry of a catalog event: its topic, and its user as the key. */
export function outboxEntry(event: AnyCloudEvent): OutboxEntry {
  return { topic: topicOfEvent(event).name, partitionKey: partitionKeyOf(event), event };
}

const isEntry = (e: AnyCloudEvent | OutboxEntry | OutboxTextEntry): e is OutboxEntry | OutboxTextEntry =>
  "partitionKey" in e && "topic" in e && ("event" in e || "eventJson" in e);

/**
 * Stores events in the caller's transaction (a Kysely `Transaction`, or the connection of `transactionWithLock`):
 * they exist exactly when the write they describe commits. Catalog events go to their topic under their user's
 * key; other entries as given, an `eventJson` unchanged. All of them in one multi-row INSERT.
 */
export async function appendToOutbox<Tables extends OutboxTables>(
  trx: Transaction<Tables> | Kysely<Tables>,
  events: readonly (AnyCloudEvent | OutboxEntry | OutboxTextEntry)[],
): Promise<void> {
  if (events.length === 0) return;
  const entries = events.map((e) => (isEntry(e) ? e : outboxEntry(e)));
  await (trx as unknown as Kysely<OutboxTables>)
    .insertInto("outbox")
    .values(
      entries.map((entry) => ({
        event: "eventJson" in entry ? entry.eventJson : JSON.stringify(entry.event),
        topic: entry.topic,
        partition_key: entry.partitionKey,
      })),
    )
    .execute();
}

/** The oldest unpublished events, in id order; `json` keeps the text as written, so `event::text` is it exactly. */
export async function unpublishedHead(db: Kysely<OutboxTables>, limit: number): Promise<OutboxRecord[]> {
  const rows = await db
    .selectFrom("outbox")
    .select(["id", "topic", "partition_key", "event", sql<string>`event::text`.as("event_json")])
    .where("published_at", "is", null)
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: String(row.id),
    topic: row.topic,
    partitionKey: row.partition_key,
    event: row.event,
    eventJson: row.event_json,
  }));
}

/**
 * Records one successful publish of each row in `ids` (outbox ids, as `unpublishedHead` gives them), all in one
 * UPDATE: the relay's marks grouped (`GroupedMarks`). `publish_count` above 1 would reveal a duplicate.
 */
export async function markPublished(db: Kysely<OutboxTables>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable("outbox")
    .set({ published_at: sql<Date>`now()`, publish_count: sql<number>`publish_count + 1` })
    .where("id", "in", ids)
    .execute();
}

/** Deletes rows published before `before`; the unpublished are never touched. */
export async function purgePublished(db: Kysely<OutboxTables>, before: Date): Promise<number> {
  const result = await db.deleteFrom("outbox").where("published_at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
