// Test fixtures of the event contract: one valid `data` per event type, and the variants the schemas allow.
import { type EventData, type EventType, type schemas, taskFieldsOf } from "../src/index";

export const SOURCE = "/tasks/backend";
export const USER_ID = "auth0|user-42";
export const TASK_ID = 42;
export const PARENT_TASK_ID = 7;
export const REMINDER_ID = "c0ffee00-1234-4abc-8def-0123456789ab";
export const EVENT_ID = "5b6c7d8e-9f01-4234-a567-89abcdef0123";
export const EVENT_TIME = "2025-03-01T09:30:00.000Z";
export const CREATED_AT = "2025-02-27T08:00:00.000Z";
export const DUE_DATE = "2025-03-05T17:00:00.000Z";

export function taskSnapshot(overrides: Partial<schemas.TaskSnapshot> = {}): schemas.TaskSnapshot {
  return {
    task_id: TASK_ID,
    user_id: USER_ID,
    title: "Write the quarterly report",
    description: "Numbers for Q1, with the charts.",
    priority: "high",
    tags: ["work", "reports"],
    due_date: DUE_DATE,
    remind_before_minutes: 30,
    recurrence: null,
    time_zone: "Europe/Berlin",
    completed: false,
    completed_at: null,
    parent_task_id: null,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
  };
}

export const completedSnapshot = () =>
  taskSnapshot({
    completed: true,
    completed_at: EVENT_TIME,
    recurrence: "weekly",
    parent_task_id: PARENT_TASK_ID,
    updated_at: EVENT_TIME,
  });

export const reminderFields = () => ({
  reminder_id: REMINDER_ID,
  task_id: TASK_ID,
  user_id: USER_ID,
  remind_at: "2025-03-05T16:30:00.000Z",
  title: "Write the quarterly report",
  due_at: DUE_DATE,
  remind_before_minutes: 30,
  time_zone: "Europe/Berlin",
});

const SAMPLE_DATA: { [T in EventType]: () => EventData<T> } = {
  "com.taskmanager.task.created": () => taskFieldsOf(taskSnapshot()),
  "com.taskmanager.task.updated": () => ({
    ...taskFieldsOf(taskSnapshot({ updated_at: EVENT_TIME })),
    changes: { title: "Write the quarterly report", description: "Numbers for Q1, with the charts.", priority: "high" },
    previous: { title: "Write report", description: null, priority: "medium" },
  }),
  "com.taskmanager.task.completed": () => ({
    ...taskFieldsOf(completedSnapshot()),
    completed: true,
    completed_at: EVENT_TIME,
    is_recurring: true,
  }),
  "com.taskmanager.task.deleted": () => ({ task_id: TASK_ID, user_id: USER_ID, deleted_at: EVENT_TIME }),
  "com.taskmanager.reminder.scheduled": () => reminderFields(),
  "com.taskmanager.reminder.triggered": () => ({ ...reminderFields(), triggered_at: "2025-03-05T16:30:01.000Z" }),
  "com.taskmanager.reminder.cancelled": () => ({ ...reminderFields(), reason: "rescheduled" }),
  "com.taskmanager.ui.task_list_changed": () => ({
    user_id: USER_ID,
    action: "add",
    task_id: TASK_ID,
    task_snapshot: taskSnapshot(),
  }),
  "com.taskmanager.ui.task_status_changed": () => ({
    user_id: USER_ID,
    action: "update",
    task_id: TASK_ID,
    completed: true,
    task_snapshot: completedSnapshot(),
  }),
};

/** The event types the fixtures cover, in their order (the catalog's, checked by a test). */
export const SAMPLE_TYPES = Object.keys(SAMPLE_DATA) as EventType[];

/** A fresh valid `data` of an event type. */
export function sampleData<T extends EventType>(type: T): EventData<T> {
  return SAMPLE_DATA[type]();
}

/** Valid variants: absent optional fields, empty lists, nulls in snapshots and changes, every action. */
export function variantData(): { [T in EventType]?: EventData<T>[] } {
  const bare = taskSnapshot({ description: null, due_date: null, remind_before_minutes: null, tags: [] });
  return {
    "com.taskmanager.task.created": [taskFieldsOf(bare)],
    "com.taskmanager.task.updated": [
      {
        ...taskFieldsOf(bare),
        changes: { due_date: null, remind_before_minutes: null, parent_task_id: null },
        previous: { due_date: DUE_DATE, remind_before_minutes: 30, parent_task_id: PARENT_TASK_ID },
      },
      { ...taskFieldsOf(bare), changes: { time_zone: "UTC" }, previous: { time_zone: "Europe/Berlin" } },
    ],
    "com.taskmanager.task.completed": [
      { ...taskFieldsOf(bare), completed: true, completed_at: EVENT_TIME, is_recurring: false },
    ],
    "com.taskmanager.reminder.cancelled": [
      { reminder_id: REMINDER_ID, task_id: TASK_ID, user_id: USER_ID, remind_at: EVENT_TIME, reason: "deleted" },
    ],
    "com.taskmanager.ui.task_list_changed": (["refresh", "update", "remove"] as const).map((action) => ({
      user_id: USER_ID,
      action,
      task_id: TASK_ID,
      task_snapshot: bare,
    })),
  };
}
