// The backend's sidecar stopped for 30 s during a stream of REST writes by several users: the writes are accepted into the outbox, and once the sidecar is back on its port the backlog drains to task-events in per-user order, nothing lost, nothing published twice.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../apps/backend/src/app";
import { outboxRows, startBackendSidecar, startTestBackend } from "../../apps/backend/test/harness";
import { freePort } from "../../local/process";
import type { Sidecar } from "../../local/sidecar/sidecar";
import { recordTrials } from "../support/reliability";
import { Api, Cleanup, createTopics, newUser, TopicReader, testStore, uniqueTag, waitFor } from "../support/services";
import { tallyEvents, WriteStream, waitForOwedEvents } from "./support";

const USERS = 3;
const OUTAGE_MS = 30_000;

describe("the backend's sidecar stopped for 30 s during writes", () => {
  const cleanup = new Cleanup();
  const prefix = `faults-sidecar-${uniqueTag()}.`;
  let backend: Backend;
  let daprPort: number;
  let reader: TopicReader;
  const counts = { writes: 0, lost: 0, duplicated: 0, backlog: 0 };

  beforeAll(async () => {
    await createTopics(prefix);
    const store = cleanup.add(await testStore("postgres", "faults_sidecar"));
    daprPort = await freePort();
    backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(daprPort) });
    cleanup.add({ stop: () => backend.close() });
    reader = cleanup.add(await TopicReader.start(prefix));
  });

  afterAll(async () => {
    recordTrials(__filename, [
      {
        area: "fault",
        name: `stop the backend's sidecar for ${OUTAGE_MS / 1000} s during REST writes by ${USERS} users`,
        target: "backend outbox → task-events",
        tries: counts.writes,
        lost: counts.lost,
        duplicated: counts.duplicated,
        leaked: 0,
        outcome: `writes accepted throughout; a backlog of ${counts.backlog} events drained in per-user order once the sidecar was back`,
      },
    ]);
    await cleanup.run();
  }, 120_000);

  it("drains the outbox backlog in per-user order, nothing lost or published twice", async () => {
    const startSidecar = () =>
      startBackendSidecar({ backendPort: backend.port, httpPort: daprPort, topicPrefix: prefix });
    let sidecar: Sidecar = await startSidecar();
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const user = newUser(`sidecar-fault-${i}`);
        return { user, api: await Api.as(backend.url, user) };
      }),
    );
    const stream = new WriteStream(users, 100);
    await stream.acceptedMore(15);
    await sidecar.stop();
    await sleep(OUTAGE_MS);
    // The writes of the outage wait in the outbox.
    counts.backlog = (await outboxRows(backend)).filter((row) => !row.published).length;
    expect(counts.backlog).toBeGreaterThan(0);
    sidecar = await startSidecar();
    cleanup.add({ stop: () => sidecar.stop() });
    await stream.acceptedMore(15);
    await stream.stop();

    await waitForOwedEvents(reader, stream, 60_000);
    await waitFor(async () => (await outboxRows(backend)).every((row) => row.published), "the outbox drained");
    for (const writer of stream.users) {
      const tally = tallyEvents(reader.of(writer.user), writer.accepted);
      counts.writes += writer.accepted.length;
      counts.lost += tally.lost;
      counts.duplicated += tally.redelivered;
      expect(tally.onTopic, `${writer.user}'s events in the order of the writes`).toEqual(tally.owed);
    }
    expect(counts).toMatchObject({ lost: 0, duplicated: 0 });
  }, 180_000);
});
