// A database of its own for a test file, on the server of the PostgreSQL global setup, so that files run in parallel.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export interface TestDatabase {
  /** URL of the new database (same server and user as the admin URL). */
  url: string;
  name: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** Creates a database named `<prefix>_<random hex>` on the tests' server. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = inject("postgresUrl");
  // Only [a-z0-9_], so the name needs no escaping; PostgreSQL identifiers have at most 63 bytes.
  const sanitized = prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const safePrefix = sanitized.slice(0, 48) || "test";
  const name = `${safePrefix}_${randomBytes(6).toString("hex")}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop: () => {
      dropped ??= withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      return dropped;
    },
  };
}

async function withAdmin(url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}
