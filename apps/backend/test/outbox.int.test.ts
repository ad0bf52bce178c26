// The transactional outbox under failure: writes succeed with the sidecar down and publish once it returns, in per-user order, once each; a rolled-back write publishes nothing; a shutdown flushes.
import { buildEvent, eventSource, TOPICS } from "@event-platform/events";
import { appendToOutbox } from "@event-platform/service-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import type { Backend } from "../src/app";
import type { TaskSnapshot } from "../src/task-snapshot";
import {
  Api,
  Cleanup,
  createTopics,
  DATABASE_KINDS,
  newUser,
  outboxRows,
  startBackendSidecar,
  startTestBackend,
  type TestStore,
  TopicReader,
  testStore,
  uniqueTag,
  waitFor,
} from "./harness";

const USERS = 5;
const WRITES = 500;

describe.each(DATABASE_KINDS)("outbox on %s", (kind) => {
  const cleanup = new Cleanup();
  const perTest = new Cleanup();
  const prefix = `backend-outbox-${kind}-${uniqueTag()}.`;
  let store: TestStore;
  let reader: TopicReader;

  beforeAll(async () => {
    await createTopics(prefix);
    store = cleanup.add(await testStore(kind, `backend_outbox_${kind}`));
    reader = cleanup.add(await TopicReader.start(prefix));
  });
  afterEach(() => perTest.run());
  afterAll(() => cleanup.run());

  async function backendWithSidecar(env: Record<string, string> = {}) {
    const daprPort = await freePort();
    const backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(daprPort), ...env });
    perTest.add({ stop: () => backend.close() });
    const startSidecar = () =>
      startBackendSidecar({ backendPort: backend.port, httpPort: daprPort, topicPrefix: prefix });
    return { backend, daprPort, startSidecar };
  }

  it(`accepts ${WRITES} writes while the sidecar is down, then publishes every row once, in per-user order`, async () => {
    const { backend, startSidecar } = await backendWithSidecar();
    let sidecar: Sidecar | undefined = await startSidecar();
    const users = Array.from({ length: USERS }, (_, i) => newUser(`outage-${i}`));
    const apis = await Promise.all(users.map((user) => Api.as(backend.url, user)));

    // Publishing works before the outage.
    const warmup = await apis[0]?.request<TaskSnapshot>("POST", "/api/tasks", { title: "before the outage" });
    expect(warmup?.status).toBe(201);
    await waitFor(async () => (await outboxRows(backend)).every((r) => r.published), "the first write published");

    await sidecar.stop();
    sidecar = undefined;
    // Still ready: the outbox keeps every write while the sidecar is down, so the pod stays in its Service.
    const ready = await fetch(`${backend.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok" } });

    // Each user writes in sequence (create, rename, complete, in turn); the users write concurrently.
    await Promise.all(
      users.map(async (user, u) => {
        const api = apis[u] as Api;
        let current = 0;
        for (let i = 0; i < WRITES / USERS; i++) {
          if (i % 3 === 0) {
            const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
              title: `${user} task ${i}`,
              due_date: new Date(Date.now() + 86_400_000 + i * 60_000).toISOString(),
              remind_before_minutes: 15,
            });
            expect(created.status).toBe(201);
            current = created.body.task_id;
          } else if (i % 3 === 1) {
            const renamed = await api.request("PATCH", `/api/tasks/${current}`, {
              title: `renamed ${i}`,
              priority: "low",
            });
            expect(renamed.status).toBe(200);
          } else {
            expect((await api.request("POST", `/api/tasks/${current}/complete`)).status).toBe(200);
          }
        }
      }),
    );
    const stored = await outboxRows(backend);
    const backlog = stored.filter((r) => !r.published);
    expect(backlog.length).toBeGreaterThanOrEqual(WRITES * 2);
    expect(backend.relay.consecutiveFailures).toBeGreaterThan(0);

    sidecar = perTest.add(await startSidecar());
    const published = await waitFor(
      async () => {
        const rows = await outboxRows(backend);
        return rows.every((r) => r.published) && rows;
      },
      "the backlog published after the sidecar returned",
      60_000,
    );
    expect(published.every((r) => r.publishCount === 1)).toBe(true);
    expect((await fetch(`${backend.url}/readyz`)).status).toBe(200);

    for (const user of users) {
      const rows = published.filter((r) => r.partitionKey === user);
      const records = await waitFor(() => reader.of(user).length >= rows.length && reader.of(user), `${user}'s events`);
      expect(records.length, `${user}: nothing read twice`).toBe(rows.length);
      for (const topic of new Set(rows.map((r) => r.topic))) {
        expect(
          records.filter((r) => r.topic === topic).map((r) => r.event.id),
          `${user} on ${topic}`,
        ).toEqual(rows.filter((r) => r.topic === topic).map((r) => r.eventId));
      }
    }
    // 500 writes and 1,500 publishes: minutes on a loaded 2-core machine, so this test has a wider guard than the default.
  }, 240_000);

  it("publishes nothing for a rolled-back write", async () => {
    const { backend, startSidecar } = await backendWithSidecar();
    perTest.add(await startSidecar());
    const user = newUser("rollback");
    const event = (title: string) =>
      buildEvent(
        "com.taskmanager.task.deleted",
        { task_id: 1, user_id: user, deleted_at: new Date().toISOString() },
        { source: eventSource("backend"), subject: title },
      );
    const rolledBack = event("rolled-back");
    await expect(
      backend.database.db.transaction().execute(async (trx) => {
        await appendToOutbox(trx, [rolledBack]);
        throw new Error("the write failed after storing its events");
      }),
    ).rejects.toThrow("the write failed");
    backend.relay.wake();
    // A later committed write of the same user: once it is on Kafka, an earlier event would have been too.
    const committed = event("committed");
    await backend.database.db.transaction().execute((trx) => appendToOutbox(trx, [committed]));
    backend.relay.wake();
    await waitFor(() => reader.of(user).some((r) => r.event.id === committed.id), "the committed event");
    expect(reader.of(user).map((r) => r.event.id)).toEqual([committed.id]);
    expect((await outboxRows(backend, user)).map((r) => r.eventId)).toEqual([committed.id]);
  });

  it("flushes the outbox on shutdown", async () => {
    // A relay that would not retry for an hour: only the shutdown's flush can publish the backlog in time.
    const { backend, startSidecar } = await backendWithSidecar({
      OUTBOX_BACKOFF_INITIAL_MS: "600000",
      OUTBOX_BACKOFF_MAX_MS: "3600000",
      OUTBOX_POLL_INTERVAL_MS: "3600000",
    });
    const user = newUser("flush");
    const api = await Api.as(backend.url, user);
    expect((await api.request("POST", "/api/tasks", { title: "written while the sidecar is away" })).status).toBe(201);
    await waitFor(() => backend.relay.consecutiveFailures > 0, "a failed publish");
    perTest.add(await startSidecar());
    expect((await outboxRows(backend, user)).some((r) => !r.published)).toBe(true);
    await backend.close();
    await waitFor(() => reader.of(user).length === 2, "both events of the write, flushed at shutdown");
  });
});

describe("several replicas on one PostgreSQL database", () => {
  const cleanup = new Cleanup();
  const prefix = `backend-replicas-${uniqueTag()}.`;
  let store: TestStore;
  let reader: TopicReader;

  beforeAll(async () => {
    await createTopics(prefix);
    store = cleanup.add(await testStore("postgres", "backend_replicas"));
    reader = cleanup.add(await TopicReader.start(prefix));
  });
  afterAll(() => cleanup.run());

  it("has one relay publish at a time, each row once, and hands over when it stops", async () => {
    const daprPort = await freePort();
    const env = { ...store.env, DAPR_HTTP_PORT: String(daprPort) };
    const replicas: Backend[] = [await startTestBackend(env), await startTestBackend(env), await startTestBackend(env)];
    const running = new Set(replicas);
    cleanup.add({ stop: () => Promise.all([...running].map((r) => r.close())) });
    // One sidecar serves them all; in Kubernetes each pod has its own, which changes nothing for the lock.
    cleanup.add(
      await startBackendSidecar({ backendPort: replicas[0]?.port ?? 0, httpPort: daprPort, topicPrefix: prefix }),
    );
    const leaders = () => replicas.filter((r) => running.has(r) && r.relay.isLeader);
    const leader = await waitFor(() => leaders().length === 1 && leaders()[0], "exactly one leading relay");

    const users = [newUser("replica-a"), newUser("replica-b")];
    const writeThroughEach = async (round: number) => {
      await Promise.all(
        [...running].flatMap((replica, r) =>
          users.map(async (user) => {
            const api = await Api.as(replica.url, user);
            const answer = await api.request("POST", "/api/tasks", { title: `round ${round} via ${r}` });
            expect(answer.status).toBe(201);
          }),
        ),
      );
    };
    for (let round = 0; round < 10; round++) await writeThroughEach(round);
    expect(leaders()).toEqual([leader]);

    // The leader stops; its session ends, and another replica takes the lock at its next poll.
    running.delete(leader);
    await leader.close();
    for (let round = 10; round < 15; round++) await writeThroughEach(round);
    const successor = await waitFor(() => leaders().length === 1 && leaders()[0], "a new leading relay");
    expect(successor).not.toBe(leader);

    const survivor = [...running][0] as Backend;
    const rows = await waitFor(async () => {
      const all = await outboxRows(survivor);
      return all.every((r) => r.published) && all;
    }, "every row published");
    expect(rows.every((r) => r.publishCount === 1)).toBe(true);
    for (const user of users) {
      const expected = rows.filter((r) => r.partitionKey === user).map((r) => r.eventId);
      const read = await waitFor(
        () => reader.of(user).length >= expected.length && reader.of(user),
        `${user}'s events`,
      );
      const taskEvents = TOPICS.taskEvents.name;
      expect(read.filter((r) => r.topic === taskEvents).map((r) => r.event.id)).toEqual(
        rows.filter((r) => r.partitionKey === user && r.topic === taskEvents).map((r) => r.eventId),
      );
      expect(read.length).toBe(expected.length);
    }
  });
});
