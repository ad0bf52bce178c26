// Retry policies as Dapr runs them (dapr/kit retry on cenkalti/backoff v4): constant or exponential delays, a retry budget, and a loop that honours both.
import { setTimeout as sleep } from "node:timers/promises";

export interface RetryPolicy {
  /** The policy's name in its Resiliency (or a description), for logs. */
  name: string;
  policy: "constant" | "exponential";
  /** Delay of a constant policy. */
  durationMs: number;
  /** Exponential: first delay before randomization; Dapr's Resiliency cannot change it (500 ms). */
  initialIntervalMs: number;
  /** Exponential: each delay is drawn from [d·(1−f), d·(1+f)]. */
  randomizationFactor: number;
  multiplier: number;
  /** Exponential: cap of the un-randomized delay (a drawn delay can still reach 1.5× this). */
  maxIntervalMs: number;
  /** Exponential: no retry starts after this much time since the first attempt (0 = no limit). */
  maxElapsedTimeMs: number;
  /** Retries after the first attempt; -1 retries forever. */
  maxRetries: number;
}

/** dapr/kit `retry.DefaultConfig()`: what a policy gets for every field it does not set. */
export const DEFAULT_RETRY: Omit<RetryPolicy, "name"> = {
  policy: "constant",
  durationMs: 5000,
  initialIntervalMs: 500,
  randomizationFactor: 0.5,
  multiplier: 1.5,
  maxIntervalMs: 60_000,
  maxElapsedTimeMs: 15 * 60_000,
  maxRetries: -1,
};

/**
 * A fresh backoff: each call returns the delay before the next retry, or `undefined` when the policy gives up.
 * Mirrors cenkalti/backoff's ConstantBackOff / ExponentialBackOff wrapped in WithMaxRetries.
 */
export function backoff(policy: RetryPolicy, random: () => number = Math.random): () => number | undefined {
  const startedAt = Date.now();
  let retries = 0;
  let current = policy.initialIntervalMs;
  const next = (): number | undefined => {
    if (policy.policy === "constant") return policy.durationMs;
    const elapsed = Date.now() - startedAt;
    const delta = policy.randomizationFactor * current;
    const min = current - delta;
    // cenkalti draws from [min, max + 1 ns].
    const delay = min + random() * (current + delta - min + 1e-6);
    current = current >= policy.maxIntervalMs / policy.multiplier ? policy.maxIntervalMs : current * policy.multiplier;
    if (policy.maxElapsedTimeMs !== 0 && elapsed + delay > policy.maxElapsedTimeMs) return undefined;
    return delay;
  };
  return () => {
    if (policy.maxRetries >= 0 && retries >= policy.maxRetries) return undefined;
    retries++;
    return next();
  };
}

/** Thrown by an operation to stop the retries at once (cenkalti's `backoff.Permanent`). */
export class PermanentError extends Error {
  override name = "PermanentError";
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export interface RetryOptions {
  signal: AbortSignal;
  /** Called before each wait, with the error that caused it. */
  onRetry?: (error: unknown, delayMs: number, attempt: number) => void;
}

/**
 * Runs `operation` until it resolves, retrying on errors as the policy allows; with no policy it runs once.
 * Throws the last error when the budget is spent, the `cause` of a `PermanentError` at once, or an AbortError
 * when the signal fires.
 */
export async function withRetries<T>(
  policy: RetryPolicy | undefined,
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const nextDelay = policy ? backoff(policy) : () => undefined;
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (error instanceof PermanentError) throw error.cause;
      options.signal.throwIfAborted();
      const delay = nextDelay();
      if (delay === undefined) throw error;
      options.onRetry?.(error, delay, attempt);
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}
