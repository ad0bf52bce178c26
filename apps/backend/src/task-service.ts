// The task service functions REST and MCP share: every write changes the tasks and stores its events in one transaction.
import { randomUUID } from "node:crypto";
import type { AnyCloudEvent } from "@event-platform/events";
import {
  appendToOutbox,
  canonicalTimeZone,
  type Database,
  DEFAULT_TIME_ZONE,
  transactionWithLock,
} from "@event-platform/service-kit";
import { type Kysely, sql } from "kysely";
import type { CreateTaskBody, ListTasksQuery, UpdateTaskBody } from "./api-schemas";
import { detectChanges } from "./changes";
import { ConflictError, InvalidInputError, TaskNotFoundError } from "./errors";
import { monthlyAnchorDay, nextDueDate } from "./recurrence";
import { type ActiveReminder, planReminder, type ReminderPlan } from "./reminders";
import type { NewTaskRow, Tables, TaskRow } from "./tables";
import {
  completedEvents,
  createdEvents,
  deletedEvents,
  detachedEvents,
  type EventContext,
  updatedEvents,
} from "./task-events";
import { listTasks } from "./task-queries";
import { type TaskSnapshot, toSnapshot } from "./task-snapshot";

export interface TaskServiceOptions {
  /** The `source` of every event, `eventSource(appId)`. */
  source: string;
  /** Called after a commit that stored events, to wake the outbox relay. */
  onEventsStored: () => void;
  now?: () => Date;
  /** Reminder ids (uuid). */
  newId?: () => string;
}

export interface TaskList {
  items: TaskSnapshot[];
  total: number;
  limit: number;
  offset: number;
}

/** The answer to a next-occurrence request; `created` is false when the request was a repeat. */
export interface NextOccurrence {
  created: boolean;
  task: TaskSnapshot;
}

/**
 * The first argument of the two-int advisory lock that serializes one user's writes; the second is the hash of
 * the user id. It makes each user's outbox ids follow that user's commit order: two concurrent writes of one
 * user could otherwise take ids 10 and 11 and commit 11 first, and the relay would publish 11 before 10.
 */
const USER_WRITE_LOCK = 7_183;

/** A task's id as a query parameter: PostgreSQL compares the `bigint` column with its decimal text exactly. */
const idText = (id: number) => String(id);

export class TaskService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  private readonly db: Kysely<Tables>;

  constructor(
    private readonly database: Pick<Database<Tables>, "db" | "kind">,
    private readonly options: TaskServiceOptions,
  ) {
    this.db = database.db;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  async create(userId: string, input: CreateTaskBody): Promise<TaskSnapshot> {
    return this.write(userId, async (trx, ctx) => {
      if (typeof input.parent_task_id === "number") await this.requireParent(trx, userId, input.parent_task_id);
      const timeZone = zoneOf(input.time_zone ?? DEFAULT_TIME_ZONE);
      const dueDate = toDate(input.due_date);
      const row: NewTaskRow = {
        user_id: userId,
        title: input.title,
        description: input.description ?? null,
        priority: input.priority ?? "medium",
        tags: input.tags ?? [],
        due_date: dueDate,
        remind_before_minutes: input.remind_before_minutes ?? null,
        recurrence: input.recurrence ?? null,
        time_zone: timeZone,
        monthly_anchor_day: monthlyAnchorDay(dueDate, timeZone),
        completed: false,
        completed_at: null,
        parent_task_id: input.parent_task_id ?? null,
        reminder_id: null,
        reminder_at: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      };
      return this.insertTask(trx, row, ctx);
    });
  }

  async list(userId: string, query: ListTasksQuery): Promise<TaskList> {
    const page = await listTasks(this.db, userId, query);
    return { ...page, items: page.items.map(toSnapshot) };
  }

  async get(userId: string, id: number): Promise<TaskSnapshot> {
    const row = await this.db
      .selectFrom("tasks")
      .selectAll()
      .where("id", "=", idText(id))
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) throw new TaskNotFoundError(id);
    return toSnapshot(row);
  }

  /** Changes the given fields; a patch that changes nothing writes nothing and emits nothing. */
  async update(userId: string, id: number, patch: UpdateTaskBody): Promise<TaskSnapshot> {
    return this.write(userId, async (trx, ctx) => {
      const current = await this.lockTask(trx, userId, id);
      if (typeof patch.parent_task_id === "number") {
        if (patch.parent_task_id === id) {
          throw new InvalidInputError([{ path: "/parent_task_id", message: "must not be the task itself" }]);
        }
        await this.requireParent(trx, userId, patch.parent_task_id);
        await this.refuseCycle(trx, userId, id, patch.parent_task_id);
      }
      const { due_date, time_zone, ...rest } = patch;
      const timeZone = time_zone === undefined ? current.time_zone : zoneOf(time_zone);
      const dueDate = due_date === undefined ? current.due_date : toDate(due_date);
      const columns = {
        ...withoutUndefined(rest),
        due_date: dueDate,
        time_zone: timeZone,
        // The series' day follows the due date the user set, in the zone the task is in.
        monthly_anchor_day:
          due_date === undefined && time_zone === undefined
            ? current.monthly_anchor_day
            : monthlyAnchorDay(dueDate, timeZone),
      };
      const before = toSnapshot(current);
      const proposed = toSnapshot({
        ...current,
        ...columns,
        parent_task_id:
          columns.parent_task_id === undefined ? current.parent_task_id : idOrNull(columns.parent_task_id),
      });
      const diff = detectChanges(before, proposed);
      if (!diff) return { result: before, events: [] };

      const reminder = planReminder(
        { kind: "updated", before, after: proposed },
        activeReminder(current),
        ctx.now,
        this.newId,
      );
      const updated = await trx
        .updateTable("tasks")
        .set({ ...columns, ...reminderColumns(reminder, current), updated_at: ctx.now })
        .where("id", "=", current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toSnapshot(updated);
      return { result: after, events: updatedEvents(after, diff, reminder, ctx) };
    });
  }

  /** Completes a task; completing a completed task again changes nothing and emits nothing. */
  async complete(userId: string, id: number): Promise<TaskSnapshot> {
    return this.write(userId, async (trx, ctx) => {
      // One statement for an open task: the columns completing changes come back as they were, beside the new row.
      const done = await trx
        .updateTable("tasks")
        .from(
          trx
            .selectFrom("tasks")
            .select(["id", "completed_at", "updated_at", "reminder_id", "reminder_at"])
            .where("id", "=", idText(id))
            .where("user_id", "=", userId)
            .where("completed", "=", false)
            .as("before"),
        )
        .set({ completed: true, completed_at: ctx.now, updated_at: ctx.now, reminder_id: null, reminder_at: null })
        .whereRef("tasks.id", "=", "before.id")
        .returningAll("tasks")
        .returning([
          "before.completed_at as before_completed_at",
          "before.updated_at as before_updated_at",
          "before.reminder_id as before_reminder_id",
          "before.reminder_at as before_reminder_at",
        ])
        .executeTakeFirst();
      // No open task of the user's with this id (the user's lock keeps it so): an unknown one throws, a completed one
      // is answered as it is.
      if (!done) return { result: toSnapshot(await this.lockTask(trx, userId, id)), events: [] };
      const { before_completed_at, before_updated_at, before_reminder_id, before_reminder_at, ...updated } = done;
      // Every other column is as it was: the update set only these.
      const current: TaskRow = {
        ...updated,
        completed: false,
        completed_at: before_completed_at,
        updated_at: before_updated_at,
        reminder_id: before_reminder_id,
        reminder_at: before_reminder_at,
      };
      const reminder = planReminder(
        { kind: "completed", before: toSnapshot(current) },
        activeReminder(current),
        ctx.now,
        this.newId,
      );
      const after = toSnapshot(updated);
      return { result: after, events: completedEvents(after, reminder, ctx) };
    });
  }

  /**
   * Deletes a task. Its subtasks are detached, not deleted: their `parent_task_id` becomes null, which the
   * database's foreign key (ON DELETE SET NULL) would do anyway; doing it here first stamps `updated_at` and
   * emits a task.updated for each, so consumers learn of it. Deleting an old occurrence of a recurring task
   * therefore leaves the later ones in place.
   */
  async remove(userId: string, id: number): Promise<void> {
    await this.write(userId, async (trx, ctx) => {
      const current = await this.lockTask(trx, userId, id);
      const before = toSnapshot(current);
      const detached = await trx
        .updateTable("tasks")
        .set({ parent_task_id: null, updated_at: ctx.now })
        .where("user_id", "=", userId)
        .where("parent_task_id", "=", current.id)
        .returningAll()
        .execute();
      await trx.deleteFrom("tasks").where("id", "=", current.id).execute();
      const reminder = planReminder({ kind: "deleted", before }, activeReminder(current), ctx.now, this.newId);
      const events = [
        ...deletedEvents(before, reminder, ctx),
        ...detached.flatMap((child) => detachedEvents(toSnapshot(child), id, ctx)),
      ];
      return { result: undefined, events };
    });
  }

  /**
   * Creates the next occurrence of a completed recurring task of `userId`: the same fields, the due date advanced by
   * its recurrence in its time zone, open, with the completed task as parent. A task that is not that user's is a
   * `TaskNotFoundError`, as an unknown one is, so a request naming the wrong user learns nothing about the task.
   * One next occurrence per completed source task, whatever the completion event: the request is recorded under
   * (user, source task, event) in the same transaction as the new task, and any later request for that user's
   * source task, with this event id or another (a redelivery under a new id, a second completion event), gets the
   * first answer back without writing anything.
   * Throws a `ConflictError` when the task is not completed or not recurring.
   */
  async createNextOccurrence(userId: string, taskId: number, eventId: string): Promise<NextOccurrence> {
    // A repeat is answered even when the source task was deleted after the first answer.
    const replay = await this.recordedAnswer(this.db, userId, taskId);
    if (replay) return { created: false, task: replay };

    return this.write<NextOccurrence>(userId, async (trx, ctx) => {
      // Checked again under the user's lock: a concurrent repeat of this request has committed by now, or not begun.
      const repeated = await this.recordedAnswer(trx, userId, taskId);
      if (repeated) return { result: { created: false, task: repeated }, events: [] };
      const completed = await this.lockTask(trx, userId, taskId);
      if (!completed.completed) throw new ConflictError(`Task ${taskId} is not completed`);
      if (completed.recurrence === null) throw new ConflictError(`Task ${taskId} is not recurring`);
      const dueDate =
        completed.due_date &&
        nextDueDate(
          completed.due_date,
          completed.recurrence,
          completed.time_zone,
          completed.monthly_anchor_day ?? undefined,
        );
      // Timestamps stay within the years RFC 3339 (and so the event contract) can write.
      if (dueDate && dueDate.getUTCFullYear() > 9999) {
        throw new ConflictError(`Task ${taskId} has no next occurrence before the year 10000`);
      }
      const next: NewTaskRow = {
        user_id: userId,
        title: completed.title,
        description: completed.description,
        priority: completed.priority,
        tags: completed.tags,
        due_date: dueDate,
        remind_before_minutes: completed.remind_before_minutes,
        recurrence: completed.recurrence,
        time_zone: completed.time_zone,
        monthly_anchor_day: completed.monthly_anchor_day,
        completed: false,
        completed_at: null,
        parent_task_id: taskId,
        reminder_id: null,
        reminder_at: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      };
      const { result: task, events } = await this.insertTask(trx, next, ctx);
      await trx
        .insertInto("processed_requests")
        .values({
          user_id: userId,
          source_task_id: taskId,
          event_id: eventId,
          task_id: task.task_id,
          response: JSON.stringify(task),
        })
        .execute();
      return { result: { created: true, task }, events };
    });
  }

  /**
   * Runs one write in a transaction: the user's write lock first, then the change, then its events into the
   * outbox. A write that fails rolls back with its events, so nothing is ever published for it.
   */
  private async write<T>(
    userId: string,
    work: (trx: Kysely<Tables>, ctx: EventContext) => Promise<{ result: T; events: AnyCloudEvent[] }>,
  ): Promise<T> {
    const lock = { space: USER_WRITE_LOCK, name: userId };
    const { result, stored } = await transactionWithLock(this.database, lock, async (trx) => {
      const { result, events } = await work(trx, { source: this.options.source, now: this.now() });
      await appendToOutbox(trx, events);
      return { result, stored: events.length };
    });
    if (stored > 0) this.options.onEventsStored();
    return result;
  }

  /** Inserts a task, with its reminder when it has a reminder time ahead; the database gives its id. */
  private async insertTask(trx: Kysely<Tables>, row: NewTaskRow, ctx: EventContext) {
    const fields = {
      title: row.title,
      due_date: row.due_date ? row.due_date.toISOString() : null,
      remind_before_minutes: row.remind_before_minutes ?? null,
      time_zone: row.time_zone,
      completed: row.completed ?? false,
    };
    const reminder = planReminder({ kind: "created", after: fields }, null, ctx.now, this.newId);
    const inserted = await trx
      .insertInto("tasks")
      .values({
        ...row,
        reminder_id: reminder.schedule?.reminderId ?? null,
        reminder_at: reminder.schedule?.remindAt ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const task = toSnapshot(inserted);
    return { result: task, events: createdEvents(task, reminder, ctx) };
  }

  /** The user's task, locked until the transaction ends, so concurrent writes to it apply one after the other. */
  private async lockTask(trx: Kysely<Tables>, userId: string, id: number): Promise<TaskRow> {
    const row = await trx
      .selectFrom("tasks")
      .selectAll()
      .where("id", "=", idText(id))
      .where("user_id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new TaskNotFoundError(id);
    return row;
  }

  /**
   * A parent must be one of the user's own tasks; another user's task is reported as not existing. The database
   * enforces the same with its foreign key on (user_id, parent_task_id); this check names the field.
   */
  private async requireParent(trx: Kysely<Tables>, userId: string, parentId: number): Promise<void> {
    const parent = await trx
      .selectFrom("tasks")
      .select("id")
      .where("id", "=", idText(parentId))
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!parent)
      throw new InvalidInputError([{ path: "/parent_task_id", message: "must be the id of one of your tasks" }]);
  }

  /**
   * A task must not become a subtask of its own subtask (at any depth): walks up from the new parent and refuses the
   * patch if the task is among its ancestors. UNION (not UNION ALL) ends the walk on a chain that already loops. The
   * user's writes are serialised by the per-user lock of {@link write}, so two patches cannot close a cycle together.
   */
  private async refuseCycle(trx: Kysely<Tables>, userId: string, id: number, parentId: number): Promise<void> {
    const { rows } = await sql<{ found: number }>`
      WITH RECURSIVE ancestors (id, parent_task_id) AS (
        SELECT id, parent_task_id FROM tasks WHERE id = ${idText(parentId)} AND user_id = ${userId}
        UNION
        SELECT t.id, t.parent_task_id FROM tasks t JOIN ancestors a ON t.id = a.parent_task_id AND t.user_id = ${userId}
      )
      SELECT 1 AS found FROM ancestors WHERE id = ${idText(id)} LIMIT 1`.execute(trx);
    if (rows.length > 0) {
      throw new InvalidInputError([{ path: "/parent_task_id", message: "must not be one of the task's own subtasks" }]);
    }
  }

  /**
   * The first answer to a next-occurrence request of this user for this source task. Rows recorded before one
   * answer per task (several events for one task) are read oldest first, so the first next task is the answer.
   */
  private async recordedAnswer(
    db: Kysely<Tables>,
    userId: string,
    sourceTaskId: number,
  ): Promise<TaskSnapshot | undefined> {
    const row = await db
      .selectFrom("processed_requests")
      .select("response")
      .where("user_id", "=", userId)
      .where("source_task_id", "=", idText(sourceTaskId))
      .orderBy("created_at")
      .orderBy("task_id")
      .limit(1)
      .executeTakeFirst();
    return row ? (row.response as TaskSnapshot) : undefined;
  }
}

/** The canonical spelling of a time zone the input schema already accepted. */
function zoneOf(name: string): string {
  const zone = canonicalTimeZone(name);
  if (!zone) throw new InvalidInputError([{ path: "/time_zone", message: 'must match format "time-zone"' }]);
  return zone;
}

/** The active reminder a row records, if any. */
function activeReminder(row: TaskRow): ActiveReminder | null {
  return row.reminder_id === null || row.reminder_at === null
    ? null
    : { reminderId: row.reminder_id, remindAt: row.reminder_at };
}

/** The row's reminder columns after a plan: the new reminder, none after a cancellation, else unchanged. */
function reminderColumns(plan: ReminderPlan, row: TaskRow): Pick<TaskRow, "reminder_id" | "reminder_at"> {
  if (plan.schedule) return { reminder_id: plan.schedule.reminderId, reminder_at: plan.schedule.remindAt };
  if (plan.cancel) return { reminder_id: null, reminder_at: null };
  return { reminder_id: row.reminder_id, reminder_at: row.reminder_at };
}

function idOrNull(value: number | null): string | null {
  return value === null ? null : idText(value);
}

function toDate(value: string | null | undefined): Date | null {
  return value === undefined || value === null ? null : new Date(value);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
