// Which fields an update changed: the `changes` (new values) and `previous` (old values) of a task.updated event.
import { schemas } from "@event-platform/events";

/** The fields a `task.updated` event reports, in the order the contract lists them (the events catalog's list). */
export const TRACKED_FIELDS = schemas.TASK_CHANGE_FIELDS;

/** The changed fields with their new values (`changes`, the contract's) and with their old ones (`previous`). */
export interface TaskDiff {
  changes: schemas.TaskChanges;
  previous: schemas.TaskChanges;
}

/** The tracked fields that differ between two snapshots of a task, or undefined when none does. */
export function detectChanges(before: schemas.TaskSnapshot, after: schemas.TaskSnapshot): TaskDiff | undefined {
  const changes: Record<string, unknown> = {};
  const previous: Record<string, unknown> = {};
  for (const field of TRACKED_FIELDS) {
    if (!sameValue(before[field], after[field])) {
      changes[field] = after[field];
      previous[field] = before[field];
    }
  }
  return Object.keys(changes).length > 0
    ? { changes: changes as schemas.TaskChanges, previous: previous as schemas.TaskChanges }
    : undefined;
}

// Tags are a list: a reordering is a change, since the stored list is what users see. Timestamps are compared
// as the snapshots' normalized ISO strings, so "…T17:00:00Z" and "…T17:00:00.000Z" are one value.
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}
