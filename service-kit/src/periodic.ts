// A service's background loops (the outbox relay, a scheduler, a delivery worker, an alert loop): a pass, then a wait of the interval or until woken; after a failed pass, waits that back off exponentially; stopped with a deadline.
import type { FastifyBaseLogger } from "fastify";
import { type BackoffSettings, backoffDelay } from "./backoff";

/** What a service runs beside its HTTP server: started once it listens, stopped in its shutdown. */
export interface BackgroundWorker {
  start(): void;
  /** Ends the work by `deadline` (epoch ms), as far as the worker's own promise says. */
  stop(deadline: number): Promise<void>;
}

/** `more`: the pass stopped at its batch size, so run again at once; `idle`: wait for the interval or a wake. */
export type PassOutcome = "more" | "idle";

/**
 * One pass of a loop. `signal` aborts at the stop deadline: a pass that waits on the network can give up then. A
 * pass that throws has failed (the database or the sidecar unreachable, say): the loop backs off.
 */
export type Pass = (signal: AbortSignal) => Promise<PassOutcome>;

export interface PeriodicSettings {
  /** The wait after an `idle` pass, unless a wake cuts it short. */
  intervalMs: number;
  /** The waits after consecutive failed passes. */
  backoff: BackoffSettings;
  /**
   * Whether `stop` waits for the pass in progress however long it takes: for a pass whose last writes must land
   * before the database closes (the relay's marks) or that ends soon after its signal aborts. Otherwise `stop`
   * resolves at the deadline at the latest, and a pass still running then ends on its own.
   */
  waitForPass?: boolean;
  /** What the log line of a failed pass carries; `{ err: error }` (the error with its stack) by default. */
  failureDetail?: (error: unknown) => Record<string, unknown>;
}

/** Runs a pass over and over until stopped; one pass at a time. */
export class Periodic implements BackgroundWorker {
  private running: Promise<void> | undefined;
  private stopping = false;
  private wakeRequested = false;
  private sleeper: { wakeable: boolean; end: () => void } | undefined;
  private failures = 0;
  private readonly aborter = new AbortController();

  constructor(
    private readonly pass: Pass,
    private readonly settings: PeriodicSettings,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Consecutive failed passes; 0 while passes succeed. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Runs a pass now rather than at the end of the interval (after a commit that made work); a backoff is not cut short. */
  wake(): void {
    this.wakeRequested = true;
    if (this.sleeper?.wakeable) this.sleeper.end();
  }

  /**
   * Ends the backoff after a failed pass now, so the next pass runs at once: for a caller that has seen the
   * failure's cause go away (the outbox relay, when the sidecar answers its health probe again). Unlike `wake`, it
   * cuts a backoff short and nothing else: while a pass runs or the loop waits its interval, it does nothing.
   */
  endBackoff(): void {
    if (this.sleeper && !this.sleeper.wakeable) this.sleeper.end();
  }

  /**
   * Starts no more passes (a wait ends at once) and resolves when the pass in progress has ended. At `deadline`
   * (epoch ms) the pass's signal aborts, and unless `waitForPass` is set, `stop` resolves then.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    this.sleeper?.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(
        () => {
          this.aborter.abort();
          resolve();
        },
        Math.max(deadline - Date.now(), 0),
      );
    });
    try {
      await (this.settings.waitForPass ? this.running : Promise.race([this.running, late]));
    } finally {
      clearTimeout(timer);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.wakeRequested = false;
      let outcome: PassOutcome;
      try {
        outcome = await this.pass(this.aborter.signal);
      } catch (error) {
        this.failures += 1;
        const delayMs = backoffDelay(this.failures, this.settings.backoff);
        const detail = this.settings.failureDetail?.(error) ?? { err: error };
        this.log.warn({ ...detail, attempt: this.failures, retryInMs: delayMs }, "pass failed; backing off");
        await this.sleep(delayMs, false);
        continue;
      }
      if (this.failures > 0) this.log.info({ afterFailures: this.failures }, "passes succeed again");
      this.failures = 0;
      if (outcome === "more" || this.wakeRequested) continue;
      await this.sleep(this.settings.intervalMs, true);
    }
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping || (wakeable && this.wakeRequested)) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.sleeper = { wakeable, end };
    });
  }
}
