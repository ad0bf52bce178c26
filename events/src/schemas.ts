// JSON Schemas (TypeBox) of every event's `data`, and the TypeScript types derived from them.
import Type from "typebox";

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The authenticated user's id: the JWT `sub`. Every event carries it; it is the record key. */
export const UserId = Type.String({ minLength: 1, maxLength: 255 });
export const Uuid = Type.String({ format: "uuid" });
/** An RFC 3339 timestamp with time zone. */
export const Timestamp = Type.String({ format: "date-time" });

export const Priority = Type.Union([Type.Literal("high"), Type.Literal("medium"), Type.Literal("low")]);
export type Priority = Type.Static<typeof Priority>;

/** How a task repeats; `monthly` means the same day of the next calendar month. */
export const Recurrence = Type.Union([Type.Literal("daily"), Type.Literal("weekly"), Type.Literal("monthly")]);
export type Recurrence = Type.Static<typeof Recurrence>;

export const Title = Type.String({ minLength: 1, maxLength: 200 });
export const Description = Type.String({ maxLength: 5000 });
export const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20, uniqueItems: true });
/** Minutes before the due date at which to remind; at most one year. */
export const ReminderOffsetMinutes = Type.Integer({ minimum: 0, maximum: 525_600 });

/** A task as it stands after a change: what consumers render and act on without calling back. */
export const TaskSnapshot = Type.Object(
  {
    id: Uuid,
    user_id: UserId,
    title: Title,
    description: Nullable(Description),
    priority: Priority,
    tags: Tags,
    due_date: Nullable(Timestamp),
    reminder_offset_minutes: Nullable(ReminderOffsetMinutes),
    recurrence: Nullable(Recurrence),
    completed: Type.Boolean(),
    completed_at: Nullable(Timestamp),
    parent_task_id: Nullable(Uuid),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);
export type TaskSnapshot = Type.Static<typeof TaskSnapshot>;

const change = <T extends Type.TSchema>(schema: T) =>
  Type.Object({ old: schema, new: schema }, { additionalProperties: false });

/** The fields a task update changed, each with its value before and after. */
export const TaskChanges = Type.Partial(
  Type.Object({
    title: change(Title),
    description: change(Nullable(Description)),
    priority: change(Priority),
    tags: change(Tags),
    due_date: change(Nullable(Timestamp)),
    reminder_offset_minutes: change(Nullable(ReminderOffsetMinutes)),
    recurrence: change(Nullable(Recurrence)),
    parent_task_id: change(Nullable(Uuid)),
  }),
  { additionalProperties: false, minProperties: 1 },
);
export type TaskChanges = Type.Static<typeof TaskChanges>;

const closed = { additionalProperties: false } as const;

export const TaskCreatedData = Type.Object({ task_id: Uuid, user_id: UserId, task: TaskSnapshot }, closed);

export const TaskUpdatedData = Type.Object(
  { task_id: Uuid, user_id: UserId, changes: TaskChanges, task: TaskSnapshot },
  closed,
);

export const TaskCompletedData = Type.Object(
  {
    task_id: Uuid,
    user_id: UserId,
    completed_at: Timestamp,
    /** True when the task has a recurrence, so the recurring service creates the next occurrence. */
    is_recurring: Type.Boolean(),
    recurrence: Nullable(Recurrence),
    task: TaskSnapshot,
  },
  closed,
);

export const TaskDeletedData = Type.Object({ task_id: Uuid, user_id: UserId, deleted_at: Timestamp }, closed);

const reminderFields = {
  /** One id per scheduled reminder: a rescheduled task gets a new reminder and cancels the old one. */
  reminder_id: Uuid,
  task_id: Uuid,
  user_id: UserId,
  title: Title,
  due_date: Timestamp,
  remind_at: Timestamp,
};

export const ReminderScheduledData = Type.Object(reminderFields, closed);

export const ReminderTriggeredData = Type.Object({ ...reminderFields, triggered_at: Timestamp }, closed);

export const ReminderCancelReason = Type.Union([
  Type.Literal("rescheduled"),
  Type.Literal("completed"),
  Type.Literal("deleted"),
  Type.Literal("removed"),
]);

export const ReminderCancelledData = Type.Object(
  { reminder_id: Uuid, task_id: Uuid, user_id: UserId, reason: ReminderCancelReason },
  closed,
);

export const TaskListChange = Type.Union([
  Type.Literal("created"),
  Type.Literal("updated"),
  Type.Literal("completed"),
  Type.Literal("deleted"),
]);

export const TaskListChangedData = Type.Object(
  {
    user_id: UserId,
    task_id: Uuid,
    change: TaskListChange,
    /** The task after the change; null when it was deleted. */
    task_snapshot: Nullable(TaskSnapshot),
  },
  closed,
);

export const TaskStatusChangedData = Type.Object(
  { user_id: UserId, task_id: Uuid, completed: Type.Boolean(), task_snapshot: TaskSnapshot },
  closed,
);
