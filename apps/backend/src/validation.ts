// Validates API input (REST parts and MCP tool arguments) against JSON Schemas and reports every bad field by its path.
import { violationsOf as ajvViolations, escapePointer } from "@event-platform/events";
import { Ajv, type ValidateFunction } from "ajv";
import { fullFormats } from "ajv-formats/dist/formats";
import type Type from "typebox";
import { InvalidInputError, type Violation } from "./errors";
import { isTimeZone } from "./time-zones";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FIRST_MS = Date.UTC(1, 0, 1);
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const rfc3339 = fullFormats["date-time"] as { validate: (value: string) => boolean };

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes });
  // Stricter than ajv-formats, so that whatever passes is also a value PostgreSQL and JavaScript take: no
  // `urn:uuid:` prefix, no leap second (Date.parse gives NaN), no year outside 1..9999.
  ajv.addFormat("uuid", UUID);
  ajv.addFormat("date-time", {
    type: "string",
    validate: (value: string) => {
      const ms = Date.parse(value);
      return rfc3339.validate(value) && ms >= FIRST_MS && ms <= LAST_MS;
    },
  });
  ajv.addFormat("time-zone", { type: "string", validate: isTimeZone });
  return ajv;
}

// JSON bodies and tool arguments keep their types; a query string is all text, so its numbers and booleans are coerced.
const typed = createAjv(false);
const coercing = createAjv(true);
const compiled = new WeakMap<Type.TSchema, { typed?: ValidateFunction; coercing?: ValidateFunction }>();

function validatorFor(schema: Type.TSchema, coerce: boolean): ValidateFunction {
  const entry = compiled.get(schema) ?? {};
  compiled.set(schema, entry);
  if (coerce) {
    entry.coercing ??= coercing.compile(schema);
    return entry.coercing;
  }
  entry.typed ??= typed.compile(schema);
  return entry.typed;
}

/**
 * The violations of `value` against `schema`, each path prefixed with `prefix` (such as `/body`). Coercion (for
 * query strings) converts `value` in place.
 */
export function violationsOf(schema: Type.TSchema, value: unknown, prefix = "", coerce = false): Violation[] {
  const validate = validatorFor(schema, coerce);
  const found = validate(value) ? [] : ajvViolations(validate.errors ?? []);
  // PostgreSQL text cannot hold U+0000; rejecting it here keeps such input a 400 rather than a failed write.
  found.push(...nulCharacters(value, ""));
  return dedupe(found.map((v) => ({ path: `${prefix}${v.path}`, message: v.message })));
}

/** Returns `value` typed by `schema`, or throws an `InvalidInputError` listing every violation. */
export function validated<T extends Type.TSchema>(schema: T, value: unknown, prefix = ""): Type.Static<T> {
  const violations = violationsOf(schema, value, prefix);
  if (violations.length > 0) throw new InvalidInputError(violations);
  return value as Type.Static<T>;
}

function nulCharacters(value: unknown, path: string): Violation[] {
  if (typeof value === "string") return value.includes("\u0000") ? [{ path, message: "must not contain U+0000" }] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nulCharacters(item, `${path}/${i}`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => nulCharacters(item, `${path}/${escapePointer(key)}`));
  }
  return [];
}

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.path}\u0000${v.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
