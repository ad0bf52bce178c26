// Opens a service's database: PostgreSQL when DATABASE_URL is set, else embedded PostgreSQL (PGlite) in DATA_DIR; both migrated alike, each service in its own PostgreSQL schema.
/// <reference path="./postgres-date.d.ts" />
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PGlite, types } from "@electric-sql/pglite";
import type { FastifyBaseLogger } from "fastify";
import { Kysely, PGliteDialect, PostgresDialect, sql, type Transaction } from "kysely";
import type { Migration } from "kysely/migration";
import pg from "pg";
import parseDate from "postgres-date";
import { migrateToLatest } from "./migrations";

/** Where a service keeps its data: a PostgreSQL server when `url` is set, otherwise PGlite in `dataDir`. */
export interface DatabaseConfig {
  url?: string;
  /** Connections in the request pool (PostgreSQL only). */
  poolSize: number;
  dataDir: string;
}

export interface DatabaseOptions {
  /** The app id: names the connections (`application_name`) in PostgreSQL's views. */
  appId: string;
  /**
   * The PostgreSQL schema that holds the service's tables and its migration record, so that services sharing one
   * database never see each other's tables (`search_path` on every connection). Created when missing.
   */
  schema: string;
  /** The service's migrations by name, applied in name order (Kysely's Migrator). */
  migrations: Record<string, Migration>;
}

export interface Database<Tables> {
  /** Every request's queries go here. */
  db: Kysely<Tables>;
  kind: "postgres" | "pglite";
  /**
   * Runs `work` on a database session of its own. On PostgreSQL that is one dedicated connection, kept open
   * between calls, so a session-level advisory lock taken on it lives exactly as long as the session (the outbox
   * relay's, the scheduler's). PGlite is one session in this process, which every caller shares.
   */
  session<T>(work: (session: Kysely<Tables>) => Promise<T>): Promise<T>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs `read` in one read-only REPEATABLE READ transaction, so every query in it sees the same snapshot of the
 * database: a page's items and its total, or a record and its children, then agree even while other transactions
 * commit. Under PostgreSQL's default READ COMMITTED each statement takes a snapshot of its own (PostgreSQL docs,
 * "Transaction Isolation", 13.2.1/13.2.2), so two reads can straddle a commit. A read-only REPEATABLE READ
 * transaction never fails with a serialization error, so `read` needs no retry. A write in `read` fails ("cannot
 * execute ... in a read-only transaction"). Errors of `read` are rethrown after the rollback.
 *
 * The mode is set with `SET TRANSACTION` as the transaction's first statement rather than Kysely's
 * `setIsolationLevel`/`setAccessMode`: Kysely 0.29's PGlite driver drops those settings and sends a bare `BEGIN`
 * (`dialect/pglite/pglite-driver.js`, `beginTransaction(connection)`).
 */
export function readInOneSnapshot<Tables, T>(
  db: Kysely<Tables>,
  read: (trx: Transaction<Tables>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`.execute(trx);
    return read(trx);
  });
}

/** A transaction-level advisory lock as PostgreSQL's two-int form takes it: a constant space, and a name hashed in SQL. */
export interface TransactionLock {
  /** The first int: what kind of thing is locked (one constant per use). */
  space: number;
  /** Hashed by PostgreSQL's `hashtext` into the second int: which one (a user id). */
  name: string;
}

/**
 * Runs `work` in one transaction that holds `lock` (`pg_advisory_xact_lock(space, hashtext(name))`) from before its
 * first statement until it ends: committed when `work` resolves, rolled back when it throws (its error rethrown).
 * On PostgreSQL, BEGIN and the lock go to the server as one simple-query message (two statements, one round trip);
 * every round trip costs the service a socket write and read, and the server a wake-up. The name is sent as a
 * literal quoted by node-postgres's `escapeLiteral` (the simple query protocol takes no parameters). PGlite runs in
 * this process and takes one statement per query: the two go one after the other.
 *
 * `work` gets the transaction's connection as a `Kysely`: every query through it is in the transaction. A COMMIT the
 * server answers with ROLLBACK (a statement failed and `work` caught its error) throws, as Kysely's own transactions
 * do. When the ROLLBACK itself fails, the connection is broken and node-postgres takes it out of the pool.
 */
export async function transactionWithLock<Tables, T>(
  database: Pick<Database<Tables>, "db" | "kind">,
  lock: TransactionLock,
  work: (trx: Kysely<Tables>) => Promise<T>,
): Promise<T> {
  if (database.kind === "pglite") {
    return database.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${lock.space}::int, hashtext(${lock.name}))`.execute(trx);
      return work(trx);
    });
  }
  if (!Number.isInteger(lock.space)) throw new Error(`An advisory lock space must be an integer, got ${lock.space}`);
  const begin = `BEGIN; SELECT pg_advisory_xact_lock(${lock.space}, hashtext(${pg.escapeLiteral(lock.name)}))`;
  return database.db.connection().execute(async (connection) => {
    let result: T;
    try {
      await sql.raw(begin).execute(connection);
      result = await work(connection);
    } catch (error) {
      await sql`ROLLBACK`.execute(connection).catch(() => undefined);
      throw error;
    }
    const { rows } = await sql<{ command?: string }>`COMMIT`.execute(connection);
    if (rows[0]?.command === "ROLLBACK") {
      throw new Error("The transaction was rolled back at COMMIT: one of its statements had failed");
    }
    return result;
  });
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the configured database and brings the service's schema to its latest migration. */
export async function openDatabase<Tables>(
  config: DatabaseConfig,
  options: DatabaseOptions,
  log: FastifyBaseLogger,
): Promise<Database<Tables>> {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new Error(`Database schema name "${options.schema}" must match ${SCHEMA_NAME} (a plain PostgreSQL name)`);
  }
  const database = config.url
    ? await openPostgres<Tables>(config.url, config.poolSize, options, log)
    : await openPglite<Tables>(config.dataDir, options, log);
  try {
    const applied = await migrateToLatest(database.db as Kysely<unknown>, options.migrations, options.schema);
    if (applied.length > 0) log.info({ migrations: applied, schema: options.schema }, "database migrated");
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function openPostgres<Tables>(
  url: string,
  poolSize: number,
  options: DatabaseOptions,
  log: FastifyBaseLogger,
): Promise<Database<Tables>> {
  // The schema first, on a connection of its own: every pooled connection then starts with it on its search_path.
  const setup = new pg.Client({ connectionString: url, application_name: options.appId });
  await setup.connect();
  try {
    await setup.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
  } catch (error) {
    // Another replica creating it at the same moment is fine.
    if ((error as { code?: string }).code !== "23505") throw error;
  } finally {
    await setup.end();
  }
  const common = { connectionString: url, keepAlive: true, options: `-c search_path=${options.schema}` };
  const pool = new pg.Pool({ ...common, max: poolSize, application_name: options.appId });
  // idleTimeoutMillis 0 keeps the one session connection (and the locks it holds) open while idle; TCP keepalive
  // lets a dead peer surface as an error instead of a session waiting forever on a half-open connection.
  const sessionPool = new pg.Pool({
    ...common,
    max: 1,
    idleTimeoutMillis: 0,
    application_name: `${options.appId}-session`,
  });
  // An idle client that loses its connection emits on the pool; without a listener that would crash the process.
  pool.on("error", (error) => log.warn({ err: error }, "idle database connection lost"));
  sessionPool.on("error", (error) => log.warn({ err: error }, "dedicated database session lost"));
  // A checked-out client has no pool listener (node-postgres removes it while the client is lent out), so a
  // connection lost between two queries (the relay's session while it publishes, a transaction awaiting a call)
  // emits on the client alone and would crash the process. The query in flight fails by itself; the pool drops the
  // broken client when it comes back.
  for (const lender of [pool, sessionPool]) {
    lender.on("connect", (client) =>
      client.on("error", (error) => log.warn({ err: error }, "database connection lost while in use")),
    );
  }
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  const sessionDb = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: sessionPool }) });
  return {
    db,
    kind: "postgres",
    session: (work) => sessionDb.connection().execute(work),
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await sessionDb.destroy();
      await db.destroy();
    },
  };
}

async function openPglite<Tables>(
  dataDir: string,
  options: DatabaseOptions,
  log: FastifyBaseLogger,
): Promise<Database<Tables>> {
  const path = resolve(dataDir);
  await mkdir(path, { recursive: true });
  const pglite = await PGlite.create(path, PGLITE_TYPES).catch(async (error: unknown) => {
    throw await pgliteOpenError(path, error);
  });
  // PGlite is one session: set once, the search_path holds for every query.
  await pglite.exec(`CREATE SCHEMA IF NOT EXISTS ${options.schema}; SET search_path TO ${options.schema}`);
  log.info({ dataDir: path }, "using embedded PostgreSQL (PGlite)");
  const db = new Kysely<Tables>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: "pglite",
    session: (work) => work(db),
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * The date and time types (OIDs of `date`, `timestamp`, `timestamptz`) in PGlite as node-postgres has them, so both
 * databases store and read the same instants. PGlite's own writes a Date with `toISOString`, which PostgreSQL
 * refuses for the year 0 and earlier ("+000000-..."), and reads with `new Date(text)`, whose legacy parser takes
 * the years 0 to 99 for 1900 to 1999 or 2000s. node-postgres reads with postgres-date (pg-types `textParsers`)
 * and writes a Date as `dateToStringUTC` does (pg `lib/utils.js`, with `parseInputDatesAsUTC`).
 */
const DATE_TIME_TYPES = [types.DATE, types.TIMESTAMP, types.TIMESTAMPTZ];

/** A Date written for PostgreSQL as node-postgres's `dateToStringUTC`: UTC, years before 1 as `... BC`. */
export function postgresTimestamp(date: Date): string {
  const year = date.getUTCFullYear();
  // ISO 8601's year 0 is 1 BC, -1 is 2 BC...
  const written = year < 1 ? 1 - year : year;
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return (
    `${pad(written, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}` +
    `.${pad(date.getUTCMilliseconds(), 3)}+00:00${year < 1 ? " BC" : ""}`
  );
}

/** PGlite's parsers and serializers: int8 as a string and dates as node-postgres has them, so rows look alike. */
const PGLITE_TYPES = {
  parsers: {
    [types.INT8]: (value: string) => value,
    ...Object.fromEntries(DATE_TIME_TYPES.map((oid) => [oid, parseDate])),
  },
  serializers: Object.fromEntries(
    DATE_TIME_TYPES.map((oid) => {
      const own = types.serializers[oid];
      return [oid, (value: unknown) => (value instanceof Date ? postgresTimestamp(value) : (own ?? String)(value))];
    }),
  ),
};

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
