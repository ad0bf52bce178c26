// kill -9 of each consumer service mid-stream, under the demo's topology with the consumers as processes of their own (as their images run them): recurring, notification, the gateway and the dead-letter desk come back, their events are redelivered, and nothing happens twice: no second occurrence, in-app notification, email or WebSocket frame, no second desk entry. Poison events on task-events are dead-lettered while their partition keeps flowing, and do not stall the desk.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TOPICS } from "@event-platform/events";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TaskSnapshot } from "../../apps/backend/src/task-snapshot";
import { contractEvent, produce } from "../../apps/dead-letters/test/harness";
import { type RunningSystem, startSystem } from "../../local/system";
import { APPS } from "../../specs/apps";
import { apiOf, openUpdates } from "../e2e/harness";
import { createTestDatabase } from "../support/database";
import { recordTrials, type Trial } from "../support/reliability";
import { type Api, Cleanup, newUser, TopicReader, uniqueTag, waitFor, waitUntilConsumed } from "../support/services";
import { occurrenceTally, replayDeadLetters, tallyEvents, WriteStream, waitForOwedEvents } from "./support";

const USERS = 3;

describe("kill -9 of each consumer service mid-stream", () => {
  const cleanup = new Cleanup();
  const prefix = `faults-consumers-${uniqueTag()}.`;
  let system: RunningSystem;
  let reader: TopicReader;
  let operator: Api;
  const trials: Omit<Trial, "file">[] = [];

  beforeAll(async () => {
    const database = await createTestDatabase("faults_consumers");
    cleanup.add({ stop: () => database.drop() });
    const dataDir = await mkdtemp(path.join(tmpdir(), "faults-consumers-"));
    cleanup.add({ stop: () => rm(dataDir, { recursive: true, force: true }) });
    system = cleanup.add(
      await startSystem({
        dataDir,
        kafka: { bootstrap: inject("kafkaBrokers"), topicPrefix: prefix },
        databaseUrl: database.url,
        ports: "free",
        processes: ["recurring", "notification", "gateway", "dead-letters"],
        env: { LOG_LEVEL: "warn" },
      }),
    );
    reader = cleanup.add(await TopicReader.start(prefix));
    operator = await apiOf(system, APPS.deadLetters.id, newUser("operator"), { operator: true });
  });

  afterAll(async () => {
    recordTrials(__filename, trials);
    await cleanup.run();
  }, 120_000);

  it("recurring: redelivered task.completed events make one next occurrence each", async () => {
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const user = newUser(`recurring-kill-${i}`);
        return { user, api: await apiOf(system, "backend", user) };
      }),
    );
    const stream = new WriteStream(users, 60);
    await stream.acceptedMore(20);
    await system.killApp("recurring");
    await stream.acceptedMore(10);
    await system.startApp("recurring");
    await stream.acceptedMore(20);
    await stream.stop();

    await waitForOwedEvents(reader, stream);
    for (const writer of stream.users) {
      expect(tallyEvents(reader.of(writer.user), writer.accepted).lost).toBe(0);
    }
    const consumed = {
      reader,
      bootstrap: inject("kafkaBrokers"),
      prefix,
      group: APPS.recurring.id,
      topic: TOPICS.taskEvents.name,
    };
    await waitUntilConsumed(consumed);
    // What was delivered while it was dead outlasts the retry policy if the restart takes longer: the desk has it.
    const users_ = new Set(users.map((u) => u.user));
    const replayed = await replayDeadLetters(
      operator,
      reader,
      (r) => r.event.type === "com.taskmanager.task.completed" && users_.has(r.key ?? ""),
    );
    await waitUntilConsumed(consumed);
    const tally = await occurrenceTally(stream);
    trials.push({
      area: "fault",
      name: `kill -9 the recurring service during REST writes by ${USERS} users, then start it`,
      target: "recurring (task-events subscription, backend invocation)",
      tries: tally.completed,
      lost: tally.lost,
      duplicated: tally.twice,
      leaked: 0,
      outcome: `one next occurrence per completed recurring task; ${replayed} deliveries that outlasted the retry policy replayed from the desk`,
    });
    expect(tally).toMatchObject({ lost: 0, twice: 0 });
  });

  it("notification: every reminder reaches its user once in the app and once by email", async () => {
    const users = Array.from({ length: USERS }, (_, i) => newUser(`notification-kill-${i}`));
    const reminded = await Promise.all(
      users.map(async (user, i) => {
        const preferences = await (await apiOf(system, "notification", user)).request("PUT", "/api/preferences", {
          email: true,
          email_address: `${user}@example.com`,
        });
        expect(preferences.status).toBe(200);
        // Reminded a minute before a due date 65-69 s ahead: 5-9 s from now, around the kill.
        const created = await (await apiOf(system, "backend", user)).request<TaskSnapshot>("POST", "/api/tasks", {
          title: `Reminder ${i}`,
          due_date: new Date(Date.now() + 65_000 + i * 2_000).toISOString(),
          remind_before_minutes: 1,
        });
        expect(created.status).toBe(201);
        return created.body.task_id;
      }),
    );
    await sleep(5_000);
    await system.killApp("notification");
    await sleep(2_000);
    await system.startApp("notification");

    const inApp = async (user: string) =>
      (
        await (
          await apiOf(system, "notification", user)
        ).request<{ items: { task_id: number }[] }>("GET", "/api/notifications")
      ).body.items;
    const mailTo = async (user: string) =>
      (await system.mail.messages()).filter((m) => m.to.includes(`${user}@example.com`));
    const settled = async () => {
      for (const user of users) {
        if ((await inApp(user)).length === 0 || (await mailTo(user)).length === 0) return false;
      }
      return true;
    };
    let replayed = 0;
    const arrived = await waitFor(settled, "every reminder in the app and by email", 60_000).catch(() => false);
    if (!arrived) {
      replayed = await replayDeadLetters(operator, reader, (r) => users.includes(r.key ?? ""));
      await waitFor(settled, "every reminder in the app and by email after the replays", 60_000).catch(() => false);
    }
    // A repeat would come right behind the first: give it time to.
    await sleep(3_000);
    const tally = { lost: 0, twice: 0 };
    for (const [i, user] of users.entries()) {
      const notes = await inApp(user);
      const mails = await mailTo(user);
      tally.lost += (notes.length === 0 ? 1 : 0) + (mails.length === 0 ? 1 : 0);
      tally.twice += Math.max(0, notes.length - 1) + Math.max(0, mails.length - 1);
      expect(notes.map((n) => n.task_id)).toEqual([reminded[i]]);
      expect(mails).toHaveLength(1);
    }
    trials.push({
      area: "fault",
      name: "kill -9 the notification service while reminders are due, then start it",
      target: "notification (reminders subscription, schedule, SMTP)",
      tries: USERS * 2,
      lost: tally.lost,
      duplicated: tally.twice,
      leaked: 0,
      outcome: `one in-app notification and one email at the SMTP server per reminder${replayed ? `; ${replayed} dead letters replayed` : ""}`,
    });
  });

  it("gateway: a socket opened after the restart gets each later update once, and only its user's", async () => {
    const user = newUser("gateway-kill");
    const api = await apiOf(system, "backend", user);
    const before = await openUpdates(system, user);
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", { title: "Across a gateway kill" });
    expect(created.status).toBe(201);
    await waitFor(() => before.frames.length > 0, "the add frame before the kill");
    before.close();
    await system.killApp("gateway");
    // An update while the gateway is dead: its sidecar retries, then dead-letters it (the board reloads on reconnect).
    expect((await api.request("PATCH", `/api/tasks/${created.body.task_id}`, { priority: "low" })).status).toBe(200);
    await sleep(1_000);
    await system.startApp("gateway");
    const after = await openUpdates(system, user);
    const openedAt = reader.of(user).filter((r) => r.topic === TOPICS.taskUpdates.name).length;
    for (const priority of ["high", "medium", "low"]) {
      const answer = await api.request("PATCH", `/api/tasks/${created.body.task_id}`, { priority });
      expect(answer.status).toBe(200);
    }
    const later = () =>
      reader
        .of(user)
        .filter((r) => r.topic === TOPICS.taskUpdates.name)
        .slice(openedAt);
    await waitFor(() => later().length >= 3, "the later updates on task-updates");
    await waitFor(
      () => later().every((r) => after.frames.some((f) => f.id === r.event.id)),
      "every later update on the new socket",
      30_000,
    ).catch(() => undefined);
    await sleep(1_000);
    after.close();
    const ids = after.frames.map((f) => f.id);
    const lost = later().filter((r) => !ids.includes(r.event.id)).length;
    const duplicated = ids.length - new Set(ids).size;
    const leaked = after.frames.filter((f) => f.data.user_id !== user).length;
    const deadLettered = reader.records.filter((r) => r.topic === TOPICS.deadLetters.name && r.key === user).length;
    trials.push({
      area: "fault",
      name: "kill -9 the gateway with a socket open, then start it and reconnect",
      target: "gateway (task-updates subscription, WebSocket)",
      tries: later().length,
      lost,
      duplicated,
      leaked,
      outcome: `each update after the reconnection on the new socket once; the update made while it was dead was ${deadLettered > 0 ? "dead-lettered after the retries" : "delivered to the restarted gateway"} (the board reloads its list on reconnect)`,
    });
    expect({ lost, duplicated, leaked }).toEqual({ lost: 0, duplicated: 0, leaked: 0 });
  });

  it("dead-letters: poison events are dead-lettered while their partition flows, and stored once by a desk killed meanwhile", async () => {
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const user = newUser(`poison-${i}`);
        return { user, api: await apiOf(system, "backend", user) };
      }),
    );
    await system.killApp("dead-letters");
    const poisonIds: string[] = [];
    const completed: { user: string; api: Api; taskId: number }[] = [];
    for (const { user, api } of users) {
      const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
        title: "After the poison",
        due_date: "2026-12-05T12:30:00Z",
        recurrence: "daily",
      });
      expect(created.status).toBe(201);
      // A task.completed of a task the user does not have (the backend answers 404): recurring drops it.
      const poison = contractEvent("com.taskmanager.task.completed", {
        task_id: 2_000_000_000,
        user_id: user,
        is_recurring: true,
      });
      poisonIds.push(poison.id as string);
      const topic = `${prefix}${TOPICS.taskEvents.name}`;
      const headers = { "content-type": "application/cloudevents+json" };
      await produce({ topic, key: user, value: JSON.stringify(poison), headers });
      // Not JSON at all, on the same partition.
      await produce({ topic, key: user, value: "\u0000not json{", headers });
      expect((await api.request("POST", `/api/tasks/${created.body.task_id}/complete`)).status).toBe(200);
      completed.push({ user, api, taskId: created.body.task_id });
    }
    // The partitions kept flowing past the poison: each completion after it has its next occurrence.
    for (const { user, api, taskId } of completed) {
      await waitFor(
        async () =>
          (await api.request<{ items: TaskSnapshot[] }>("GET", "/api/tasks?completed=false")).body.items.some(
            (t) => t.parent_task_id === taskId,
          ),
        `${user}'s next occurrence behind the poison`,
        60_000,
      );
    }
    await waitFor(
      () =>
        poisonIds.every((id) => reader.records.some((r) => r.topic === TOPICS.deadLetters.name && r.event.id === id)),
      "every poison event on dead-letters",
      60_000,
    );
    await system.startApp("dead-letters");
    // The desk stores each once (repeats count towards one entry), the unreadable ones too, and keeps taking more.
    const entries = async () =>
      (
        await operator.request<{ items: { event_id: string | null; topic: string | null }[] }>(
          "GET",
          "/api/dead-letters?limit=100",
        )
      ).body.items;
    await waitFor(
      async () => {
        const items = await entries();
        // Wait for what is asserted below: the poison events by id, and the unreadable ones by count
        // (other tests' dead letters are on the desk too, so a total says nothing about these).
        return (
          poisonIds.every((id) => items.some((e) => e.event_id === id)) &&
          items.filter((e) => e.event_id === null).length >= USERS
        );
      },
      "the desk's entries for every poison event and every unreadable record",
      60_000,
    );
    const items = await entries();
    const perPoison = poisonIds.map((id) => items.filter((e) => e.event_id === id).length);
    const unreadable = items.filter((e) => e.event_id === null).length;
    trials.push({
      area: "fault",
      name: `poison events on task-events (${USERS} for missing tasks, ${USERS} not JSON), the desk killed with kill -9 meanwhile`,
      target: "recurring → dead-letters → the dead-letter desk",
      tries: 2 * USERS,
      lost: perPoison.filter((n) => n === 0).length + Math.max(0, USERS - unreadable),
      duplicated: perPoison.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      leaked: 0,
      outcome:
        "dropped to dead-letters while the events behind them on their partitions were handled; one desk entry each once the desk was back",
    });
    expect(perPoison).toEqual(poisonIds.map(() => 1));
    expect(unreadable).toBeGreaterThanOrEqual(USERS);
  });
});
