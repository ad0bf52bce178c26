// Versioned schema migrations, in code so the service and its image carry them; the same ones run on PostgreSQL and PGlite.
import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";

// A migration never imports the app's table types: it describes the schema as it was at its version, forever.
const MIGRATIONS: Record<string, Migration> = {
  "0001_tasks_outbox_processed_requests": {
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE TABLE tasks (
          id uuid PRIMARY KEY,
          user_id text NOT NULL,
          title text NOT NULL,
          description text,
          priority text NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
          tags text[] NOT NULL DEFAULT '{}',
          due_date timestamptz,
          reminder_offset_minutes integer CHECK (reminder_offset_minutes >= 0),
          recurrence text CHECK (recurrence IN ('daily', 'weekly', 'monthly')),
          completed boolean NOT NULL DEFAULT false,
          completed_at timestamptz,
          parent_task_id uuid,
          reminder_id uuid,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX tasks_by_user_created ON tasks (user_id, created_at, id)`.execute(db);
      await sql`CREATE INDEX tasks_by_user_due ON tasks (user_id, due_date)`.execute(db);
      await sql`CREATE INDEX tasks_by_tag ON tasks USING gin (tags)`.execute(db);

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

      await sql`
        CREATE TABLE processed_requests (
          event_id uuid PRIMARY KEY,
          task_id uuid NOT NULL,
          response json NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE processed_requests`.execute(db);
      await sql`DROP TABLE outbox`.execute(db);
      await sql`DROP TABLE tasks`.execute(db);
    },
  },
  "0002_tasks_monthly_anchor_day": {
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE tasks ADD COLUMN monthly_anchor_day smallint CHECK (monthly_anchor_day BETWEEN 1 AND 31)`.execute(
        db,
      );
      await sql`UPDATE tasks SET monthly_anchor_day = extract(day FROM due_date AT TIME ZONE 'UTC') WHERE due_date IS NOT NULL`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await sql`ALTER TABLE tasks DROP COLUMN monthly_anchor_day`.execute(db);
    },
  },
};

const inCode: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** The names of every migration, oldest first. */
export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

/**
 * Brings the schema to the latest version. Safe with several replicas starting at once: Kysely's Migrator
 * serializes them with a lock in the database, and a version that is already applied is skipped.
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: inCode });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    const cause = error instanceof Error ? error.message : String(error);
    const which = failed ? `migration ${failed.migrationName}` : "migration";
    throw new Error(`Database ${which} failed: ${cause}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
