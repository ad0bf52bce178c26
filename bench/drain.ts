// Outbox drain: task writes go on during a sidecar outage, their events queue in the backend's outbox, and the time to publish them all once the sidecar is back is measured, with loss, duplicates and per-user order.
import { TOPIC_LIST } from "@event-platform/events";
import autocannon from "autocannon";
import pg from "pg";
import { BACKEND_SCHEMA } from "../apps/backend/src/migrations";
import { waitFor } from "../local/sidecar/test-kit";
import { RecordReader, startBenchBackend } from "./backend";

export interface DrainResult {
  outageSeconds: number;
  /** Events stored in the outbox during the outage (unpublished when the sidecar came back). */
  queued: number;
  /** Sidecar back → the first queued event on Kafka, ms (the sidecar's start, then the relay's wait). */
  resumeMs: number;
  /** Of `resumeMs`, the sidecar's start: until its HTTP port took connections, ms. */
  sidecarStartMs?: number;
  /**
   * Transactions committed in the backend's database from the sidecar's return to the end of the drain, per queued
   * event (pg_stat_database `xact_commit`; the relay's statements each commit on their own): its marks, reads and
   * lock checks, so about 1 when every row is marked by an UPDATE of its own.
   */
  commitsPerEvent?: number;
  /** Sidecar back → the last queued event on Kafka, ms. */
  drainMs: number;
  /** Events per second from the first queued event on Kafka to the last. */
  drainRate: number;
  /** Queued events never seen on Kafka within the wait (must be 0). */
  lost: number;
  /** Queued events seen more than once. */
  duplicates: number;
  /** Records of a user on a topic read after a later event of that user (must be 0). */
  orderViolations: number;
}

/**
 * Starts the backend on PostgreSQL with its sidecar, stops the sidecar, creates tasks through REST for
 * `outageSeconds` at the rate that queues about `targetEvents` events, starts the sidecar again on the same port,
 * and follows the outbox onto Kafka. The expected events are the outbox rows written during the outage.
 */
export async function outboxDrain(
  rig: { bootstrap: string; postgresUrl: string; prefix: string },
  settings: { targetEvents: number; outageSeconds: number; step: (detail: string) => void },
): Promise<DrainResult> {
  const backend = await startBenchBackend({ store: "postgres", ...rig, users: 50 });
  const reader = await RecordReader.start(
    rig.bootstrap,
    rig.prefix,
    TOPIC_LIST.map((t) => t.name),
  );
  const db = new pg.Client({ connectionString: backend.databaseUrl });
  await db.connect();
  const outbox = `"${BACKEND_SCHEMA}".outbox`;
  const count = async (where = "true") =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${outbox} WHERE ${where}`)).rows[0]?.n ?? 0);
  let user = 0;
  const create = (options: Partial<autocannon.Options>) =>
    autocannon({
      url: `${backend.url}/api/tasks`,
      method: "POST",
      connections: 8,
      ...options,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            headers: {
              "content-type": "application/json",
              authorization: backend.authorizations[user++ % backend.authorizations.length] ?? "",
            },
            body: JSON.stringify({ title: "drain task", priority: "high" }),
          }),
        },
      ],
    });
  try {
    // How many events one creation stores: what the outage's rate follows from.
    await create({ amount: 10 });
    const perCreate = (await count()) / 10;
    const lastBefore = Number(
      (await db.query<{ id: string }>(`SELECT coalesce(max(id), 0) AS id FROM ${outbox}`)).rows[0]?.id ?? 0,
    );
    settings.step(`sidecar down for ${settings.outageSeconds} s, writing`);
    await backend.stopSidecar();
    const outageEnds = Date.now() + settings.outageSeconds * 1000;
    const rate = Math.ceil(settings.targetEvents / perCreate / settings.outageSeconds);
    await create({ overallRate: rate, amount: Math.round(settings.targetEvents / perCreate), connections: 16 });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageEnds - Date.now())));
    const queuedRows = await db.query<{ id: string; event_id: string; topic: string; key: string }>(
      `SELECT id, event->>'id' AS event_id, topic, partition_key AS key FROM ${outbox} WHERE id > $1 ORDER BY id`,
      [lastBefore],
    );
    const queued = queuedRows.rows;
    settings.step(`sidecar back, draining ${queued.length} events`);
    const commits = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
          )
        ).rows[0]?.n ?? 0,
      );
    // A busy session's counts reach pg_stat_database at most about a second late (PGSTAT_MIN_INTERVAL, pgstat.c);
    // an idle one's within 10 s (PGSTAT_IDLE_INTERVAL), so the writes' sessions may add a few: an approximate count.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const commitsBefore = await commits();
    const backAt = Date.now();
    await backend.startSidecar();
    const sidecarStartMs = Date.now() - backAt;
    const wanted = new Map(queued.map((row) => [row.event_id, Number(row.id)]));
    const seenCount = new Map<string, number>();
    const tally = () => {
      seenCount.clear();
      for (const record of reader.records) {
        if (wanted.has(record.event.id)) seenCount.set(record.event.id, (seenCount.get(record.event.id) ?? 0) + 1);
      }
      return seenCount.size >= wanted.size || undefined;
    };
    await waitFor(tally, "every queued event on Kafka", 180_000).catch(() => undefined);
    tally();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Less this client's own two reads of the counter.
    const commitsDuring = (await commits()) - commitsBefore - 2;
    const drained = reader.records.filter((record) => wanted.has(record.event.id));
    const times = drained.map((record) => record.timestamp);
    const first = Math.min(...times);
    const last = Math.max(...times);
    // Per user and topic, the records come in partition order; their outbox ids must rise.
    const highest = new Map<string, number>();
    let orderViolations = 0;
    for (const record of drained) {
      const id = wanted.get(record.event.id) ?? 0;
      const stream = `${record.topic}/${record.key}`;
      if (id < (highest.get(stream) ?? 0)) orderViolations++;
      highest.set(stream, Math.max(id, highest.get(stream) ?? 0));
    }
    return {
      outageSeconds: settings.outageSeconds,
      queued: queued.length,
      resumeMs: drained.length > 0 ? first - backAt : 0,
      sidecarStartMs,
      commitsPerEvent: queued.length > 0 ? commitsDuring / queued.length : 0,
      drainMs: drained.length > 0 ? last - backAt : 0,
      drainRate: last > first ? (seenCount.size * 1000) / (last - first) : 0,
      lost: wanted.size - seenCount.size,
      duplicates: [...seenCount.values()].reduce((sum, n) => sum + n - 1, 0),
      orderViolations,
    };
  } finally {
    await db.end();
    await reader.stop();
    await backend.close();
  }
}
