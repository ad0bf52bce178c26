// The backend's configuration: the service kit's shared variables (HTTP, sidecar, database, JWT) and the outbox relay's own.
import {
  backoffProblems,
  DEFAULT_RELAY_CONCURRENCY,
  loadServiceConfig,
  Milliseconds,
  originEntries,
  originListProblems,
  type ServiceConfig,
} from "@event-platform/service-kit";
import Type from "typebox";
import { APPS } from "../../../specs/apps";

/** The outbox relay's variables, with their defaults. */
const OUTBOX_VARIABLES = {
  OUTBOX_POLL_INTERVAL_MS: Milliseconds(10, 3_600_000, 1_000),
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  // Users whose events are published at once, one event each in flight.
  OUTBOX_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1_000, default: DEFAULT_RELAY_CONCURRENCY }),
  OUTBOX_BACKOFF_INITIAL_MS: Milliseconds(1, 600_000, 200),
  OUTBOX_BACKOFF_MAX_MS: Milliseconds(1, 3_600_000, 30_000),
  OUTBOX_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 87_600, default: 168 }),
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
  outbox: {
    pollIntervalMs: number;
    batchSize: number;
    /** Users whose events are published at once (OUTBOX_CONCURRENCY). */
    concurrency: number;
    backoffInitialMs: number;
    backoffMaxMs: number;
    retentionHours: number;
    publishTimeoutMs: number;
  };
  /** `origins`: the exact origins (`https://board.example.com`) whose pages may call the REST API; empty for none. */
  cors: { origins: string[] };
}

/** Builds the configuration from environment variables (`process.env` in production); throws a `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): BackendConfig {
  const { service, own } = loadServiceConfig(
    APPS.backend,
    {
      auth: true,
      own: { ...OUTBOX_VARIABLES, ...CORS_VARIABLES },
      problems: (e) => [
        ...backoffProblems("OUTBOX", e.OUTBOX_BACKOFF_INITIAL_MS, e.OUTBOX_BACKOFF_MAX_MS),
        ...originListProblems("CORS_ORIGINS", e.CORS_ORIGINS),
      ],
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
    outbox: {
      pollIntervalMs: own.OUTBOX_POLL_INTERVAL_MS,
      batchSize: own.OUTBOX_BATCH_SIZE,
      concurrency: own.OUTBOX_CONCURRENCY,
      backoffInitialMs: own.OUTBOX_BACKOFF_INITIAL_MS,
      backoffMaxMs: own.OUTBOX_BACKOFF_MAX_MS,
      retentionHours: own.OUTBOX_RETENTION_HOURS,
      publishTimeoutMs: own.PUBLISH_TIMEOUT_MS,
    },
    cors: { origins: originEntries(own.CORS_ORIGINS) },
  };
}
