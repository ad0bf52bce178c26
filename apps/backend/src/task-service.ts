// The task service functions REST and MCP share: every write changes the tasks and stores its events in one transaction.
import { randomUUID } from "node:crypto";
import type { AnyCloudEvent } from "@event-platform/events";
import { type Kysely, sql, type Transaction } from "kysely";
import type { CreateTaskBody, ListTasksQuery, UpdateTaskBody } from "./api-schemas";
import { detectChanges } from "./changes";
import { ConflictError, InvalidInputError, TaskNotFoundError } from "./errors";
import { appendToOutbox } from "./outbox";
import { monthlyAnchorDay, nextDueDate } from "./recurrence";
import { planReminder } from "./reminders";
import type { NewTaskRow, Tables, TaskRow } from "./tables";
import { completedEvents, createdEvents, deletedEvents, type EventContext, updatedEvents } from "./task-events";
import { listTasks } from "./task-queries";
import { type TaskSnapshot, toSnapshot } from "./task-snapshot";

export interface TaskServiceOptions {
  /** The `source` of every event, `eventSource(appId)`. */
  source: string;
  /** Called after a commit that stored events, to wake the outbox relay. */
  onEventsStored: () => void;
  now?: () => Date;
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

export class TaskService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly options: TaskServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  async create(userId: string, input: CreateTaskBody): Promise<TaskSnapshot> {
    return this.write(userId, async (trx, ctx) => {
      if (input.parent_task_id) await this.requireParent(trx, userId, input.parent_task_id);
      const row: NewTaskRow = {
        id: this.newId(),
        user_id: userId,
        title: input.title,
        description: input.description ?? null,
        priority: input.priority ?? "medium",
        tags: input.tags ?? [],
        due_date: toDate(input.due_date),
        monthly_anchor_day: monthlyAnchorDay(toDate(input.due_date)),
        reminder_offset_minutes: input.reminder_offset_minutes ?? null,
        recurrence: input.recurrence ?? null,
        completed: false,
        completed_at: null,
        parent_task_id: input.parent_task_id ?? null,
        reminder_id: null,
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

  async get(userId: string, id: string): Promise<TaskSnapshot> {
    const row = await this.db
      .selectFrom("tasks")
      .selectAll()
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) throw new TaskNotFoundError(id);
    return toSnapshot(row);
  }

  /** Changes the given fields; a patch that changes nothing writes nothing and emits nothing. */
  async update(userId: string, id: string, patch: UpdateTaskBody): Promise<TaskSnapshot> {
    return this.write(userId, async (trx, ctx) => {
      const current = await this.lockTask(trx, userId, id);
      if (patch.parent_task_id) {
        if (patch.parent_task_id.toLowerCase() === id.toLowerCase()) {
          throw new InvalidInputError([{ path: "/parent_task_id", message: "must not be the task itself" }]);
        }
        await this.requireParent(trx, userId, patch.parent_task_id);
      }
      const columns: Partial<TaskRow> = {
        ...withoutUndefined({ ...patch, due_date: undefined }),
        ...(patch.due_date === undefined
          ? {}
          : { due_date: toDate(patch.due_date), monthly_anchor_day: monthlyAnchorDay(toDate(patch.due_date)) }),
      };
      const before = toSnapshot(current);
      const proposed = toSnapshot({ ...current, ...columns });
      const changes = detectChanges(before, proposed);
      if (!changes) return { result: before, events: [] };

      const reminder = planReminder(
        { kind: "updated", before, after: proposed },
        current.reminder_id,
        ctx.now,
        this.newId,
      );
      const reminderId = reminder.schedule?.reminderId ?? (reminder.cancel ? null : current.reminder_id);
      const updated = await trx
        .updateTable("tasks")
        .set({ ...columns, reminder_id: reminderId, updated_at: ctx.now })
        .where("id", "=", current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toSnapshot(updated);
      return { result: after, events: updatedEvents(after, changes, reminder, ctx) };
    });
  }

  /** Completes a task; completing a completed task again changes nothing and emits nothing. */
  async complete(userId: string, id: string): Promise<TaskSnapshot> {
    return this.write(userId, async (trx, ctx) => {
      const current = await this.lockTask(trx, userId, id);
      if (current.completed) return { result: toSnapshot(current), events: [] };
      const reminder = planReminder({ kind: "completed" }, current.reminder_id, ctx.now, this.newId);
      const updated = await trx
        .updateTable("tasks")
        .set({ completed: true, completed_at: ctx.now, updated_at: ctx.now, reminder_id: null })
        .where("id", "=", current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toSnapshot(updated);
      return { result: after, events: completedEvents(after, reminder, ctx) };
    });
  }

  async remove(userId: string, id: string): Promise<void> {
    await this.write(userId, async (trx, ctx) => {
      const deleted = await trx
        .deleteFrom("tasks")
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .returningAll()
        .executeTakeFirst();
      if (!deleted) throw new TaskNotFoundError(id);
      const reminder = planReminder({ kind: "deleted" }, deleted.reminder_id, ctx.now, this.newId);
      return { result: undefined, events: deletedEvents(toSnapshot(deleted), reminder, ctx) };
    });
  }

  /**
   * Creates the next occurrence of a completed recurring task: the same fields, the due date advanced by its
   * recurrence, open, with the completed task as parent. Idempotent by `eventId`: the request is recorded in the
   * same transaction as the new task, and a repeat gets the first answer back without writing anything.
   */
  async createNextOccurrence(taskId: string, eventId: string): Promise<NextOccurrence> {
    const replay = await this.processedRequest(this.db, eventId);
    if (replay) return { created: false, task: replay };
    const owner = await this.db.selectFrom("tasks").select("user_id").where("id", "=", taskId).executeTakeFirst();
    if (!owner) throw new TaskNotFoundError(taskId);

    return this.write<NextOccurrence>(owner.user_id, async (trx, ctx) => {
      // Checked again under the user's lock: a concurrent repeat of this request has committed by now, or not begun.
      const repeated = await this.processedRequest(trx, eventId);
      if (repeated) return { result: { created: false, task: repeated }, events: [] };
      const completed = await this.lockTask(trx, owner.user_id, taskId);
      if (!completed.completed) throw new ConflictError(`Task ${taskId} is not completed`);
      if (completed.recurrence === null) throw new ConflictError(`Task ${taskId} is not recurring`);
      const dueDate =
        completed.due_date &&
        nextDueDate(completed.due_date, completed.recurrence, completed.monthly_anchor_day ?? undefined);
      // Timestamps stay within the years RFC 3339 (and so the event contract) can write.
      if (dueDate && dueDate.getUTCFullYear() > 9999) {
        throw new ConflictError(`Task ${taskId} has no next occurrence before the year 10000`);
      }
      const next: NewTaskRow = {
        ...completed,
        id: this.newId(),
        due_date: dueDate,
        completed: false,
        completed_at: null,
        parent_task_id: completed.id,
        reminder_id: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      };
      const { result: task, events } = await this.insertTask(trx, next, ctx);
      await trx
        .insertInto("processed_requests")
        .values({ event_id: eventId, task_id: task.id, response: JSON.stringify(task) })
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
    work: (trx: Transaction<Tables>, ctx: EventContext) => Promise<{ result: T; events: AnyCloudEvent[] }>,
  ): Promise<T> {
    const { result, stored } = await this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${USER_WRITE_LOCK}::int, hashtext(${userId}))`.execute(trx);
      const { result, events } = await work(trx, { source: this.options.source, now: this.now() });
      await appendToOutbox(trx, events);
      return { result, stored: events.length };
    });
    if (stored > 0) this.options.onEventsStored();
    return result;
  }

  private async insertTask(trx: Transaction<Tables>, row: NewTaskRow, ctx: EventContext) {
    const reminder = planReminder({ kind: "created", after: toSnapshot(row as TaskRow) }, null, ctx.now, this.newId);
    const inserted = await trx
      .insertInto("tasks")
      .values({ ...row, reminder_id: reminder.schedule?.reminderId ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
    const task = toSnapshot(inserted);
    return { result: task, events: createdEvents(task, reminder, ctx) };
  }

  /** The user's task, locked until the transaction ends, so concurrent writes to it apply one after the other. */
  private async lockTask(trx: Transaction<Tables>, userId: string, id: string): Promise<TaskRow> {
    const row = await trx
      .selectFrom("tasks")
      .selectAll()
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new TaskNotFoundError(id);
    return row;
  }

  /** A parent must be one of the user's own tasks; another user's task is reported as not existing. */
  private async requireParent(trx: Transaction<Tables>, userId: string, parentId: string): Promise<void> {
    const parent = await trx
      .selectFrom("tasks")
      .select("id")
      .where("id", "=", parentId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!parent)
      throw new InvalidInputError([{ path: "/parent_task_id", message: "must be the id of one of your tasks" }]);
  }

  private async processedRequest(db: Kysely<Tables>, eventId: string): Promise<TaskSnapshot | undefined> {
    const row = await db
      .selectFrom("processed_requests")
      .select("response")
      .where("event_id", "=", eventId)
      .executeTakeFirst();
    return row ? (row.response as TaskSnapshot) : undefined;
  }
}

function toDate(value: string | null | undefined): Date | null {
  return value === undefined || value === null ? null : new Date(value);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
