// The events each kind of write emits, built with the contract's builders; the outbox stores them in this order.
import { type AnyCloudEvent, buildEvent, type schemas } from "@event-platform/events";
import type { ReminderPlan } from "./reminders";
import type { TaskSnapshot } from "./task-snapshot";

/** Who emits the events (`eventSource(appId)`) and when the write happened. */
export interface EventContext {
  source: string;
  now: Date;
}

const options = (ctx: EventContext, task: { id: string }) => ({ source: ctx.source, time: ctx.now, subject: task.id });

/** task.created, the new task's reminder, task_list_changed. */
export function createdEvents(task: TaskSnapshot, reminder: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  return [
    buildEvent("com.taskmanager.task.created", { task_id: task.id, user_id: task.user_id, task }, options(ctx, task)),
    ...reminderEvents(task, reminder, ctx),
    listChanged(task, "created", ctx),
  ];
}

/** task.updated with the changed fields, a rescheduled reminder if the due date or offset moved, task_list_changed. */
export function updatedEvents(
  task: TaskSnapshot,
  changes: schemas.TaskChanges,
  reminder: ReminderPlan,
  ctx: EventContext,
): AnyCloudEvent[] {
  return [
    buildEvent(
      "com.taskmanager.task.updated",
      { task_id: task.id, user_id: task.user_id, changes, task },
      options(ctx, task),
    ),
    ...reminderEvents(task, reminder, ctx),
    listChanged(task, "updated", ctx),
  ];
}

/**
 * task.completed (`is_recurring` tells the recurring service to create the next occurrence), the reminder's
 * cancellation, task_status_changed for status views and task_list_changed for list views.
 */
export function completedEvents(task: TaskSnapshot, reminder: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  return [
    buildEvent(
      "com.taskmanager.task.completed",
      {
        task_id: task.id,
        user_id: task.user_id,
        completed_at: task.completed_at ?? ctx.now.toISOString(),
        is_recurring: task.recurrence !== null,
        recurrence: task.recurrence,
        task,
      },
      options(ctx, task),
    ),
    ...reminderEvents(task, reminder, ctx),
    buildEvent(
      "com.taskmanager.ui.task_status_changed",
      { user_id: task.user_id, task_id: task.id, completed: task.completed, task_snapshot: task },
      options(ctx, task),
    ),
    listChanged(task, "completed", ctx),
  ];
}

/** task.deleted, the reminder's cancellation, task_list_changed without a snapshot. */
export function deletedEvents(task: TaskSnapshot, reminder: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  return [
    buildEvent(
      "com.taskmanager.task.deleted",
      { task_id: task.id, user_id: task.user_id, deleted_at: ctx.now.toISOString() },
      options(ctx, task),
    ),
    ...reminderEvents(task, reminder, ctx),
    buildEvent(
      "com.taskmanager.ui.task_list_changed",
      { user_id: task.user_id, task_id: task.id, change: "deleted", task_snapshot: null },
      options(ctx, task),
    ),
  ];
}

function listChanged(task: TaskSnapshot, change: "created" | "updated" | "completed", ctx: EventContext) {
  return buildEvent(
    "com.taskmanager.ui.task_list_changed",
    { user_id: task.user_id, task_id: task.id, change, task_snapshot: task },
    options(ctx, task),
  );
}

/** The cancellation of the old reminder first, then the new one, so a consumer never holds two for a task. */
function reminderEvents(task: TaskSnapshot, plan: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  const events: AnyCloudEvent[] = [];
  if (plan.cancel) {
    events.push(
      buildEvent(
        "com.taskmanager.reminder.cancelled",
        { reminder_id: plan.cancel.reminderId, task_id: task.id, user_id: task.user_id, reason: plan.cancel.reason },
        options(ctx, task),
      ),
    );
  }
  if (plan.schedule && task.due_date !== null) {
    events.push(
      buildEvent(
        "com.taskmanager.reminder.scheduled",
        {
          reminder_id: plan.schedule.reminderId,
          task_id: task.id,
          user_id: task.user_id,
          title: task.title,
          due_date: task.due_date,
          remind_at: plan.schedule.remindAt.toISOString(),
        },
        options(ctx, task),
      ),
    );
  }
  return events;
}
