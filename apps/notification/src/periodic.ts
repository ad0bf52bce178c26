// A background loop of the service (the scheduler, the delivery worker): a pass, then a wait of its interval or until woken; after a failed pass, waits that back off exponentially.
import { type BackoffSettings, backoffDelay } from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";

/** `more`: the pass stopped at its batch size, so run again at once; `idle`: wait for the interval or a wake. */
export type PassOutcome = "more" | "idle";

export interface PeriodicSettings {
  intervalMs: number;
  /** The waits after consecutive failed passes (the database unreachable, say). */
  backoff: BackoffSettings;
}

/** Runs `pass` over and over until stopped; one pass at a time. */
export class Periodic {
  private running: Promise<void> | undefined;
  private stopping = false;
  private wakeRequested = false;
  private sleeper: { wakeable: boolean; end: () => void } | undefined;
  private failures = 0;

  constructor(
    private readonly pass: () => Promise<PassOutcome>,
    private readonly settings: PeriodicSettings,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Runs a pass now rather than at the end of the interval; a backoff is not cut short. */
  wake(): void {
    this.wakeRequested = true;
    if (this.sleeper?.wakeable) this.sleeper.end();
  }

  /** Starts no more passes and resolves when the one in progress has ended, or at `deadline` (epoch ms). */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    this.sleeper?.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(deadline - Date.now(), 0));
    });
    await Promise.race([this.running, late]);
    clearTimeout(timer);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.wakeRequested = false;
      let outcome: PassOutcome;
      try {
        outcome = await this.pass();
      } catch (error) {
        this.failures += 1;
        const delayMs = backoffDelay(this.failures, this.settings.backoff);
        this.log.warn({ err: error, attempt: this.failures, retryInMs: delayMs }, "pass failed; backing off");
        await this.sleep(delayMs, false);
        continue;
      }
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
