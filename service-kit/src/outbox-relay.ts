// The outbox relay: publishes stored events through the sidecar in id order, one relay per database, retrying with backoff; and its OUTBOX_* variables, the same in every service with an outbox.

import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyBaseLogger } from "fastify";
import { type Kysely, sql } from "kysely";
import Type from "typebox";
import type { BackoffSettings } from "./backoff";
import { backoffProblems, Milliseconds } from "./config";
import type { Database } from "./database";
import { GroupedMarks } from "./grouped-marks";
import { markPublished, type OutboxRecord, type OutboxTables, purgePublished, unpublishedHead } from "./outbox";
import { type BackgroundWorker, Periodic } from "./periodic";
import { PublishError, type SidecarClient } from "./sidecar-client";

/** What publishes one stored event; it throws when the event was not accepted. */
export interface EventPublisher {
  publish(record: OutboxRecord): Promise<void>;
  /**
   * Whether the publisher is reachable (the sidecar's outbound health); never throws. When given, the relay asks
   * it while backing off after a failed pass, and retries at once when it turns true after having been false.
   */
  reachable?(): Promise<boolean>;
}

/** Users published at once when `RelaySettings.concurrency` is not given (OUTBOX_CONCURRENCY's default). */
export const DEFAULT_RELAY_CONCURRENCY = 32;

/** How often the relay asks `EventPublisher.reachable` while it backs off, when not given. */
export const DEFAULT_REACHABLE_PROBE_MS = 250;

export interface RelaySettings {
  batchSize: number;
  /** How often to look for events when no commit in this process woke the relay (other replicas', missed ones). */
  pollIntervalMs: number;
  backoff: BackoffSettings;
  /** Published rows older than this are deleted. */
  retentionHours: number;
  /**
   * How many users' events are published at the same time (DEFAULT_RELAY_CONCURRENCY when not given); each user's
   * own events go one by one, so at most this many rows are in flight.
   */
  concurrency?: number;
  /** How often, in ms, the publisher's `reachable` is asked while the relay backs off; DEFAULT_REACHABLE_PROBE_MS. */
  reachableProbeMs?: number;
  /**
   * The advisory lock key of this outbox (`relayLockKey(schema)`): one relay per outbox publishes, and services
   * sharing one database each have their own. RELAY_LOCK_KEY by default.
   */
  lockKey?: number;
}

/**
 * The outbox relay's variables (TypeBox schemas with their defaults), one set for every service with an outbox:
 * spread into `loadServiceConfig`'s `own`, checked across each other by `outboxRelayProblems`, and turned into the
 * relay's settings by `outboxRelaySettings`. service-kit/README.md documents them ("The outbox relay's variables").
 */
export const OUTBOX_RELAY_VARIABLES = {
  // How often the relay looks for events when nothing woke it: 10 ms to an hour.
  OUTBOX_POLL_INTERVAL_MS: Milliseconds(10, 3_600_000, 1_000),
  // Outbox rows read per pass.
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  // Keys (users) whose events are published at once, one event each in flight.
  OUTBOX_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1_000, default: DEFAULT_RELAY_CONCURRENCY }),
  // The wait after a failed pass, doubled per failure up to the longest.
  OUTBOX_BACKOFF_INITIAL_MS: Milliseconds(1, 600_000, 200),
  OUTBOX_BACKOFF_MAX_MS: Milliseconds(1, 3_600_000, 30_000),
  // Published rows older than this are deleted: an hour to ten years, a week by default.
  OUTBOX_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 87_600, default: 168 }),
};

/** The relay's variables as `loadServiceConfig` read them: coerced, with their defaults. */
export type OutboxRelayValues = Type.Static<Type.TObject<typeof OUTBOX_RELAY_VARIABLES>>;

/**
 * The relay settings the OUTBOX_* variables give: all but `lockKey` (`serviceOutboxRelay` takes it from the
 * service's schema) and `reachableProbeMs` (DEFAULT_REACHABLE_PROBE_MS).
 */
export type OutboxRelayConfig = Required<
  Pick<RelaySettings, "batchSize" | "pollIntervalMs" | "backoff" | "retentionHours" | "concurrency">
>;

/** The rule across the relay's variables: OUTBOX_BACKOFF_MAX_MS not below OUTBOX_BACKOFF_INITIAL_MS. */
export function outboxRelayProblems(values: OutboxRelayValues): string[] {
  return backoffProblems("OUTBOX", values.OUTBOX_BACKOFF_INITIAL_MS, values.OUTBOX_BACKOFF_MAX_MS);
}

/** The relay's settings from its variables' values (ms, rows, keys, hours, as the variables name them). */
export function outboxRelaySettings(values: OutboxRelayValues): OutboxRelayConfig {
  return {
    pollIntervalMs: values.OUTBOX_POLL_INTERVAL_MS,
    batchSize: values.OUTBOX_BATCH_SIZE,
    concurrency: values.OUTBOX_CONCURRENCY,
    backoff: { initialMs: values.OUTBOX_BACKOFF_INITIAL_MS, maxMs: values.OUTBOX_BACKOFF_MAX_MS },
    retentionHours: values.OUTBOX_RETENTION_HOURS,
  };
}

/** `standby`: another relay holds the lock; `more`: the batch was full, so publish again at once. */
type RelayOutcome = "standby" | "idle" | "more";

/**
 * The advisory lock that makes one relay the publisher. A session-level lock rather than `SELECT … FOR UPDATE
 * SKIP LOCKED` on a lease row: a row lock lives only as long as a transaction, so the relay would have to keep a
 * transaction open across its HTTP publishes (and its backoff), and a crash mid-batch would roll back the marks
 * of every event it had already published, so its successor would publish them all again. The session lock is
 * held by the relay's dedicated connection between passes, is released by PostgreSQL the moment that session
 * ends (crash, pod kill, network loss), and lets each row be marked as soon as it is published. Any constant
 * unique within this database works; the one-argument bigint form keeps it apart from the per-user locks. This one
 * is the outbox of the `public` schema (the backend's, which had it before services had schemas of their own).
 */
export const RELAY_LOCK_KEY = 718_325_001;

/**
 * The relay lock key of the outbox in `schema`: RELAY_LOCK_KEY for `public`, else the 32-bit FNV-1a hash of the
 * schema name, so each service's relay publishes its own outbox whoever else shares the database. Kept below 2^32
 * so that PostgreSQL shows it in `pg_locks` as `classid` 0 and `objid` the key.
 */
export function relayLockKey(schema: string): number {
  if (schema === "public") return RELAY_LOCK_KEY;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(`outbox-relay:${schema}`, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash === RELAY_LOCK_KEY ? hash + 1 : hash;
}

/**
 * Publishes the outbox. Every pass starts by making sure this relay's session holds the lock (taking it if it is
 * free); a standby replica's pass ends there. The leader reads the oldest unpublished rows in id order and
 * publishes each user's rows one after another, `concurrency` users at a time, marking each row on the same
 * session right after its publish and before that user's next one. The marks of all users go in grouped UPDATEs
 * (`GroupedMarks`: one in flight, the marks made meanwhile in the next), so the workers do not queue for the one
 * connection one round trip each. If the session (and so the lock) was lost, a mark fails and the relay stops
 * before publishing anything more, so only the rows in flight (one per user being published) can also be
 * published by a successor. A user's first failure stops that user's rows, so nothing later overtakes it; the pass
 * then fails and the relay backs off exponentially. While it backs off it asks the publisher whether it is
 * reachable (the sidecar's outbound health) every `reachableProbeMs`; an answer of yes after a no (the sidecar
 * was down and is back) ends the backoff, so the backlog drains without waiting out a wait of up to
 * `backoff.maxMs`. A failure with the sidecar up (Kafka down, the database) keeps its backoff.
 */
export class OutboxRelay implements BackgroundWorker {
  private readonly loop: Periodic;
  private leader = false;
  private lastPurge = 0;
  private probing = false;
  private readonly stopProbing = new AbortController();

  constructor(
    private readonly database: Database<OutboxTables>,
    private readonly publisher: EventPublisher,
    private readonly settings: RelaySettings,
    private readonly log: FastifyBaseLogger,
  ) {
    this.loop = new Periodic(
      async () => {
        try {
          return (await this.pass()) === "more" ? "more" : "idle";
        } catch (error) {
          void this.probeWhileBackingOff();
          throw error;
        }
      },
      // The pass in progress always finishes: a row published and not yet marked would be published again.
      { intervalMs: settings.pollIntervalMs, backoff: settings.backoff, waitForPass: true, failureDetail },
      log,
    );
  }

  /** Whether this relay held the lock at its last pass. */
  get isLeader(): boolean {
    return this.leader;
  }

  /** Consecutive failed passes; 0 while publishing works. */
  get consecutiveFailures(): number {
    return this.loop.consecutiveFailures;
  }

  start(): void {
    this.loop.start();
  }

  /** Called after a commit that stored events: publish now rather than at the next poll. A backoff is not cut short. */
  wake(): void {
    this.loop.wake();
  }

  /**
   * Stops the loop after its current pass, then flushes: publishes what is still unpublished until nothing is
   * left, a publish fails, or `deadline` (epoch ms) passes. What remains is published by the next relay to run.
   */
  async stop(deadline: number): Promise<void> {
    this.stopProbing.abort();
    await this.loop.stop(deadline);
    while (Date.now() < deadline) {
      try {
        if ((await this.pass()) !== "more") return;
      } catch (error) {
        this.log.warn(failureDetail(error), "outbox not flushed at shutdown; the next relay publishes the rest");
        return;
      }
    }
  }

  private pass(): Promise<RelayOutcome> {
    return this.database.session(async (session) => {
      const held = await holdRelayLock(session, this.settings.lockKey ?? RELAY_LOCK_KEY);
      if (held !== this.leader) this.log.info(held ? "outbox relay is the publisher" : "outbox relay is on standby");
      this.leader = held;
      if (!held) return "standby";
      const head = await unpublishedHead(session, this.settings.batchSize);
      if (head.length > 0) await this.publishInUserOrder(session, head);
      await this.purgeOccasionally(session);
      return head.length === this.settings.batchSize ? "more" : "idle";
    });
  }

  private async publishInUserOrder(session: Kysely<OutboxTables>, head: OutboxRecord[]): Promise<void> {
    const byUser = new Map<string, OutboxRecord[]>();
    for (const record of head) {
      const queue = byUser.get(record.partitionKey);
      if (queue) queue.push(record);
      else byUser.set(record.partitionKey, [record]);
    }
    const queues = [...byUser.values()];
    const failures: unknown[] = [];
    const marks = new GroupedMarks((ids) => markPublished(session, ids));
    const worker = async () => {
      // After a failed mark no worker publishes again: the lock may be another relay's by now.
      for (let queue = queues.shift(); queue && !marks.failed; queue = queues.shift()) {
        try {
          for (const record of queue) {
            if (marks.failed) break;
            await this.publisher.publish(record);
            await marks.mark(record.id);
          }
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const concurrency = this.settings.concurrency ?? DEFAULT_RELAY_CONCURRENCY;
    await Promise.all(Array.from({ length: Math.min(concurrency, queues.length) }, worker));
    if (failures.length > 0) throw failures[0];
  }

  /**
   * Runs after a failed pass, while the loop backs off: asks the publisher whether it is reachable every
   * `reachableProbeMs`, and ends the backoff when it answers yes after a no. One probe loop at a time; it ends
   * when a pass succeeds, the backoff is ended, or the relay stops.
   */
  private async probeWhileBackingOff(): Promise<void> {
    const reachable = this.publisher.reachable?.bind(this.publisher);
    if (!reachable || this.probing) return;
    this.probing = true;
    const signal = this.stopProbing.signal;
    let sawUnreachable = false;
    try {
      while (!signal.aborted) {
        await sleep(this.settings.reachableProbeMs ?? DEFAULT_REACHABLE_PROBE_MS, undefined, { signal }).catch(
          () => undefined,
        );
        if (signal.aborted || this.loop.consecutiveFailures === 0) return;
        if (!(await reachable())) sawUnreachable = true;
        else if (sawUnreachable) {
          this.log.info("the sidecar answers again; retrying the outbox now");
          this.loop.endBackoff();
          return;
        }
      }
    } finally {
      this.probing = false;
    }
  }

  private async purgeOccasionally(session: Kysely<OutboxTables>): Promise<void> {
    const hourMs = 3_600_000;
    if (Date.now() - this.lastPurge < hourMs) return;
    this.lastPurge = Date.now();
    const deleted = await purgePublished(session, new Date(Date.now() - this.settings.retentionHours * hourMs));
    if (deleted > 0) this.log.info({ deleted }, "published outbox rows purged");
  }
}

/** An unavailable sidecar is expected and logged in one line; anything else keeps its stack. */
function failureDetail(error: unknown): Record<string, unknown> {
  return error instanceof PublishError ? { reason: error.message } : { err: error };
}

/** True when this session holds the relay lock: already, or taken now because no other session holds it. */
async function holdRelayLock(session: Kysely<OutboxTables>, key: number): Promise<boolean> {
  // pg_try_advisory_lock stacks a count on every success; checking pg_locks first takes it once per session.
  const { rows } = await sql<{ held: boolean }>`
    SELECT CASE
      WHEN EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
          AND classid = 0 AND objid = ${key} AND objsubid = 1
      ) THEN true
      ELSE pg_try_advisory_lock(${key}::bigint)
    END AS held`.execute(session);
  return rows[0]?.held === true;
}

/**
 * Publishes outbox records through the sidecar on one pub/sub component: each row's text exactly as stored. It is
 * reachable when the sidecar's outbound health answers 2xx (`SidecarClient.outboundHealthy`).
 */
export function sidecarPublisher(sidecar: SidecarClient, pubsubName: string): EventPublisher {
  return {
    publish: (record) =>
      sidecar.publish({
        pubsubName,
        topic: record.topic,
        eventJson: record.eventJson,
        partitionKey: record.partitionKey,
      }),
    reachable: () => sidecar.outboundHealthy(),
  };
}
