// Versioned schema migrations of the dead-letter desk, in code so the service and its image carry them; the same ones run on PostgreSQL and PGlite.
import { createOutboxTable } from "@event-platform/service-kit";
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** The desk's PostgreSQL schema: its app id with `-` as `_`. */
export const DEAD_LETTERS_SCHEMA = "dead_letters";

// A migration never imports the app's table types: it describes the schema as it was at its version, forever.
export const MIGRATIONS: Record<string, Migration> = {
  "0001_dead_letters_replays_outbox": {
    async up(db: Kysely<unknown>) {
      // Nothing a dead letter carries is indexed but through `identity`, a digest of fixed length: an index entry
      // built from its content (a megabyte-long event id) could fail the insert for ever and stall the partition.
      await sql`
        CREATE TABLE dead_letters (
          id bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE 9007199254740991) PRIMARY KEY,
          identity text NOT NULL UNIQUE,
          topic text,
          original_key text,
          original_partition integer,
          original_offset bigint,
          subscribers text[] NOT NULL,
          event_id text,
          event_source text,
          event_type text,
          event json,
          raw_body text,
          error text NOT NULL,
          received_count integer NOT NULL DEFAULT 1,
          first_seen_at timestamptz NOT NULL DEFAULT now(),
          last_seen_at timestamptz NOT NULL DEFAULT now(),
          alerted_at timestamptz,
          alert_due_at timestamptz NOT NULL DEFAULT now(),
          alert_attempts integer NOT NULL DEFAULT 0,
          CHECK ((event IS NULL) <> (raw_body IS NULL))
        )`.execute(db);
      await sql`CREATE INDEX dead_letters_newest ON dead_letters (last_seen_at DESC, id DESC)`.execute(db);
      await sql`CREATE INDEX dead_letters_alert_pending ON dead_letters (alert_due_at) WHERE alerted_at IS NULL`.execute(
        db,
      );
      await sql`
        CREATE TABLE replays (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          dead_letter_id bigint NOT NULL REFERENCES dead_letters (id),
          topic text NOT NULL,
          partition_key text NOT NULL,
          replayed_by text NOT NULL,
          replayed_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX replays_of_dead_letter ON replays (dead_letter_id, id)`.execute(db);
      await createOutboxTable(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE outbox`.execute(db);
      await sql`DROP TABLE replays`.execute(db);
      await sql`DROP TABLE dead_letters`.execute(db);
    },
  },
  // A key is any string, NUL included, which text cannot hold: its exact bytes make a replay go out under it.
  "0002_original_key_bytes": {
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE dead_letters ADD COLUMN original_key_bytes bytea`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`ALTER TABLE dead_letters DROP COLUMN original_key_bytes`.execute(db);
    },
  },
};
