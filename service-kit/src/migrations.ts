// Runs a service's versioned schema migrations (Kysely's Migrator), the same ones on PostgreSQL and PGlite.
import type { Kysely } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";

/**
 * Brings the schema to the latest version. Safe with several replicas starting at once: Kysely's Migrator
 * serializes them with a lock in the database, and a version that is already applied is skipped. The record of
 * applied migrations lives in `schema`, beside the tables they made. Returns the names applied now.
 */
export async function migrateToLatest(
  db: Kysely<unknown>,
  migrations: Record<string, Migration>,
  schema: string,
): Promise<string[]> {
  return migrate(migrator(db, migrations, schema), (m) => m.migrateToLatest());
}

/** Brings the schema to one version, up or down: how a test makes a database of an older version. */
export async function migrateTo(
  db: Kysely<unknown>,
  migrations: Record<string, Migration>,
  schema: string,
  name: string,
): Promise<string[]> {
  return migrate(migrator(db, migrations, schema), (m) => m.migrateTo(name));
}

function migrator(db: Kysely<unknown>, migrations: Record<string, Migration>, schema: string): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // Qualified even for `public`: unqualified, Kysely takes a `kysely_migration` table of any schema for its own
  // (`#doesTableExist`), so a service in `public` migrating after another on one database found a record it could
  // not read. `public.kysely_migration` is the table a database migrated before services had schemas already has.
  return new Migrator({ db, provider, migrationTableSchema: schema });
}

async function migrate(
  migrator: Migrator,
  run: (migrator: Migrator) => ReturnType<Migrator["migrateToLatest"]>,
): Promise<string[]> {
  const { error, results } = await run(migrator);
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    const cause = error instanceof Error ? error.message : String(error);
    const which = failed ? `migration ${failed.migrationName}` : "migration";
    throw new Error(`Database ${which} failed: ${cause}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
