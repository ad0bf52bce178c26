// Which fields an update changed, with their old and new values: the `changes` of a task.updated event.
import type { schemas } from "@event-platform/events";

/** The fields a `task.updated` event reports, in the order the contract lists them. */
export const TRACKED_FIELDS = [
  "title",
  "description",
  "priority",
  "tags",
  "due_date",
  "reminder_offset_minutes",
  "recurrence",
  "parent_task_id",
] as const satisfies readonly (keyof schemas.TaskChanges)[];

/** The tracked fields that differ between two snapshots of a task, or undefined when none does. */
export function detectChanges(
  before: schemas.TaskSnapshot,
  after: schemas.TaskSnapshot,
): schemas.TaskChanges | undefined {
  const changes: Record<string, { old: unknown; new: unknown }> = {};
  for (const field of TRACKED_FIELDS) {
    if (!sameValue(before[field], after[field])) changes[field] = { old: before[field], new: after[field] };
  }
  return Object.keys(changes).length > 0 ? (changes as schemas.TaskChanges) : undefined;
}

// Tags are a list: a reordering is a change, since the stored list is what users see. Timestamps are compared
// as the snapshots' normalized ISO strings, so "…T17:00:00Z" and "…T17:00:00.000Z" are one value.
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}
