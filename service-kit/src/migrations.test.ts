// Migration records per schema on one database: a service in the public schema migrates after services in schemas of their own, as they start in any order on one shared database.
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect, sql } from "kysely";
import type { Migration } from "kysely/migration";
import { afterEach, describe, expect, it } from "vitest";
import { migrateToLatest } from "./migrations";

/** One migration that creates `table`. */
const creating = (table: string): Record<string, Migration> => ({
  "0001_create": { up: (db) => db.schema.createTable(table).addColumn("id", "integer").execute() },
});

describe("migrateToLatest on one database shared by several schemas", () => {
  let pglite: PGlite | undefined;
  afterEach(async () => {
    await pglite?.close();
  });

  it("keeps the public schema's record apart from another schema's, whichever migrates first", async () => {
    pglite = await PGlite.create();
    const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) });
    await pglite.exec("CREATE SCHEMA recurring; SET search_path TO recurring");
    expect(await migrateToLatest(db, creating("handled"), "recurring")).toEqual(["0001_create"]);

    await pglite.exec("SET search_path TO public");
    expect(await migrateToLatest(db, creating("tasks"), "public")).toEqual(["0001_create"]);
    expect(await migrateToLatest(db, creating("tasks"), "public")).toEqual([]);
    const { rows } = await sql<{ table_schema: string; table_name: string }>`
      SELECT table_schema, table_name FROM information_schema.tables
      WHERE table_name IN ('kysely_migration', 'handled', 'tasks') ORDER BY table_schema, table_name`.execute(db);
    expect(rows).toEqual([
      { table_schema: "public", table_name: "kysely_migration" },
      { table_schema: "public", table_name: "tasks" },
      { table_schema: "recurring", table_name: "handled" },
      { table_schema: "recurring", table_name: "kysely_migration" },
    ]);
    // Creating an embedded PostgreSQL takes seconds on a busy machine.
  }, 60_000);
});
