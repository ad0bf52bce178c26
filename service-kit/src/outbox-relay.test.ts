// Unit tests of the relay lock keys (the backend's outbox keeps its key, every other schema gets one of its own) and of the relay's OUTBOX_* variables.
import { describe, expect, it } from "vitest";
import { APP_LIST, APPS } from "../../specs/apps";
import { ConfigError, loadServiceConfig } from "./config";
import {
  OUTBOX_RELAY_VARIABLES,
  outboxRelayProblems,
  outboxRelaySettings,
  RELAY_LOCK_KEY,
  relayLockKey,
} from "./outbox-relay";

describe("relayLockKey", () => {
  it("keeps the public schema's key, so a relay of an earlier release and a new one never publish together", () => {
    expect(relayLockKey("public")).toBe(RELAY_LOCK_KEY);
  });

  it("gives every app's schema a key of its own, stable, below 2^32", () => {
    const schemas = ["public", ...APP_LIST.map((app) => app.id.replace(/-/g, "_"))];
    const keys = schemas.map(relayLockKey);
    expect(new Set(keys).size).toBe(schemas.length);
    for (const key of keys) {
      expect(Number.isInteger(key) && key >= 0 && key < 2 ** 32).toBe(true);
    }
    expect(relayLockKey("notification")).toBe(relayLockKey("notification"));
  });
});

describe("the relay's variables", () => {
  const TOKEN = "app-token-0123456789abcdef0123456789";
  /** Loads them as a service with an outbox does: its own variables, with the relay's rule. */
  const load = (env: Record<string, string>) =>
    outboxRelaySettings(
      loadServiceConfig(
        APPS.notification,
        { auth: false, own: OUTBOX_RELAY_VARIABLES, problems: outboxRelayProblems },
        { APP_API_TOKEN: TOKEN, ...env },
      ).own,
    );
  const problemsOf = (env: Record<string, string>) => {
    try {
      load(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it("default to a 1 s poll, 100 rows, 32 keys at once, 200 ms to 30 s of backoff and a week's retention", () => {
    expect(load({})).toEqual({
      pollIntervalMs: 1_000,
      batchSize: 100,
      concurrency: 32,
      backoff: { initialMs: 200, maxMs: 30_000 },
      retentionHours: 168,
    });
    expect(load({ OUTBOX_CONCURRENCY: "", OUTBOX_BATCH_SIZE: "" })).toMatchObject({ concurrency: 32, batchSize: 100 });
  });

  it("are read into the relay's settings", () => {
    expect(
      load({
        OUTBOX_POLL_INTERVAL_MS: "250",
        OUTBOX_BATCH_SIZE: "500",
        OUTBOX_CONCURRENCY: "64",
        OUTBOX_BACKOFF_INITIAL_MS: "5",
        OUTBOX_BACKOFF_MAX_MS: "50",
        OUTBOX_RETENTION_HOURS: "24",
      }),
    ).toEqual({
      pollIntervalMs: 250,
      batchSize: 500,
      concurrency: 64,
      backoff: { initialMs: 5, maxMs: 50 },
      retentionHours: 24,
    });
  });

  it("take integers within their bounds, and name the variable and its value otherwise", () => {
    const bounds: [string, number, number][] = [
      ["OUTBOX_POLL_INTERVAL_MS", 10, 3_600_000],
      ["OUTBOX_BATCH_SIZE", 1, 10_000],
      ["OUTBOX_CONCURRENCY", 1, 1_000],
      ["OUTBOX_BACKOFF_INITIAL_MS", 1, 600_000],
      ["OUTBOX_BACKOFF_MAX_MS", 1, 3_600_000],
      ["OUTBOX_RETENTION_HOURS", 1, 87_600],
    ];
    expect(bounds.map(([name]) => name).sort()).toEqual(Object.keys(OUTBOX_RELAY_VARIABLES).sort());
    for (const [name, minimum, maximum] of bounds) {
      // The other of the backoff pair at its own far bound, so that the pair keeps its order either way.
      const others: Record<string, Record<string, string>> = {
        OUTBOX_BACKOFF_INITIAL_MS: { OUTBOX_BACKOFF_MAX_MS: "3600000" },
        OUTBOX_BACKOFF_MAX_MS: { OUTBOX_BACKOFF_INITIAL_MS: "1" },
      };
      const other = others[name] ?? {};
      expect(problemsOf({ ...other, [name]: String(minimum) })).toEqual([]);
      expect(problemsOf({ ...other, [name]: String(maximum) })).toEqual([]);
      for (const [value, problem] of <[string, string][]>[
        [String(minimum - 1), `must be >= ${minimum}`],
        [String(maximum + 1), `must be <= ${maximum}`],
        ["x", "must be integer"],
        ["2.5", "must be integer"],
      ]) {
        expect(problemsOf({ [name]: value })).toEqual([`${name} ${problem} (got ${JSON.stringify(value)})`]);
      }
    }
  });

  it("refuse a longest backoff shorter than the first, naming both", () => {
    expect(problemsOf({ OUTBOX_BACKOFF_INITIAL_MS: "500", OUTBOX_BACKOFF_MAX_MS: "100" })).toEqual([
      "OUTBOX_BACKOFF_MAX_MS must be at least OUTBOX_BACKOFF_INITIAL_MS (500) (got 100)",
    ]);
    expect(problemsOf({ OUTBOX_BACKOFF_INITIAL_MS: "500", OUTBOX_BACKOFF_MAX_MS: "500" })).toEqual([]);
  });
});
