// A task row as the API and the events show it: the contract's TaskSnapshot, timestamps as ISO strings.
import type { schemas } from "@event-platform/events";
import type { TaskRow } from "./tables";

export type TaskSnapshot = schemas.TaskSnapshot;

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

/** The snapshot of a row; internal columns (the active reminder id) stay out of it. */
export function toSnapshot(row: TaskRow): TaskSnapshot {
  return {
    id: row.id,
    user_id: row.user_id,
    title: row.title,
    description: row.description,
    priority: row.priority,
    tags: [...row.tags],
    due_date: iso(row.due_date),
    reminder_offset_minutes: row.reminder_offset_minutes,
    recurrence: row.recurrence,
    completed: row.completed,
    completed_at: iso(row.completed_at),
    parent_task_id: row.parent_task_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
