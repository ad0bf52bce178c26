// The alert loop: sends the alert of every new entry once, after its commit, with retries and backoff; entries whose alert is still pending (made while down, or the webhook failed) are picked up by the next poll.
import { type BackoffSettings, backoffDelay } from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import { type Kysely, sql } from "kysely";
import type { AlertSender, DeadLetterAlert } from "./alert-senders";
import type { Tables } from "./tables";

export interface AlerterSettings {
  /** Calls per alert in one round, the first included. */
  attempts: number;
  /** The longest one call may take; bounds the claim's lease with `attempts` and `backoff`. */
  timeoutMs: number;
  backoff: BackoffSettings;
  /** How often pending alerts are looked for without a wake; also the wait before a failed alert's next round. */
  pollIntervalMs: number;
}

/**
 * Sends pending alerts in the order their entries became due. Each entry is claimed first (its `alert_due_at`
 * moved past the round's longest duration, under `FOR UPDATE SKIP LOCKED`), so replicas never send one alert at
 * the same time, and a replica that dies mid-round leaves the entry due again once the lease ends. A sent alert
 * sets `alerted_at`; a round whose every attempt failed is logged and the entry waits for the next poll. A crash
 * between a send and its mark resends that alert, with the same `webhook-id`.
 */
export class Alerter {
  private running: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private endNap: (() => void) | undefined;
  private readonly aborter = new AbortController();

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly send: AlertSender,
    private readonly settings: AlerterSettings,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Called after a commit that made a new entry: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.endNap?.();
  }

  /**
   * Stops after the alert in hand; a send still running at `deadline` (epoch ms) is aborted, and its entry stays
   * pending for the next start.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    this.endNap?.();
    const timer = setTimeout(() => this.aborter.abort(), Math.max(deadline - Date.now(), 0));
    try {
      await this.running;
    } finally {
      clearTimeout(timer);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      try {
        await this.sendPending();
      } catch (error) {
        this.log.warn({ err: error }, "pending alerts not read; trying again at the next poll");
      }
      if (!this.woken && !this.stopping) await this.nap();
    }
  }

  private nap(): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.endNap = undefined;
        resolve();
      };
      const timer = setTimeout(end, this.settings.pollIntervalMs);
      this.endNap = end;
    });
  }

  private async sendPending(): Promise<void> {
    while (!this.stopping) {
      const alert = await this.claimNext();
      if (!alert) return;
      if (await this.sendWithRetries(alert)) {
        await this.db
          .updateTable("dead_letters")
          .set({ alerted_at: sql`now()` })
          .where("id", "=", String(alert.id))
          .execute();
      } else {
        await this.db
          .updateTable("dead_letters")
          .set({ alert_due_at: sql`now() + make_interval(secs => ${this.settings.pollIntervalMs / 1000})` })
          .where("id", "=", String(alert.id))
          .execute();
      }
    }
  }

  /** The longest a round can take: every attempt timing out, with the longest backoff between them, and a margin. */
  private get leaseSeconds(): number {
    const { attempts, timeoutMs, backoff } = this.settings;
    return (attempts * (timeoutMs + backoff.maxMs) + 1_000) / 1_000;
  }

  private async claimNext(): Promise<DeadLetterAlert | undefined> {
    const row = await this.db
      .updateTable("dead_letters")
      .set({
        alert_due_at: sql`now() + make_interval(secs => ${this.leaseSeconds})`,
        alert_attempts: sql`alert_attempts + 1`,
      })
      .where("id", "=", (eb) =>
        eb
          .selectFrom("dead_letters")
          .select("id")
          .where("alerted_at", "is", null)
          .where("alert_due_at", "<=", sql<Date>`now()`)
          .orderBy("alert_due_at")
          .orderBy("id")
          .limit(1)
          .forUpdate()
          .skipLocked(),
      )
      .returning(["id", "identity", "topic", "event_type", "subscribers", "event_id", "error", "first_seen_at"])
      .executeTakeFirst();
    if (!row) return undefined;
    return { ...row, id: Number(row.id), first_seen_at: row.first_seen_at.toISOString() };
  }

  private async sendWithRetries(alert: DeadLetterAlert): Promise<boolean> {
    const { attempts, backoff } = this.settings;
    const signal = this.aborter.signal;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.send(alert, signal);
        return true;
      } catch (error) {
        const reason = failureReason(error);
        if (attempt >= attempts || signal.aborted) {
          this.log.error(
            { deadLetter: alert.id, attempts: attempt, reason },
            "alert not sent; it stays pending for the next poll",
          );
          return false;
        }
        const delayMs = backoffDelay(attempt, backoff);
        this.log.warn({ deadLetter: alert.id, attempt, reason, retryInMs: delayMs }, "alert not sent; retrying");
        const slept = await sleep(delayMs, signal);
        if (!slept) return false;
      }
    }
  }
}

/** An error's message, with its cause's (fetch reports the refused connection or the timeout as the cause). */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** Waits `ms`; resolves false at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (finished: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", aborted);
      resolve(finished);
    };
    const aborted = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", aborted, { once: true });
  });
}
