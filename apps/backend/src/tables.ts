// The database tables as Kysely sees them: one interface per table, matching the migrations.
import type { schemas } from "@event-platform/events";
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

export interface TasksTable {
  id: string;
  user_id: string;
  title: string;
  description: string | null;
  priority: schemas.Priority;
  tags: string[];
  due_date: Date | null;
  reminder_offset_minutes: number | null;
  recurrence: schemas.Recurrence | null;
  completed: boolean;
  completed_at: Date | null;
  parent_task_id: string | null;
  /** The reminder currently scheduled for this task, so that a change or completion can cancel it by id. */
  reminder_id: string | null;
  /**
   * The day of the month a monthly task falls on, taken from the due date the user last set: a task due on the
   * 31st recurs on the 31st where a month has one, not on the 28th for ever after February.
   */
  monthly_anchor_day: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface OutboxTable {
  /** Identity column: publishing in id order keeps each user's events in commit order (see task-service.ts). */
  id: Generated<string>;
  /** The CloudEvent exactly as it is published; `json`, not `jsonb`, so its text is kept as written. */
  event: ColumnType<unknown, string, never>;
  topic: string;
  partition_key: string;
  created_at: Generated<Date>;
  published_at: Date | null;
  /** How many times the relay published this row: 1 once published; more would mean a duplicate. */
  publish_count: Generated<number>;
}

export interface ProcessedRequestsTable {
  /** The `task.completed` event id a next-occurrence request was made for. */
  event_id: string;
  task_id: string;
  /** The answer given the first time, replayed for a repeated request. */
  response: ColumnType<unknown, string, never>;
  created_at: Generated<Date>;
}

export interface Tables {
  tasks: TasksTable;
  outbox: OutboxTable;
  processed_requests: ProcessedRequestsTable;
}

export type TaskRow = Selectable<TasksTable>;
export type NewTaskRow = Insertable<TasksTable>;
