// Helpers of the fault tests: a stream of REST task writes by several users that remembers what the backend accepted, and the checks of what reached Kafka and what happened once; a Standard Webhooks receiver, the notification service's delivery records, and the sidecars' logs.
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { TOPICS } from "@event-platform/events";
import pg from "pg";
import { Webhook } from "standardwebhooks";
import type { TaskSnapshot } from "../../apps/backend/src/task-snapshot";
import { entryOf } from "../../apps/dead-letters/test/harness";
import { NOTIFICATION_SCHEMA } from "../../apps/notification/src/migrations";
import { setPreferences, startWebhookReceiver } from "../../apps/notification/test/harness";
import type { TestApp } from "../../local/sidecar/test-kit";
import { type Api, type ReadEvent, type TopicReader, waitFor } from "../support/services";

/** A `task-events` event an accepted write must have produced. */
export interface ExpectedEvent {
  type: "created" | "updated" | "completed";
  taskId: number;
}

/** One user writing: a task created (every other one recurring daily), changed, completed, and again. */
interface Writer {
  user: string;
  api: Api;
  accepted: ExpectedEvent[];
  /** Tasks whose completion the backend accepted, recurring ones only: each must have exactly one next occurrence. */
  completedRecurring: number[];
  /** Writes the backend refused (5xx while its database was down): not accepted, so nothing is owed for them. */
  refused: number;
}

/**
 * REST writes by several users at once, each user's in sequence, until `stop()`: create (every other task recurring
 * daily), set the priority, complete. A write is accepted when the backend answers 2xx; an answer of 5xx or a
 * failed request leaves the task and the user's next step for a later round (the write was not accepted, so no
 * event is owed for it).
 */
export class WriteStream {
  private readonly writers: Writer[];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(users: readonly { user: string; api: Api }[], pauseMs = 40) {
    this.writers = users.map(({ user, api }) => ({ user, api, accepted: [], completedRecurring: [], refused: 0 }));
    this.loops = this.writers.map((writer) => this.loop(writer, pauseMs));
  }

  /** Writes accepted so far, over every user. */
  get accepted(): number {
    return this.writers.reduce((sum, w) => sum + w.accepted.length, 0);
  }

  /** Writes refused so far (5xx or no answer), over every user. */
  get refused(): number {
    return this.writers.reduce((sum, w) => sum + w.refused, 0);
  }

  /** Each user with the events its accepted writes owe, in the order they were accepted. */
  get users(): readonly Readonly<Writer>[] {
    return this.writers;
  }

  /** Resolves once `count` more writes than now have been accepted. */
  async acceptedMore(count: number, timeoutMs = 60_000): Promise<void> {
    const target = this.accepted + count;
    await waitFor(() => this.accepted >= target, `${count} more accepted writes`, timeoutMs);
  }

  /** Stops after each user's current write. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(writer: Writer, pauseMs: number): Promise<void> {
    let round = 0;
    let task: { id: number; recurring: boolean; step: "update" | "complete" } | undefined;
    while (this.running) {
      const write = async (method: string, path: string, body?: unknown) => {
        try {
          const answer = await writer.api.request<TaskSnapshot>(method, path, body);
          if (answer.status >= 200 && answer.status < 300) return answer.body;
          if (answer.status < 500)
            throw new Error(`${method} ${path} answered ${answer.status}: a write the test got wrong`);
        } catch (error) {
          if (!(error instanceof TypeError)) throw error; // fetch's TypeError: no answer at all
        }
        writer.refused += 1;
        return undefined;
      };
      if (!task) {
        const recurring = round % 2 === 0;
        const created = await write("POST", "/api/tasks", {
          title: `Task ${round} of ${writer.user}`,
          ...(recurring ? { due_date: "2026-12-05T12:30:00Z", recurrence: "daily" } : {}),
        });
        if (created) {
          writer.accepted.push({ type: "created", taskId: created.task_id });
          task = { id: created.task_id, recurring, step: "update" };
          round += 1;
        }
      } else if (task.step === "update") {
        if (await write("PATCH", `/api/tasks/${task.id}`, { priority: "high" })) {
          writer.accepted.push({ type: "updated", taskId: task.id });
          task.step = "complete";
        }
      } else if (await write("POST", `/api/tasks/${task.id}/complete`)) {
        writer.accepted.push({ type: "completed", taskId: task.id });
        if (task.recurring) writer.completedRecurring.push(task.id);
        task = undefined;
      }
      await sleep(pauseMs);
    }
  }
}

/** What a user's `task-events` records hold against what its accepted writes owe. */
export interface EventTally {
  /** Accepted writes whose event is not on the topic. */
  lost: number;
  /** Records on the topic beyond the first of each event id (a publish retried after its acknowledgement was lost). */
  redelivered: number;
  /**
   * The user's distinct events of the stream's tasks, in the order Kafka holds them, as `type task_id` (the events of
   * other tasks, such as next occurrences, are left out).
   */
  onTopic: string[];
  /** What the accepted writes owe, in the order they were accepted, as `type task_id`. */
  owed: string[];
}

/** Tallies one user's `task-events` records against the events its accepted writes owe. */
export function tallyEvents(records: readonly ReadEvent[], owed: readonly ExpectedEvent[]): EventTally {
  const seen = new Set<string>();
  const tasks = new Set(owed.map((e) => e.taskId));
  const onTopic: string[] = [];
  let redelivered = 0;
  for (const record of records) {
    if (record.topic !== TOPICS.taskEvents.name) continue;
    if (seen.has(record.event.id)) {
      redelivered += 1;
      continue;
    }
    seen.add(record.event.id);
    const data = record.event.data as { task_id: number };
    if (tasks.has(data.task_id))
      onTopic.push(`${record.event.type.replace("com.taskmanager.task.", "")} ${data.task_id}`);
  }
  const owedLines = owed.map((e) => `${e.type} ${e.taskId}`);
  const present = new Set(onTopic);
  return { lost: owedLines.filter((line) => !present.has(line)).length, redelivered, onTopic, owed: owedLines };
}

/** Waits until every user's `task-events` records hold at least what its accepted writes owe. */
export async function waitForOwedEvents(reader: TopicReader, stream: WriteStream, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    () => stream.users.every((w) => tallyEvents(reader.of(w.user), w.accepted).lost === 0),
    "every accepted write's event on task-events",
    timeoutMs,
  );
}

/** How many next occurrences each completed recurring task has (tasks whose `parent_task_id` is it). */
async function nextOccurrences(writer: Readonly<Writer>): Promise<Map<number, number>> {
  const counts = new Map(writer.completedRecurring.map((id) => [id, 0]));
  for (let offset = 0; ; offset += 100) {
    const page = await writer.api.request<{ items: TaskSnapshot[]; total: number }>(
      "GET",
      `/api/tasks?limit=100&offset=${offset}`,
    );
    for (const task of page.body.items) {
      const parent = task.parent_task_id;
      if (parent !== null && counts.has(parent)) counts.set(parent, (counts.get(parent) ?? 0) + 1);
    }
    if (offset + 100 >= page.body.total) return counts;
  }
}

/**
 * Each user's completed recurring tasks against their next occurrences, once each has one or `timeoutMs` has
 * passed: how many there are, how many have none, and how many next occurrences are extra.
 */
export async function occurrenceTally(
  stream: WriteStream,
  timeoutMs = 60_000,
): Promise<{ completed: number; lost: number; twice: number }> {
  const tally = { completed: 0, lost: 0, twice: 0 };
  for (const writer of stream.users) {
    const found = await waitFor(
      async () => {
        const counts = await nextOccurrences(writer);
        return [...counts.values()].every((n) => n >= 1) && counts;
      },
      `a next occurrence of each of ${writer.user}'s completed recurring tasks`,
      timeoutMs,
    ).catch(() => nextOccurrences(writer));
    for (const n of found.values()) {
      tally.completed += 1;
      if (n === 0) tally.lost += 1;
      tally.twice += Math.max(0, n - 1);
    }
  }
  return tally;
}

/**
 * Replays from the dead-letter desk (as its operator) every record on `dead-letters` that `select` picks, once the
 * desk has stored it: a delivery that outlasted the retry policy while its subscriber was down waits there for the
 * fix. Returns how many were replayed.
 */
export async function replayDeadLetters(
  operator: Api,
  reader: TopicReader,
  select: (record: ReadEvent) => boolean,
): Promise<number> {
  const letters = reader.records.filter((r) => r.topic === TOPICS.deadLetters.name && select(r));
  for (const record of letters) {
    const entry = await entryOf(operator, record.event.id, (e) => e.replayable, 60_000);
    const replay = await operator.request("POST", `/api/dead-letters/${entry.id}/replay`);
    if (replay.status !== 202) throw new Error(`replaying dead letter ${entry.id} answered ${replay.status}`);
  }
  return letters.length;
}

/** What one user's webhook receiver got, read as Standard Webhooks defines a message. */
export interface WebhookTally {
  /** Every request received, repeats included. */
  total: number;
  /** The distinct `webhook-id`s: one per message, a resend of a message carrying the same id. */
  ids: string[];
  /** Requests whose `webhook-signature` did not verify with the user's secret (or whose timestamp is off). */
  unverified: number;
}

/**
 * A webhook receiver in the test process, as a user would run one: an HTTP server on 127.0.0.1 (the topology sets
 * `WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true` for local runs, local/system.ts) that records every request on a path of
 * each user's own and answers 204 (the notification tests' `startWebhookReceiver`).
 */
export class WebhookReceiver {
  private constructor(private readonly app: TestApp) {}

  static async start(): Promise<WebhookReceiver> {
    return new WebhookReceiver(await startWebhookReceiver(() => 204));
  }

  /** The `webhook_url` a user sets in its preferences. */
  urlOf(user: string): string {
    return `${this.app.url}${WebhookReceiver.pathOf(user)}`;
  }

  /** The user's requests, each checked with `new Webhook(secret).verify` (the `standardwebhooks` library). */
  tally(user: string, secret: string): WebhookTally {
    const requests = this.app.to(WebhookReceiver.pathOf(user));
    const verifier = new Webhook(secret);
    let unverified = 0;
    for (const request of requests) {
      try {
        verifier.verify(request.body.toString("utf8"), request.headers as Record<string, string>);
      } catch {
        unverified += 1;
      }
    }
    const ids = new Set(requests.map((r) => String(r.headers["webhook-id"])));
    return { total: requests.length, ids: [...ids], unverified };
  }

  stop(): Promise<void> {
    return this.app.stop();
  }

  private static pathOf(user: string): string {
    return `/webhooks/${encodeURIComponent(user)}`;
  }
}

/**
 * Sets a user's preferences to every channel: in-app, email to `<user>@example.com` and a webhook to `receiver`.
 * Returns the webhook's signing secret (`whsec_…`) the service generated. Throws unless the service answers 200.
 */
export async function everyChannel(notification: Api, user: string, receiver: WebhookReceiver): Promise<string> {
  const preferences = await setPreferences(notification, {
    in_app: true,
    email: true,
    email_address: `${user}@example.com`,
    webhook: true,
    webhook_url: receiver.urlOf(user),
  });
  if (!preferences.webhook_secret) throw new Error(`No webhook secret in ${JSON.stringify(preferences)}`);
  return preferences.webhook_secret;
}

/**
 * The notification service's record of a reminder's webhook delivery (its `deliveries` and `delivery_attempts`
 * rows): the delivery's status, and how many attempts it recorded. An attempt whose send went out but whose outcome
 * was never recorded (the process died in between) is not among them: that is the one resend the service documents.
 */
export async function webhookDeliveryOf(
  databaseUrl: string,
  reminderId: string,
): Promise<{ status: string; recorded: number } | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "fault-test" });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string; recorded: number }>(
      `SELECT d.status, (SELECT count(*)::int FROM ${NOTIFICATION_SCHEMA}.delivery_attempts a
                          WHERE a.delivery_id = d.delivery_id) AS recorded
         FROM ${NOTIFICATION_SCHEMA}.deliveries d WHERE d.reminder_id = $1 AND d.channel = 'webhook'`,
      [reminderId],
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

/** One line of a development sidecar's log (`<logs>/<app id>.sidecar.log`): when it was written, and what it says. */
export interface SidecarLogLine {
  at: number;
  text: string;
}

/** The lines of an app's sidecar log that contain every one of `parts`. */
export async function sidecarLog(logsDir: string, appId: string, ...parts: string[]): Promise<SidecarLogLine[]> {
  const text = await readFile(`${logsDir}/${appId}.sidecar.log`, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "" && parts.every((part) => line.includes(part)))
    .map((line) => {
      const space = line.indexOf(" ");
      return { at: Date.parse(line.slice(0, space)), text: line.slice(space + 1) };
    });
}
