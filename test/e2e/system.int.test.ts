// The whole event system as `npm run demo` starts it (local/system.ts), end to end: two users over REST and MCP, a recurring task, a reminder in the app and by email, each user's WebSocket, the live board in real Chromium, an outage whose event lands in the dead-letter desk and is replayed after the fix, a restart on the same data, and every record on every topic keeping the mission's contract, keyed by its user.
import { TOPIC_LIST, TOPICS } from "@event-platform/events";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskSnapshot } from "../../apps/backend/src/task-snapshot";
import { toolResult } from "../../apps/backend/test/harness";
import { entryOf } from "../../apps/dead-letters/test/harness";
import { waitUntilHandled } from "../../apps/recurring/test/harness";
import { APP_LIST } from "../../specs/apps";
import { launchChromium, saveScreenshot, type TestBrowser, type WatchedPage } from "../support/browser";
import { contractViolations } from "../support/contract";
import { Cleanup, DATABASE_KINDS, newUser, type ReadEvent, TopicReader, waitFor } from "../support/services";
import { apiOf, mcpClientOf, openUpdates, startTestSystem, type TestSystem } from "./harness";

type TaskPage = { items: TaskSnapshot[]; total: number };

/** The types of a user's records on `task-events`, in the order Kafka holds them. */
const taskEventTypes = (records: readonly ReadEvent[]) =>
  records.filter((r) => r.topic === TOPICS.taskEvents.name).map((r) => r.event.type.replace("com.taskmanager.", ""));

/** The titles a board lists, in its order. */
const listedTitles = (page: Page) => page.locator("#tasks .task-title").allTextContents();

/** A board at `url` signed in with `token`, its live updates connected. */
async function boardOf(browser: TestBrowser, url: string, token: string): Promise<WatchedPage> {
  const watched = await browser.newPage({ timezoneId: "UTC", locale: "en-US", viewport: { width: 1024, height: 768 } });
  await watched.page.goto(url);
  await watched.page.getByLabel("Access token (JWT)").fill(token);
  await watched.page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => watched.page.locator("#connection").getAttribute("data-state")).toBe("live");
  return watched;
}

describe.each(DATABASE_KINDS)("the demo's system on %s", (kind) => {
  const cleanup = new Cleanup();
  let test: TestSystem;
  let reader: TopicReader;

  beforeAll(async () => {
    test = cleanup.add(await startTestSystem(kind, "e2e"));
    reader = cleanup.add(await TopicReader.start(test.prefix));
  }, 180_000);

  afterAll(() => cleanup.run(), 120_000);

  it("runs every app of the catalog, each with its sidecar", () => {
    const apps = Object.values(test.system.apps);
    expect(apps.map((app) => app.spec.id)).toEqual(APP_LIST.map((app) => app.id));
    expect(new Set(apps.flatMap((app) => [app.url, app.sidecarUrl])).size).toBe(2 * APP_LIST.length);
  });

  it("two users create, update, complete and delete tasks, one over REST and one over MCP, and never see each other's", async () => {
    const { system } = test;
    const [alice, bob] = [newUser("alice"), newUser("bob")];

    const rest = await apiOf(system, "backend", alice);
    const kept = await rest.request<TaskSnapshot>("POST", "/api/tasks", { title: "Alice keeps this one" });
    expect(kept.status).toBe(201);
    const created = await rest.request<TaskSnapshot>("POST", "/api/tasks", { title: "Write the report" });
    const id = created.body.task_id;
    const updated = await rest.request<TaskSnapshot>("PATCH", `/api/tasks/${id}`, { priority: "high" });
    expect(updated.body).toMatchObject({ task_id: id, priority: "high" });
    const completed = await rest.request<TaskSnapshot>("POST", `/api/tasks/${id}/complete`);
    expect(completed.body).toMatchObject({ task_id: id, completed: true });
    expect((await rest.request("DELETE", `/api/tasks/${id}`)).status).toBe(204);

    let mcp: Client | undefined;
    try {
      mcp = await mcpClientOf(system, bob);
      const call = async (name: string, args: Record<string, unknown>) =>
        toolResult<TaskSnapshot & TaskPage>(await (mcp as Client).callTool({ name, arguments: args }));
      const bobsKept = await call("add_task", { title: "Bob keeps this one" });
      const bobs = await call("add_task", { title: "Plan the trip" });
      expect(await call("update_task", { task_id: bobs.task_id, priority: "low" })).toMatchObject({ priority: "low" });
      expect(await call("complete_task", { task_id: bobs.task_id })).toMatchObject({ completed: true });
      expect(await call("delete_task", { task_id: bobs.task_id })).toMatchObject({ deleted: true });

      // Each sees only their own task, whichever way they ask.
      const alicesPage = await rest.request<TaskPage>("GET", "/api/tasks");
      expect(alicesPage.body.items.map((t) => t.title)).toEqual(["Alice keeps this one"]);
      const bobsPage = await call("list_tasks", {});
      expect(bobsPage.items.map((t) => t.title)).toEqual(["Bob keeps this one"]);
      expect((await rest.request("GET", `/api/tasks/${bobsKept.task_id}`)).status).toBe(404);
      const bobOverRest = await apiOf(system, "backend", bob);
      expect((await bobOverRest.request("GET", `/api/tasks/${kept.body.task_id}`)).status).toBe(404);
    } finally {
      await mcp?.close();
    }

    // Every write is on task-events, keyed by its user, in the order it was made.
    const order = ["task.created", "task.created", "task.updated", "task.completed", "task.deleted"];
    for (const user of [alice, bob]) {
      await waitFor(() => taskEventTypes(reader.of(user)).length === order.length, `the task events of ${user}`);
      expect(taskEventTypes(reader.of(user))).toEqual(order);
    }
  });

  it("a completed recurring task yields exactly one next occurrence", async () => {
    const { system } = test;
    const api = await apiOf(system, "backend", newUser("recurring"));
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Feed the cat",
      due_date: "2026-12-05T12:30:00Z",
      recurrence: "daily",
      time_zone: "America/New_York",
    });
    expect(created.status).toBe(201);
    expect((await api.request("POST", `/api/tasks/${created.body.task_id}/complete`)).status).toBe(200);

    const next = await waitFor(
      async () => (await api.request<TaskPage>("GET", "/api/tasks?completed=false")).body.items[0],
      "the next occurrence",
      30_000,
    );
    expect(next).toMatchObject({
      title: "Feed the cat",
      due_date: "2026-12-06T12:30:00.000Z",
      parent_task_id: created.body.task_id,
    });
    // The recurring service is past every task event: a second occurrence would be there by now.
    await waitUntilHandled(reader, test.prefix);
    expect((await api.request<TaskPage>("GET", "/api/tasks")).body.total).toBe(2);
  });

  it("a reminder due in a few seconds reaches its user once in the app and once by email", async () => {
    const { system } = test;
    const user = newUser("reminded");
    const address = `${user}@example.com`;
    const preferences = await (await apiOf(system, "notification", user)).request("PUT", "/api/preferences", {
      email: true,
      email_address: address,
    });
    expect(preferences.status).toBe(200);
    // Due in 65 s, reminded a minute before: in 5 s.
    const api = await apiOf(system, "backend", user);
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Call the dentist",
      due_date: new Date(Date.now() + 65_000).toISOString(),
      remind_before_minutes: 1,
    });
    expect(created.status).toBe(201);

    const inbox = await apiOf(system, "notification", user);
    const notifications = async () =>
      (await inbox.request<{ items: { task_id: number; title: string }[] }>("GET", "/api/notifications")).body.items;
    const mailTo = async () => (await system.mail.messages()).filter((m) => m.to.includes(address));
    await waitFor(async () => (await notifications()).length > 0, "the in-app notification", 45_000);
    await waitFor(async () => (await mailTo()).length > 0, "the email at the SMTP sink", 45_000);
    // A repeat would come right behind the first (one triggered event, one delivery per channel): give it time to.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await notifications()).toEqual([
      expect.objectContaining({ task_id: created.body.task_id, title: "Call the dentist" }),
    ]);
    const mails = await mailTo();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe("Reminder: Call the dentist");
  }, 90_000);

  it("each user's WebSocket gets only that user's task updates, in the order Kafka holds them", async () => {
    const { system } = test;
    const [alice, bob] = [newUser("ws-alice"), newUser("ws-bob")];
    const sockets = new Map([
      [alice, await openUpdates(system, alice)],
      [bob, await openUpdates(system, bob)],
    ]);
    try {
      for (const socket of sockets.values()) expect(socket.protocol).toBe("task-updates.v1");
      const [asAlice, asBob] = [await apiOf(system, "backend", alice), await apiOf(system, "backend", bob)];
      // Interleaved writes of both users.
      const a = (await asAlice.request<TaskSnapshot>("POST", "/api/tasks", { title: "Alice's" })).body.task_id;
      const b = (await asBob.request<TaskSnapshot>("POST", "/api/tasks", { title: "Bob's" })).body.task_id;
      expect((await asAlice.request("PATCH", `/api/tasks/${a}`, { priority: "low" })).status).toBe(200);
      expect((await asBob.request("POST", `/api/tasks/${b}/complete`)).status).toBe(200);
      expect((await asAlice.request("DELETE", `/api/tasks/${a}`)).status).toBe(204);

      // A completion is two updates: the task's status, and the list.
      const expected = new Map([
        [alice, ["add", "update", "remove"]],
        [bob, ["add", "update", "update"]],
      ]);
      for (const [user, actions] of expected) {
        const socket = sockets.get(user);
        const onKafka = () => reader.of(user).filter((r) => r.topic === TOPICS.taskUpdates.name);
        await waitFor(
          () => (socket?.frames.length ?? 0) >= actions.length && onKafka().length >= actions.length,
          `the task updates of ${user} on the socket and on Kafka`,
        );
        expect(socket?.frames.map((f) => f.data.action)).toEqual(actions);
        expect(socket?.frames.every((f) => f.data.user_id === user)).toBe(true);
        expect(socket?.frames.map((f) => f.id)).toEqual(onKafka().map((r) => r.event.id));
      }
    } finally {
      for (const socket of sockets.values()) socket.close();
    }
  });

  describe("the live board in Chromium", () => {
    let browser: TestBrowser;

    beforeAll(async () => {
      browser = cleanup.add(await launchChromium());
    });

    it("shows A's task created through the API without a reload, completes one that the API then has completed, and never shows it to B", async () => {
      const { system } = test;
      const board = system.apps.gateway?.url ?? "";
      const [alice, bob] = [newUser("board-alice"), newUser("board-bob")];
      const asAlice = await apiOf(system, "backend", alice);
      const asBob = await apiOf(system, "backend", bob);
      expect((await asAlice.request("POST", "/api/tasks", { title: "Buy oat milk" })).status).toBe(201);
      const aliceBoard = await boardOf(browser, board, await system.token(alice));
      const bobBoard = await boardOf(browser, board, await system.token(bob));
      await expect.poll(() => listedTitles(aliceBoard.page)).toEqual(["Buy oat milk"]);

      // Created through the API while both boards are open: on A's board live, never on B's.
      const created = await asAlice.request<TaskSnapshot>("POST", "/api/tasks", { title: "Water the plants" });
      expect(created.status).toBe(201);
      await expect.poll(() => listedTitles(aliceBoard.page)).toEqual(["Buy oat milk", "Water the plants"]);
      expect((await asBob.request("POST", "/api/tasks", { title: "Plan the trip" })).status).toBe(201);
      await expect.poll(() => listedTitles(bobBoard.page)).toEqual(["Plan the trip"]);

      // Completed on A's board: the API has it completed.
      await aliceBoard.page.getByRole("button", { name: "Complete: Water the plants" }).click();
      await expect
        .poll(async () => (await asAlice.request<TaskSnapshot>("GET", `/api/tasks/${created.body.task_id}`)).body)
        .toMatchObject({ completed: true });
      const item = aliceBoard.page.locator("#tasks .task").filter({ hasText: "Water the plants" });
      await expect.poll(() => item.getAttribute("data-completed")).toBe("true");
      expect(await listedTitles(bobBoard.page)).toEqual(["Plan the trip"]);

      await saveScreenshot(aliceBoard.page, `e2e-board-${kind}-alice`);
      await saveScreenshot(bobBoard.page, `e2e-board-${kind}-bob`);
      for (const { problems } of [aliceBoard, bobBoard]) {
        expect(problems).toEqual({ consoleErrors: [], pageErrors: [], cspViolations: [] });
      }
      await Promise.all([aliceBoard.page.context().close(), bobBoard.page.context().close()]);
    }, 90_000);
  });

  it("an event whose subscriber is down lands in the dead-letter desk after the retries; after the fix a replay makes exactly one next occurrence", async () => {
    const { system } = test;
    const user = newUser("outage");
    const api = await apiOf(system, "backend", user);
    const operator = await apiOf(system, "dead-letters", newUser("operator"), { operator: true });
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Take out the bins",
      due_date: "2026-12-03T19:00:00Z",
      recurrence: "weekly",
    });
    expect(created.status).toBe(201);
    await waitUntilHandled(reader, test.prefix);

    // The outage: the recurring service is down; its sidecar still delivers, and the delivery fails every retry.
    await system.stopApp("recurring");
    let entryId: number;
    try {
      expect((await api.request("POST", `/api/tasks/${created.body.task_id}/complete`)).status).toBe(200);
      const completed = await waitFor(
        () => reader.of(user).find((r) => r.event.type === "com.taskmanager.task.completed"),
        "the task.completed record",
      );
      const entry = await entryOf(operator, completed.event.id, undefined, 60_000);
      expect(entry).toMatchObject({ topic: "task-events", key: user, subscribers: ["recurring"], count: 1 });
      expect(entry.replayable).toBe(true);
      expect((await api.request<TaskPage>("GET", "/api/tasks")).body.total).toBe(1);
      entryId = entry.id;
    } finally {
      // The fix: the service is back.
      await system.startApp("recurring");
    }

    expect((await operator.request("POST", `/api/dead-letters/${entryId}/replay`)).status).toBe(202);
    const next = await waitFor(
      async () => (await api.request<TaskPage>("GET", "/api/tasks?completed=false")).body.items[0],
      "the next occurrence after the replay",
      60_000,
    );
    expect(next).toMatchObject({ due_date: "2026-12-10T19:00:00.000Z", parent_task_id: created.body.task_id });
    await waitUntilHandled(reader, test.prefix);
    expect((await api.request<TaskPage>("GET", "/api/tasks")).body.total).toBe(2);
  }, 120_000);

  it("stops in order and starts again on its data: what was written before is there, nothing is published twice", async () => {
    const user = newUser("restart");
    const before = await apiOf(test.system, "backend", user);
    const first = await before.request<TaskSnapshot>("POST", "/api/tasks", { title: "Before the restart" });
    expect(first.status).toBe(201);

    const system = await test.restart();
    const after = await apiOf(system, "backend", user);
    expect((await after.request<TaskPage>("GET", "/api/tasks")).body.items.map((t) => t.title)).toEqual([
      "Before the restart",
    ]);
    expect((await after.request("POST", "/api/tasks", { title: "After the restart" })).status).toBe(201);
    await waitFor(() => taskEventTypes(reader.of(user)).length >= 2, "both task.created records");
    // The relay flushed before the stop and resumed after the start: each write published once.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const created = reader.of(user).filter((r) => r.topic === TOPICS.taskEvents.name);
    expect(created.map((r) => (r.event.data as { title?: string }).title)).toEqual([
      "Before the restart",
      "After the restart",
    ]);
  }, 120_000);

  it("every record on every topic keeps the mission's contract and has its user id as key", () => {
    const topics = new Set(reader.records.map((r) => r.topic));
    expect([...topics].sort()).toEqual(TOPIC_LIST.map((t) => t.name).sort());
    for (const record of reader.records) {
      const where = `${record.topic}@${record.partition}:${record.offset} ${record.event.type}`;
      expect(contractViolations(record.event), where).toEqual([]);
      expect(record.key, where).toBe((record.event.data as { user_id?: string }).user_id);
    }
  });
});
