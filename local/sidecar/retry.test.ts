// Go durations and Dapr's retry policies: the delays and budgets the sidecar waits by.
import { describe, expect, it } from "vitest";
import { parseGoDuration } from "./duration";
import { backoff, DEFAULT_RETRY, PermanentError, type RetryPolicy, withRetries } from "./retry";

describe("Go durations", () => {
  it.each([
    ["500ms", 500],
    ["2s", 2000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["250us", 0.25],
    ["0", 0],
    ["-2s", -2000],
  ])("%s = %d ms", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(["", "5", "2 s", "1d", "s"])("rejects %j with Go's syntax in the message", (text) => {
    expect(() => parseGoDuration(text)).toThrow(`Invalid duration "${text}"`);
  });
});

function policy(overrides: Partial<RetryPolicy>): RetryPolicy {
  return { ...DEFAULT_RETRY, name: "test", ...overrides };
}

function delays(p: RetryPolicy, random: () => number, max = 10): (number | undefined)[] {
  const next = backoff(p, random);
  return Array.from({ length: max }, () => next());
}

describe("retry policies", () => {
  it("constant: the same delay, maxRetries times", () => {
    expect(delays(policy({ policy: "constant", durationMs: 50, maxRetries: 3 }), Math.random, 5)).toEqual([
      50,
      50,
      50,
      undefined,
      undefined,
    ]);
  });

  it("exponential: cenkalti's defaults (500 ms × 1.5, ±50%), the interval capped at maxInterval", () => {
    const middle = delays(policy({ policy: "exponential", maxIntervalMs: 1000, maxRetries: 5 }), () => 0.5, 6);
    // A random draw of 0.5 gives the un-randomized interval.
    expect(middle.map((d) => (d === undefined ? d : Math.round(d)))).toEqual([500, 750, 1000, 1000, 1000, undefined]);
    const low = delays(policy({ policy: "exponential", maxIntervalMs: 1000, maxRetries: 2 }), () => 0, 2);
    expect(low).toEqual([250, 375]);
  });

  it("maxRetries -1 retries without end; 0 never retries", () => {
    expect(delays(policy({ durationMs: 1, maxRetries: -1 }), Math.random, 100).every((d) => d === 1)).toBe(true);
    expect(delays(policy({ maxRetries: 0 }), Math.random, 1)).toEqual([undefined]);
  });

  it("runs 1 + maxRetries attempts and throws the last error; a PermanentError stops at once", async () => {
    const signal = new AbortController().signal;
    let attempts = 0;
    await expect(
      withRetries(
        policy({ durationMs: 1, maxRetries: 2 }),
        async (attempt) => {
          attempts++;
          throw new Error(`attempt ${attempt}`);
        },
        { signal },
      ),
    ).rejects.toThrow("attempt 3");
    expect(attempts).toBe(3);
    await expect(
      withRetries(
        policy({ durationMs: 1, maxRetries: 5 }),
        async () => {
          throw new PermanentError(new Error("final"));
        },
        { signal },
      ),
    ).rejects.toThrow("final");
    await expect(withRetries(undefined, async (attempt) => attempt, { signal })).resolves.toBe(1);
  });
});
