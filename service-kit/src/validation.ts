// Validates API input (REST parts and MCP tool arguments) against JSON Schemas and reports every bad field by its path.
import { violationsOf as ajvViolations } from "@event-platform/events";
import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from "ajv";
import { fullFormats } from "ajv-formats/dist/formats";
import type Type from "typebox";
import { InvalidInputError, type Violation } from "./errors";
import { isTimeZone } from "./time-zones";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Date.UTC reads years 0-99 as 1900-1999, so year 1 is set with setUTCFullYear.
const FIRST_MS = new Date(0).setUTCFullYear(1, 0, 1);
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const rfc3339 = fullFormats["date-time"] as { validate: (value: string) => boolean };

/**
 * The schema keyword that marks a string as text a person wrote, and which rules it follows:
 * - `line`: well-formed Unicode, no control character at all, not blank: not white space and invisible characters
 *   (U+200B ZERO WIDTH SPACE, ...) alone (a title, a tag, a search);
 * - `lines`: well-formed Unicode, no control character but tab, line feed and carriage return (a description).
 * Neither allows a bidirectional embedding, override or isolate character.
 * A value that breaks a rule is a 400 naming the field. JSON Schema has no such rule of its own, and a pattern
 * cannot state it portably (lone surrogates need the `u` flag); other validators ignore the keyword.
 */
export const TEXT_KEYWORD = "x-text";
export type TextKind = "line" | "lines";

// Control characters (Unicode category Cc: C0, DEL and C1); `lines` keeps tab, line feed and carriage return.
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINE_BREAKS = /(?![\t\n\r])\p{Cc}/u;
// The explicit bidirectional embeddings, overrides and isolates (UAX #9 §2.1, U+202A-U+202E and U+2066-U+2069):
// they make text display in another order than it is stored ("Trojan Source", CVE-2021-42574).
const BIDI_FORMATTING = /[\u202A-\u202E\u2066-\u2069]/u;
// What shows nothing: white space, and the default-ignorable code points (U+200B ZERO WIDTH SPACE, U+2060, U+FEFF,
// variation selectors, ...), which String.prototype.trim keeps. Text of these alone is blank.
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * What is wrong with a piece of text by the rules of `kind`: an empty list when nothing is. Ill-formed Unicode
 * (a lone surrogate) would reach PostgreSQL as U+FFFD, so it is refused rather than silently changed.
 */
export function textProblems(value: string, kind: TextKind): string[] {
  const problems: string[] = [];
  if (!value.isWellFormed()) problems.push("must be well-formed Unicode (no lone surrogate)");
  if (kind === "line" && CONTROL.test(value)) problems.push("must not contain control characters");
  if (kind === "lines" && CONTROL_BUT_LINE_BREAKS.test(value)) {
    problems.push("must not contain control characters other than tab and line breaks");
  }
  if (BIDI_FORMATTING.test(value)) problems.push("must not contain bidirectional override or isolate characters");
  if (kind === "line" && value.length > 0 && value.replace(INVISIBLE, "") === "") {
    problems.push("must not be blank");
  }
  return problems;
}

const validateText: SchemaValidateFunction = (kind: TextKind, value: unknown) => {
  if (typeof value !== "string") return true;
  const problems = textProblems(value, kind);
  validateText.errors = problems.map(
    (message): Partial<ErrorObject> => ({ keyword: TEXT_KEYWORD, message, params: {} }),
  );
  return problems.length === 0;
};

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
  ajv.addKeyword({ keyword: TEXT_KEYWORD, type: "string", schemaType: "string", errors: true, validate: validateText });
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

// Plain decimal notation: an optional minus, digits, and for a non-integer an optional fraction.
const PLAIN_INTEGER = /^-?[0-9]+$/;
const PLAIN_NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

/** The numeric type a property's schema allows (directly, or as a branch of a union), if any. */
function numericTypeOf(schema: unknown): "integer" | "number" | undefined {
  const s = schema as { type?: unknown; anyOf?: unknown[]; oneOf?: unknown[] } | undefined;
  const types = Array.isArray(s?.type) ? s.type : [s?.type];
  if (types.includes("number")) return "number";
  if (types.includes("integer")) return "integer";
  const branches = [...(s?.anyOf ?? []), ...(s?.oneOf ?? [])].map(numericTypeOf);
  return branches.includes("number") ? "number" : branches.includes("integer") ? "integer" : undefined;
}

/**
 * The properties of `values` (text, as a query string or the environment gives them) whose schema in `schema` is
 * numeric but whose text is not plain decimal notation: an optional minus, digits, and for a non-integer an
 * optional fraction. ajv's coercion reads text as JavaScript's `Number()` does, which also takes `0x10`, `0b11`,
 * `1e1` and surrounding spaces; a value written so is more likely a mistake than meant. Each violation's path is
 * the property's name after `prefix`.
 */
export function numberNotationViolations(
  schema: Type.TSchema,
  values: Readonly<Record<string, unknown>>,
  prefix = "",
): Violation[] {
  const properties = ((schema as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
  const violations: Violation[] = [];
  for (const [name, value] of Object.entries(values)) {
    const type = numericTypeOf(properties[name]);
    if (type === undefined || typeof value !== "string") continue;
    if (!(type === "integer" ? PLAIN_INTEGER : PLAIN_NUMBER).test(value)) {
      violations.push({
        path: `${prefix}/${name}`,
        message:
          type === "integer"
            ? "must be an integer in plain decimal digits (an optional minus sign, then 0-9 only)"
            : "must be a number in plain decimal notation (an optional minus sign, digits, an optional fraction)",
      });
    }
  }
  return violations;
}

/**
 * The violations of `value` against `schema`, each path prefixed with `prefix` (such as `/body`). Coercion (for
 * query strings) converts `value` in place, and takes numbers only in plain decimal notation
 * (`numberNotationViolations`). The work is bounded by the schema: ajv only descends into what the
 * schema declares, and every API schema is closed (`additionalProperties: false`) with bounded lists.
 */
export function violationsOf(schema: Type.TSchema, value: unknown, prefix = "", coerce = false): Violation[] {
  const validate = validatorFor(schema, coerce);
  // Read before ajv coerces the text in place.
  const notation =
    coerce && typeof value === "object" && value !== null
      ? numberNotationViolations(schema, value as Record<string, unknown>)
      : [];
  const found = validate(value) ? [] : ajvViolations(validate.errors ?? []);
  // A value ajv refused keeps ajv's message alone.
  const refused = new Set(found.map((v) => v.path));
  const all = [...found, ...notation.filter((v) => !refused.has(v.path))];
  return dedupe(all.map((v) => ({ path: `${prefix}${v.path}`, message: v.message })));
}

/** Returns `value` typed by `schema`, or throws an `InvalidInputError` listing every violation. */
export function validated<T extends Type.TSchema>(schema: T, value: unknown, prefix = ""): Type.Static<T> {
  const violations = violationsOf(schema, value, prefix);
  if (violations.length > 0) throw new InvalidInputError(violations);
  return value as Type.Static<T>;
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
