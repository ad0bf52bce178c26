// JSON Schemas of the desk API's input: the list's filters and page, and an entry id in a path.
import { schemas as S } from "@event-platform/events";
import { TEXT_KEYWORD, type Violation } from "@event-platform/service-kit";
import Type from "typebox";
import { APP_LIST } from "../../../specs/apps";

const closed = { additionalProperties: false } as const;

/** `GET /api/dead-letters`: filters (all must hold), newest first, paged. */
export const ListQuery = Type.Object(
  {
    // Kafka's own rule for a topic name: at most 249 of these characters.
    topic: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9._-]{1,249}$",
        description: "Only entries from this original topic.",
        examples: ["task-events"],
      }),
    ),
    type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        [TEXT_KEYWORD]: "line",
        description: "Only entries whose CloudEvent has this type.",
        examples: ["com.taskmanager.task.completed"],
      }),
    ),
    subscriber: Type.Optional(
      Type.Union(
        APP_LIST.map((app) => Type.Literal(app.id)),
        { description: "Only entries this app (of the catalog) may have failed." },
      ),
    ),
    since: Type.Optional(Type.Unsafe<string>({ ...S.Timestamp, description: "Only entries last seen at or after." })),
    until: Type.Optional(Type.Unsafe<string>({ ...S.Timestamp, description: "Only entries last seen at or before." })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "Page size, 20 by default." })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: "Entries to skip." })),
  },
  closed,
);
export type ListQuery = Type.Static<typeof ListQuery>;

/** The rule a schema cannot state: the time range must not end before it starts. */
export function timeRangeViolations(query: ListQuery, prefix: string): Violation[] {
  if (query.since === undefined || query.until === undefined) return [];
  return Date.parse(query.since) > Date.parse(query.until)
    ? [{ path: `${prefix}/until`, message: "must not be before since" }]
    : [];
}

/**
 * An entry id in a URL path: a positive decimal integer without sign or leading zero, of at most 15 digits, so
 * that every value is exact as a JavaScript number (ids are `bigint` identities capped at 2^53 - 1).
 */
export const IdParams = Type.Object(
  { id: Type.String({ pattern: "^[1-9][0-9]{0,14}$", description: "A dead letter's id." }) },
  closed,
);

const Timestamp = Type.Unsafe<string>({ ...S.Timestamp });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const EntryId = Type.Integer({ minimum: 1 });

/** An entry in a list (`DeadLetterSummary` in `store.ts`). */
const summaryFields = {
  id: EntryId,
  topic: Nullable(Type.String()),
  key: Nullable(Type.String()),
  partition: Nullable(Type.Integer({ minimum: 0 })),
  offset: Nullable(Type.String({ pattern: "^[0-9]+$", description: "A Kafka offset, exact as decimal text." })),
  subscribers: Type.Array(Type.String()),
  event_id: Nullable(Type.String()),
  event_source: Nullable(Type.String()),
  event_type: Nullable(Type.String()),
  error: Type.String(),
  count: Type.Integer({ minimum: 1, description: "Dead-letter records received for this entry." }),
  first_seen_at: Timestamp,
  last_seen_at: Timestamp,
  alerted_at: Nullable(Timestamp),
  replayable: Type.Boolean(),
};

/** `POST /api/dead-letters/:id/replay`'s answer, and each replay of an entry (`ReplayRecord` in `store.ts`). */
export const ReplayAnswer = Type.Object(
  {
    id: EntryId,
    dead_letter_id: EntryId,
    topic: Type.String(),
    key: Type.String(),
    replayed_by: Type.String(),
    replayed_at: Timestamp,
  },
  closed,
);

/** `GET /api/dead-letters`: a page of entries, newest first. */
export const PageAnswer = Type.Object(
  {
    items: Type.Array(Type.Object(summaryFields, closed)),
    total: Type.Integer({ minimum: 0 }),
    limit: Type.Integer({ minimum: 1, maximum: 100 }),
    offset: Type.Integer({ minimum: 0 }),
  },
  closed,
);

/** `GET /api/dead-letters/:id`: an entry with its body (`event` as JSON, else `raw_body`) and its replays. */
export const DetailAnswer = Type.Object(
  {
    ...summaryFields,
    event: Type.Optional(Type.Unknown()),
    raw_body: Type.Optional(Type.String()),
    replays: Type.Array(ReplayAnswer),
  },
  closed,
);
