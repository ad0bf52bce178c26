// Unit tests of the configuration: defaults, coercion, and errors that name each bad variable.
import { describe, expect, it } from "vitest";
import { configProblems } from "../../../test/support/config";
import { loadConfig } from "./config";

const SECRET = "0123456789abcdef0123456789abcdef";
const APP_TOKEN = "app-token-0123456789abcdef0123456789";
/** The variables every configuration needs. */
const BASE = { JWT_SECRET: SECRET, APP_API_TOKEN: APP_TOKEN };

const problemsOf = (env: Record<string, string>) => configProblems(loadConfig, env);

describe("loadConfig", () => {
  it("fills the defaults: port 3000, embedded database in ./data/backend, the sidecar on 127.0.0.1:3500", () => {
    const config = loadConfig({ ...BASE });
    expect(config).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      appId: "backend",
      pubsubName: "kafka-pubsub",
      logLevel: "info",
      database: { poolSize: 10, dataDir: "./data/backend" },
      auth: { mode: "secret", secret: SECRET, maxLifetimeSeconds: 86_400, clockSkewSeconds: 30 },
      dapr: { url: "http://127.0.0.1:3500" },
      publishTimeoutMs: 5_000,
      shutdownTimeoutMs: 10_000,
      http: { requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000 },
    });
    expect(config.database.url).toBeUndefined();
  });

  it("reads and coerces the platform's variables", () => {
    const config = loadConfig({
      PORT: "3100",
      APP_ID: "backend",
      PUBSUB_NAME: "other-pubsub",
      LOG_LEVEL: "debug",
      DATABASE_URL: "postgresql://app@db:5432/tasks",
      ...BASE,
      DAPR_HOST: "localhost",
      DAPR_HTTP_PORT: "3501",
      OUTBOX_BACKOFF_INITIAL_MS: "5",
      OUTBOX_BACKOFF_MAX_MS: "50",
    });
    expect(config).toMatchObject({
      port: 3100,
      pubsubName: "other-pubsub",
      logLevel: "debug",
      database: { url: "postgresql://app@db:5432/tasks" },
      dapr: { url: "http://localhost:3501" },
      // The kit's outbox relay variables (service-kit/src/outbox-relay.test.ts tests them).
      outbox: { backoff: { initialMs: 5, maxMs: 50 } },
    });
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ ...BASE, PORT: "", DATABASE_URL: "" })).toMatchObject({
      port: 3000,
      database: { dataDir: "./data/backend" },
    });
  });

  it("names every bad variable with its value", () => {
    expect(problemsOf({ ...BASE, PORT: "70000", DAPR_HTTP_PORT: "http", LOG_LEVEL: "verbose" })).toEqual([
      'PORT must be <= 65535 (got "70000")',
      'LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent (got "verbose")',
      'DAPR_HTTP_PORT must be integer (got "http")',
    ]);
  });

  it("rejects a DATABASE_URL that is not a PostgreSQL URL and a short JWT_SECRET", () => {
    expect(problemsOf({ ...BASE, JWT_SECRET: "short", DATABASE_URL: "mysql://db/tasks" })).toEqual([
      "JWT_SECRET must NOT have fewer than 32 characters (got 5 characters, value not shown)",
      "DATABASE_URL must be a URL with the scheme postgres or postgresql (got 16 characters, value not shown)",
    ]);
  });

  it("needs JWT_SECRET, or JWT_JWKS_URL with JWT_ISSUER and JWT_AUDIENCE", () => {
    expect(problemsOf({ APP_API_TOKEN: APP_TOKEN })).toEqual([
      "JWT_SECRET is required unless JWT_JWKS_URL is set (got unset)",
    ]);
    expect(
      problemsOf({ APP_API_TOKEN: APP_TOKEN, JWT_JWKS_URL: "https://id.example.com/.well-known/jwks.json" }),
    ).toEqual([
      "JWT_ISSUER is required with JWT_JWKS_URL (got unset)",
      "JWT_AUDIENCE is required with JWT_JWKS_URL (got unset)",
    ]);
    expect(
      loadConfig({
        APP_API_TOKEN: APP_TOKEN,
        JWT_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
        JWT_ISSUER: "https://id.example.com/",
        JWT_AUDIENCE: "tasks",
      }).auth,
    ).toEqual({
      mode: "jwks",
      jwksUrl: "https://id.example.com/.well-known/jwks.json",
      issuer: "https://id.example.com/",
      audience: "tasks",
      maxLifetimeSeconds: 86_400,
      clockSkewSeconds: 30,
      rolesClaim: "roles",
      operatorRole: "operator",
    });
  });

  it("refuses JWT_SECRET and JWT_JWKS_URL together rather than ignoring one", () => {
    expect(
      problemsOf({
        APP_API_TOKEN: APP_TOKEN,
        JWT_SECRET: "a-shared-secret-of-at-least-32-characters",
        JWT_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
        JWT_ISSUER: "https://id.example.com/",
        JWT_AUDIENCE: "tasks",
      }),
    ).toEqual(["JWT_SECRET and JWT_JWKS_URL are both set; set only one (HS256 secret, or the JWKS)"]);
  });

  it("needs Dapr's app API token, long enough not to be guessed", () => {
    expect(loadConfig(BASE).dapr.appToken).toBe(APP_TOKEN);
    expect(problemsOf({ JWT_SECRET: SECRET })).toEqual([
      "APP_API_TOKEN is required: the token the Dapr sidecar sends as dapr-api-token (dapr.io/app-token-secret) (got unset)",
    ]);
    expect(problemsOf({ JWT_SECRET: SECRET, APP_API_TOKEN: "short" })).toEqual([
      "APP_API_TOKEN must NOT have fewer than 32 characters (got 5 characters, value not shown)",
    ]);
  });

  it("bounds a token's lifetime and the clock skew, configurably", () => {
    expect(loadConfig({ ...BASE, JWT_MAX_LIFETIME_SECONDS: "3600", JWT_CLOCK_SKEW_SECONDS: "5" }).auth).toMatchObject({
      maxLifetimeSeconds: 3600,
      clockSkewSeconds: 5,
    });
    expect(problemsOf({ ...BASE, JWT_MAX_LIFETIME_SECONDS: "0", JWT_CLOCK_SKEW_SECONDS: "3600" })).toEqual([
      'JWT_MAX_LIFETIME_SECONDS must be >= 60 (got "0")',
      'JWT_CLOCK_SKEW_SECONDS must be <= 300 (got "3600")',
    ]);
  });

  it("allows no cross-origin callers by default, and reads CORS_ORIGINS as exact origins", () => {
    expect(loadConfig(BASE).cors).toEqual({ origins: [] });
    expect(
      loadConfig({ ...BASE, CORS_ORIGINS: " https://board.example.com, http://127.0.0.1:3003 ,http://[::1]:8080," })
        .cors,
    ).toEqual({ origins: ["https://board.example.com", "http://127.0.0.1:3003", "http://[::1]:8080"] });
  });

  it("names each CORS_ORIGINS entry that is not an origin a browser would send", () => {
    expect(
      problemsOf({
        ...BASE,
        CORS_ORIGINS:
          "*,https://board.example.com/app,board.example.com,ftp://files.example.com,https://Board.example.com:443",
      }),
    ).toEqual([
      'CORS_ORIGINS entry "*" must be an origin scheme://host[:port]',
      'CORS_ORIGINS entry "https://board.example.com/app" must be an origin scheme://host[:port], without a user, path, query or fragment',
      'CORS_ORIGINS entry "board.example.com" must be an origin scheme://host[:port]',
      'CORS_ORIGINS entry "ftp://files.example.com" must be an http or https origin',
      'CORS_ORIGINS entry "https://Board.example.com:443" must be written as a browser sends it: https://board.example.com',
    ]);
    expect(problemsOf({ ...BASE, CORS_ORIGINS: "https://board.example.com/" })).toEqual([
      'CORS_ORIGINS entry "https://board.example.com/" must be written as a browser sends it: https://board.example.com',
    ]);
  });

  it("puts every problem in the error message, one per line", () => {
    expect(() => loadConfig({ PORT: "0" })).toThrow('Invalid configuration:\n  - PORT must be >= 1 (got "0")');
  });
});
