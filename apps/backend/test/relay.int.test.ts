// The outbox relay against both databases with a scripted publisher: per-user order through failures, rows in flight, the backoff ended by a reachable probe, the lock, waking and stopping.
import { type AnyCloudEvent, buildEvent, eventSource } from "@event-platform/events";
import {
  appendToOutbox,
  type EventPublisher,
  type OutboxRecord,
  OutboxRelay,
  RELAY_LOCK_KEY,
  type RelaySettings,
} from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../src/database";
import { Cleanup, DATABASE_KINDS, type DatabaseKind, testStore, waitFor } from "./harness";

const silent: FastifyBaseLogger = {
  level: "silent",
  fatal: () => {},
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  trace: () => {},
  silent: () => {},
  child: () => silent,
};

const FAST: RelaySettings = {
  batchSize: 100,
  pollIntervalMs: 50,
  backoff: { initialMs: 10, maxMs: 40 },
  retentionHours: 24,
};

/** A publisher that records what it published and fails the events it is told to, a number of times each. */
class ScriptedPublisher implements EventPublisher {
  readonly attempts: string[] = [];
  readonly published: string[] = [];
  private readonly failures = new Map<string, number>();

  failNext(subject: string, times: number): void {
    this.failures.set(subject, times);
  }

  async publish(record: OutboxRecord): Promise<void> {
    const subject = (record.event as AnyCloudEvent).subject ?? "";
    this.attempts.push(subject);
    const left = this.failures.get(subject) ?? 0;
    if (left > 0) {
      this.failures.set(subject, left - 1);
      throw new Error(`scripted failure of ${subject}`);
    }
    this.published.push(subject);
  }
}

/** Stores one event per label, in order, each in its own committed transaction; the label is the event's subject. */
async function store(database: Database, user: string, labels: string[]): Promise<void> {
  for (const label of labels) {
    const event = buildEvent(
      "com.taskmanager.task.deleted",
      { task_id: 1, user_id: user, deleted_at: new Date().toISOString() },
      { source: eventSource("backend"), subject: label },
    );
    await database.db.transaction().execute((trx) => appendToOutbox(trx, [event]));
  }
}

async function publishCounts(database: Database): Promise<number[]> {
  const rows = await database.db.selectFrom("outbox").select("publish_count").orderBy("id").execute();
  return rows.map((r) => r.publish_count);
}

async function openTestDatabase(kind: DatabaseKind, cleanup: Cleanup) {
  const testDb = cleanup.add(await testStore(kind, `backend_relay_${kind}`));
  const url = testDb.env.DATABASE_URL;
  const database = await openDatabase({ url, poolSize: 4, dataDir: testDb.env.DATA_DIR ?? "" }, silent);
  cleanup.add({ stop: () => database.close() });
  return { database, url };
}

const openPostgres = (cleanup: Cleanup) => openTestDatabase("postgres", cleanup);

function startTestRelay(
  cleanup: Cleanup,
  database: Database,
  publisher: EventPublisher,
  settings: Partial<RelaySettings> = {},
) {
  const relay = new OutboxRelay(database, publisher, { ...FAST, ...settings }, silent);
  relay.start();
  cleanup.add({ stop: () => relay.stop(Date.now()) });
  return relay;
}

describe.each(DATABASE_KINDS)("outbox relay on %s", (kind) => {
  const cleanup = new Cleanup();
  const perTest = new Cleanup();
  let database: Database;

  // One database for the file (a PGlite data folder takes seconds to create); each test starts from an empty outbox.
  beforeAll(async () => {
    ({ database } = await openTestDatabase(kind, cleanup));
  });
  afterEach(async () => {
    await perTest.run();
    await database.db.deleteFrom("outbox").execute();
  });
  afterAll(() => cleanup.run());

  const startRelay = (publisher: EventPublisher, settings: Partial<RelaySettings> = {}) =>
    startTestRelay(perTest, database, publisher, settings);

  it("stops a user at its first failure and retries from there, while other users go on", async () => {
    const publisher = new ScriptedPublisher();
    publisher.failNext("a2", 3);
    await store(database, "user-a", ["a1", "a2", "a3"]);
    await store(database, "user-b", ["b1", "b2"]);
    const relay = startRelay(publisher);

    await waitFor(() => publisher.published.length === 5, "all five published");
    const attemptsOf = (prefix: string) => publisher.attempts.filter((s) => s.startsWith(prefix));
    // a3 is never tried before a2 went through: nothing of a user overtakes its failed event.
    expect(attemptsOf("a")).toEqual(["a1", "a2", "a2", "a2", "a2", "a3"]);
    expect(attemptsOf("b")).toEqual(["b1", "b2"]);
    expect(publisher.published.filter((s) => s.startsWith("a"))).toEqual(["a1", "a2", "a3"]);
    // b's events did not wait for a's retries.
    expect(publisher.published.indexOf("b2")).toBeLessThan(publisher.published.indexOf("a2"));
    expect(await publishCounts(database)).toEqual([1, 1, 1, 1, 1]);
    // The count resets when the pass that published a3 ends, which may be just after a3's publish is seen.
    await waitFor(() => relay.consecutiveFailures === 0, "the failure count reset by a clean pass");
  });

  it("publishes right after a wake, without waiting for the poll interval", async () => {
    const publisher = new ScriptedPublisher();
    const relay = startRelay(publisher, { pollIntervalMs: 3_600_000 });
    await waitFor(() => relay.isLeader, "the relay's first pass");
    await store(database, "user-w", ["w1"]);
    relay.wake();
    await waitFor(() => publisher.published.includes("w1"), "published after the wake", 2_000);
  });

  it("has at most `concurrency` rows in flight and one per user, and marks each row once", async () => {
    const inFlight = new Map<string, number>();
    let most = 0;
    let mostOfOneUser = 0;
    const published: string[] = [];
    const publisher: EventPublisher = {
      async publish(record) {
        inFlight.set(record.partitionKey, (inFlight.get(record.partitionKey) ?? 0) + 1);
        most = Math.max(
          most,
          [...inFlight.values()].reduce((a, b) => a + b, 0),
        );
        mostOfOneUser = Math.max(mostOfOneUser, ...inFlight.values());
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight.set(record.partitionKey, (inFlight.get(record.partitionKey) ?? 1) - 1);
        published.push((record.event as AnyCloudEvent).subject ?? "");
      },
    };
    for (let user = 0; user < 6; user++)
      await store(
        database,
        `user-c${user}`,
        ["1", "2", "3"].map((n) => `c${user}-${n}`),
      );
    startRelay(publisher, { concurrency: 3 });
    await waitFor(() => published.length === 18, "all eighteen published");
    expect(most).toBe(3);
    expect(mostOfOneUser).toBe(1);
    for (let user = 0; user < 6; user++) {
      expect(published.filter((s) => s.startsWith(`c${user}-`))).toEqual([`c${user}-1`, `c${user}-2`, `c${user}-3`]);
    }
    await waitFor(async () => (await publishCounts(database)).every((n) => n === 1), "every row marked once");
    expect(await publishCounts(database)).toEqual(Array(18).fill(1));
  });

  it("ends its backoff when the publisher is reachable again after it was not, and keeps it while it stays reachable", async () => {
    let down = true;
    const answers: boolean[] = [];
    const published: string[] = [];
    const publisher: EventPublisher = {
      async publish(record) {
        if (down) throw new Error("sidecar unreachable");
        published.push((record.event as AnyCloudEvent).subject ?? "");
      },
      async reachable() {
        answers.push(!down);
        return !down;
      },
    };
    const relay = startRelay(publisher, { backoff: { initialMs: 600_000, maxMs: 600_000 }, reachableProbeMs: 20 });
    await store(database, "user-p", ["p1"]);
    relay.wake();
    await waitFor(() => relay.consecutiveFailures === 1 && answers.includes(false), "a failed pass, probed as down");
    down = false;
    const back = Date.now();
    await waitFor(() => published.includes("p1"), "published once the probe saw the publisher back", 2_000);
    expect(Date.now() - back).toBeLessThan(1_000);
    expect(await publishCounts(database)).toEqual([1]);
  });

  it("keeps its backoff after a failure while the publisher stays reachable (Kafka down, the sidecar up)", async () => {
    const publisher = new ScriptedPublisher();
    publisher.failNext("k1", 1);
    let probes = 0;
    const reachablePublisher: EventPublisher = {
      publish: (record) => publisher.publish(record),
      async reachable() {
        probes += 1;
        return true;
      },
    };
    const relay = startRelay(reachablePublisher, {
      backoff: { initialMs: 600_000, maxMs: 600_000 },
      reachableProbeMs: 20,
    });
    await store(database, "user-k", ["k1"]);
    relay.wake();
    await waitFor(() => relay.consecutiveFailures === 1, "a failed pass, then a ten-minute backoff");
    await waitFor(() => probes >= 5, "five probes answered reachable");
    expect(publisher.attempts).toEqual(["k1"]);
    expect(relay.consecutiveFailures).toBe(1);
  });

  it("stops at once while backing off, and flushes what it can on the way out", async () => {
    const publisher = new ScriptedPublisher();
    publisher.failNext("s1", 1);
    const relay = startRelay(publisher, { backoff: { initialMs: 600_000, maxMs: 600_000 } });
    await store(database, "user-s", ["s1", "s2"]);
    relay.wake();
    await waitFor(() => relay.consecutiveFailures === 1, "a failed pass, then a ten-minute backoff");
    const started = Date.now();
    await relay.stop(Date.now() + 5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(publisher.published).toEqual(["s1", "s2"]);
    expect(await publishCounts(database)).toEqual([1, 1]);
  });
});

describe("outbox relay lock on postgres", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("publishes nothing while another session holds the lock, and takes over when it is freed", async () => {
    const { database, url } = await openPostgres(cleanup);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    cleanup.add({ stop: () => holder.end() });
    await holder.query("SELECT pg_advisory_lock($1::bigint)", [RELAY_LOCK_KEY]);
    await store(database, "user-l", ["l1"]);
    const publisher = new ScriptedPublisher();
    const relay = startTestRelay(cleanup, database, publisher);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(relay.isLeader).toBe(false);
    expect(publisher.attempts).toEqual([]);
    await holder.query("SELECT pg_advisory_unlock($1::bigint)", [RELAY_LOCK_KEY]);
    await waitFor(() => publisher.published.includes("l1"), "published once the lock was free");
    expect(relay.isLeader).toBe(true);
  });
});
