// The desk's database tables as Kysely sees them: one interface per table, matching the migrations.
import type { OutboxTables } from "@event-platform/service-kit";
import type { ColumnType, Generated, Selectable } from "kysely";

/** A `bigint` column: node-postgres and PGlite return it as a decimal string; written as a number or a string. */
type BigintColumn<Null extends null = never> = ColumnType<
  string | Null,
  number | string | Null,
  number | string | Null
>;

/** One dead letter: one event (or raw record) from one original topic, however many times it arrived. */
export interface DeadLettersTable {
  /** `bigint GENERATED ALWAYS AS IDENTITY`, capped at Number.MAX_SAFE_INTEGER: never written by the service. */
  id: ColumnType<string, never, never>;
  /** SHA-256 (hex) of what makes two dead letters the same entry (see `letters.ts`); unique. */
  identity: string;
  /** The topic the event failed on, as the catalog names it; null when neither header nor event says. */
  topic: string | null;
  /** The original Kafka record key, readable: a NUL in it shows as U+FFFD (text cannot hold one). */
  original_key: string | null;
  /** The original key exactly, as UTF-8: the key a replay is published under. Null in entries made before 0002. */
  original_key_bytes: Uint8Array | null;
  original_partition: number | null;
  original_offset: BigintColumn<null>;
  /** The catalog's apps whose subscription to `topic` dead-letters into `dead-letters`. */
  subscribers: string[];
  event_id: string | null;
  event_source: string | null;
  event_type: string | null;
  /** The body as it came when it is JSON (`json` keeps the text); exactly one of `event` and `raw_body` is set. */
  event: ColumnType<unknown, string | null, never>;
  /** The body as text when it is not JSON the desk reads. */
  raw_body: string | null;
  /** What the desk could establish about why delivery failed. */
  error: string;
  /** Dead-letter records received for this entry. */
  received_count: Generated<number>;
  first_seen_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  /** When the alert for this entry went out (webhook accepted it, or it was logged); null while pending. */
  alerted_at: Date | null;
  /** The earliest time the alert loop may (re)try this entry: a claim's lease, or the wait after a failed round. */
  alert_due_at: Generated<Date>;
  alert_attempts: Generated<number>;
}

/** One replay of a dead letter: who asked, when, and where it was published. */
export interface ReplaysTable {
  id: ColumnType<string, never, never>;
  dead_letter_id: BigintColumn;
  topic: string;
  partition_key: string;
  replayed_by: string;
  replayed_at: Generated<Date>;
}

export interface Tables extends OutboxTables {
  dead_letters: DeadLettersTable;
  replays: ReplaysTable;
}

export type DeadLetterRow = Selectable<DeadLettersTable>;
export type ReplayRow = Selectable<ReplaysTable>;
