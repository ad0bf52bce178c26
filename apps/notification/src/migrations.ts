// Versioned schema migrations of the notification service, in code so the service and its image carry them; the same ones run on PostgreSQL and PGlite.
import { createOutboxTable, createProcessedEventsTable } from "@event-platform/service-kit";
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** The PostgreSQL schema of the service's tables: its app id. */
export const NOTIFICATION_SCHEMA = "notification";

// A migration never imports the app's table types: it describes the schema as it was at its version, forever.
export const MIGRATIONS: Record<string, Migration> = {
  "0001_schedule_preferences_notifications_deliveries": {
    async up(db: Kysely<unknown>) {
      await createProcessedEventsTable(db);
      await createOutboxTable(db);
      for (const statement of [
        sql`
          CREATE TABLE reminders (
            reminder_id uuid PRIMARY KEY,
            user_id text NOT NULL,
            task_id bigint NOT NULL,
            remind_at timestamptz NOT NULL,
            title text,
            due_at timestamptz,
            remind_before_minutes integer,
            time_zone text,
            status text NOT NULL CHECK (status IN ('scheduled', 'triggered', 'cancelled')),
            cancel_reason text,
            triggered_at timestamptz,
            cancelled_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
          )`,
        // The scheduler only ever reads the due head of what is still scheduled.
        sql`CREATE INDEX reminders_due ON reminders (remind_at) WHERE status = 'scheduled'`,
        sql`
          CREATE TABLE preferences (
            user_id text PRIMARY KEY,
            in_app boolean NOT NULL,
            email boolean NOT NULL,
            email_address text,
            webhook boolean NOT NULL,
            webhook_url text,
            webhook_secret text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (NOT email OR email_address IS NOT NULL),
            CHECK (NOT webhook OR webhook_url IS NOT NULL),
            CHECK ((webhook_url IS NULL) = (webhook_secret IS NULL))
          )`,
        sql`
          CREATE TABLE notifications (
            notification_id uuid PRIMARY KEY,
            reminder_id uuid NOT NULL UNIQUE,
            user_id text NOT NULL,
            task_id bigint NOT NULL,
            title text,
            remind_at timestamptz NOT NULL,
            due_at timestamptz,
            time_zone text,
            created_at timestamptz NOT NULL DEFAULT now(),
            read_at timestamptz
          )`,
        sql`CREATE INDEX notifications_by_user ON notifications (user_id, created_at DESC, notification_id DESC)`,
        sql`
          CREATE TABLE deliveries (
            delivery_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            reminder_id uuid NOT NULL,
            channel text NOT NULL CHECK (channel IN ('in_app', 'email', 'webhook')),
            user_id text NOT NULL,
            content json NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            claim_id uuid,
            last_error text,
            delivered_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (reminder_id, channel)
          )`,
        // The worker only ever claims the due head of what is still pending.
        sql`CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'`,
        sql`
          CREATE TABLE delivery_attempts (
            delivery_id bigint NOT NULL REFERENCES deliveries ON DELETE CASCADE,
            attempt integer NOT NULL,
            started_at timestamptz NOT NULL,
            finished_at timestamptz NOT NULL DEFAULT now(),
            outcome text NOT NULL CHECK (outcome IN ('delivered', 'failed', 'skipped')),
            target text,
            error text,
            PRIMARY KEY (delivery_id, attempt)
          )`,
      ]) {
        await statement.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        "delivery_attempts",
        "deliveries",
        "notifications",
        "preferences",
        "reminders",
        "outbox",
        "processed_events",
      ]) {
        await sql`DROP TABLE ${sql.table(table)}`.execute(db);
      }
    },
  },
};
