// PostgreSQL integration: the server of the global setup answers, and kysely migrations go up, down and up again.
import { type Generated, Kysely, PostgresDialect, sql } from "kysely";
import { type Migration, type MigrationResultSet, Migrator, NO_MIGRATIONS } from "kysely/migration";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database";

interface DB {
  widgets: {
    id: Generated<number>;
    name: string;
    created_at: Generated<Date>;
    color: string | null;
  };
}

const migrations: Record<string, Migration> = {
  "0001_create_widgets": {
    up: async (db) => {
      await db.schema
        .createTable("widgets")
        .addColumn("id", "serial", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull().unique())
        .addColumn("created_at", "timestamptz", (column) => column.defaultTo(sql`now()`))
        .execute();
    },
    down: async (db) => {
      await db.schema.dropTable("widgets").execute();
    },
  },
  "0002_add_widget_color": {
    up: async (db) => {
      await db.schema.alterTable("widgets").addColumn("color", "text").execute();
    },
    down: async (db) => {
      await db.schema.alterTable("widgets").dropColumn("color").execute();
    },
  },
};

let database: TestDatabase | undefined;
let db: Kysely<DB>;
let migrator: Migrator;
let closing = false;

beforeAll(async () => {
  database = await createTestDatabase("postgres_roundtrip");
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  // pool.end() resolves once it has asked its connections to close, not once they have: the forced drop below can
  // still terminate one, and the pool reports that as an error of an idle client. Any other error stays uncaught.
  pool.on("error", (error) => {
    if (!closing) throw error;
  });
  db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
});

afterAll(async () => {
  closing = true;
  await db?.destroy();
  await database?.drop();
});

/** The migrations a run applied or reverted, failing with the migration error if there is one. */
function outcome({ error, results }: MigrationResultSet): { name: string; direction: string; status: string }[] {
  if (error) throw error;
  return (results ?? []).map(({ migrationName, direction, status }) => ({ name: migrationName, direction, status }));
}

async function widgetColumns(): Promise<string[]> {
  const { rows } = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_schema = 'public' and table_name = 'widgets' order by ordinal_position`.execute(db);
  return rows.map((row) => row.column_name);
}

async function widgetsTableExists(): Promise<boolean> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name = 'widgets'`.execute(db);
  return rows.length > 0;
}

describe("PostgreSQL", () => {
  it("runs version 15 or newer", async () => {
    const { rows } = await sql<{ server_version_num: string }>`show server_version_num`.execute(db);
    expect(Number(rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
  });

  it("migrates up, down, to nothing and up again", async () => {
    expect(outcome(await migrator.migrateToLatest())).toEqual([
      { name: "0001_create_widgets", direction: "Up", status: "Success" },
      { name: "0002_add_widget_color", direction: "Up", status: "Success" },
    ]);

    const inserted = await db
      .insertInto("widgets")
      .values({ name: "sprocket", color: "teal" })
      .returning(["id", "created_at"])
      .executeTakeFirstOrThrow();
    expect(inserted.created_at).toBeInstanceOf(Date);
    const widget = await db
      .selectFrom("widgets")
      .select(["id", "name", "color"])
      .where("name", "=", "sprocket")
      .executeTakeFirstOrThrow();
    expect(widget).toEqual({ id: inserted.id, name: "sprocket", color: "teal" });

    expect(outcome(await migrator.migrateDown())).toEqual([
      { name: "0002_add_widget_color", direction: "Down", status: "Success" },
    ]);
    expect(await widgetColumns()).toEqual(["id", "name", "created_at"]);

    expect(outcome(await migrator.migrateTo(NO_MIGRATIONS))).toEqual([
      { name: "0001_create_widgets", direction: "Down", status: "Success" },
    ]);
    expect(await widgetsTableExists()).toBe(false);

    expect(outcome(await migrator.migrateToLatest())).toEqual([
      { name: "0001_create_widgets", direction: "Up", status: "Success" },
      { name: "0002_add_widget_color", direction: "Up", status: "Success" },
    ]);
    expect(await widgetColumns()).toEqual(["id", "name", "created_at", "color"]);
    expect(await db.selectFrom("widgets").selectAll().execute()).toEqual([]);
  });
});
