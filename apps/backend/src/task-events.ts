// The events each kind of write emits, built with the contract's builders; the outbox stores them in this order.
import { type AnyCloudEvent, buildEvent, type schemas, taskFieldsOf } from "@event-platform/events";
import type { TaskDiff } from "./changes";
import type { ReminderPlan } from "./reminders";
import type { TaskSnapshot } from "./task-snapshot";

/** Who emits the events (`eventSource(appId)`) and when the write happened. */
export interface EventContext {
  source: string;
  now: Date;
}

const options = (ctx: EventContext, task: { task_id: number }) => ({
  source: ctx.source,
  time: ctx.now,
  subject: String(task.task_id),
});

/** task.created (the task flat in `data`), the new task's reminder, task_list_changed `add`. */
export function createdEvents(task: TaskSnapshot, reminder: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  return [
    buildEvent("com.taskmanager.task.created", taskFieldsOf(task), options(ctx, task)),
    ...reminderEvents(task, reminder, ctx),
    listChanged(task, "add", ctx),
  ];
}

/**
 * task.updated with the changed fields (`changes`: new values; `previous`: old ones), a rescheduled reminder if
 * the due date or the minutes before it moved, task_list_changed `update`.
 */
export function updatedEvents(
  task: TaskSnapshot,
  diff: TaskDiff,
  reminder: ReminderPlan,
  ctx: EventContext,
): AnyCloudEvent[] {
  return [
    buildEvent(
      "com.taskmanager.task.updated",
      { ...taskFieldsOf(task), changes: diff.changes, previous: diff.previous },
      options(ctx, task),
    ),
    ...reminderEvents(task, reminder, ctx),
    listChanged(task, "update", ctx),
  ];
}

/**
 * task.completed (`is_recurring` tells the recurring service to create the next occurrence), the reminder's
 * cancellation, task_status_changed for status views and task_list_changed `update` for list views.
 */
export function completedEvents(task: TaskSnapshot, reminder: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  return [
    buildEvent(
      "com.taskmanager.task.completed",
      {
        ...taskFieldsOf(task),
        completed: true,
        completed_at: task.completed_at ?? ctx.now.toISOString(),
        is_recurring: task.recurrence !== null,
      },
      options(ctx, task),
    ),
    ...reminderEvents(task, reminder, ctx),
    buildEvent(
      "com.taskmanager.ui.task_status_changed",
      { user_id: task.user_id, action: "update", task_id: task.task_id, completed: true, task_snapshot: task },
      options(ctx, task),
    ),
    listChanged(task, "update", ctx),
  ];
}

/** task.deleted, the reminder's cancellation, task_list_changed `remove` with the task as it was. */
export function deletedEvents(task: TaskSnapshot, reminder: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  return [
    buildEvent(
      "com.taskmanager.task.deleted",
      { task_id: task.task_id, user_id: task.user_id, deleted_at: ctx.now.toISOString() },
      options(ctx, task),
    ),
    ...reminderEvents(task, reminder, ctx),
    listChanged(task, "remove", ctx),
  ];
}

/** A subtask detached from its deleted parent: task.updated (`parent_task_id` to null) and task_list_changed `update`. */
export function detachedEvents(child: TaskSnapshot, parentId: number, ctx: EventContext): AnyCloudEvent[] {
  return updatedEvents(child, { changes: { parent_task_id: null }, previous: { parent_task_id: parentId } }, {}, ctx);
}

function listChanged(task: TaskSnapshot, action: schemas.TaskListAction, ctx: EventContext) {
  return buildEvent(
    "com.taskmanager.ui.task_list_changed",
    { user_id: task.user_id, action, task_id: task.task_id, task_snapshot: task },
    options(ctx, task),
  );
}

/** The cancellation of the old reminder first, then the new one, so a consumer never holds two for a task. */
function reminderEvents(task: TaskSnapshot, plan: ReminderPlan, ctx: EventContext): AnyCloudEvent[] {
  const events: AnyCloudEvent[] = [];
  if (plan.cancel) {
    // The reminder as it was scheduled: its own time, and the task's fields from when it was current.
    const was = plan.cancel.task;
    events.push(
      buildEvent(
        "com.taskmanager.reminder.cancelled",
        {
          reminder_id: plan.cancel.reminderId,
          task_id: task.task_id,
          user_id: task.user_id,
          remind_at: plan.cancel.remindAt.toISOString(),
          title: was.title,
          ...(was.due_date === null ? {} : { due_at: was.due_date }),
          ...(was.remind_before_minutes === null ? {} : { remind_before_minutes: was.remind_before_minutes }),
          time_zone: was.time_zone,
          reason: plan.cancel.reason,
        },
        options(ctx, task),
      ),
    );
  }
  if (plan.schedule && task.due_date !== null && task.remind_before_minutes !== null) {
    events.push(
      buildEvent(
        "com.taskmanager.reminder.scheduled",
        {
          reminder_id: plan.schedule.reminderId,
          task_id: task.task_id,
          user_id: task.user_id,
          remind_at: plan.schedule.remindAt.toISOString(),
          title: task.title,
          due_at: task.due_date,
          remind_before_minutes: task.remind_before_minutes,
          time_zone: task.time_zone,
        },
        options(ctx, task),
      ),
    );
  }
  return events;
}
