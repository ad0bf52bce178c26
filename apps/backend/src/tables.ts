// The database tables as Kysely sees them: one interface per table, matching the migrations.
import type { schemas } from "@event-platform/events";
import type { OutboxTables } from "@event-platform/service-kit";
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/**
 * A task id column: PostgreSQL `bigint`, which node-postgres and PGlite return as a decimal string (see
 * `taskIdOf`); written as a number.
 */
type TaskIdColumn<Null extends null = never> = ColumnType<string | Null, number | Null, number | Null>;

export interface TasksTable {
  /** `bigint GENERATED ALWAYS AS IDENTITY`, capped at Number.MAX_SAFE_INTEGER: never written by the service. */
  id: ColumnType<string, never, never>;
  user_id: string;
  title: string;
  description: string | null;
  priority: schemas.Priority;
  tags: string[];
  due_date: Date | null;
  remind_before_minutes: number | null;
  recurrence: schemas.Recurrence | null;
  /** The task's IANA time zone, in its canonical spelling; recurrence and the monthly anchor day are computed in it. */
  time_zone: string;
  completed: boolean;
  completed_at: Date | null;
  /** One of the same user's tasks (a foreign key on `(user_id, parent_task_id)`); set to null when that task is deleted. */
  parent_task_id: TaskIdColumn<null>;
  /** The reminder currently scheduled for this task, so that a change or completion can cancel it by id. */
  reminder_id: string | null;
  /** When that reminder fires, as it was scheduled: the cancellation's `remind_at`. Set exactly when `reminder_id` is. */
  reminder_at: Date | null;
  /**
   * The day of the month a monthly task falls on, in its time zone, taken from the due date the user last set: a
   * task due on the 31st recurs on the 31st where a month has one, not on the 28th for ever after February.
   */
  monthly_anchor_day: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface ProcessedRequestsTable {
  /** The owner of the source task: a request is only ever matched within one user. */
  user_id: string;
  /** The completed task the next occurrence was asked for. */
  source_task_id: TaskIdColumn;
  /** The `task.completed` event id the request was made for. */
  event_id: string;
  /** The next occurrence created (it may since have been changed or deleted). */
  task_id: TaskIdColumn;
  /** The answer given the first time, replayed for a repeated request. */
  response: ColumnType<unknown, string, never>;
  created_at: Generated<Date>;
}

export interface Tables extends OutboxTables {
  tasks: TasksTable;
  processed_requests: ProcessedRequestsTable;
}

export type TaskRow = Selectable<TasksTable>;
export type NewTaskRow = Insertable<TasksTable>;
