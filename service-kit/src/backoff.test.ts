// Unit tests of the relay's exponential backoff: doubling, the cap, and the jitter's bounds.
import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

const settings = { initialMs: 100, maxMs: 1_000 };

describe("backoffDelay", () => {
  it("doubles per attempt up to the cap (upper bound of the jitter)", () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, settings, top))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it("never waits less than half the step (lower bound of the jitter)", () => {
    const bottom = () => 0;
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, settings, bottom))).toEqual([50, 100, 200, 400, 500]);
  });

  it("stays within bounds for random jitter and huge attempt numbers", () => {
    for (let attempt = 1; attempt < 200; attempt++) {
      const delay = backoffDelay(attempt, settings);
      expect(delay).toBeGreaterThanOrEqual(50);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
  });
});
