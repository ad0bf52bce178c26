// Opens the backend's database: PostgreSQL when DATABASE_URL is set, else embedded PostgreSQL (PGlite) in DATA_DIR; both migrated alike.
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PGlite, types } from "@electric-sql/pglite";
import type { FastifyBaseLogger } from "fastify";
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { BackendConfig } from "./config";
import { migrateToLatest } from "./migrations";
import type { Tables } from "./tables";

export interface Database {
  /** Every request's queries go here. */
  db: Kysely<Tables>;
  kind: "postgres" | "pglite";
  /**
   * Runs `work` on the outbox relay's own database session. On PostgreSQL that is one dedicated connection,
   * kept open between calls, so the advisory lock the relay takes on it lives exactly as long as the session
   * (see outbox-relay.ts). PGlite is one session in this process, which the relay shares.
   */
  relaySession<T>(work: (session: Kysely<Tables>) => Promise<T>): Promise<T>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the configured database and brings its schema to the latest migration. */
export async function openDatabase(config: BackendConfig["database"], log: FastifyBaseLogger): Promise<Database> {
  const database = config.url ? openPostgres(config.url, config.poolSize, log) : await openPglite(config.dataDir, log);
  try {
    const applied = await migrateToLatest(database.db as Kysely<unknown>);
    if (applied.length > 0) log.info({ migrations: applied }, "database migrated");
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

function openPostgres(url: string, poolSize: number, log: FastifyBaseLogger): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, keepAlive: true, application_name: "backend" });
  // idleTimeoutMillis 0 keeps the relay's one connection (and the lock held by its session) open while idle; TCP
  // keepalive lets a dead peer surface as an error instead of a relay waiting forever on a half-open connection.
  const relayPool = new pg.Pool({
    connectionString: url,
    max: 1,
    idleTimeoutMillis: 0,
    keepAlive: true,
    application_name: "backend-outbox-relay",
  });
  // An idle client that loses its connection emits on the pool; without a listener that would crash the process.
  pool.on("error", (error) => log.warn({ err: error }, "idle database connection lost"));
  relayPool.on("error", (error) => log.warn({ err: error }, "outbox relay database session lost"));
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  const relayDb = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: relayPool }) });
  return {
    db,
    kind: "postgres",
    relaySession: (work) => relayDb.connection().execute(work),
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await relayDb.destroy();
      await db.destroy();
    },
  };
}

async function openPglite(dataDir: string, log: FastifyBaseLogger): Promise<Database> {
  const path = resolve(dataDir);
  await mkdir(path, { recursive: true });
  // int8 as a string, as node-postgres returns it, so that both databases give the same row types.
  const pglite = await PGlite.create(path, { parsers: { [types.INT8]: (value: string) => value } }).catch(
    async (error: unknown) => {
      throw await pgliteOpenError(path, error);
    },
  );
  log.info({ dataDir: path }, "using embedded PostgreSQL (PGlite)");
  const db = new Kysely<Tables>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: "pglite",
    relaySession: (work) => work(db),
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * PGlite opens only a data directory of the PostgreSQL major it runs and otherwise fails with a bare "failed to
 * initialize"; the error names the directory's major, so a folder left by an earlier PGlite is recognised as such.
 */
async function pgliteOpenError(path: string, error: unknown): Promise<Error> {
  const cause = error instanceof Error ? error : new Error(String(error));
  const major = await readFile(join(path, "PG_VERSION"), "utf8").then(
    (text) => text.trim(),
    () => undefined,
  );
  if (major === undefined) return cause;
  return new Error(
    `Embedded PostgreSQL (PGlite) could not open DATA_DIR ${path}, a PostgreSQL ${major} data directory (PGlite opens ` +
      "only data directories of the PostgreSQL major it runs: move a folder left by an earlier version with pg_dump " +
      `and psql, or remove it to start empty): ${cause.message}`,
    { cause },
  );
}
