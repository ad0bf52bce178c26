// Unit tests of the configuration: defaults, the SMTP settings and their rules, and errors that name each bad variable without printing the password.
import { describe, expect, it } from "vitest";
import { configProblems } from "../../../test/support/config";
import { loadConfig } from "./config";

const BASE = { JWT_SECRET: "0123456789abcdef0123456789abcdef", APP_API_TOKEN: "app-token-0123456789abcdef0123456789" };

const problemsOf = (env: Record<string, string>) => configProblems(loadConfig, env);

describe("loadConfig", () => {
  it("fills the defaults: port 3002, the notification schema's data folder, 1 s loops, 8 attempts, no email channel", () => {
    const config = loadConfig(BASE);
    expect(config).toMatchObject({
      port: 3002,
      appId: "notification",
      pubsubName: "kafka-pubsub",
      database: { dataDir: "./data/notification" },
      scheduler: { pollIntervalMs: 1_000, batchSize: 100 },
      delivery: {
        pollIntervalMs: 1_000,
        concurrency: 8,
        maxAttempts: 8,
        backoff: { initialMs: 1_000, maxMs: 300_000 },
      },
      webhook: { allowPrivateAddresses: false, timeoutMs: 5_000 },
    });
    expect(config.smtp).toBeUndefined();
  });

  it("reads the kit's outbox relay variables (service-kit/src/outbox-relay.test.ts tests them)", () => {
    expect(loadConfig({ ...BASE, OUTBOX_CONCURRENCY: "64" }).outbox.concurrency).toBe(64);
  });

  it("reads SMTP: port 587 and STARTTLS by default, implicit TLS with SMTP_SECURE=true, a login with both user and password", () => {
    const plain = loadConfig({ ...BASE, SMTP_HOST: "smtp.example.com", SMTP_FROM: "Tasks <tasks@example.com>" });
    expect(plain.smtp).toEqual({
      host: "smtp.example.com",
      port: 587,
      secure: false,
      from: "Tasks <tasks@example.com>",
      timeoutMs: 30_000,
    });
    const secure = loadConfig({
      ...BASE,
      SMTP_HOST: "smtp.example.com",
      SMTP_PORT: "465",
      SMTP_SECURE: "true",
      SMTP_USER: "mailer",
      SMTP_PASSWORD: "s3cret pass",
      SMTP_FROM: "tasks@example.com",
      WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true",
    });
    expect(secure.smtp).toMatchObject({ port: 465, secure: true, auth: { user: "mailer", password: "s3cret pass" } });
    expect(secure.webhook.allowPrivateAddresses).toBe(true);
  });

  it("requires SMTP_FROM with SMTP_HOST, a valid sender, and user and password together; never prints the password", () => {
    expect(problemsOf({ ...BASE, SMTP_HOST: "smtp.example.com" })).toEqual([
      "SMTP_FROM is required with SMTP_HOST: the sender of every email (got unset)",
    ]);
    expect(problemsOf({ ...BASE, SMTP_HOST: "smtp.example.com", SMTP_FROM: "Tasks <not an address>" })).toEqual([
      'SMTP_FROM must be one mailbox: an email address, or a name and one in angle brackets (Tasks <tasks@example.com>); it must be an email address (local-part@domain, as in a browser\'s email field) (got "Tasks <not an address>")',
    ]);
    for (const from of [
      "Tasks\r\nBcc: evil@x.com <tasks@example.com>",
      "tasks@example.com\r\nBcc: evil@x.com",
      "a@x.com, b@x.com",
      "Tasks, Inc <tasks@example.com>",
      "evil@x.com <tasks@example.com>",
      "Tasks \u202E <tasks@example.com>",
    ]) {
      const found = problemsOf({ ...BASE, SMTP_HOST: "smtp.example.com", SMTP_FROM: from });
      expect(found, JSON.stringify(from)).toHaveLength(1);
      expect(found[0]).toMatch(/^SMTP_FROM must be one mailbox/);
    }
    for (const from of ['"Tasks, Inc." <tasks@example.com>', "J. Smith <tasks@example.com>", "tasks@example.com"]) {
      expect(loadConfig({ ...BASE, SMTP_HOST: "smtp.example.com", SMTP_FROM: from }).smtp?.from).toBe(from);
    }
    expect(problemsOf({ ...BASE, SMTP_HOST: "smtp.example.com/x", SMTP_FROM: "tasks@example.com" })).toEqual([
      'SMTP_HOST must match format "host" (got "smtp.example.com/x")',
    ]);
    const problems = problemsOf({ ...BASE, SMTP_PASSWORD: "hunter2-secret" });
    expect(problems).toEqual(["SMTP_USER is required with SMTP_PASSWORD (got unset)"]);
    expect(problems.join("\n")).not.toContain("hunter2-secret");
    expect(problemsOf({ ...BASE, SMTP_USER: "mailer" })).toEqual([
      "SMTP_PASSWORD is required with SMTP_USER (got unset)",
    ]);
  });

  it("names each bad variable: ports, booleans, attempts, and backoff bounds in the wrong order", () => {
    const problems = problemsOf({
      ...BASE,
      SMTP_PORT: "70000",
      SMTP_SECURE: "maybe",
      DELIVERY_MAX_ATTEMPTS: "0",
      SCHEDULER_POLL_INTERVAL_MS: "1",
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SMTP_PORT must be <= 65535 \(got "70000"\)$/),
        expect.stringMatching(/^SMTP_SECURE must be boolean \(got "maybe"\)$/),
        expect.stringMatching(/^DELIVERY_MAX_ATTEMPTS must be >= 1 \(got "0"\)$/),
        expect.stringMatching(/^SCHEDULER_POLL_INTERVAL_MS must be >= 10 \(got "1"\)$/),
      ]),
    );
    expect(problemsOf({ ...BASE, DELIVERY_BACKOFF_INITIAL_MS: "5000", DELIVERY_BACKOFF_MAX_MS: "1000" })).toEqual([
      "DELIVERY_BACKOFF_MAX_MS must be at least DELIVERY_BACKOFF_INITIAL_MS (5000) (got 1000)",
    ]);
  });
});
