// Reads the timestamps events carry: every form the contract's `date-time` format accepts, as the instant it names.
import { Temporal } from "temporal-polyfill";

/** ajv-formats' `date-time` (`node_modules/ajv-formats/dist/formats.js`, full mode): its date, separator and time. */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[t\s](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * The instant of a timestamp in any form the event contract's `date-time` accepts (ajv-formats, full mode, which
 * reads RFC 3339 loosely): `T`, `t` or any whitespace between date and time, `Z` or `z`, offsets `+hh`, `+hhmm`
 * and `+hh:mm`, any number of fractional digits, and the leap second `23:59:60` (UTC). JavaScript's `Date.parse`
 * refuses several of these (`+01`, a leap second), so each is rewritten as RFC 3339 and read by Temporal: the
 * fraction cut to nanoseconds (a Date keeps milliseconds, cut, not rounded), a leap second read as the second
 * before it (Temporal's ISO 8601 reading). Years 0000 to 9999 are all representable. The contract's check is not
 * repeated (the subscriber made it): a second 60 at another minute than 23:59 UTC reads as second 59 too.
 * Throws a RangeError, naming the text, when it is not of that form or names no real date or offset.
 */
export function parseTimestamp(text: string): Date {
  const parts = DATE_TIME.exec(text);
  if (parts) {
    const [, date, time, fraction, zone] = parts;
    const offset = zone === undefined || /^z$/i.test(zone) ? "Z" : zone;
    const rfc3339 = `${date}T${time}${fraction ? `.${fraction.slice(0, 9)}` : ""}${offset}`;
    try {
      return new Date(Temporal.Instant.from(rfc3339).epochMilliseconds);
    } catch {
      // Falls through to the error below: a day or an offset out of range.
    }
  }
  throw new RangeError(`${JSON.stringify(text)} is not a date-time the event contract accepts`);
}
