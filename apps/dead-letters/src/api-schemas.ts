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
      Type.String({ pattern: "^[A-Za-z0-9._-]{1,249}$", description: "Only entries from this original topic." }),
    ),
    type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        [TEXT_KEYWORD]: "line",
        description: "Only entries whose CloudEvent has this type.",
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
