// kill -9 of each consumer service mid-stream, under the demo's topology with the consumers as processes of their own (as their images run them): recurring, notification, the gateway and the dead-letter desk come back, their events are redelivered, and nothing happens twice: no second occurrence, in-app notification, email, webhook message or WebSocket frame, no second desk entry; recurring killed mid-delivery (its effect committed at the backend, its own record not) asks again and gets the same. Poison events on task-events, answered DROP or RETRY every time, are dead-lettered (RETRY ones after the policy's retries) while their partition keeps flowing, and do not stall the desk.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TOPICS } from "@event-platform/events";
import { processedEventKey } from "@event-platform/service-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BACKEND_SCHEMA } from "../../apps/backend/src/migrations";
import type { TaskSnapshot } from "../../apps/backend/src/task-snapshot";
import { contractEvent, entryOf, produce } from "../../apps/dead-letters/test/harness";
import { RECURRING_SCHEMA } from "../../apps/recurring/src/migrations";
import { localDaprSettings } from "../../local/sidecar/local-settings";
import { type RunningSystem, startSystem } from "../../local/system";
import { APPS } from "../../specs/apps";
import { apiOf, openUpdates } from "../e2e/harness";
import { createTestDatabase } from "../support/database";
import { recordTrials, type Trial } from "../support/reliability";
import { type Api, Cleanup, newUser, TopicReader, uniqueTag, waitFor, waitUntilConsumed } from "../support/services";
import {
  everyChannel,
  occurrenceTally,
  replayDeadLetters,
  sidecarLog,
  tallyEvents,
  WebhookReceiver,
  WriteStream,
  waitForOwedEvents,
  webhookDeliveryOf,
} from "./support";

const USERS = 3;

describe("kill -9 of each consumer service mid-stream", () => {
  const cleanup = new Cleanup();
  const prefix = `faults-consumers-${uniqueTag()}.`;
  let system: RunningSystem;
  let reader: TopicReader;
  /** The task.completed record of `user`'s task `taskId` on task-events, once the reader has it. */
  const completionOf = (user: string, taskId: number) =>
    reader
      .of(user)
      .find(
        (r) =>
          r.topic === TOPICS.taskEvents.name &&
          r.event.type === "com.taskmanager.task.completed" &&
          (r.event.data as { task_id: number }).task_id === taskId,
      );
  let operator: Api;
  let databaseUrl: string;
  let receiver: WebhookReceiver;
  const trials: Omit<Trial, "file">[] = [];

  beforeAll(async () => {
    const database = await createTestDatabase("faults_consumers");
    cleanup.add({ stop: () => database.drop() });
    databaseUrl = database.url;
    receiver = cleanup.add(await WebhookReceiver.start());
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

  it("notification: every reminder reaches its user once in the app, once by email and once by webhook", async () => {
    const users = Array.from({ length: USERS }, (_, i) => newUser(`notification-kill-${i}`));
    const secrets = new Map<string, string>();
    const reminded = await Promise.all(
      users.map(async (user, i) => {
        secrets.set(user, await everyChannel(await apiOf(system, "notification", user), user, receiver));
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
        ).request<{ items: { task_id: number; reminder_id: string }[] }>("GET", "/api/notifications")
      ).body.items;
    const mailTo = async (user: string) =>
      (await system.mail.messages()).filter((m) => m.to.includes(`${user}@example.com`));
    const hooks = (user: string) => receiver.tally(user, secrets.get(user) ?? "");
    const settled = async () => {
      for (const user of users) {
        if ((await inApp(user)).length === 0 || (await mailTo(user)).length === 0 || hooks(user).total === 0)
          return false;
      }
      return true;
    };
    let replayed = 0;
    const arrived = await waitFor(settled, "every reminder in the app, by email and by webhook", 60_000).catch(
      () => false,
    );
    if (!arrived) {
      replayed = await replayDeadLetters(operator, reader, (r) => users.includes(r.key ?? ""));
      await waitFor(settled, "every reminder on every channel after the replays", 60_000).catch(() => false);
    }
    // A repeat would come right behind the first: give it time to.
    await sleep(3_000);
    const tally = { lost: 0, twice: 0, resent: 0 };
    for (const [i, user] of users.entries()) {
      const notes = await inApp(user);
      const mails = await mailTo(user);
      const webhooks = hooks(user);
      tally.lost += (notes.length === 0 ? 1 : 0) + (mails.length === 0 ? 1 : 0) + (webhooks.total === 0 ? 1 : 0);
      // A second message (another webhook-id) is a second effect; a resend of the one message is not (below).
      tally.twice +=
        Math.max(0, notes.length - 1) + Math.max(0, mails.length - 1) + Math.max(0, webhooks.ids.length - 1);
      tally.resent += webhooks.total - webhooks.ids.length;
      expect(notes.map((n) => n.task_id)).toEqual([reminded[i]]);
      expect(mails).toHaveLength(1);
      // One message, `reminder_<reminder id>`, every request signed with the user's secret.
      expect(webhooks.ids).toEqual([`reminder_${notes[0]?.reminder_id}`]);
      expect(webhooks.unverified).toBe(0);
      // Standard Webhooks resends a message under its webhook-id; the service resends only a send whose outcome it
      // never recorded (README, "At least once, at the edges"): at most the one the kill cut off, and the delivery
      // is recorded delivered.
      const record = await webhookDeliveryOf(databaseUrl, notes[0]?.reminder_id ?? "");
      expect(record?.status).toBe("delivered");
      expect(webhooks.total - (record?.recorded ?? 0)).toBeLessThanOrEqual(1);
      expect(webhooks.total).toBeGreaterThanOrEqual(record?.recorded ?? 0);
    }
    trials.push({
      area: "fault",
      name: "kill -9 the notification service while reminders are due, then start it",
      target: "notification (reminders subscription, schedule, SMTP, webhooks)",
      tries: USERS * 3,
      lost: tally.lost,
      duplicated: tally.twice,
      leaked: 0,
      outcome: `one in-app notification, one email at the SMTP server and one signed webhook message (one webhook-id) per reminder; webhook requests resent under the same webhook-id (a send the kill cut off before its outcome was recorded): ${tally.resent}${replayed ? `; ${replayed} dead letters replayed` : ""}`,
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

  it("recurring: killed after the backend made a next occurrence, before its own record committed, asks again and gets the same", async () => {
    const user = newUser("recurring-mid-delivery");
    const api = await apiOf(system, "backend", user);
    const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
      title: "Completed while recurring dies",
      due_date: "2026-12-05T12:30:00Z",
      recurrence: "daily",
    });
    expect(created.status).toBe(201);
    const taskId = created.body.task_id;
    const nextOf = async () =>
      (await api.request<{ items: TaskSnapshot[] }>("GET", "/api/tasks?limit=100")).body.items.filter(
        (t) => t.parent_task_id === taskId,
      );
    const db = new pg.Client({ connectionString: databaseUrl, application_name: "fault-test" });
    await db.connect();
    try {
      // A lock that holds recurring's insert into next_occurrences, the last step of the transaction that records
      // the event as processed (taskCompletedHandler): the backend has made the next task by then, and its answer
      // is in recurring's hands but nowhere else.
      const lock = new pg.Client({ connectionString: databaseUrl, application_name: "fault-test-lock" });
      await lock.connect();
      try {
        await lock.query("BEGIN");
        await lock.query(`LOCK TABLE ${RECURRING_SCHEMA}.next_occurrences IN SHARE MODE`);
        expect((await api.request("POST", `/api/tasks/${taskId}/complete`)).status).toBe(200);
        await waitFor(async () => (await nextOf()).length > 0, "the backend's next occurrence, committed", 60_000);
        await waitFor(
          async () =>
            ((
              await db.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                  WHERE NOT l.granted AND c.relname = 'next_occurrences'
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              )
            ).rows[0]?.n ?? 0) >= 1,
          "recurring waiting to record the next occurrence",
          30_000,
        );
        await system.killApp("recurring");
      } finally {
        await lock.query("ROLLBACK");
        await lock.end();
      }
      await system.startApp("recurring");
      const completion = await waitFor(() => completionOf(user, taskId), "the task.completed event");
      const recordOf = async () =>
        (
          await db.query<{ created: boolean }>(
            `SELECT created FROM ${RECURRING_SCHEMA}.next_occurrences WHERE user_id = $1 AND task_id = $2`,
            [user, taskId],
          )
        ).rows;
      // The sidecar redelivers it to the restarted service, or, when the restart outlasts the retry policy (a few
      // seconds of backoff; tsx starting under load takes longer), it is dead-lettered and the operator replays it
      // from the desk: either way the same event comes again.
      const deadLettered = () =>
        reader.records.some((r) => r.topic === TOPICS.deadLetters.name && r.event.id === completion.event.id);
      await waitFor(
        async () => (await recordOf()).length > 0 || deadLettered(),
        "recurring's record, or the event on dead-letters",
        60_000,
      );
      let replayed = 0;
      if ((await recordOf()).length === 0) {
        replayed = await replayDeadLetters(operator, reader, (r) => r.event.id === completion.event.id);
        await waitFor(async () => (await recordOf()).length > 0, "recurring's record after the replay", 60_000);
      }
      const retried = await sidecarLog(system.paths.logs, APPS.recurring.id, completion.event.id, "retrying in");
      const records = await recordOf();
      // Once more, now that recurring's record is committed: the event published again, as a relay whose
      // acknowledgement was lost publishes it. Its processed-event record answers it without asking the backend (had it
      // asked, the insert of a second next_occurrences row for the event would fail and the event be dead-lettered).
      const copies = () =>
        reader.records.filter((r) => r.topic === TOPICS.taskEvents.name && r.event.id === completion.event.id).length;
      const lettersOf = () =>
        reader.records.filter((r) => r.topic === TOPICS.deadLetters.name && r.event.id === completion.event.id).length;
      const [copiesBefore, lettersBefore] = [copies(), lettersOf()];
      await produce({
        topic: `${prefix}${TOPICS.taskEvents.name}`,
        key: user,
        value: JSON.stringify(completion.event),
        headers: { "content-type": "application/cloudevents+json" },
      });
      await waitFor(() => copies() > copiesBefore, "the published copy on task-events");
      await waitUntilConsumed({
        reader,
        bootstrap: inject("kafkaBrokers"),
        prefix,
        group: APPS.recurring.id,
        topic: TOPICS.taskEvents.name,
      });
      // A dead letter would be published before the commit; give the reader time to read one.
      await sleep(1_000);
      const lettersAfterCopy = lettersOf() - lettersBefore;
      const processed = (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${RECURRING_SCHEMA}.processed_events WHERE event_key = $1`,
          [processedEventKey(completion.event)],
        )
      ).rows[0]?.n;
      const next = await nextOf();
      trials.push({
        area: "fault",
        name: "kill -9 the recurring service mid-delivery: the backend's next occurrence committed, recurring's record not; then the event published again",
        target: "recurring (task-events subscription, backend invocation)",
        tries: 2,
        lost: next.length === 0 ? 1 : 0,
        duplicated: Math.max(0, next.length - 1),
        leaked: 0,
        outcome: `the event delivered again (${retried.length} sidecar retries, ${replayed} desk replays); recurring asked the backend again and got the first next occurrence back (created: ${records[0]?.created}); the copy published after that was answered from recurring's processed-event record (${lettersAfterCopy} dead letters); none made twice`,
      });
      // The redelivery asked again, and the backend answered with the next task it had made: not created now.
      expect(records).toEqual([{ created: false }]);
      expect(retried.length + replayed).toBeGreaterThanOrEqual(1);
      // The copy: consumed, not dead-lettered, one record of the event, the same one next_occurrences row.
      expect({ lettersAfterCopy, processed, records: await recordOf() }).toEqual({
        lettersAfterCopy: 0,
        processed: 1,
        records: [{ created: false }],
      });
      expect(next).toHaveLength(1);
    } finally {
      await db.end();
    }
  });

  it("dead-letters: a poison answered RETRY on every delivery is dead-lettered after the policy's retries while its partition waits, then flows", async () => {
    const maxRetries = localDaprSettings("").inboundRetry.maxRetries;
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const user = newUser(`retry-poison-${i}`);
        const api = await apiOf(system, "backend", user);
        const task = async (title: string) => {
          const created = await api.request<TaskSnapshot>("POST", "/api/tasks", {
            title,
            due_date: "2026-12-05T12:30:00Z",
            recurrence: "daily",
          });
          expect(created.status).toBe(201);
          return created.body.task_id;
        };
        return { user, api, poison: await task("Its next occurrence is refused"), behind: await task("Behind it") };
      }),
    );
    const nextOf = async (api: Api, taskId: number) =>
      (await api.request<{ items: TaskSnapshot[] }>("GET", "/api/tasks?limit=100")).body.items.filter(
        (t) => t.parent_task_id === taskId,
      );
    // No event answers RETRY for its own sake: what can never succeed is a DROP (a 404 task, a value PostgreSQL
    // refuses), and RETRY means a failure that a fix clears. So the fault is one that lasts: the backend's database
    // refuses the next occurrence of these tasks (a trigger raising P0001), the backend answers 500, and recurring
    // RETRY, on every delivery of their task.completed.
    const db = new pg.Client({ connectionString: databaseUrl, application_name: "fault-test" });
    await db.connect();
    const refuse = `${BACKEND_SCHEMA}.fault_refuse_next_occurrence`;
    const refused = users.map((u) => u.poison).join(", ");
    try {
      await db.query(
        `CREATE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'fault test: the next occurrence of task % is refused', NEW.parent_task_id; END $$`,
      );
      await db.query(
        `CREATE TRIGGER fault_refuse_next_occurrence BEFORE INSERT ON ${BACKEND_SCHEMA}.tasks FOR EACH ROW
           WHEN (NEW.parent_task_id IN (${refused})) EXECUTE FUNCTION ${refuse}()`,
      );
      for (const { api, poison, behind } of users) {
        expect((await api.request("POST", `/api/tasks/${poison}/complete`)).status).toBe(200);
        expect((await api.request("POST", `/api/tasks/${behind}/complete`)).status).toBe(200);
      }
      for (const { user, api, behind } of users) {
        await waitFor(
          async () => (await nextOf(api, behind)).length > 0,
          `${user}'s next occurrence behind the poison`,
          60_000,
        );
      }
      const rows = [];
      for (const { user, api, poison, behind } of users) {
        const record = await waitFor(() => completionOf(user, poison), `${user}'s poison on task-events`);
        await waitFor(
          () => reader.records.some((r) => r.topic === TOPICS.deadLetters.name && r.event.id === record.event.id),
          `${user}'s poison on dead-letters`,
          60_000,
        );
        // The sidecar's log: a line per retry of this event, then the record sent to the dead-letter topic (once
        // that line is written, the lines before it are too).
        const deadLettered = await waitFor(
          async () =>
            (
              await sidecarLog(
                system.paths.logs,
                APPS.recurring.id,
                `${TOPICS.taskEvents.name}/${record.partition}/${record.offset} `,
                "sent to dead letter topic",
              )
            )[0],
          `${user}'s poison dead-lettered in the sidecar's log`,
        );
        const retries = await sidecarLog(system.paths.logs, APPS.recurring.id, record.event.id, "retrying in");
        const [next] = await nextOf(api, behind);
        const entry = await entryOf(operator, record.event.id, () => true, 60_000);
        const onDesk = (
          await operator.request<{ items: { event_id: string | null }[] }>("GET", "/api/dead-letters?limit=100")
        ).body.items.filter((e) => e.event_id === record.event.id).length;
        const poisonNext = await nextOf(api, poison);
        rows.push({
          user,
          eventId: record.event.id,
          entryId: entry.id,
          attempts: retries.length + 1,
          // The event behind it was handled after the poison left the partition (same key, so same partition).
          behindAfterDeadLetter: Date.parse(next?.created_at ?? "") >= deadLettered.at,
          onDesk,
          poisonNext: poisonNext.length,
        });
      }
      // Fixed (the trigger gone), each poison replayed from the desk gets its one next occurrence: nothing lost.
      await db.query(`DROP TRIGGER fault_refuse_next_occurrence ON ${BACKEND_SCHEMA}.tasks`);
      for (const row of rows) {
        const replay = await operator.request("POST", `/api/dead-letters/${row.entryId}/replay`);
        expect(replay.status).toBe(202);
      }
      for (const { user, api, poison } of users) {
        await waitFor(async () => (await nextOf(api, poison)).length > 0, `${user}'s poison, replayed`, 60_000);
      }
      await sleep(1_000);
      const replayedNext = await Promise.all(users.map(({ api, poison }) => nextOf(api, poison)));
      trials.push({
        area: "fault",
        name: `poison events answered RETRY on every delivery (${USERS}: the backend's database refuses their next occurrence), then the fault fixed and the dead letters replayed`,
        target: "recurring (task-events subscription) under the inbound retry policy → dead-letters → the desk",
        tries: USERS,
        lost: replayedNext.filter((n) => n.length === 0).length + rows.filter((r) => r.onDesk === 0).length,
        duplicated:
          replayedNext.reduce((sum, n) => sum + Math.max(0, n.length - 1), 0) +
          rows.reduce((sum, r) => sum + Math.max(0, r.onDesk - 1), 0),
        leaked: 0,
        outcome: `each dead-lettered after ${rows.map((r) => r.attempts).join(", ")} deliveries (1 + maxRetries ${maxRetries}); the events behind it on its partition handled after it; one desk entry each; replayed after the fix, one next occurrence each`,
      });
      for (const row of rows) {
        expect(row).toMatchObject({ attempts: 1 + maxRetries, behindAfterDeadLetter: true, onDesk: 1, poisonNext: 0 });
      }
      expect(replayedNext.map((n) => n.length)).toEqual(users.map(() => 1));
    } finally {
      await db.query(`DROP TRIGGER IF EXISTS fault_refuse_next_occurrence ON ${BACKEND_SCHEMA}.tasks`);
      await db.query(`DROP FUNCTION IF EXISTS ${refuse}()`);
      await db.end();
    }
  });
});
