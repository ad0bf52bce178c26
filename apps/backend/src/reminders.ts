// When a task's reminder is due, and which reminder events a change of the task calls for.
import type { schemas } from "@event-platform/events";
import type Type from "typebox";

const MINUTE_MS = 60 * 1000;

/** The reminder fields of a task. */
export interface ReminderFields {
  due_date: string | null;
  reminder_offset_minutes: number | null;
  completed: boolean;
}

/**
 * When to remind: `reminder_offset_minutes` before the due date, only if both are set, the task is still
 * open and that time is still ahead of `now` (a reminder for a moment already past would fire at once).
 */
export function reminderTime(task: ReminderFields, now: Date): Date | undefined {
  if (task.completed || task.due_date === null || task.reminder_offset_minutes === null) return undefined;
  const remindAt = new Date(Date.parse(task.due_date) - task.reminder_offset_minutes * MINUTE_MS);
  return remindAt.getTime() > now.getTime() ? remindAt : undefined;
}

export type ReminderCancelReason = Type.Static<typeof schemas.ReminderCancelReason>;

/** What to do with a task's reminder: cancel the active one, schedule a new one, or both (in that order). */
export interface ReminderPlan {
  cancel?: { reminderId: string; reason: ReminderCancelReason };
  schedule?: { reminderId: string; remindAt: Date };
}

export type TaskChange =
  | { kind: "created"; after: ReminderFields }
  | { kind: "updated"; before: ReminderFields; after: ReminderFields }
  | { kind: "completed" }
  | { kind: "deleted" };

/**
 * Decides the reminder events of a write. A new or rescheduled task gets a fresh reminder id; an update that
 * does not touch the due date or the offset leaves the reminder alone; completing or deleting cancels it.
 */
export function planReminder(
  change: TaskChange,
  activeReminderId: string | null,
  now: Date,
  newReminderId: () => string,
): ReminderPlan {
  const cancel = (reason: ReminderCancelReason): ReminderPlan["cancel"] =>
    activeReminderId === null ? undefined : { reminderId: activeReminderId, reason };
  const schedule = (task: ReminderFields): ReminderPlan["schedule"] => {
    const remindAt = reminderTime(task, now);
    return remindAt ? { reminderId: newReminderId(), remindAt } : undefined;
  };
  switch (change.kind) {
    case "created":
      return definedOnly({ schedule: schedule(change.after) });
    case "updated": {
      const { before, after } = change;
      if (before.due_date === after.due_date && before.reminder_offset_minutes === after.reminder_offset_minutes) {
        return {};
      }
      const next = schedule(after);
      return definedOnly({ cancel: cancel(next ? "rescheduled" : "removed"), schedule: next });
    }
    case "completed":
      return definedOnly({ cancel: cancel("completed") });
    case "deleted":
      return definedOnly({ cancel: cancel("deleted") });
  }
}

function definedOnly(plan: ReminderPlan): ReminderPlan {
  return Object.fromEntries(Object.entries(plan).filter(([, value]) => value !== undefined));
}
