// IANA time zones through the Temporal polyfill (temporal-polyfill, on the platform's ICU time zone data): which names are valid, their canonical spelling, and instants seen in a zone.
import { schemas } from "@event-platform/events";
import { Temporal } from "temporal-polyfill";

/** The time zone of a task created without one. */
export const DEFAULT_TIME_ZONE = "UTC";

// The contract's shape of a name, read from its schema (plain JSON Schema data).
const shape = schemas.TimeZone as unknown as { pattern: string; maxLength: number };
const NAME = new RegExp(shape.pattern);

/**
 * The canonical spelling of an IANA time zone name (`america/new_york` → `America/New_York`), or undefined when
 * the name is not an IANA zone the time zone database knows. Offsets such as `+05:00` are not names, and are
 * refused: they have no daylight saving rules, so a task in one would drift from its users' clocks.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (name.length > shape.maxLength || !NAME.test(name)) return undefined;
  try {
    return new Temporal.ZonedDateTime(0n, name).timeZoneId;
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** Whether `name` is an IANA time zone the time zone database knows (any letter case). */
export function isTimeZone(name: string): boolean {
  return canonicalTimeZone(name) !== undefined;
}

/** An instant as a date and wall-clock time in a time zone. Throws a RangeError for an unknown zone. */
export function inTimeZone(instant: Date, timeZone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone);
}
