// The outbox table: events stored in the write's own transaction, read back in id order and marked once published.
import { type AnyCloudEvent, partitionKeyOf, topicOfEvent } from "@event-platform/events";
import { type Kysely, sql, type Transaction } from "kysely";
import type { Tables } from "./tables";

/** One stored event, ready to publish. */
export interface OutboxRecord {
  id: string;
  topic: string;
  partitionKey: string;
  event: AnyCloudEvent;
}

/** Stores events in the caller's transaction: they exist exactly when the write they describe commits. */
export async function appendToOutbox(trx: Transaction<Tables>, events: readonly AnyCloudEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto("outbox")
    .values(
      events.map((event) => ({
        event: JSON.stringify(event),
        topic: topicOfEvent(event).name,
        partition_key: partitionKeyOf(event),
      })),
    )
    .execute();
}

/** The oldest unpublished events, in id order. */
export async function unpublishedHead(db: Kysely<Tables>, limit: number): Promise<OutboxRecord[]> {
  const rows = await db
    .selectFrom("outbox")
    .select(["id", "topic", "partition_key", "event"])
    .where("published_at", "is", null)
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: String(row.id),
    topic: row.topic,
    partitionKey: row.partition_key,
    event: row.event as AnyCloudEvent,
  }));
}

/** Records one successful publish of a row; `publish_count` above 1 would reveal a duplicate. */
export async function markPublished(db: Kysely<Tables>, id: string): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ published_at: sql<Date>`now()`, publish_count: sql<number>`publish_count + 1` })
    .where("id", "=", id)
    .execute();
}

/** Deletes rows published before `before`; the unpublished are never touched. */
export async function purgePublished(db: Kysely<Tables>, before: Date): Promise<number> {
  const result = await db.deleteFrom("outbox").where("published_at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
