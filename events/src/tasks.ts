// How a task appears in an event's `data`: the contract's flat shape, from the snapshot that REST answers and task-update events carry.
import type { TaskFields, TaskSnapshot } from "./schemas";

/**
 * The task's fields flat, as task events carry them: each field of the snapshot under its own name, and a field
 * whose value is `null` left out (the contract types `description` and `due_date` as strings, never null).
 */
export function taskFieldsOf(task: TaskSnapshot): TaskFields {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(task)) {
    if (value !== null) fields[name] = Array.isArray(value) ? [...value] : value;
  }
  return fields as TaskFields;
}
