// The backend's database: the service kit's PostgreSQL or PGlite with the backend's tables and migrations, in the `public` schema where its data has always been.

import {
  type DatabaseConfig,
  openDatabase as openServiceDatabase,
  type Database as ServiceDatabase,
} from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import { APPS } from "../../../specs/apps";
import { BACKEND_SCHEMA, MIGRATIONS } from "./migrations";
import type { Tables } from "./tables";

export type Database = ServiceDatabase<Tables>;

/** Opens the configured database and brings the backend's tables to the latest migration. */
export function openDatabase(config: DatabaseConfig, log: FastifyBaseLogger): Promise<Database> {
  return openServiceDatabase<Tables>(
    config,
    { appId: APPS.backend.id, schema: BACKEND_SCHEMA, migrations: MIGRATIONS },
    log,
  );
}
