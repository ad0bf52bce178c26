// Unit tests of the configuration: defaults, the backend's app id, and errors that name each bad variable.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

const APP_TOKEN = "app-token-0123456789abcdef0123456789";

/** Expects `loadConfig(env)` to throw a `ConfigError` with exactly these problems. */
function expectProblems(env: Record<string, string>, problems: string[]): void {
  expect(() => loadConfig(env)).toThrow(expect.objectContaining({ name: ConfigError.name, problems }));
}

describe("loadConfig", () => {
  it("fills the defaults: port 3001, embedded database in ./data/recurring, the backend as app id backend", () => {
    const config = loadConfig({ APP_API_TOKEN: APP_TOKEN });
    expect(config).toMatchObject({
      port: 3001,
      host: "0.0.0.0",
      appId: "recurring",
      logLevel: "info",
      database: { poolSize: 10, dataDir: "./data/recurring" },
      dapr: { url: "http://127.0.0.1:3500", appToken: APP_TOKEN, timeoutMs: 5_000 },
      backendAppId: "backend",
      shutdownTimeoutMs: 10_000,
    });
    expect(config.database.url).toBeUndefined();
  });

  it("needs no JWT settings: the service has no user-facing routes", () => {
    const config = loadConfig({ APP_API_TOKEN: APP_TOKEN, JWT_SECRET: "ignored" });
    expect(config.auth).toBeUndefined();
  });

  it("reads BACKEND_APP_ID and the shared variables", () => {
    const config = loadConfig({
      APP_API_TOKEN: APP_TOKEN,
      BACKEND_APP_ID: "tasks-backend-2",
      DATABASE_URL: "postgresql://recurring@db:5432/platform",
      DAPR_HTTP_PORT: "3511",
      SIDECAR_TIMEOUT_MS: "2500",
    });
    expect(config).toMatchObject({
      backendAppId: "tasks-backend-2",
      database: { url: "postgresql://recurring@db:5432/platform" },
      dapr: { url: "http://127.0.0.1:3511", timeoutMs: 2_500 },
    });
  });

  it("names every bad variable with its value", () => {
    expectProblems({ APP_API_TOKEN: APP_TOKEN, BACKEND_APP_ID: "Backend/../admin", PORT: "70000" }, [
      'PORT must be <= 65535 (got "70000")',
      'BACKEND_APP_ID must match pattern "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" (got "Backend/../admin")',
    ]);
  });

  it("requires the app API token, since only the sidecar may deliver events", () => {
    expectProblems({}, [
      "APP_API_TOKEN is required: the token the Dapr sidecar sends as dapr-api-token (dapr.io/app-token-secret) (got unset)",
    ]);
  });
});
