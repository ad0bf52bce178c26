// JSON Schemas of the API's input, REST and MCP alike, built from the event contract's field schemas (one source of truth).
import { schemas as S } from "@event-platform/events";
import Type from "typebox";
import type { Violation } from "./errors";

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const closed = { additionalProperties: false } as const;

const described = <T extends Type.TSchema>(schema: T, description: string) =>
  Type.Unsafe<Type.Static<T>>({ ...schema, description });

/** The writable fields of a task, each optional (a PATCH sends only what changes). */
const taskFields = {
  description: Type.Optional(described(Nullable(S.Description), "Free text; null clears it.")),
  priority: Type.Optional(described(S.Priority, "high, medium or low; medium when created without one.")),
  tags: Type.Optional(described(S.Tags, "Distinct labels; a list task filter matches one of them.")),
  due_date: Type.Optional(described(Nullable(S.Timestamp), "RFC 3339 date-time with a time zone; null clears it.")),
  reminder_offset_minutes: Type.Optional(
    described(Nullable(S.ReminderOffsetMinutes), "Minutes before the due date to remind; null for no reminder."),
  ),
  recurrence: Type.Optional(
    described(Nullable(S.Recurrence), "daily, weekly or monthly (same day of the next calendar month); null for none."),
  ),
  parent_task_id: Type.Optional(described(Nullable(S.Uuid), "Id of one of your tasks this one belongs to.")),
};

export const CreateTaskBody = Type.Object(
  { title: described(S.Title, "What to do; 1 to 200 characters."), ...taskFields },
  closed,
);
export type CreateTaskBody = Type.Static<typeof CreateTaskBody>;

export const UpdateTaskBody = Type.Object(
  { title: Type.Optional(S.Title), ...taskFields },
  { ...closed, minProperties: 1 },
);
export type UpdateTaskBody = Type.Static<typeof UpdateTaskBody>;

export const TaskIdParams = Type.Object({ id: S.Uuid }, closed);

/** The filters, search, sort and page of a task list; in a query string or as MCP tool arguments. */
export const ListTasksQuery = Type.Object(
  {
    completed: Type.Optional(Type.Boolean({ description: "Only completed (true) or open (false) tasks." })),
    priority: Type.Optional(S.Priority),
    tag: Type.Optional(described(S.Tags.items, "Only tasks with this tag.")),
    due_from: Type.Optional(described(S.Timestamp, "Only tasks due at or after this time.")),
    due_to: Type.Optional(described(S.Timestamp, "Only tasks due at or before this time.")),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Search in title and description." })),
    sort: Type.Optional(
      Type.Union([Type.Literal("created_at"), Type.Literal("due_date"), Type.Literal("priority")], {
        description: "created_at (default), due_date (tasks without one last) or priority (high first).",
      }),
    ),
    order: Type.Optional(Type.Union([Type.Literal("asc"), Type.Literal("desc")], { description: "asc (default)." })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "Page size, 20 by default." })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: "Tasks to skip." })),
  },
  closed,
);
export type ListTasksQuery = Type.Static<typeof ListTasksQuery>;

/** The rule a schema cannot state: a due range must not end before it starts. */
export function dueRangeViolations(query: ListTasksQuery, prefix: string): Violation[] {
  if (query.due_from === undefined || query.due_to === undefined) return [];
  return Date.parse(query.due_from) > Date.parse(query.due_to)
    ? [{ path: `${prefix}/due_to`, message: "must not be before due_from" }]
    : [];
}

export const NextOccurrenceBody = Type.Object(
  { event_id: described(S.Uuid, "Id of the task.completed event this request answers.") },
  closed,
);

// MCP tools name the task in their arguments rather than in a path.
export const TaskIdArguments = Type.Object({ id: described(S.Uuid, "The task's id.") }, closed);
export const UpdateTaskArguments = Type.Object(
  { id: described(S.Uuid, "The task's id."), title: Type.Optional(S.Title), ...taskFields },
  closed,
);
