// Vitest global setup: one PostgreSQL server for the integration tests, its URL provided as "postgresUrl".
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../local/postgres";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the tests' PostgreSQL server; test files create their own database with it. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres({ log: console.log });
  project.provide("postgresUrl", server.url);
  return () => server.stop();
}
