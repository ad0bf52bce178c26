// Versioned schema migrations, in code so the service and its image carry them; the same ones run on PostgreSQL and PGlite.

import { migrateTo as migrateServiceTo } from "@event-platform/service-kit";
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The schema of the backend's tables. `public`, not one of its own like the other services: databases made before
 * services had schemas hold the tasks there.
 */
export const BACKEND_SCHEMA = "public";

// A migration never imports the app's table types: it describes the schema as it was at its version, forever.
export const MIGRATIONS: Record<string, Migration> = {
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
  "0003_integer_task_ids_time_zones": {
    /**
     * Tasks get integer ids (the contract's `task_id`), a time zone, the contract's `remind_before_minutes`, the
     * active reminder's time, and a parent that the database keeps valid: a foreign key to one of the same user's
     * tasks, set to null when that task is deleted. Existing rows are carried over in creation order (their new ids
     * follow it), with their parents mapped to the new ids; a parent that no longer exists becomes null. Recorded
     * next-occurrence requests are keyed anew by (user, source task, event) and their answers rewritten with the
     * new ids. Outbox rows keep the events as they were stored (uuid task ids), and are published as they are.
     * There is no way back to the uuids, so this migration has no `down`.
     */
    async up(db: Kysely<unknown>) {
      for (const statement of [
        sql`DROP INDEX tasks_by_user_created`,
        sql`DROP INDEX tasks_by_user_due`,
        sql`DROP INDEX tasks_by_tag`,
        sql`ALTER TABLE tasks RENAME TO tasks_0002`,
        sql`ALTER TABLE tasks_0002 RENAME CONSTRAINT tasks_pkey TO tasks_0002_pkey`,
        sql`ALTER TABLE processed_requests RENAME TO processed_requests_0002`,
        sql`ALTER TABLE processed_requests_0002 RENAME CONSTRAINT processed_requests_pkey TO processed_requests_0002_pkey`,
        // Ids stop at Number.MAX_SAFE_INTEGER (2^53 - 1): every id is exact as a JSON number.
        sql`
          CREATE TABLE tasks (
            id bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE 9007199254740991) PRIMARY KEY,
            user_id text NOT NULL,
            title text NOT NULL,
            description text,
            priority text NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
            tags text[] NOT NULL DEFAULT '{}',
            due_date timestamptz,
            remind_before_minutes integer CHECK (remind_before_minutes BETWEEN 0 AND 525600),
            recurrence text CHECK (recurrence IN ('daily', 'weekly', 'monthly')),
            time_zone text NOT NULL DEFAULT 'UTC',
            monthly_anchor_day smallint CHECK (monthly_anchor_day BETWEEN 1 AND 31),
            completed boolean NOT NULL DEFAULT false,
            completed_at timestamptz,
            parent_task_id bigint CHECK (parent_task_id <> id),
            reminder_id uuid,
            reminder_at timestamptz,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            uuid_0002 uuid UNIQUE,
            UNIQUE (user_id, id),
            CHECK ((reminder_id IS NULL) = (reminder_at IS NULL)),
            FOREIGN KEY (user_id, parent_task_id) REFERENCES tasks (user_id, id) ON DELETE SET NULL (parent_task_id)
          )`,
        sql`
          INSERT INTO tasks (user_id, title, description, priority, tags, due_date, remind_before_minutes, recurrence,
                             monthly_anchor_day, completed, completed_at, reminder_id, reminder_at, created_at,
                             updated_at, uuid_0002)
          SELECT user_id, title, description, priority, tags, due_date, reminder_offset_minutes, recurrence,
                 monthly_anchor_day, completed, completed_at,
                 -- A reminder is only ever scheduled with a due date and an offset, so its time is known.
                 CASE WHEN reminder_time IS NULL THEN NULL ELSE reminder_id END,
                 CASE WHEN reminder_id IS NULL THEN NULL ELSE reminder_time END,
                 created_at, updated_at, id
          FROM tasks_0002,
               LATERAL (SELECT due_date - make_interval(mins => reminder_offset_minutes) AS reminder_time) AS computed
          ORDER BY created_at, id`,
        sql`
          UPDATE tasks AS child SET parent_task_id = parent.id
          FROM tasks_0002 AS old, tasks AS parent
          WHERE old.id = child.uuid_0002 AND parent.uuid_0002 = old.parent_task_id AND parent.user_id = child.user_id`,
        sql`CREATE INDEX tasks_by_user_created ON tasks (user_id, created_at, id)`,
        sql`CREATE INDEX tasks_by_user_due ON tasks (user_id, due_date)`,
        sql`CREATE INDEX tasks_by_tag ON tasks USING gin (tags)`,
        // The foreign key's ON DELETE looks children up by (user_id, parent_task_id).
        sql`CREATE INDEX tasks_by_parent ON tasks (user_id, parent_task_id) WHERE parent_task_id IS NOT NULL`,
        sql`
          CREATE TABLE processed_requests (
            user_id text NOT NULL,
            source_task_id bigint NOT NULL,
            event_id uuid NOT NULL,
            task_id bigint NOT NULL,
            response json NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, source_task_id, event_id)
          )`,
        // The source task is the answer's parent. A created task deleted since keeps an id of its own from the
        // sequence, never given to another task, so the replayed answer still names no other task.
        sql`
          INSERT INTO processed_requests (user_id, source_task_id, event_id, task_id, response, created_at)
          SELECT source.user_id, source.id, old.event_id, renamed.task_id,
                 (old.response::jsonb - 'id' - 'reminder_offset_minutes'
                   || jsonb_build_object('task_id', renamed.task_id, 'parent_task_id', source.id,
                                         'remind_before_minutes', old.response::jsonb -> 'reminder_offset_minutes',
                                         'time_zone', 'UTC'))::json,
                 old.created_at
          FROM processed_requests_0002 AS old
          JOIN tasks AS source
            ON source.uuid_0002 = (old.response::jsonb ->> 'parent_task_id')::uuid
           AND source.user_id = old.response::jsonb ->> 'user_id'
          CROSS JOIN LATERAL (
            SELECT COALESCE((SELECT id FROM tasks WHERE uuid_0002 = old.task_id),
                            nextval(pg_get_serial_sequence('tasks', 'id'))) AS task_id
          ) AS renamed`,
        sql`DROP TABLE processed_requests_0002`,
        sql`DROP TABLE tasks_0002`,
        sql`ALTER TABLE tasks DROP COLUMN uuid_0002`,
      ]) {
        await statement.execute(db);
      }
    },
  },
};

/** The names of every migration, oldest first. */
export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

/** Brings the backend's tables to one version (`MIGRATION_NAMES`), up or down: how a test makes a database of an older version. */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<string[]> {
  return migrateServiceTo(db, MIGRATIONS, BACKEND_SCHEMA, name);
}
