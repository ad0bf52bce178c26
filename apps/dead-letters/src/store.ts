// The desk's entries in the database: recording a delivery (one entry per event, counted), listing and reading them, and replaying one through the outbox in the same transaction as its replay record.
import { appendToOutbox, ConflictError, NotFoundError, readInOneSnapshot } from "@event-platform/service-kit";
import { type Expression, type Kysely, type SqlBool, sql, type Transaction } from "kysely";
import { APPS } from "../../../specs/apps";
import type { ListQuery } from "./api-schemas";
import { type DeadLetter, storable } from "./letters";
import type { DeadLetterRow, ReplayRow, Tables } from "./tables";

export const DEFAULT_PAGE_SIZE = 20;

/** The topics a replay may go to: those the desk publishes to in the catalog (and so in its pub/sub scopes). */
const REPLAY_TOPICS: readonly string[] = APPS.deadLetters.publishes.map((t) => t.name);

/** An entry as the API shows it in a list. */
export interface DeadLetterSummary {
  id: number;
  topic: string | null;
  key: string | null;
  partition: number | null;
  /** A Kafka offset is a 64-bit integer: a decimal string, exact. */
  offset: string | null;
  subscribers: string[];
  event_id: string | null;
  event_source: string | null;
  event_type: string | null;
  error: string;
  /** Dead-letter records received for this entry (README: what it counts). */
  count: number;
  first_seen_at: string;
  last_seen_at: string;
  alerted_at: string | null;
  /** Whether `POST …/replay` can republish it: a CloudEvent from a topic the desk publishes to, with a key. */
  replayable: boolean;
}

export interface ReplayRecord {
  id: number;
  dead_letter_id: number;
  topic: string;
  key: string;
  replayed_by: string;
  replayed_at: string;
}

/** An entry with its body and every replay of it, oldest first. */
export interface DeadLetterDetail extends DeadLetterSummary {
  /** The body as JSON; absent for a raw entry. */
  event?: unknown;
  /** The body as text when it was not JSON; absent otherwise. */
  raw_body?: string;
  replays: ReplayRecord[];
}

export interface DeadLetterPage {
  items: DeadLetterSummary[];
  /** How many entries match, over all pages. */
  total: number;
  limit: number;
  offset: number;
}

type SummaryRow = Omit<
  DeadLetterRow,
  "event" | "raw_body" | "identity" | "alert_due_at" | "alert_attempts" | "original_key_bytes"
>;

const SUMMARY_COLUMNS = [
  "id",
  "topic",
  "original_key",
  "original_partition",
  "original_offset",
  "subscribers",
  "event_id",
  "event_source",
  "event_type",
  "error",
  "received_count",
  "first_seen_at",
  "last_seen_at",
  "alerted_at",
] as const;

/** Why an entry cannot be replayed, or undefined when it can. */
function replayRefusal(row: SummaryRow & { raw: boolean }): string | undefined {
  if (row.raw) return `Dead letter ${row.id} was stored raw (its body is not JSON): there is no event to replay`;
  if (row.event_id === null || row.event_source === null) {
    return `Dead letter ${row.id} is JSON but not a CloudEvent (no id or source): Dapr cannot republish it as one`;
  }
  if (row.topic === null || !REPLAY_TOPICS.includes(row.topic)) {
    return `Dead letter ${row.id} came from ${row.topic === null ? "an unknown topic" : `topic "${row.topic}"`}; the desk replays only to ${REPLAY_TOPICS.join(", ")}`;
  }
  if (row.original_key === null) {
    return `Dead letter ${row.id} has no original key (no __key header, no data.user_id): it cannot keep its partition`;
  }
  return undefined;
}

function summary(row: SummaryRow & { raw: boolean }): DeadLetterSummary {
  return {
    id: Number(row.id),
    topic: row.topic,
    key: row.original_key,
    partition: row.original_partition,
    offset: row.original_offset,
    subscribers: row.subscribers,
    event_id: row.event_id,
    event_source: row.event_source,
    event_type: row.event_type,
    error: row.error,
    count: row.received_count,
    first_seen_at: row.first_seen_at.toISOString(),
    last_seen_at: row.last_seen_at.toISOString(),
    alerted_at: row.alerted_at?.toISOString() ?? null,
    replayable: replayRefusal(row) === undefined,
  };
}

function replayRecord(row: ReplayRow): ReplayRecord {
  return {
    id: Number(row.id),
    dead_letter_id: Number(row.dead_letter_id),
    topic: row.topic,
    key: row.partition_key,
    replayed_by: row.replayed_by,
    replayed_at: row.replayed_at.toISOString(),
  };
}

/**
 * Records one delivery: a new entry, or one more receipt of an existing one (`count` + 1, `last_seen_at` now). One
 * statement, so it is atomic and two deliveries of one event at once still make one entry. Resolves whether the
 * entry is new (its alert is then pending).
 */
export async function recordDeadLetter(
  db: Kysely<Tables>,
  letter: DeadLetter,
): Promise<{ id: number; created: boolean }> {
  const row = await db
    .insertInto("dead_letters")
    .values({
      identity: letter.identity,
      topic: letter.topic,
      original_key: letter.key,
      original_key_bytes: letter.exactKey === null ? null : Buffer.from(letter.exactKey, "utf8"),
      original_partition: letter.partition,
      original_offset: letter.offset,
      subscribers: letter.subscribers,
      event_id: letter.eventId,
      event_source: letter.eventSource,
      event_type: letter.eventType,
      // The text as it came, not a stringified parse: a replay publishes these very bytes.
      event: "jsonText" in letter.body ? letter.body.jsonText : null,
      raw_body: "text" in letter.body ? letter.body.text : null,
      error: letter.error,
    })
    .onConflict((conflict) =>
      conflict.column("identity").doUpdateSet({
        received_count: sql<number>`dead_letters.received_count + 1`,
        last_seen_at: sql<Date>`now()`,
      }),
    )
    .returning(["id", "received_count"])
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), created: row.received_count === 1 };
}

/** Entries matching the filters, the most recently seen first, one page of them; page and total in one snapshot. */
export function listDeadLetters(db: Kysely<Tables>, query: ListQuery): Promise<DeadLetterPage> {
  return readInOneSnapshot(db, (trx) => readDeadLetterPage(trx, query));
}

async function readDeadLetterPage(trx: Transaction<Tables>, query: ListQuery): Promise<DeadLetterPage> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const offset = query.offset ?? 0;
  const matching = trx.selectFrom("dead_letters").where((eb) => {
    const conditions: Expression<SqlBool>[] = [];
    if (query.topic !== undefined) conditions.push(eb("topic", "=", query.topic));
    if (query.type !== undefined) conditions.push(eb("event_type", "=", query.type));
    if (query.subscriber !== undefined) {
      conditions.push(sql<SqlBool>`${sql.ref("subscribers")} @> ARRAY[${query.subscriber}]::text[]`);
    }
    if (query.since !== undefined) conditions.push(eb("last_seen_at", ">=", new Date(query.since)));
    if (query.until !== undefined) conditions.push(eb("last_seen_at", "<=", new Date(query.until)));
    return eb.and(conditions);
  });
  // id as the last key makes the order total, so pages never repeat or skip an entry that did not change.
  const rows = await matching
    .select([...SUMMARY_COLUMNS, sql<boolean>`raw_body IS NOT NULL`.as("raw")])
    .orderBy("last_seen_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .offset(offset)
    .execute();
  const counted = await matching.select((eb) => eb.fn.countAll<string>().as("total")).executeTakeFirstOrThrow();
  return { items: rows.map(summary), total: Number(counted.total), limit, offset };
}

/** One entry with its body and replays, read in one snapshot; throws `NotFoundError`. */
export function getDeadLetter(db: Kysely<Tables>, id: number): Promise<DeadLetterDetail> {
  return readInOneSnapshot(db, (trx) => readDeadLetter(trx, id));
}

async function readDeadLetter(trx: Transaction<Tables>, id: number): Promise<DeadLetterDetail> {
  const row = await trx
    .selectFrom("dead_letters")
    .select([...SUMMARY_COLUMNS, "event", "raw_body"])
    .where("id", "=", String(id))
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`There is no dead letter ${id}`);
  const replays = await trx
    .selectFrom("replays")
    .selectAll()
    .where("dead_letter_id", "=", String(id))
    .orderBy("id")
    .execute();
  const { event, raw_body, ...rest } = row;
  return {
    ...summary({ ...rest, raw: raw_body !== null }),
    ...(raw_body === null ? { event } : { raw_body }),
    replays: replays.map(replayRecord),
  };
}

/**
 * Republishes an entry's event, byte for byte as it came, to its original topic under its exact original key: the replay record and the
 * outbox row commit together, so a replay is recorded exactly when it will be published. Throws `NotFoundError`, or
 * `ConflictError` saying why the entry cannot be replayed (raw body, not a CloudEvent, unknown topic, no key).
 */
export async function replayDeadLetter(db: Kysely<Tables>, id: number, replayedBy: string): Promise<ReplayRecord> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("dead_letters")
      .select([
        ...SUMMARY_COLUMNS,
        "original_key_bytes",
        sql<string>`event::text`.as("event_json"),
        sql<boolean>`raw_body IS NOT NULL`.as("raw"),
      ])
      .where("id", "=", String(id))
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`There is no dead letter ${id}`);
    const refusal = replayRefusal(row);
    if (refusal !== undefined) throw new ConflictError(refusal);
    // replayRefusal has checked both; entries from before 0002 have only the readable key.
    const topic = row.topic as string;
    const partitionKey =
      row.original_key_bytes === null
        ? (row.original_key as string)
        : Buffer.from(row.original_key_bytes).toString("utf8");
    // The outbox's key column is text, which holds no NUL: refused rather than published under another key.
    if (partitionKey.includes("\u0000")) {
      throw new ConflictError(
        `Dead letter ${id} has a NUL in its original key, which the outbox cannot store: it cannot keep its key`,
      );
    }
    const replay = await trx
      .insertInto("replays")
      .values({ dead_letter_id: String(id), topic, partition_key: storable(partitionKey), replayed_by: replayedBy })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendToOutbox(trx, [{ topic, partitionKey, eventJson: row.event_json }]);
    return replayRecord(replay);
  });
}
