// When a task's reminder is due, and which reminder events a change of the task calls for.
import type { schemas } from "@event-platform/events";
import { Temporal } from "temporal-polyfill";
import type Type from "typebox";

/** The fields of a task a reminder is made of. */
export interface ReminderFields {
  title: string;
  due_date: string | null;
  remind_before_minutes: number | null;
  time_zone: string;
  completed: boolean;
}

/**
 * `remind_before_minutes` before the due date: an exact duration before an instant (Temporal), the same in every
 * time zone, so a reminder 60 minutes ahead stays 60 minutes ahead across a daylight saving change.
 */
export function remindAt(dueDate: string, remindBeforeMinutes: number): Date {
  return new Date(Temporal.Instant.from(dueDate).subtract({ minutes: remindBeforeMinutes }).epochMilliseconds);
}

/**
 * When to remind: `remind_before_minutes` before the due date, only if both are set, the task is still open and
 * that time is still ahead of `now` (a reminder for a moment already past would fire at once).
 */
export function reminderTime(task: ReminderFields, now: Date): Date | undefined {
  if (task.completed || task.due_date === null || task.remind_before_minutes === null) return undefined;
  const at = remindAt(task.due_date, task.remind_before_minutes);
  return at.getTime() > now.getTime() ? at : undefined;
}

export type ReminderCancelReason = Type.Static<typeof schemas.ReminderCancelReason>;

/** The reminder a task has scheduled, as the task row keeps it. */
export interface ActiveReminder {
  reminderId: string;
  remindAt: Date;
}

/**
 * What to do with a task's reminder: cancel the active one (with the task as it was when the reminder was
 * current, for the event's fields), schedule a new one, or both (in that order).
 */
export interface ReminderPlan {
  cancel?: ActiveReminder & { reason: ReminderCancelReason; task: ReminderFields };
  schedule?: ActiveReminder;
}

export type TaskChange =
  | { kind: "created"; after: ReminderFields }
  | { kind: "updated"; before: ReminderFields; after: ReminderFields }
  | { kind: "completed"; before: ReminderFields }
  | { kind: "deleted"; before: ReminderFields };

/**
 * Decides the reminder events of a write. A new or rescheduled task gets a fresh reminder id; an update that
 * does not touch the due date or the minutes before it leaves the reminder alone; completing or deleting cancels it.
 */
export function planReminder(
  change: TaskChange,
  active: ActiveReminder | null,
  now: Date,
  newReminderId: () => string,
): ReminderPlan {
  const cancel = (reason: ReminderCancelReason, task: ReminderFields): ReminderPlan["cancel"] =>
    active === null ? undefined : { ...active, reason, task };
  const schedule = (task: ReminderFields): ReminderPlan["schedule"] => {
    const at = reminderTime(task, now);
    return at ? { reminderId: newReminderId(), remindAt: at } : undefined;
  };
  switch (change.kind) {
    case "created":
      return definedOnly({ schedule: schedule(change.after) });
    case "updated": {
      const { before, after } = change;
      if (before.due_date === after.due_date && before.remind_before_minutes === after.remind_before_minutes) {
        return {};
      }
      const next = schedule(after);
      return definedOnly({ cancel: cancel(next ? "rescheduled" : "removed", before), schedule: next });
    }
    case "completed":
      return definedOnly({ cancel: cancel("completed", change.before) });
    case "deleted":
      return definedOnly({ cancel: cancel("deleted", change.before) });
  }
}

function definedOnly(plan: ReminderPlan): ReminderPlan {
  return Object.fromEntries(Object.entries(plan).filter(([, value]) => value !== undefined));
}
