// Unit tests of the background loop: passes back to back while there is more, a wake cuts the wait short, failures back off (endBackoff ends that wait), and stop ends the loop by its deadline, aborting the pass's signal there.
import type { FastifyBaseLogger } from "fastify";
import { describe, expect, it } from "vitest";
import { type PassOutcome, Periodic } from "./periodic";

/** A logger that keeps its warnings, so a test can count the failed passes it logged. */
function recordingLog(): { log: FastifyBaseLogger; warnings: unknown[] } {
  const warnings: unknown[] = [];
  const ignore = () => {};
  const log = { warn: (detail: unknown) => warnings.push(detail), info: ignore, error: ignore, debug: ignore };
  return { log: log as unknown as FastifyBaseLogger, warnings };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = new Promise<never>(() => {});
const HOUR_MS = 3_600_000;

describe("Periodic", () => {
  it("runs again at once after `more`, waits its interval after `idle`, and runs early when woken", async () => {
    const outcomes: PassOutcome[] = ["more", "more", "idle", "idle"];
    let passes = 0;
    const loop = new Periodic(
      async () => {
        passes += 1;
        return outcomes.shift() ?? "idle";
      },
      { intervalMs: HOUR_MS, backoff: { initialMs: 10, maxMs: 10 } },
      recordingLog().log,
    );
    loop.start();
    await sleep(50);
    expect(passes).toBe(3);
    loop.wake();
    await sleep(50);
    expect(passes).toBe(4);
    await loop.stop(Date.now() + 1_000);
  });

  it("backs off after a failed pass, is not woken out of the backoff, and goes on with the count reset", async () => {
    const { log, warnings } = recordingLog();
    let passes = 0;
    const loop = new Periodic(
      async () => {
        passes += 1;
        if (passes <= 2) throw new Error("database unreachable");
        return "idle";
      },
      { intervalMs: HOUR_MS, backoff: { initialMs: 100, maxMs: 200 } },
      log,
    );
    loop.start();
    await sleep(20);
    expect(passes).toBe(1);
    expect(loop.consecutiveFailures).toBe(1);
    loop.wake();
    await sleep(20);
    // The first backoff is 50 to 100 ms: the wake did not cut it short.
    expect(passes).toBe(1);
    await sleep(500);
    expect(passes).toBe(3);
    expect(loop.consecutiveFailures).toBe(0);
    expect(warnings).toEqual([
      expect.objectContaining({ attempt: 1, err: expect.any(Error) }),
      expect.objectContaining({ attempt: 2, err: expect.any(Error) }),
    ]);
    await loop.stop(Date.now() + 1_000);
  });

  it("runs the next pass at once when its backoff is ended, and ignores endBackoff while it waits its interval", async () => {
    let passes = 0;
    const loop = new Periodic(
      async () => {
        passes += 1;
        if (passes === 1) throw new Error("sidecar down");
        return "idle";
      },
      { intervalMs: HOUR_MS, backoff: { initialMs: HOUR_MS, maxMs: HOUR_MS } },
      recordingLog().log,
    );
    loop.start();
    await sleep(20);
    expect(passes).toBe(1);
    loop.endBackoff();
    await sleep(20);
    expect(passes).toBe(2);
    expect(loop.consecutiveFailures).toBe(0);
    // Now it waits its hour-long interval: that is no backoff, and endBackoff leaves it alone.
    loop.endBackoff();
    await sleep(20);
    expect(passes).toBe(2);
    await loop.stop(Date.now() + 1_000);
  });

  it("logs a failure as `failureDetail` describes it", async () => {
    const { log, warnings } = recordingLog();
    const loop = new Periodic(
      () => Promise.reject(new Error("sidecar down")),
      {
        intervalMs: HOUR_MS,
        backoff: { initialMs: HOUR_MS, maxMs: HOUR_MS },
        failureDetail: (error) => ({ reason: (error as Error).message }),
      },
      log,
    );
    loop.start();
    await sleep(20);
    expect(warnings).toEqual([expect.objectContaining({ reason: "sidecar down", attempt: 1 })]);
    expect(warnings[0]).not.toHaveProperty("err");
    const started = Date.now();
    await loop.stop(Date.now() + 5_000);
    // Stopping ends the hour-long backoff at once.
    expect(Date.now() - started).toBeLessThan(100);
  });

  it("stops after the pass in progress, or at the deadline when that pass takes longer, aborting its signal then", async () => {
    let finished = false;
    const loop = new Periodic(
      async () => {
        await sleep(100);
        finished = true;
        return "idle";
      },
      { intervalMs: HOUR_MS, backoff: { initialMs: 10, maxMs: 10 } },
      recordingLog().log,
    );
    loop.start();
    await loop.stop(Date.now() + 1_000);
    expect(finished).toBe(true);

    let signal: AbortSignal | undefined;
    const stuck = new Periodic(
      (given) => {
        signal = given;
        return never;
      },
      { intervalMs: 10, backoff: { initialMs: 10, maxMs: 10 } },
      recordingLog().log,
    );
    stuck.start();
    const started = Date.now();
    await stuck.stop(Date.now() + 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(500);
    expect(signal?.aborted).toBe(true);
  });

  it("with `waitForPass`, aborts the signal at the deadline and waits for the pass to end", async () => {
    const steps: string[] = [];
    const loop = new Periodic(
      async (signal) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        steps.push("aborted");
        // What a pass does after giving up (recording that its work is still pending) is waited for.
        await sleep(50);
        steps.push("recorded");
        return "idle";
      },
      { intervalMs: HOUR_MS, backoff: { initialMs: 10, maxMs: 10 }, waitForPass: true },
      recordingLog().log,
    );
    loop.start();
    const started = Date.now();
    await loop.stop(Date.now() + 100);
    expect(steps).toEqual(["aborted", "recorded"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(600);
  });
});
