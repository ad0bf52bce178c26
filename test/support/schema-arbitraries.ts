// fast-check generators derived from JSON Schemas (the APIs' route and tool schemas, the event contract): valid values, and objects made invalid in one field by breaking one keyword its schema declares, each with the JSON Pointer of the field the answer must name.
//
// Hand-written: no well-kept library turns a JSON Schema into fast-check arbitraries (json-schema-fast-check is at
// 0.0.6 on fast-check 1 and faker 4). The walker covers the keywords the APIs' and the contract's schemas use —
// type, const, anyOf, properties/required/additionalProperties/minProperties (nested objects too),
// minLength/maxLength/pattern/format, minimum/maximum, items/maxItems/uniqueItems and the kit's `x-text` — and throws
// on a schema it cannot read, so a new keyword is noticed rather than silently untested.
import { contractSchemaOf, type EventType, escapePointer, type TopicSpec } from "@event-platform/events";
import { CONSUMED_ID_BOUNDS } from "@event-platform/service-kit";
import fc from "fast-check";

/** The JSON Schema keywords the walker reads (TypeBox schemas are plain JSON Schema objects). */
export interface Schema {
  type?: string | string[];
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  minProperties?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  maxItems?: number;
  uniqueItems?: boolean;
  "x-text"?: "line" | "lines";
}

/** An object broken in one place: the value to send, the pointer (under the object) the answer must name, and how. */
export interface Broken {
  value: Record<string, unknown>;
  /** `/title`, `/tags/0`, `/unknown_field`; a violation at this path or below it names the field. */
  path: string;
  /** The keyword broken (`maxLength`, `type`, `additionalProperties`...), for the failure message. */
  keyword: string;
}

const TIME_ZONES = Intl.supportedValuesOf("timeZone");
const JSON_TYPES = ["string", "number", "integer", "boolean", "null", "array", "object"] as const;

/** Text a person could write: printable ASCII with at least one letter, so no text rule refuses it. */
function plainText(minLength: number, maxLength: number): fc.Arbitrary<string> {
  const length = Math.max(minLength, 1);
  return fc
    .string({ unit: "grapheme-ascii", minLength: length, maxLength: Math.max(length, Math.min(maxLength, 40)) })
    .map((s) => `a${s.replace(/[^\x20-\x7e]/g, "b")}`.slice(0, maxLength))
    .filter((s) => s.length >= minLength && s.trim() !== "");
}

/** The JSON types a schema allows, through `const` and `anyOf`. */
function allowedTypes(schema: Schema): Set<string> {
  if (schema.anyOf) return new Set(schema.anyOf.flatMap((branch) => [...allowedTypes(branch)]));
  if (schema.const !== undefined) return new Set([schema.const === null ? "null" : typeof schema.const]);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : JSON_TYPES;
  const set = new Set<string>(types);
  if (set.has("integer")) set.add("number");
  return set;
}

/** A value of one JSON type, for a field that does not allow that type. */
function valueOfType(type: (typeof JSON_TYPES)[number]): fc.Arbitrary<unknown> {
  switch (type) {
    case "string":
      return fc.string({ maxLength: 10 });
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n));
    case "integer":
      return fc.integer();
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(fc.integer(), { maxLength: 3 });
    case "object":
      return fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 2 });
  }
}

/** Values the schema allows. */
export function valid(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(valid));
  if (schema.const !== undefined) return fc.constant(schema.const);
  // A schema of properties alone (the contract's task-update `data`) applies to objects: generate objects.
  if (schema.type === undefined && schema.properties) return validObject(schema);
  switch (schema.type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer({
        min: Math.max(schema.minimum ?? -1_000_000, Number.MIN_SAFE_INTEGER),
        max: Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER),
      });
    case "number":
      return fc.double({
        min: schema.minimum ?? -1_000_000,
        max: schema.maximum ?? 1_000_000,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case "string":
      return validString(schema);
    case "array": {
      // No `items`: the empty schema, for which there is no generator (the error names the schema).
      const items = valid(schema.items ?? {});
      const maxLength = Math.min(schema.maxItems ?? 3, 3);
      return schema.uniqueItems
        ? fc.uniqueArray(items, { maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(items, { maxLength });
    }
    case "object":
      return validObject(schema);
    default:
      throw new Error(`schema-arbitraries: no generator for ${JSON.stringify(schema)}`);
  }
}

function validString(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === "uuid") return fc.uuid();
  if (schema.format === "date-time") {
    return fc
      .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  if (schema.format === "time-zone") return fc.constantFrom(...TIME_ZONES);
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  return plainText(schema.minLength ?? 0, schema.maxLength ?? 40);
}

/** Objects with every required property and any of the optional ones (at least `minProperties`). */
export function validObject(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const required = schema.required ?? [];
  const record = fc.record(
    Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, valid(s)])) as Record<
      string,
      fc.Arbitrary<unknown>
    >,
    { requiredKeys: required },
  );
  const min = schema.minProperties ?? 0;
  return record.filter((value) => Object.keys(value).length >= min);
}

/** A value broken in one place: the value, the pointer under it of what is broken (`""`: itself), and how. */
export interface BrokenValue {
  value: unknown;
  path: string;
  keyword: string;
}

/**
 * Values that break `schema` at the value itself (or an array's first item, or one property of an object), each
 * with the keyword broken. Strings, arrays and numbers break each length, range, pattern, format and text rule
 * declared; anything breaks its type. With `text` (a query string or a URL path: every value is text, numbers and
 * booleans are read from it) the values are strings: a number or boolean field gets text that is no number or
 * boolean in plain notation (`0x10`, `1e1`, ` 1`, `yes`), and no break needs another type or a list.
 */
function invalid(schema: Schema, text = false): fc.Arbitrary<BrokenValue>[] {
  if (!text) return breaks(schema, true);
  const asText = breaks(schema, false, true).map((arbitrary) =>
    arbitrary.map((b) => ({ ...b, value: String(b.value) })),
  );
  const types = allowedTypes(schema);
  if (types.has("string")) return asText;
  const notation = types.has("boolean")
    ? fc.string({ maxLength: 8 }).filter((s) => s !== "true" && s !== "false")
    : fc.oneof(
        fc.constantFrom("0x10", "1e1", " 1", "+1", "1_0", "0b11", ""),
        fc.string({ maxLength: 8 }).filter((s) => !PLAIN_INTEGER.test(s)),
      );
  return [...asText, notation.map((value) => ({ value, path: "", keyword: "type" }))];
}

const PLAIN_INTEGER = /^-?[0-9]+$/;

/** `invalid`'s breaks: with `typeBreak`, a value of a type the schema does not allow; with `scalar`, no list or object. */
function breaks(schema: Schema, typeBreak: boolean, scalar = false): fc.Arbitrary<BrokenValue>[] {
  const broken: fc.Arbitrary<BrokenValue>[] = [];
  const at = (keyword: string, arbitrary: fc.Arbitrary<unknown>, path = "") =>
    broken.push(arbitrary.map((value) => ({ value, path, keyword })));
  const types = allowedTypes(schema);
  const wrongTypes = JSON_TYPES.filter((t) => !types.has(t) && !(t === "integer" && types.has("number")));
  if (typeBreak && wrongTypes.length > 0) at("type", fc.oneof(...wrongTypes.map(valueOfType)));
  if (schema.anyOf) {
    // A union of literals (an enum) or a nullable: a string no branch allows, where strings are allowed.
    const literals = schema.anyOf.filter((b) => typeof b.const === "string").map((b) => b.const);
    if (literals.length > 0)
      at(
        "const",
        fc.string({ maxLength: 12 }).filter((s) => !literals.includes(s)),
      );
    // Each branch's own rules, but not its type: another branch may allow the type it would pick.
    for (const branch of schema.anyOf) if (branch.type !== "null") broken.push(...breaks(branch, false, scalar));
    return broken;
  }
  if (schema.const !== undefined) {
    const allowed = schema.const;
    if (typeof allowed === "string")
      at(
        "const",
        fc.string({ maxLength: 12 }).filter((s) => s !== allowed),
      );
    return broken;
  }
  if (schema.properties && !scalar) broken.push(...objectBreaks(schema));
  if (schema.type === "string") invalidStrings(schema, at);
  if (schema.type === "integer" || schema.type === "number") {
    if (schema.type === "integer")
      at(
        "integer",
        fc.integer({ min: -1000, max: 1000 }).map((n) => n + 0.5),
      );
    const { minimum, maximum } = schema;
    if (minimum !== undefined)
      at(
        "minimum",
        fc.integer({ min: 1, max: 1_000_000 }).map((d) => minimum - d),
      );
    // Past Number.MAX_SAFE_INTEGER the sum rounds, but never down to the maximum.
    if (maximum !== undefined)
      at(
        "maximum",
        fc.integer({ min: 1, max: 1_000_000 }).map((d) => maximum + d),
      );
  }
  if (schema.type === "array" && schema.items && !scalar) {
    const items = valid(schema.items);
    if (schema.maxItems !== undefined) {
      const over = schema.maxItems + 1;
      at("maxItems", fc.uniqueArray(items, { minLength: over, maxLength: over, selector: (v) => JSON.stringify(v) }));
    }
    if (schema.uniqueItems)
      at(
        "uniqueItems",
        items.map((item) => [item, item]),
      );
    for (const item of breaks(schema.items, true)) {
      broken.push(
        item.map(({ value, path, keyword }) => ({ value: [value], path: `/0${path}`, keyword: `items ${keyword}` })),
      );
    }
  }
  return broken;
}

function invalidStrings(schema: Schema, at: (keyword: string, arbitrary: fc.Arbitrary<unknown>) => void): void {
  if (schema.minLength !== undefined && schema.minLength > 0) {
    at("minLength", fc.constant("a".repeat(schema.minLength - 1)));
  }
  const { maxLength } = schema;
  if (maxLength !== undefined) {
    at(
      "maxLength",
      fc.integer({ min: 1, max: 50 }).map((extra) => "x".repeat(maxLength + extra)),
    );
  }
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    at(
      "pattern",
      fc
        .oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 101, maxLength: 300 }), fc.integer().map(String))
        .filter((s) => !pattern.test(s)),
    );
  }
  if (schema.format === "uuid")
    at(
      "format",
      fc.uuid().map((u) => u.slice(1)),
    );
  if (schema.format === "date-time") {
    at("format", fc.constantFrom("tomorrow", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01", ""));
  }
  if (schema.format === "time-zone") {
    at(
      "format",
      fc.stringMatching(/^[A-Z][a-z]{2,8}\/[A-Z][a-z]{2,8}$/).filter((s) => !TIME_ZONES.includes(s)),
    );
  }
  if (schema["x-text"]) {
    const lines = schema["x-text"] === "lines";
    // A character the text rules refuse, somewhere in otherwise plain text.
    const refused = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).filter((c) => !lines || ![9, 10, 13].includes(c)),
      fc.integer({ min: 0x7f, max: 0x9f }),
      fc.integer({ min: 0x202a, max: 0x202e }),
      fc.integer({ min: 0x2066, max: 0x2069 }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    );
    at(
      "x-text",
      fc.tuple(plainText(0, 5), refused, plainText(0, 5)).map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
    );
    if (!lines) {
      // Blank: only white space or characters that show nothing (U+200B ZERO WIDTH SPACE, U+FEFF, U+3000, ...).
      const invisible = fc.constantFrom(" ", "\u00a0", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u3000");
      at(
        "blank",
        fc.array(invisible, { minLength: 1, maxLength: 5 }).map((chars) => chars.join("")),
      );
    }
  }
}

/** How `brokenObject` breaks an object. */
export interface BreakOptions {
  /** Every value is text, as a query string or a URL path carries it (`invalid`'s `text`). */
  text?: boolean;
  /**
   * The object's keys are fixed by where it travels (a URL path's parameters): only values are broken, no required
   * key is left out and none is added.
   */
  fixedKeys?: boolean;
}

/**
 * Every way to break `schema` (an object's) in exactly one place: a property's value broken (`invalid`, nested
 * objects included), a required property missing, or a property the schema does not declare (when it is closed).
 * Built on a valid object, so the one break is the only violation; `path` is the property's pointer.
 */
function objectBreaks(schema: Schema, options: BreakOptions = {}): fc.Arbitrary<Broken>[] {
  const { text = false, fixedKeys = false } = options;
  const properties = schema.properties ?? {};
  const base = text ? validObject(schema).map(asQuery) : validObject(schema);
  const breaks: fc.Arbitrary<Broken>[] = [];
  for (const [name, property] of Object.entries(properties)) {
    for (const bad of invalid(property, text)) {
      const usable = text ? bad.filter((b) => carriedAsText(b.value)) : bad;
      breaks.push(
        fc.tuple(base, usable).map(([value, b]) => ({
          value: { ...value, [name]: b.value },
          path: `/${escapePointer(name)}${b.path}`,
          keyword: b.keyword,
        })),
      );
    }
  }
  if (fixedKeys) return breaks;
  for (const name of schema.required ?? []) {
    breaks.push(
      base.map((value) => {
        const { [name]: _dropped, ...rest } = value;
        return { value: rest, path: `/${escapePointer(name)}`, keyword: "required" };
      }),
    );
  }
  if (schema.additionalProperties === false) {
    const unknown = fc
      .oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom("__proto__", "constructor", "toString"))
      .filter((name) => !Object.hasOwn(properties, name) && (!text || carriedAsText(name)));
    breaks.push(
      fc.tuple(base, unknown, valueOfType("string")).map(([value, name, extra]) => ({
        // defineProperty: `__proto__` as an own key, as JSON.parse makes it, not the prototype setter.
        value: Object.defineProperty({ ...value }, name, { value: extra, enumerable: true, writable: true }),
        path: `/${escapePointer(name)}`,
        keyword: "additionalProperties",
      })),
    );
  }
  return breaks;
}

/** Objects that break `schema` in exactly one place (`objectBreaks`); throws when the schema leaves nothing to break. */
export function brokenObject(schema: Schema, options: BreakOptions = {}): fc.Arbitrary<Broken> {
  const breaks = objectBreaks(schema, options);
  if (breaks.length === 0) throw new Error(`schema-arbitraries: nothing to break in ${JSON.stringify(schema)}`);
  return fc.oneof(...breaks);
}

/**
 * Whether text arrives as written in a query string or a URL path: percent-encoding carries any well-formed text,
 * while a lone surrogate becomes U+FFFD on the way (URLSearchParams) and is then no longer the value sent.
 */
const carriedAsText = (value: unknown) => typeof value !== "string" || value.isWellFormed();

/** An object's values as a query string carries them: text. */
export function asQuery(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, String(v)]));
}

/**
 * What a subscription route of `topic` checks a delivery against (service-kit `registerSubscriber`): the contract's
 * schema for the topic (`contractSchemaOf`), its `data` ids narrowed to the catalog's bounds (`CONSUMED_ID_BOUNDS`),
 * and, for a route rule's path, its one event `type`, required (the kit drops an event of any other type there).
 */
export function consumedEventSchema(topic: TopicSpec, type?: EventType): Schema {
  const contract = structuredClone(contractSchemaOf(topic)) as Schema;
  const properties = contract.properties ?? {};
  const data = properties.data ?? {};
  for (const [name, bounds] of Object.entries(CONSUMED_ID_BOUNDS)) {
    if (data.properties?.[name]) data.properties[name] = { ...(bounds as Schema) };
  }
  if (type !== undefined) {
    properties.type = { const: type };
    contract.required = [...new Set([...(contract.required ?? []), "type"])];
  }
  return contract;
}
