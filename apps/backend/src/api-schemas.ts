// JSON Schemas of the API's input, REST and MCP alike, built from the event contract's field schemas (one source of truth).
import { schemas as S } from "@event-platform/events";
import { DEFAULT_TIME_ZONE, TEXT_KEYWORD, type TextKind } from "@event-platform/service-kit";
import Type from "typebox";
import type { Violation } from "./errors";

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const closed = { additionalProperties: false } as const;

/** A contract schema with a description, and the text rules of `validation.ts` when it is text a person wrote. */
const field = <T extends Type.TSchema>(schema: T, description: string, text?: TextKind) =>
  Type.Unsafe<Type.Static<T>>({ ...schema, description, ...(text ? { [TEXT_KEYWORD]: text } : {}) });

const Title = field(S.Title, "What to do; 1 to 200 characters, not blank, no control characters.", "line");
const Tag = field(S.Tags.items, "A label: 1 to 50 characters, not blank, no control characters.", "line");
const TimeZone = Type.Unsafe<string>({
  ...S.TimeZone,
  format: "time-zone",
  description: `An IANA time zone such as America/New_York; ${DEFAULT_TIME_ZONE} when created without one. Recurrence follows its calendar and wall clock.`,
});
const TaskId = field(S.TaskId, "A task's id.");

/** The writable fields of a task, each optional (a PATCH sends only what changes). */
const taskFields = {
  description: Type.Optional(
    Type.Union([field(S.Description, "Free text; tabs and line breaks allowed.", "lines"), Type.Null()], {
      description: "Free text; null clears it.",
    }),
  ),
  priority: Type.Optional(field(S.Priority, "high, medium or low; medium when created without one.")),
  tags: Type.Optional(
    Type.Unsafe<string[]>({ ...S.Tags, items: Tag, description: "Distinct labels; a list's tag filter matches one." }),
  ),
  due_date: Type.Optional(field(Nullable(S.Timestamp), "RFC 3339 date-time with a time zone; null clears it.")),
  remind_before_minutes: Type.Optional(
    field(Nullable(S.RemindBeforeMinutes), "Minutes before the due date to remind; null for no reminder."),
  ),
  recurrence: Type.Optional(
    field(
      Nullable(S.Recurrence),
      "daily, weekly or monthly (same day of the next calendar month), in the task's time zone; null for none.",
    ),
  ),
  time_zone: Type.Optional(TimeZone),
  parent_task_id: Type.Optional(field(Nullable(S.TaskId), "The id of one of your tasks this one belongs to.")),
};

/** `POST /api/tasks` and `add_task`: a title, and any of the writable fields; its example is a monthly task. */
export const CreateTaskBody = Type.Object(
  { title: Title, ...taskFields },
  {
    ...closed,
    examples: [
      {
        title: "Pay the rent",
        description: "Transfer before the 5th.",
        priority: "high",
        tags: ["home"],
        due_date: "2027-01-04T09:00:00+01:00",
        remind_before_minutes: 60,
        recurrence: "monthly",
        time_zone: "Europe/Paris",
      },
    ],
  },
);
export type CreateTaskBody = Type.Static<typeof CreateTaskBody>;

/** `PATCH /api/tasks/:task_id`: at least one writable field; its example lowers the priority and clears the reminder. */
export const UpdateTaskBody = Type.Object(
  { title: Type.Optional(Title), ...taskFields },
  { ...closed, minProperties: 1, examples: [{ priority: "low", remind_before_minutes: null }] },
);
export type UpdateTaskBody = Type.Static<typeof UpdateTaskBody>;

/**
 * A task id in a URL path: a positive decimal integer, no sign, no leading zero, no exponent; at most 16 digits,
 * and `pathTaskIdViolations` checks the value against Number.MAX_SAFE_INTEGER.
 */
export const TaskIdParams = Type.Object(
  { task_id: Type.String({ pattern: "^[1-9][0-9]{0,15}$", description: "A task's id." }) },
  closed,
);

/** A path's task id past the largest id there can be (Number.MAX_SAFE_INTEGER). */
export function pathTaskIdViolations(params: { task_id: string }, prefix: string): Violation[] {
  return Number.isSafeInteger(Number(params.task_id))
    ? []
    : [{ path: `${prefix}/task_id`, message: `must be <= ${Number.MAX_SAFE_INTEGER}` }];
}

/** The filters, search, sort and page of a task list; in a query string or as MCP tool arguments. */
export const ListTasksQuery = Type.Object(
  {
    completed: Type.Optional(Type.Boolean({ description: "Only completed (true) or open (false) tasks." })),
    priority: Type.Optional(S.Priority),
    tag: Type.Optional(field(S.Tags.items, "Only tasks with this tag.", "line")),
    due_from: Type.Optional(field(S.Timestamp, "Only tasks due at or after this time.")),
    due_to: Type.Optional(field(S.Timestamp, "Only tasks due at or before this time.")),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "Search in title and description.",
        [TEXT_KEYWORD]: "line",
      }),
    ),
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

/**
 * `POST /internal/tasks/:task_id/next-occurrence`: the completion event the request answers, and the user it names.
 * The task must be that user's: the event's `user_id` is checked against the task's owner, not taken from it.
 */
export const NextOccurrenceBody = Type.Object(
  {
    event_id: field(S.Uuid, "Id of the task.completed event this request answers."),
    // The rule of a token's `sub` (kit `line`): no user id that no user can hold reaches the database.
    user_id: field(S.UserId, "The user_id of that event: the owner the task must have.", "line"),
  },
  closed,
);

/** A task as REST answers it: the event contract's snapshot. */
export const Task = Type.Unsafe<S.TaskSnapshot>({ ...S.TaskSnapshot, description: "A task, every field present." });

/** `GET /api/tasks`: a page of the caller's tasks and how many match over all pages. */
export const TaskListAnswer = Type.Object(
  {
    items: Type.Array(Task),
    total: Type.Integer({ minimum: 0, description: "Tasks that match, over all pages." }),
    limit: Type.Integer({ minimum: 1, maximum: 100 }),
    offset: Type.Integer({ minimum: 0 }),
  },
  closed,
);

/** The answer without a body (`DELETE`): 204 No Content. */
export const NoContent = Type.Null({ description: "No content." });

// MCP tools name the task in their arguments rather than in a path, by the same name.
export const TaskIdArguments = Type.Object({ task_id: TaskId }, closed);
export const UpdateTaskArguments = Type.Object({ task_id: TaskId, title: Type.Optional(Title), ...taskFields }, closed);
