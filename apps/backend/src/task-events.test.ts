// Unit tests of the events each write emits: types, order, topics, keys and data, all valid by the project's schemas and by the mission's contract.
import {
  type AnyCloudEvent,
  EVENT_TYPE_NAMES,
  taskFieldsOf,
  topicOfEvent,
  validateEvent,
} from "@event-platform/events";
import { describe, expect, it } from "vitest";
import { contractViolations } from "../../../test/support/contract";
import type { ReminderPlan } from "./reminders";
import { completedEvents, createdEvents, deletedEvents, detachedEvents, updatedEvents } from "./task-events";
import type { TaskSnapshot } from "./task-snapshot";

const ctx = { source: "/tasks/backend", now: new Date("2025-03-01T09:30:00.000Z") };
const task: TaskSnapshot = {
  task_id: 17,
  user_id: "user-1",
  title: "Write the report",
  description: null,
  priority: "medium",
  tags: [],
  due_date: "2025-03-05T17:00:00.000Z",
  remind_before_minutes: 30,
  recurrence: "weekly",
  time_zone: "Europe/Berlin",
  completed: false,
  completed_at: null,
  parent_task_id: null,
  created_at: "2025-03-01T09:30:00.000Z",
  updated_at: "2025-03-01T09:30:00.000Z",
};
const done = { ...task, completed: true, completed_at: ctx.now.toISOString() };
const OLD = "c0ffee00-1234-4abc-8def-0123456789ab";
const NEW = "c0ffee00-1234-4abc-8def-0123456789ac";
const schedule = { reminderId: NEW, remindAt: new Date("2025-03-05T16:30:00.000Z") };
const before = { ...task, due_date: "2025-03-04T17:00:00.000Z" };
const cancel = (reason: "rescheduled" | "completed" | "deleted" | "removed", was = task) => ({
  reminderId: OLD,
  remindAt: new Date(Date.parse(String(was.due_date)) - 30 * 60_000),
  reason,
  task: was,
});

const summary = (events: AnyCloudEvent[]) => events.map((e) => [e.type, topicOfEvent(e).name]);

function expectValid(events: AnyCloudEvent[]) {
  for (const event of events) {
    expect(validateEvent(event).valid).toBe(true);
    expect(contractViolations(event), event.type).toEqual([]);
    expect(event).toMatchObject({ source: "/tasks/backend", time: ctx.now.toISOString(), subject: "17" });
    expect(event.data.user_id).toBe("user-1");
    expect(event.data.task_id).toBe(17);
  }
}

describe("events per write", () => {
  it("create: task.created with the task flat, reminder.scheduled, task_list_changed add", () => {
    const events = createdEvents(task, { schedule }, ctx);
    expect(summary(events)).toEqual([
      ["com.taskmanager.task.created", "task-events"],
      ["com.taskmanager.reminder.scheduled", "reminders"],
      ["com.taskmanager.ui.task_list_changed", "task-updates"],
    ]);
    expect(events[0]?.data).toEqual(taskFieldsOf(task));
    expect(events[0]?.data).not.toHaveProperty("description");
    expect(events[1]?.data).toEqual({
      reminder_id: NEW,
      task_id: 17,
      user_id: "user-1",
      remind_at: "2025-03-05T16:30:00.000Z",
      title: task.title,
      due_at: task.due_date,
      remind_before_minutes: 30,
      time_zone: "Europe/Berlin",
    });
    expect(events[2]?.data).toEqual({ user_id: "user-1", action: "add", task_id: 17, task_snapshot: task });
    expectValid(events);
  });

  it("create without a reminder: no reminder event", () => {
    expect(summary(createdEvents(task, {}, ctx)).map(([type]) => type)).toEqual([
      "com.taskmanager.task.created",
      "com.taskmanager.ui.task_list_changed",
    ]);
  });

  it("update with a rescheduled reminder: task.updated with changes and previous, cancel before schedule, task_list_changed update", () => {
    const diff = { changes: { due_date: task.due_date }, previous: { due_date: before.due_date } };
    const events = updatedEvents(task, diff, { cancel: cancel("rescheduled", before), schedule }, ctx);
    expect(summary(events).map(([type]) => type)).toEqual([
      "com.taskmanager.task.updated",
      "com.taskmanager.reminder.cancelled",
      "com.taskmanager.reminder.scheduled",
      "com.taskmanager.ui.task_list_changed",
    ]);
    expect(events[0]?.data).toEqual({ ...taskFieldsOf(task), ...diff });
    // The cancelled reminder is described as it was scheduled: its own remind_at and due_at.
    expect(events[1]?.data).toEqual({
      reminder_id: OLD,
      task_id: 17,
      user_id: "user-1",
      remind_at: "2025-03-04T16:30:00.000Z",
      title: task.title,
      due_at: before.due_date,
      remind_before_minutes: 30,
      time_zone: "Europe/Berlin",
      reason: "rescheduled",
    });
    expect(events[3]?.data).toMatchObject({ action: "update", task_snapshot: task });
    expectValid(events);
  });

  it("complete: task.completed with is_recurring, the reminder's cancellation, task_status_changed, task_list_changed", () => {
    const events = completedEvents(done, { cancel: cancel("completed") }, ctx);
    expect(summary(events)).toEqual([
      ["com.taskmanager.task.completed", "task-events"],
      ["com.taskmanager.reminder.cancelled", "reminders"],
      ["com.taskmanager.ui.task_status_changed", "task-updates"],
      ["com.taskmanager.ui.task_list_changed", "task-updates"],
    ]);
    expect(events[0]?.data).toMatchObject({
      task_id: 17,
      completed: true,
      is_recurring: true,
      recurrence: "weekly",
      completed_at: done.completed_at,
    });
    expect(events[1]?.data).toMatchObject({ reason: "completed", remind_at: "2025-03-05T16:30:00.000Z" });
    expect(events[2]?.data).toEqual({
      user_id: "user-1",
      action: "update",
      task_id: 17,
      completed: true,
      task_snapshot: done,
    });
    expect(completedEvents({ ...done, recurrence: null }, {}, ctx)[0]?.data).toMatchObject({ is_recurring: false });
    expect(completedEvents({ ...done, recurrence: null }, {}, ctx)[0]?.data).not.toHaveProperty("recurrence");
    expectValid(events);
  });

  it("delete: task.deleted, the reminder's cancellation with its remind_at, task_list_changed remove with the task as it was", () => {
    const events = deletedEvents(task, { cancel: cancel("deleted") }, ctx);
    expect(summary(events).map(([type]) => type)).toEqual([
      "com.taskmanager.task.deleted",
      "com.taskmanager.reminder.cancelled",
      "com.taskmanager.ui.task_list_changed",
    ]);
    expect(events[0]?.data).toEqual({ task_id: 17, user_id: "user-1", deleted_at: ctx.now.toISOString() });
    expect(events[1]?.data).toMatchObject({ reason: "deleted", remind_at: "2025-03-05T16:30:00.000Z" });
    expect(events[2]?.data).toEqual({ user_id: "user-1", action: "remove", task_id: 17, task_snapshot: task });
    expectValid(events);
  });

  it("a subtask detached from its deleted parent: task.updated parent_task_id to null, task_list_changed update", () => {
    const events = detachedEvents(task, 5, ctx);
    expect(events.map((e) => e.type)).toEqual(["com.taskmanager.task.updated", "com.taskmanager.ui.task_list_changed"]);
    expect(events[0]?.data).toMatchObject({ changes: { parent_task_id: null }, previous: { parent_task_id: 5 } });
    expectValid(events);
  });

  it("every builder's every event keeps the mission's contract, for tasks with and without optional fields", () => {
    const bare: TaskSnapshot = { ...task, due_date: null, remind_before_minutes: null, recurrence: null, tags: [] };
    const full: TaskSnapshot = { ...task, description: "Details", tags: ["a", "b"], parent_task_id: 3 };
    const plans: ReminderPlan[] = [
      {},
      { schedule },
      { cancel: cancel("removed") },
      { cancel: cancel("rescheduled"), schedule },
    ];
    const emitted: AnyCloudEvent[] = [];
    for (const t of [task, bare, full]) {
      for (const plan of plans) {
        emitted.push(
          ...createdEvents(t, plan, ctx),
          ...updatedEvents(
            t,
            { changes: { title: "New", description: null }, previous: { title: "Old", description: "x" } },
            plan,
            ctx,
          ),
          ...completedEvents({ ...t, completed: true, completed_at: ctx.now.toISOString() }, plan, ctx),
          ...deletedEvents(t, plan, ctx),
          ...detachedEvents(t, 2, ctx),
        );
      }
    }
    for (const event of emitted)
      expect(contractViolations(event), `${event.type} ${JSON.stringify(event.data)}`).toEqual([]);
    // Every type the backend emits was among them (reminder.triggered is the notification service's).
    expect(new Set(emitted.map((e) => e.type))).toEqual(
      new Set(EVENT_TYPE_NAMES.filter((type) => type !== "com.taskmanager.reminder.triggered")),
    );
  });
});
