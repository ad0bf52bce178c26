// Unit tests of the shared configuration: which variables a service reads by its catalog entry, and the README that documents them (the outbox relay's too).
import { readFileSync } from "node:fs";
import path from "node:path";
import Type from "typebox";
import { describe, expect, it } from "vitest";
import { APPS } from "../../specs/apps";
import { ConfigError, loadServiceConfig, serviceEnvironment } from "./config";
import { OUTBOX_RELAY_VARIABLES } from "./outbox-relay";

const TOKEN = "app-token-0123456789abcdef0123456789";

describe("loadServiceConfig", () => {
  it("reads database variables only for an app with a database, JWT ones only with auth", () => {
    const gateway = Object.keys(serviceEnvironment(APPS.gateway, { auth: true, own: {} }).properties);
    expect(gateway).toContain("JWT_SECRET");
    expect(gateway).not.toContain("DATABASE_URL");
    const recurring = Object.keys(serviceEnvironment(APPS.recurring, { auth: false, own: {} }).properties);
    expect(recurring).toContain("DATABASE_URL");
    expect(recurring).not.toContain("JWT_SECRET");
  });

  it("fills each app's own defaults from the catalog: port, app id, data folder", () => {
    const { service } = loadServiceConfig(APPS.deadLetters, { auth: false, own: {} }, { APP_API_TOKEN: TOKEN });
    expect(service).toMatchObject({ port: 3004, appId: "dead-letters", database: { dataDir: "./data/dead-letters" } });
    expect(service.auth).toBeUndefined();
  });

  it("adds the app's own variables and rules, and names every bad one", () => {
    const own = { BATCH: Type.Integer({ minimum: 1, default: 10 }) };
    const load = (env: Record<string, string>) =>
      loadServiceConfig(
        APPS.recurring,
        { auth: false, own, problems: (e) => (e.BATCH > 5 ? [`BATCH must be at most 5 (got ${e.BATCH})`] : []) },
        env,
      );
    expect(load({ APP_API_TOKEN: TOKEN, BATCH: "3" }).own.BATCH).toBe(3);
    try {
      load({ BATCH: "9", PORT: "x" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual(['PORT must be integer (got "x")']);
    }
    expect(() => load({ BATCH: "9" })).toThrow("APP_API_TOKEN is required");
    expect(() => load({ APP_API_TOKEN: TOKEN, BATCH: "9" })).toThrow("BATCH must be at most 5 (got 9)");
  });
});

describe("secret variables", () => {
  it("are named in errors with their length, never their value", () => {
    const secretish = "short-secret-value";
    let problems: string[] = [];
    try {
      loadServiceConfig(
        APPS.backend,
        { auth: true, own: {} },
        { APP_API_TOKEN: secretish, JWT_SECRET: secretish, DATABASE_URL: `mysql://user:${secretish}@db/x` },
      );
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).not.toContain(secretish);
    expect(problems).toContain(
      "JWT_SECRET must NOT have fewer than 32 characters (got 18 characters, value not shown)",
    );
  });
});

describe("service-kit/README.md", () => {
  it("documents every shared variable and the outbox relay's, and no other", () => {
    const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const documented = [...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    const all = [
      ...Object.keys(serviceEnvironment(APPS.backend, { auth: true, own: {} }).properties),
      ...Object.keys(OUTBOX_RELAY_VARIABLES),
    ];
    expect([...documented].sort()).toEqual([...all].sort());
  });
});

describe("values read from text", () => {
  const load = (env: Record<string, string>) => loadServiceConfig(APPS.backend, { auth: true, own: {} }, env);
  const problemsOf = (env: Record<string, string>) => {
    try {
      load({ APP_API_TOKEN: TOKEN, JWT_SECRET: TOKEN, ...env });
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  it("take numbers in plain decimal notation only", () => {
    for (const port of ["0x24b", " 587 ", "5.87e2", "0b1010", "1e3", "+587"]) {
      expect(problemsOf({ PORT: port })).toEqual([
        `PORT must be an integer in plain decimal digits (an optional minus sign, then 0-9 only) (got ${JSON.stringify(port)})`,
      ]);
    }
    expect(problemsOf({ PORT: "0587", SIDECAR_TIMEOUT_MS: "1000" })).toEqual([]);
  });

  it("check URLs at load: parsed, with a host and a valid port, never showing the value", () => {
    for (const url of ["postgres://u:pw@", "postgres://u:pw@host:99999/x", "mysql://u:pw@db/x", "postgres:///x"]) {
      const problems = problemsOf({ DATABASE_URL: url });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^DATABASE_URL must /);
      expect(problems[0]).toContain(`(got ${url.length} characters, value not shown)`);
    }
    expect(problemsOf({ DATABASE_URL: "postgresql://u:pw@db:5432/tasks" })).toEqual([]);
  });

  it("refuse credentials in a URL that is fetched, and never show it", () => {
    const url = "ftp://user:pw@idp/jwks";
    const problems = problemsOf({ JWT_SECRET: "", JWT_JWKS_URL: url, JWT_ISSUER: "i", JWT_AUDIENCE: "a" });
    expect(problems).toEqual([
      `JWT_JWKS_URL must be a URL with the scheme https or http (got ${url.length} characters, value not shown)`,
    ]);
    const withCredentials = "https://user:pw@idp/jwks";
    expect(problemsOf({ JWT_SECRET: "", JWT_JWKS_URL: withCredentials, JWT_ISSUER: "i", JWT_AUDIENCE: "a" })).toEqual([
      `JWT_JWKS_URL must not contain a user name or password (got ${withCredentials.length} characters, value not shown)`,
    ]);
  });

  it("take a host name or an IP address for HOST and DAPR_HOST, nothing else", () => {
    expect(problemsOf({ HOST: "not a host", DAPR_HOST: "evil.com/x?" })).toEqual([
      'HOST must match format "host" (got "not a host")',
      'DAPR_HOST must match format "host" (got "evil.com/x?")',
    ]);
    expect(load({ APP_API_TOKEN: TOKEN, JWT_SECRET: TOKEN, HOST: "::", DAPR_HOST: "::1" }).service.dapr.url).toBe(
      "http://[::1]:3500",
    );
    expect(problemsOf({ HOST: "api.example.com", DAPR_HOST: "10.0.0.7" })).toEqual([]);
  });
});
