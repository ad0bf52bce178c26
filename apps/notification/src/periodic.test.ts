// Unit tests of the background loop: passes back to back while there is more, a wake cuts the wait short, failures back off, and stop waits for the pass in progress.
import type { FastifyBaseLogger } from "fastify";
import { describe, expect, it } from "vitest";
import { type PassOutcome, Periodic } from "./periodic";

const warnings: unknown[] = [];
const log = { warn: (detail: unknown) => warnings.push(detail) } as unknown as FastifyBaseLogger;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Periodic", () => {
  it("runs again at once after `more`, waits its interval after `idle`, and runs early when woken", async () => {
    const outcomes: PassOutcome[] = ["more", "more", "idle", "idle"];
    let passes = 0;
    const loop = new Periodic(
      async () => {
        passes += 1;
        return outcomes.shift() ?? "idle";
      },
      { intervalMs: 60_000, backoff: { initialMs: 10, maxMs: 10 } },
      log,
    );
    loop.start();
    await sleep(50);
    expect(passes).toBe(3);
    loop.wake();
    await sleep(50);
    expect(passes).toBe(4);
    await loop.stop(Date.now() + 1_000);
  });

  it("backs off after a failed pass and goes on", async () => {
    let passes = 0;
    const loop = new Periodic(
      async () => {
        passes += 1;
        if (passes <= 2) throw new Error("database unreachable");
        return "idle";
      },
      { intervalMs: 60_000, backoff: { initialMs: 20, maxMs: 40 } },
      log,
    );
    loop.start();
    await sleep(150);
    expect(passes).toBe(3);
    expect(warnings).toHaveLength(2);
    await loop.stop(Date.now() + 1_000);
  });

  it("stops after the pass in progress, or at the deadline if that pass takes longer", async () => {
    let finished = false;
    const loop = new Periodic(
      async () => {
        await sleep(100);
        finished = true;
        return "idle";
      },
      { intervalMs: 60_000, backoff: { initialMs: 10, maxMs: 10 } },
      log,
    );
    loop.start();
    await loop.stop(Date.now() + 1_000);
    expect(finished).toBe(true);

    const slow = new Periodic(
      () => sleep(5_000).then(() => "idle" as const),
      { intervalMs: 10, backoff: { initialMs: 10, maxMs: 10 } },
      log,
    );
    slow.start();
    const started = Date.now();
    await slow.stop(Date.now() + 100);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
