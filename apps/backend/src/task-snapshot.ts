// A task row as the API and the events show it: the contract's TaskSnapshot, ids as JSON numbers, timestamps as ISO strings.
import type { schemas } from "@event-platform/events";
import type { TaskRow } from "./tables";

export type TaskSnapshot = schemas.TaskSnapshot;

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

/**
 * A task id as PostgreSQL returns a `bigint` (node-postgres and PGlite both give int8 as a decimal string) turned
 * into a JSON number. The identity column stops at Number.MAX_SAFE_INTEGER (migration 0003), so the conversion is
 * exact; a value past it would mean a broken invariant and throws rather than answer a rounded id.
 */
export function taskIdOf(value: string | number | bigint): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || String(id) !== String(value)) {
    throw new RangeError(`Task id ${String(value)} is not a safe integer`);
  }
  return id;
}

/** The snapshot of a row; internal columns (the active reminder, the monthly anchor day) stay out of it. */
export function toSnapshot(row: TaskRow): TaskSnapshot {
  return {
    task_id: taskIdOf(row.id),
    user_id: row.user_id,
    title: row.title,
    description: row.description,
    priority: row.priority,
    tags: [...row.tags],
    due_date: iso(row.due_date),
    remind_before_minutes: row.remind_before_minutes,
    recurrence: row.recurrence,
    time_zone: row.time_zone,
    completed: row.completed,
    completed_at: iso(row.completed_at),
    parent_task_id: row.parent_task_id === null ? null : taskIdOf(row.parent_task_id),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
