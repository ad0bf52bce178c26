// Versioned schema migrations of the recurring service, in code so the service and its image carry them; the same ones run on PostgreSQL and PGlite.
import { createProcessedEventsTable } from "@event-platform/service-kit";
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** The PostgreSQL schema of the service's tables: its app id (`recurring`), so it never sees another service's. */
export const RECURRING_SCHEMA = "recurring";

// A migration never imports the app's table types: it describes the schema as it was at its version, forever.
export const MIGRATIONS: Record<string, Migration> = {
  "0001_processed_events_next_occurrences": {
    async up(db: Kysely<unknown>) {
      await createProcessedEventsTable(db);
      // Written in the same transaction as the event's processed_events row, so each handled completion has at
      // most one, under the same key (no source or id can break it). Task ids are the backend's: bigint, at most Number.MAX_SAFE_INTEGER.
      await sql`
        CREATE TABLE next_occurrences (
          event_key text PRIMARY KEY,
          user_id text NOT NULL,
          task_id bigint NOT NULL,
          next_task_id bigint NOT NULL,
          created boolean NOT NULL,
          recorded_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX next_occurrences_by_task ON next_occurrences (user_id, task_id)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE next_occurrences`.execute(db);
      await sql`DROP TABLE processed_events`.execute(db);
    },
  },
};
