// Issue #13, acceptance 1: a user's task updates, made over the backend's REST API and published through its outbox, Dapr and real Kafka, reach that user's sockets on two gateway instances (each its own consumer group) in the topic's order, and no other user's socket.
import { TOPICS } from "@event-platform/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import { testStore } from "../../../test/support/services";
import type { TaskSnapshot } from "../../backend/src/task-snapshot";
import { startBackendSidecar, startTestBackend } from "../../backend/test/harness";
import {
  Api,
  Cleanup,
  createTopics,
  type GatewayPod,
  newUser,
  startGatewayPod,
  TestClient,
  TopicReader,
  tokenFor,
  uniqueTag,
  waitFor,
} from "./harness";

describe("task updates across two gateway instances", () => {
  const cleanup = new Cleanup();
  const tag = uniqueTag();
  const prefix = `gateway-fanout-${tag}.`;
  let reader: TopicReader;
  let backendUrl: string;
  let first: GatewayPod;
  let second: GatewayPod;

  beforeAll(async () => {
    await createTopics(prefix);
    reader = cleanup.add(await TopicReader.start(prefix));
    // The backend is the producer here; the gateway itself has no database.
    const store = cleanup.add(await testStore("postgres", "gateway-fanout"));
    const backendDapr = await freePort();
    const backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(backendDapr) });
    cleanup.add({ stop: () => backend.close() });
    backendUrl = backend.url;
    cleanup.add(await startBackendSidecar({ backendPort: backend.port, httpPort: backendDapr, topicPrefix: prefix }));
    // Two pods: each sidecar expands {podName} to its own instance id, so each has a consumer group of its own.
    first = cleanup.add(await startGatewayPod({ topicPrefix: prefix, instanceId: `gateway-a-${tag}` }));
    second = cleanup.add(await startGatewayPod({ topicPrefix: prefix, instanceId: `gateway-b-${tag}` }));
  }, 180_000);

  afterAll(() => cleanup.run(), 60_000);

  it("every socket of user A, on either instance, gets A's updates in the topic's order; B's socket gets only B's", async () => {
    const userA = newUser("fanout-a");
    const userB = newUser("fanout-b");
    const [tokenA, tokenB] = [await tokenFor(userA), await tokenFor(userB)];
    const onFirst = await TestClient.open(first.gateway, { token: tokenA });
    const onSecond = await TestClient.open(second.gateway, { token: tokenA, via: "header" });
    const ofB = await TestClient.open(first.gateway, { token: tokenB });
    const ofBOnSecond = await TestClient.open(second.gateway, { token: tokenB });
    for (const client of [onFirst, onSecond, ofB, ofBOnSecond]) cleanup.add({ stop: async () => client.close() });

    // Interleaved writes of both users: create, update, complete and delete.
    const apiA = new Api(backendUrl, tokenA);
    const apiB = new Api(backendUrl, tokenB);
    const create = async (api: Api, title: string) => {
      const created = await api.request<TaskSnapshot>("POST", "/api/tasks", { title });
      expect(created.status).toBe(201);
      return created.body.task_id;
    };
    const tea = await create(apiA, "Make tea");
    const bread = await create(apiB, "Buy bread");
    const letter = await create(apiA, "Post the letter");
    expect((await apiA.request("PATCH", `/api/tasks/${tea}`, { title: "Make green tea" })).status).toBe(200);
    expect((await apiB.request("POST", `/api/tasks/${bread}/complete`)).status).toBe(200);
    expect((await apiA.request("POST", `/api/tasks/${letter}/complete`)).status).toBe(200);
    expect((await apiA.request("DELETE", `/api/tasks/${tea}`)).status).toBe(204);
    expect((await apiB.request("DELETE", `/api/tasks/${bread}`)).status).toBe(204);

    // The order of each user's records on task-updates is the order the frames must come in.
    const updatesOf = (user: string) => reader.of(user).filter((r) => r.topic === TOPICS.taskUpdates.name);
    // A: two creates (add), an update, a completion (status and list: update), a delete (remove).
    const recordsA = await waitFor(() => updatesOf(userA).length >= 6 && updatesOf(userA), "A's 6 task updates");
    const recordsB = await waitFor(() => updatesOf(userB).length >= 4 && updatesOf(userB), "B's 4 task updates");
    const idsA = recordsA.map((r) => r.event.id);
    const idsB = recordsB.map((r) => r.event.id);
    expect(recordsA.map((r) => (r.event.data as { action: string }).action)).toEqual([
      "add",
      "add",
      "update",
      "update",
      "update",
      "remove",
    ]);

    await onFirst.waitForFrames(idsA.length);
    await onSecond.waitForFrames(idsA.length);
    await ofB.waitForFrames(idsB.length);
    await ofBOnSecond.waitForFrames(idsB.length);
    expect(onFirst.ids()).toEqual(idsA);
    expect(onSecond.ids()).toEqual(idsA);
    expect(ofB.ids()).toEqual(idsB);
    expect(ofBOnSecond.ids()).toEqual(idsB);
    // Each frame is the CloudEvent as it is on the topic, unchanged.
    expect(onFirst.frames).toEqual(recordsA.map((r) => r.event));
    expect(ofB.frames).toEqual(recordsB.map((r) => r.event));

    // Nothing more arrives: no frame of B's reached A's sockets late, nor the other way round.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([onFirst.frames.length, onSecond.frames.length, ofB.frames.length]).toEqual([6, 6, 4]);
    expect(onFirst.frames.every((f) => (f.data as { user_id: string }).user_id === userA)).toBe(true);
    expect(ofB.frames.every((f) => (f.data as { user_id: string }).user_id === userB)).toBe(true);
  });
});
