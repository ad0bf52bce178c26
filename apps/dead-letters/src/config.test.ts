// Unit tests of the desk's configuration: defaults, its own variables, and errors that name each bad variable without repeating a secret.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { configProblems } from "../../../test/support/config";
import { loadConfig } from "./config";

const BASE = { JWT_SECRET: "0123456789abcdef0123456789abcdef", APP_API_TOKEN: "app-token-0123456789abcdef0123456789" };
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;

const problemsOf = (env: Record<string, string>) => configProblems(loadConfig, env);

describe("loadConfig", () => {
  it("fills the defaults: port 3004, its own data folder, Kafka's largest record, alerts to the log", () => {
    const config = loadConfig(BASE);
    expect(config).toMatchObject({
      port: 3004,
      appId: "dead-letters",
      pubsubName: "kafka-pubsub",
      database: { dataDir: "./data/dead-letters" },
      auth: { rolesClaim: "roles", operatorRole: "operator" },
      maxDeadLetterBytes: 1_048_588,
      alerts: { timeoutMs: 5_000, attempts: 3, backoff: { initialMs: 500, maxMs: 5_000 }, pollIntervalMs: 30_000 },
    });
    expect(config.alerts.webhook).toBeUndefined();
  });

  it("reads the kit's outbox relay variables, batch size and retention too (service-kit/src/outbox-relay.test.ts)", () => {
    expect(loadConfig({ ...BASE, OUTBOX_BATCH_SIZE: "10", OUTBOX_RETENTION_HOURS: "24" }).outbox).toMatchObject({
      batchSize: 10,
      retentionHours: 24,
    });
  });

  it("reads a signed webhook and the operator role", () => {
    const config = loadConfig({
      ...BASE,
      ALERT_WEBHOOK_URL: "https://hooks.example.com/dead-letters?token=abc",
      ALERT_WEBHOOK_SECRET: SECRET,
      ALERT_ATTEMPTS: "5",
      OPERATOR_ROLE: "sre",
    });
    expect(config).toMatchObject({
      alerts: { webhook: { url: "https://hooks.example.com/dead-letters?token=abc", secret: SECRET }, attempts: 5 },
      auth: { operatorRole: "sre" },
    });
  });

  it("names a bad webhook URL or secret without showing either value", () => {
    const url = "ftp://secret-token@example.com";
    expect(problemsOf({ ...BASE, ALERT_WEBHOOK_URL: url })).toEqual([
      `ALERT_WEBHOOK_URL must be a URL with the scheme https or http (got ${url.length} characters, value not shown)`,
    ]);
    const secretProblems = problemsOf({
      ...BASE,
      ALERT_WEBHOOK_URL: "https://hooks.example.com/x",
      ALERT_WEBHOOK_SECRET: "whsec_c2hvcnQ=",
    });
    expect(secretProblems).toEqual([
      "ALERT_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes (value not shown)",
    ]);
    expect(secretProblems.join(" ")).not.toMatch(/c2hvcnQ/);
  });

  it("refuses a webhook URL that fetch cannot call (credentials, no host, bad port), without showing it", () => {
    for (const url of [
      "http://alertuser:pw@127.0.0.1:8080/hook",
      "https://token@hooks.example.com/x",
      "https://hooks.example.com:99999/x",
      "https://",
    ]) {
      const problems = problemsOf({ ...BASE, ALERT_WEBHOOK_URL: url });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^ALERT_WEBHOOK_URL must /);
      expect(problems[0]).toContain("value not shown");
      expect(problems[0]).not.toMatch(/pw|token|hooks\.example/);
    }
  });

  it("refuses a secret without a webhook, and backoffs whose maximum is below their start", () => {
    expect(
      problemsOf({
        ...BASE,
        ALERT_WEBHOOK_SECRET: SECRET,
        ALERT_BACKOFF_INITIAL_MS: "1000",
        ALERT_BACKOFF_MAX_MS: "10",
        OUTBOX_BACKOFF_INITIAL_MS: "500",
        OUTBOX_BACKOFF_MAX_MS: "100",
      }),
    ).toEqual([
      "OUTBOX_BACKOFF_MAX_MS must be at least OUTBOX_BACKOFF_INITIAL_MS (500) (got 100)",
      "ALERT_BACKOFF_MAX_MS must be at least ALERT_BACKOFF_INITIAL_MS (1000) (got 10)",
      "ALERT_WEBHOOK_SECRET is set but ALERT_WEBHOOK_URL is not: there is nothing to sign",
    ]);
  });

  it("names bad numbers", () => {
    const problems = problemsOf({
      ...BASE,
      ALERT_ATTEMPTS: "0",
      DEAD_LETTER_MAX_BYTES: "x",
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ALERT_ATTEMPTS must be >= 1/),
        expect.stringMatching(/^DEAD_LETTER_MAX_BYTES must be integer/),
      ]),
    );
  });
});
