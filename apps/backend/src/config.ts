// The backend's configuration: the service kit's shared variables (HTTP, sidecar, database, JWT) and its outbox relay's, its publish timeout and CORS origins.
import {
  loadServiceConfig,
  Milliseconds,
  OUTBOX_RELAY_VARIABLES,
  type OutboxRelayConfig,
  originEntries,
  originListProblems,
  outboxRelayProblems,
  outboxRelaySettings,
  type ServiceConfig,
} from "@event-platform/service-kit";
import Type from "typebox";
import { APPS } from "../../../specs/apps";

/** The backend's publishes (its only calls to the sidecar) fail after this long. */
const PUBLISH_VARIABLES = {
  PUBLISH_TIMEOUT_MS: Milliseconds(100, 600_000, 5_000),
};

/** The browser origins that may call the REST API (CORS), comma-separated; none by default. */
const CORS_VARIABLES = {
  CORS_ORIGINS: Type.Optional(Type.String()),
};

export interface BackendConfig extends ServiceConfig {
  /** The backend has both: tasks live in a database, and every user authenticates. */
  database: NonNullable<ServiceConfig["database"]>;
  auth: NonNullable<ServiceConfig["auth"]>;
  /** The outbox relay's settings (the kit's OUTBOX_* variables). */
  outbox: OutboxRelayConfig;
  /** The longest a publish may take (PUBLISH_TIMEOUT_MS), in place of the shared SIDECAR_TIMEOUT_MS. */
  publishTimeoutMs: number;
  /** `origins`: the exact origins (`https://board.example.com`) whose pages may call the REST API; empty for none. */
  cors: { origins: string[] };
}

/** Builds the configuration from environment variables (`process.env` in production); throws a `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): BackendConfig {
  const { service, own } = loadServiceConfig(
    APPS.backend,
    {
      auth: true,
      own: { ...OUTBOX_RELAY_VARIABLES, ...PUBLISH_VARIABLES, ...CORS_VARIABLES },
      problems: (e) => [...outboxRelayProblems(e), ...originListProblems("CORS_ORIGINS", e.CORS_ORIGINS)],
    },
    env,
  );
  const { database, auth } = service;
  // The catalog gives the backend a database and `auth: true` asks for JWT settings, so both are there.
  if (!database || !auth) throw new Error("The backend's configuration lacks its database or auth settings");
  return {
    ...service,
    database,
    auth,
    outbox: outboxRelaySettings(own),
    publishTimeoutMs: own.PUBLISH_TIMEOUT_MS,
    cors: { origins: originEntries(own.CORS_ORIGINS) },
  };
}
