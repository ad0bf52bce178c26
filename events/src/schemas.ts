// JSON Schemas (TypeBox) of every event's `data`, and the TypeScript types derived from them: the mission's contract (../shared/contract), made stricter.
import Type from "typebox";

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const closed = { additionalProperties: false } as const;

/** The authenticated user's id: the JWT `sub`. Every event carries it; it is the record key. */
export const UserId = Type.String({ minLength: 1, maxLength: 255 });
export const Uuid = Type.String({ format: "uuid" });
/** An RFC 3339 timestamp with time zone. */
export const Timestamp = Type.String({ format: "date-time" });

/**
 * A task's id: a positive integer (the contract's `task_id` is a JSON integer), the database's `bigint` identity.
 * The identity is capped at `Number.MAX_SAFE_INTEGER` (2^53 - 1) so that every id is exact as a JSON number and a
 * JavaScript number.
 */
export const TaskId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const Priority = Type.Union([Type.Literal("high"), Type.Literal("medium"), Type.Literal("low")]);
export type Priority = Type.Static<typeof Priority>;

/** How a task repeats, in its time zone: `monthly` means the same day of the next calendar month (or its last day). */
export const Recurrence = Type.Union([Type.Literal("daily"), Type.Literal("weekly"), Type.Literal("monthly")]);
export type Recurrence = Type.Static<typeof Recurrence>;

export const Title = Type.String({ minLength: 1, maxLength: 200 });
export const Description = Type.String({ maxLength: 5000 });
export const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20, uniqueItems: true });
/** Minutes before the due date at which to remind (the contract's `remind_before_minutes`); at most one year. */
export const RemindBeforeMinutes = Type.Integer({ minimum: 0, maximum: 525_600 });
/**
 * An IANA time zone name (tz database), such as `America/New_York` or `UTC`. The shape only; services check that
 * the name is one their time zone database knows.
 */
export const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
});

/**
 * A task as it stands after a change, as REST and MCP answer it and as task-update events carry it
 * (`task_snapshot`): every field present, `null` where there is no value.
 */
export const TaskSnapshot = Type.Object(
  {
    task_id: TaskId,
    user_id: UserId,
    title: Title,
    description: Nullable(Description),
    priority: Priority,
    tags: Tags,
    due_date: Nullable(Timestamp),
    remind_before_minutes: Nullable(RemindBeforeMinutes),
    recurrence: Nullable(Recurrence),
    time_zone: TimeZone,
    completed: Type.Boolean(),
    completed_at: Nullable(Timestamp),
    parent_task_id: Nullable(TaskId),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  closed,
);
export type TaskSnapshot = Type.Static<typeof TaskSnapshot>;

/**
 * A task flat in an event's `data`, where the contract puts it: its fields at the top level, named as in the
 * snapshot. The contract types `description` and `due_date` as strings (no null), so a field without a value is
 * absent here rather than null; the same rule holds for the project's own fields.
 */
const taskFields = {
  task_id: TaskId,
  user_id: UserId,
  title: Title,
  description: Type.Optional(Description),
  priority: Priority,
  tags: Tags,
  completed: Type.Boolean(),
  due_date: Type.Optional(Timestamp),
  remind_before_minutes: Type.Optional(RemindBeforeMinutes),
  recurrence: Type.Optional(Recurrence),
  time_zone: TimeZone,
  completed_at: Type.Optional(Timestamp),
  parent_task_id: Type.Optional(TaskId),
  created_at: Timestamp,
  updated_at: Timestamp,
};
/** The task flat in an event's `data` (see above): `task.created`'s whole `data`, and the base of the others. */
export const TaskFields = Type.Object(taskFields, closed);
export type TaskFields = Type.Static<typeof TaskFields>;

/** The fields a task update can change, in the order the contract lists them (a `task.updated` reports these). */
export const TASK_CHANGE_FIELDS = [
  "title",
  "description",
  "priority",
  "tags",
  "due_date",
  "remind_before_minutes",
  "recurrence",
  "time_zone",
  "parent_task_id",
] as const;

/** The fields a task update can change, each with one value: the new one in `changes`, the old one in `previous`. */
export const TaskChanges = Type.Partial(Type.Pick(TaskSnapshot, [...TASK_CHANGE_FIELDS]), {
  additionalProperties: false,
  minProperties: 1,
});
export type TaskChanges = Type.Static<typeof TaskChanges>;

/** task.created: the new task, flat. */
export const TaskCreatedData = TaskFields;

/**
 * task.updated: the task after the update, flat; `changes` holds each changed field with its new value (the
 * contract's), `previous` the same fields with their old values.
 */
export const TaskUpdatedData = Type.Object({ ...taskFields, changes: TaskChanges, previous: TaskChanges }, closed);

/** task.completed: the completed task, flat; `is_recurring` tells the recurring service to create the next occurrence. */
export const TaskCompletedData = Type.Object(
  { ...taskFields, completed: Type.Literal(true), completed_at: Timestamp, is_recurring: Type.Boolean() },
  closed,
);

/** task.deleted: which task, whose, and when (the task as it was rides on task_list_changed `remove`). */
export const TaskDeletedData = Type.Object({ task_id: TaskId, user_id: UserId, deleted_at: Timestamp }, closed);

/** The contract's reminder fields; `title`, `due_at` and `remind_before_minutes` are "where known". */
const reminderFields = {
  /** One id per scheduled reminder: a rescheduled task gets a new reminder and cancels the old one. */
  reminder_id: Uuid,
  task_id: TaskId,
  user_id: UserId,
  /** When the reminder fires: `due_at` minus `remind_before_minutes`. */
  remind_at: Timestamp,
  title: Title,
  /** The task's due date (the contract names it `due_at` in reminder events). */
  due_at: Timestamp,
  remind_before_minutes: RemindBeforeMinutes,
  /** The task's time zone, to show `due_at` and `remind_at` in the user's local time. */
  time_zone: TimeZone,
};

/** reminder.scheduled: a new reminder, with every field known. */
export const ReminderScheduledData = Type.Object(reminderFields, closed);

/** reminder.triggered: the scheduled reminder, and when it fired. */
export const ReminderTriggeredData = Type.Object({ ...reminderFields, triggered_at: Timestamp }, closed);

/** Why a reminder no longer applies: its task moved, was completed or deleted, or lost its due date or minutes. */
export const ReminderCancelReason = Type.Union([
  Type.Literal("rescheduled"),
  Type.Literal("completed"),
  Type.Literal("deleted"),
  Type.Literal("removed"),
]);

/** reminder.cancelled: the reminder as it was scheduled (its `remind_at` always), and why it no longer applies. */
export const ReminderCancelledData = Type.Object(
  {
    reminder_id: reminderFields.reminder_id,
    task_id: TaskId,
    user_id: UserId,
    remind_at: Timestamp,
    title: Type.Optional(Title),
    due_at: Type.Optional(Timestamp),
    remind_before_minutes: Type.Optional(RemindBeforeMinutes),
    time_zone: Type.Optional(TimeZone),
    reason: ReminderCancelReason,
  },
  closed,
);

/** What a task-update event asks the UI to do: reload the list, add a task, update one, or remove one. */
export const TaskListAction = Type.Union([
  Type.Literal("refresh"),
  Type.Literal("add"),
  Type.Literal("update"),
  Type.Literal("remove"),
]);
export type TaskListAction = Type.Static<typeof TaskListAction>;

/** task_list_changed: one task of the user's list to add, update or remove (or the whole list to `refresh`). */
export const TaskListChangedData = Type.Object(
  {
    user_id: UserId,
    action: TaskListAction,
    task_id: TaskId,
    /** The task after the change; for `remove`, the task as it was. */
    task_snapshot: TaskSnapshot,
  },
  closed,
);

/** A task's completion status changed: always an `update` of that task. */
export const TaskStatusChangedData = Type.Object(
  {
    user_id: UserId,
    action: Type.Literal("update"),
    task_id: TaskId,
    completed: Type.Boolean(),
    task_snapshot: TaskSnapshot,
  },
  closed,
);
