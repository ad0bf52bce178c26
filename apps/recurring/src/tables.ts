// The recurring service's tables as Kysely sees them: one interface per table, matching the migrations.
import type { ProcessedEventsTables } from "@event-platform/service-kit";
import type { ColumnType, Generated } from "kysely";

/** A task id column: PostgreSQL `bigint`, which node-postgres and PGlite return as a decimal string; written as a number. */
type TaskIdColumn = ColumnType<string, number, never>;

/** Which next occurrence each handled `task.completed` event produced: one row per event, never changed. */
export interface NextOccurrencesTable {
  /** The completion event's `processed_events` key (kit `processedEventKey` of its `source` and `id`). */
  event_key: string;
  /** The event's `data.user_id`: the owner of both tasks. */
  user_id: string;
  /** The completed task (`data.task_id`). */
  task_id: TaskIdColumn;
  /** The task the backend created as its next occurrence. */
  next_task_id: TaskIdColumn;
  /** False when the backend answered 200: it had created that task for an earlier request for this task. */
  created: boolean;
  recorded_at: Generated<Date>;
}

export interface Tables extends ProcessedEventsTables {
  next_occurrences: NextOccurrencesTable;
}
