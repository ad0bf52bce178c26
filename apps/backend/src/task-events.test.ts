// Unit tests of the events each write emits: types, order, topics, keys and data, all valid by the contract.
import { type AnyCloudEvent, topicOfEvent, validateEvent } from "@event-platform/events";
import { describe, expect, it } from "vitest";
import { completedEvents, createdEvents, deletedEvents, updatedEvents } from "./task-events";
import type { TaskSnapshot } from "./task-snapshot";

const ctx = { source: "/tasks/backend", now: new Date("2025-03-01T09:30:00.000Z") };
const task: TaskSnapshot = {
  id: "3f1c2a4e-8b7d-4c6a-9e21-5d0b7a9c1f34",
  user_id: "user-1",
  title: "Write the report",
  description: null,
  priority: "medium",
  tags: [],
  due_date: "2025-03-05T17:00:00.000Z",
  reminder_offset_minutes: 30,
  recurrence: "weekly",
  completed: false,
  completed_at: null,
  parent_task_id: null,
  created_at: "2025-03-01T09:30:00.000Z",
  updated_at: "2025-03-01T09:30:00.000Z",
};
const OLD = "c0ffee00-1234-4abc-8def-0123456789ab";
const NEW = "c0ffee00-1234-4abc-8def-0123456789ac";
const schedule = { reminderId: NEW, remindAt: new Date("2025-03-05T16:30:00.000Z") };

const summary = (events: AnyCloudEvent[]) => events.map((e) => [e.type, topicOfEvent(e).name]);

function expectValid(events: AnyCloudEvent[]) {
  for (const event of events) {
    expect(validateEvent(event).valid).toBe(true);
    expect(event).toMatchObject({ source: "/tasks/backend", time: ctx.now.toISOString(), subject: task.id });
    expect(event.data.user_id).toBe("user-1");
  }
}

describe("events per write", () => {
  it("create: task.created, reminder.scheduled, task_list_changed", () => {
    const events = createdEvents(task, { schedule }, ctx);
    expect(summary(events)).toEqual([
      ["com.taskmanager.task.created", "task-events"],
      ["com.taskmanager.reminder.scheduled", "reminders"],
      ["com.taskmanager.ui.task_list_changed", "task-updates"],
    ]);
    expect(events[1]?.data).toEqual({
      reminder_id: NEW,
      task_id: task.id,
      user_id: "user-1",
      title: task.title,
      due_date: task.due_date,
      remind_at: "2025-03-05T16:30:00.000Z",
    });
    expect(events[2]?.data).toEqual({ user_id: "user-1", task_id: task.id, change: "created", task_snapshot: task });
    expectValid(events);
  });

  it("create without a reminder: no reminder event", () => {
    expect(summary(createdEvents(task, {}, ctx)).map(([type]) => type)).toEqual([
      "com.taskmanager.task.created",
      "com.taskmanager.ui.task_list_changed",
    ]);
  });

  it("update with a rescheduled reminder: task.updated with changes, cancel before schedule, task_list_changed", () => {
    const changes = { due_date: { old: "2025-03-04T17:00:00.000Z", new: task.due_date } };
    const events = updatedEvents(task, changes, { cancel: { reminderId: OLD, reason: "rescheduled" }, schedule }, ctx);
    expect(summary(events).map(([type]) => type)).toEqual([
      "com.taskmanager.task.updated",
      "com.taskmanager.reminder.cancelled",
      "com.taskmanager.reminder.scheduled",
      "com.taskmanager.ui.task_list_changed",
    ]);
    expect(events[0]?.data).toMatchObject({ changes, task });
    expect(events[1]?.data).toEqual({ reminder_id: OLD, task_id: task.id, user_id: "user-1", reason: "rescheduled" });
    expectValid(events);
  });

  it("complete: task.completed with is_recurring, the reminder's cancellation, task_status_changed, task_list_changed", () => {
    const done = { ...task, completed: true, completed_at: ctx.now.toISOString() };
    const events = completedEvents(done, { cancel: { reminderId: OLD, reason: "completed" } }, ctx);
    expect(summary(events)).toEqual([
      ["com.taskmanager.task.completed", "task-events"],
      ["com.taskmanager.reminder.cancelled", "reminders"],
      ["com.taskmanager.ui.task_status_changed", "task-updates"],
      ["com.taskmanager.ui.task_list_changed", "task-updates"],
    ]);
    expect(events[0]?.data).toMatchObject({
      is_recurring: true,
      recurrence: "weekly",
      completed_at: done.completed_at,
    });
    expect(events[2]?.data).toEqual({ user_id: "user-1", task_id: task.id, completed: true, task_snapshot: done });
    expect(completedEvents({ ...done, recurrence: null }, {}, ctx)[0]?.data).toMatchObject({
      is_recurring: false,
      recurrence: null,
    });
    expectValid(events);
  });

  it("delete: task.deleted, the reminder's cancellation, task_list_changed without a snapshot", () => {
    const events = deletedEvents(task, { cancel: { reminderId: OLD, reason: "deleted" } }, ctx);
    expect(summary(events).map(([type]) => type)).toEqual([
      "com.taskmanager.task.deleted",
      "com.taskmanager.reminder.cancelled",
      "com.taskmanager.ui.task_list_changed",
    ]);
    expect(events[0]?.data).toEqual({ task_id: task.id, user_id: "user-1", deleted_at: ctx.now.toISOString() });
    expect(events[2]?.data).toEqual({ user_id: "user-1", task_id: task.id, change: "deleted", task_snapshot: null });
    expectValid(events);
  });
});
