// Unit tests of the gateway's configuration: defaults, no database variables, its own variables, and errors that name each bad one.
import { describe, expect, it } from "vitest";
import { configProblems } from "../../../test/support/config";
import { loadConfig } from "./config";

const BASE = { JWT_SECRET: "0123456789abcdef0123456789abcdef", APP_API_TOKEN: "app-token-0123456789abcdef0123456789" };

const problemsOf = (env: Record<string, string>) => configProblems(loadConfig, env);

describe("loadConfig", () => {
  it("fills the defaults: port 3003, no database, no board, any origin, 30 s pings, 1 MiB per socket, 8 sockets per user", () => {
    const config = loadConfig(BASE);
    expect(config).toMatchObject({
      port: 3003,
      appId: "gateway",
      auth: { mode: "secret" },
      sockets: { pingIntervalMs: 30_000, maxBufferedBytes: 1_048_576, maxSocketsPerUser: 8 },
    });
    expect(config).not.toHaveProperty("database");
    expect(config).not.toHaveProperty("backendPublicUrl");
    expect(config.sockets).not.toHaveProperty("allowedOrigins");
  });

  it("ignores the database variables: the catalog gives the gateway none", () => {
    expect(loadConfig({ ...BASE, DATABASE_URL: "not a url", DATA_DIR: "/x" })).not.toHaveProperty("database");
  });

  it("reads its own variables; the backend URL loses a trailing slash, the origins as browsers send them", () => {
    const config = loadConfig({
      ...BASE,
      BACKEND_PUBLIC_URL: "https://api.example.com/tasks/",
      WS_ALLOWED_ORIGINS: "https://board.example.com, http://localhost:3003,http://[::1]:8080,",
      WS_PING_INTERVAL_MS: "5000",
      WS_MAX_BUFFERED_BYTES: "65536",
      WS_MAX_SOCKETS_PER_USER: "2",
    });
    expect(config.backendPublicUrl).toBe("https://api.example.com/tasks");
    expect(config.sockets).toEqual({
      allowedOrigins: new Set(["https://board.example.com", "http://localhost:3003", "http://[::1]:8080"]),
      pingIntervalMs: 5_000,
      maxBufferedBytes: 65_536,
      maxSocketsPerUser: 2,
    });
  });

  it("names each origin it cannot match an Origin header with", () => {
    expect(
      problemsOf({ ...BASE, WS_ALLOWED_ORIGINS: "https://ok.example.com,board.example.com,https://Board.example.com" }),
    ).toEqual([
      'WS_ALLOWED_ORIGINS entry "board.example.com" must be an origin scheme://host[:port]',
      'WS_ALLOWED_ORIGINS entry "https://Board.example.com" must be written as a browser sends it: https://board.example.com',
    ]);
    expect(problemsOf({ ...BASE, WS_ALLOWED_ORIGINS: " , " })).toEqual([
      "WS_ALLOWED_ORIGINS lists no origin; unset it to allow any (got only commas)",
    ]);
  });

  it("names bad numbers and a bad backend URL", () => {
    expect(
      problemsOf({
        ...BASE,
        BACKEND_PUBLIC_URL: "ftp://api.example.com",
        WS_PING_INTERVAL_MS: "10",
        WS_MAX_BUFFERED_BYTES: "100",
        WS_MAX_SOCKETS_PER_USER: "0",
      }).sort(),
    ).toEqual([
      "BACKEND_PUBLIC_URL must be a URL with the scheme https or http (got 21 characters, value not shown)",
      'WS_MAX_BUFFERED_BYTES must be >= 1024 (got "100")',
      'WS_MAX_SOCKETS_PER_USER must be >= 1 (got "0")',
      'WS_PING_INTERVAL_MS must be >= 100 (got "10")',
    ]);
  });
});
