// The backend's configuration: read once from the environment, validated with TypeBox + ajv, with errors that name the variable.
import { Ajv } from "ajv";
import Type from "typebox";
import { APPS, PUBSUB } from "../../../specs/apps";

const Port = (defaultPort: number) => Type.Integer({ minimum: 1, maximum: 65_535, default: defaultPort });
const Milliseconds = (minimum: number, maximum: number, defaultMs: number) =>
  Type.Integer({ minimum, maximum, default: defaultMs });

/** Every variable the backend reads, with its default. Values arrive as strings; ajv coerces numbers. */
const Environment = Type.Object({
  PORT: Port(APPS.backend.port),
  HOST: Type.String({ minLength: 1, default: "0.0.0.0" }),
  APP_ID: Type.String({ pattern: "^[a-z-]+$", default: APPS.backend.id }),
  PUBSUB_NAME: Type.String({ minLength: 1, default: PUBSUB }),
  LOG_LEVEL: Type.Union(
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((level) => Type.Literal(level)),
    { default: "info" },
  ),
  DATABASE_URL: Type.Optional(Type.String({ pattern: "^postgres(ql)?://" })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  DATA_DIR: Type.String({ minLength: 1, default: "./data/backend" }),
  // 32 characters at least: an HS256 key shorter than the hash output weakens it (RFC 7518 §3.2).
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_JWKS_URL: Type.Optional(Type.String({ pattern: "^https?://[^\\s]+$" })),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  // A token lives at most this long (exp − iat, and its age): one minute to 30 days, a day by default.
  JWT_MAX_LIFETIME_SECONDS: Type.Integer({ minimum: 60, maximum: 2_592_000, default: 86_400 }),
  // How far apart the issuer's clock and this one may be when exp, nbf and iat are checked.
  JWT_CLOCK_SKEW_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 30 }),
  DAPR_HOST: Type.String({ minLength: 1, default: "127.0.0.1" }),
  DAPR_HTTP_PORT: Port(3500),
  DAPR_API_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  // Dapr's app API token: a short one could be guessed by anyone who reaches the app port.
  APP_API_TOKEN: Type.Optional(Type.String({ minLength: 32 })),
  OUTBOX_POLL_INTERVAL_MS: Milliseconds(10, 3_600_000, 1_000),
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  OUTBOX_BACKOFF_INITIAL_MS: Milliseconds(1, 600_000, 200),
  OUTBOX_BACKOFF_MAX_MS: Milliseconds(1, 3_600_000, 30_000),
  OUTBOX_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 87_600, default: 168 }),
  PUBLISH_TIMEOUT_MS: Milliseconds(100, 600_000, 5_000),
  SHUTDOWN_TIMEOUT_MS: Milliseconds(100, 600_000, 10_000),
  HTTP_REQUEST_TIMEOUT_MS: Milliseconds(100, 600_000, 30_000),
  HTTP_CONNECTION_TIMEOUT_MS: Milliseconds(100, 3_600_000, 60_000),
});
type Environment = Type.Static<typeof Environment>;

export type LogLevel = Environment["LOG_LEVEL"];

/** How long a token may live, and the clock difference allowed when its times are checked; both in seconds. */
export interface TokenLifetime {
  maxLifetimeSeconds: number;
  clockSkewSeconds: number;
}

/** How bearer tokens are verified: a shared HS256 secret, or the keys of an identity provider's JWKS. */
export type AuthConfig = TokenLifetime &
  (
    | { mode: "secret"; secret: string; issuer?: string; audience?: string }
    | { mode: "jwks"; jwksUrl: string; issuer: string; audience: string }
  );

export interface BackendConfig {
  port: number;
  host: string;
  /** The Dapr app id; also names the `source` of every event (`/tasks/<appId>`). */
  appId: string;
  pubsubName: string;
  logLevel: LogLevel;
  /** A PostgreSQL server when `url` is set, otherwise embedded PostgreSQL (PGlite) in `dataDir`. */
  database: { url?: string; poolSize: number; dataDir: string };
  auth: AuthConfig;
  /**
   * `url`: the sidecar's HTTP API. `apiToken`: sent to it as `dapr-api-token` (DAPR_API_TOKEN). `appToken`: what the
   * sidecar sends to this app as `dapr-api-token` (APP_API_TOKEN, from the `dapr.io/app-token-secret` Secret); the
   * routes only the sidecar calls refuse any call without it.
   */
  dapr: { url: string; apiToken?: string; appToken: string };
  outbox: {
    pollIntervalMs: number;
    batchSize: number;
    backoffInitialMs: number;
    backoffMaxMs: number;
    retentionHours: number;
    publishTimeoutMs: number;
  };
  /** How long a shutdown may take: in-flight requests, then flushing the outbox. */
  shutdownTimeoutMs: number;
  http: {
    /** A request's headers and body must have arrived within this (Node's `requestTimeout`), else 408 and closed. */
    requestTimeoutMs: number;
    /** A connection with no traffic for this long is closed (fastify's `connectionTimeout`, the socket timeout). */
    connectionTimeoutMs: number;
  };
}

/** Thrown when the environment does not make a valid configuration; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
const validateEnvironment = ajv.compile<Environment>(Environment);

/** Builds the configuration from environment variables (`process.env` in production); throws a `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): BackendConfig {
  const names = Object.keys(Environment.properties) as (keyof Environment)[];
  // An empty variable means unset: Kubernetes and shells often pass "" for "not configured".
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") values[name] = value;
  }
  const given = (name: string) => (typeof env[name] === "string" ? JSON.stringify(env[name]) : "unset");
  if (!validateEnvironment(values)) {
    const problems = (validateEnvironment.errors ?? [])
      .filter((error) => error.keyword !== "const")
      .map((error) => {
        const name = error.instancePath.replace(/^\//, "");
        const message = error.keyword === "anyOf" ? `must be one of: ${allowedValues(name).join(", ")}` : error.message;
        return `${name} ${message} (got ${given(name)})`;
      });
    throw new ConfigError([...new Set(problems)]);
  }
  const e = values as Environment;
  const problems = crossFieldProblems(e);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    host: e.HOST,
    appId: e.APP_ID,
    pubsubName: e.PUBSUB_NAME,
    logLevel: e.LOG_LEVEL,
    database: {
      ...(e.DATABASE_URL ? { url: e.DATABASE_URL } : {}),
      poolSize: e.DATABASE_POOL_SIZE,
      dataDir: e.DATA_DIR,
    },
    auth: {
      maxLifetimeSeconds: e.JWT_MAX_LIFETIME_SECONDS,
      clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS,
      ...(e.JWT_JWKS_URL
        ? { mode: "jwks", jwksUrl: e.JWT_JWKS_URL, issuer: e.JWT_ISSUER ?? "", audience: e.JWT_AUDIENCE ?? "" }
        : {
            mode: "secret",
            secret: e.JWT_SECRET ?? "",
            ...(e.JWT_ISSUER ? { issuer: e.JWT_ISSUER } : {}),
            ...(e.JWT_AUDIENCE ? { audience: e.JWT_AUDIENCE } : {}),
          }),
    },
    dapr: {
      url: `http://${e.DAPR_HOST.includes(":") ? `[${e.DAPR_HOST}]` : e.DAPR_HOST}:${e.DAPR_HTTP_PORT}`,
      ...(e.DAPR_API_TOKEN ? { apiToken: e.DAPR_API_TOKEN } : {}),
      appToken: e.APP_API_TOKEN ?? "",
    },
    outbox: {
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      batchSize: e.OUTBOX_BATCH_SIZE,
      backoffInitialMs: e.OUTBOX_BACKOFF_INITIAL_MS,
      backoffMaxMs: e.OUTBOX_BACKOFF_MAX_MS,
      retentionHours: e.OUTBOX_RETENTION_HOURS,
      publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    http: { requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS, connectionTimeoutMs: e.HTTP_CONNECTION_TIMEOUT_MS },
  };
}

/** The literals a union-typed variable allows, for the error message. */
function allowedValues(name: string): string[] {
  const schema = (Environment.properties as Record<string, { anyOf?: { const?: unknown }[] }>)[name];
  return (schema?.anyOf ?? []).map((branch) => String(branch.const));
}

function crossFieldProblems(e: Environment): string[] {
  const problems: string[] = [];
  if (e.JWT_JWKS_URL) {
    // Both set is ambiguous: the tokens one of them signs would be refused with no hint why.
    if (e.JWT_SECRET)
      problems.push("JWT_SECRET and JWT_JWKS_URL are both set; set only one (HS256 secret, or the JWKS)");
    if (!e.JWT_ISSUER) problems.push("JWT_ISSUER is required with JWT_JWKS_URL (got unset)");
    if (!e.JWT_AUDIENCE) problems.push("JWT_AUDIENCE is required with JWT_JWKS_URL (got unset)");
  } else if (!e.JWT_SECRET) {
    problems.push("JWT_SECRET is required unless JWT_JWKS_URL is set (got unset)");
  }
  if (!e.APP_API_TOKEN) {
    problems.push(
      "APP_API_TOKEN is required: the token the Dapr sidecar sends as dapr-api-token (dapr.io/app-token-secret) (got unset)",
    );
  }
  if (e.OUTBOX_BACKOFF_MAX_MS < e.OUTBOX_BACKOFF_INITIAL_MS) {
    problems.push(
      `OUTBOX_BACKOFF_MAX_MS must be at least OUTBOX_BACKOFF_INITIAL_MS (${e.OUTBOX_BACKOFF_INITIAL_MS}) (got ${e.OUTBOX_BACKOFF_MAX_MS})`,
    );
  }
  return problems;
}
