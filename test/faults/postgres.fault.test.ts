// A restart of PostgreSQL (its own server, same port and data) under the demo's topology during a stream of REST writes: every app with a database answers /readyz 503 while it is down and 200 again after, and nothing accepted is lost or done twice.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TOPICS } from "@event-platform/events";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type PostgresServer, startPostgres } from "../../local/postgres";
import { type RunningSystem, startSystem } from "../../local/system";
import { APP_LIST, APPS } from "../../specs/apps";
import { apiOf } from "../e2e/harness";
import { recordTrials } from "../support/reliability";
import { Cleanup, newUser, TopicReader, uniqueTag, waitFor, waitUntilConsumed } from "../support/services";
import { occurrenceTally, replayDeadLetters, tallyEvents, WriteStream, waitForOwedEvents } from "./support";

const USERS = 3;
const DATABASE_APPS = APP_LIST.filter((app) => app.database).map((app) => app.id);

/** The /readyz status of every app with a database, by app id. */
async function readiness(system: RunningSystem): Promise<Record<string, number>> {
  const statuses = await Promise.all(
    DATABASE_APPS.map(async (id) => {
      const response = await fetch(`${system.apps[id]?.url}/readyz`).catch(() => undefined);
      return [id, response?.status ?? 0] as const;
    }),
  );
  return Object.fromEntries(statuses);
}

describe("a PostgreSQL restart under the demo's topology", () => {
  const cleanup = new Cleanup();
  const prefix = `faults-postgres-${uniqueTag()}.`;
  let server: PostgresServer;
  let system: RunningSystem;
  const counts = { writes: 0, lost: 0, duplicated: 0, refused: 0, unready: 0, readyAgain: 0, replayed: 0 };

  beforeAll(async () => {
    server = cleanup.add(await startPostgres());
    const dataDir = await mkdtemp(path.join(tmpdir(), "faults-postgres-"));
    cleanup.add({ stop: () => rm(dataDir, { recursive: true, force: true }) });
    system = cleanup.add(
      await startSystem({
        dataDir,
        kafka: { bootstrap: inject("kafkaBrokers"), topicPrefix: prefix },
        databaseUrl: server.url,
        ports: "free",
        env: { LOG_LEVEL: "silent" },
      }),
    );
  });

  afterAll(async () => {
    recordTrials(__filename, [
      {
        area: "fault",
        name: `restart PostgreSQL (same port and data) during REST writes by ${USERS} users`,
        target: `${DATABASE_APPS.join(", ")}; backend outbox → task-events; recurring`,
        tries: counts.writes,
        lost: counts.lost,
        duplicated: counts.duplicated,
        leaked: 0,
        outcome: `${counts.unready} of ${DATABASE_APPS.length} apps answered /readyz 503 while it was down, ${counts.readyAgain} 200 after; ${counts.refused} writes refused with 5xx meanwhile, none half-done; ${counts.replayed} task.completed deliveries outlasted the retry policy while recurring's database was down, went to the dead-letter desk and made one next occurrence each when replayed`,
      },
    ]);
    await cleanup.run();
  }, 120_000);

  it("takes every app with a database out of readiness and back, losing nothing", async () => {
    expect(Object.values(await readiness(system)).every((status) => status === 200)).toBe(true);
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const user = newUser(`postgres-fault-${i}`);
        return { user, api: await apiOf(system, "backend", user) };
      }),
    );
    const stream = new WriteStream(users);
    await stream.acceptedMore(30);

    await server.stopServer();
    const down = await waitFor(
      async () => {
        const statuses = await readiness(system);
        return Object.values(statuses).every((status) => status === 503) && statuses;
      },
      "every app with a database unready",
      30_000,
    );
    counts.unready = Object.values(down).filter((status) => status === 503).length;
    await sleep(3_000);
    await server.startServer();
    const up = await waitFor(
      async () => {
        const statuses = await readiness(system);
        return Object.values(statuses).every((status) => status === 200) && statuses;
      },
      "every app with a database ready again",
      60_000,
    );
    counts.readyAgain = Object.values(up).filter((status) => status === 200).length;
    await stream.acceptedMore(30);
    await stream.stop();
    counts.refused = stream.refused;

    const reader = cleanup.add(await TopicReader.start(prefix));
    await waitForOwedEvents(reader, stream);
    for (const writer of stream.users) {
      const tally = tallyEvents(reader.of(writer.user), writer.accepted);
      counts.writes += writer.accepted.length;
      counts.lost += tally.lost;
      expect(tally.onTopic, `${writer.user}'s events in the order of the writes`).toEqual(tally.owed);
    }
    await waitUntilConsumed({
      reader,
      bootstrap: inject("kafkaBrokers"),
      prefix,
      group: APPS.recurring.id,
      topic: TOPICS.taskEvents.name,
    });
    // A delivery whose handler needs the database fails while it is down; after the policy's retries it is
    // dead-lettered (stored by the desk once its own database is back), and the operator replays it.
    const operator = await apiOf(system, APPS.deadLetters.id, newUser("operator"), { operator: true });
    counts.replayed = await replayDeadLetters(
      operator,
      reader,
      (r) => r.event.type === "com.taskmanager.task.completed",
    );
    const occurrences = await occurrenceTally(stream);
    counts.lost += occurrences.lost;
    counts.duplicated += occurrences.twice;
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, unready: DATABASE_APPS.length });
  });
});
