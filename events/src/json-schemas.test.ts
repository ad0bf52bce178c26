// The project's published JSON Schemas (events/schemas/): up to date with events/, draft-07, and as strict as the validator.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { SOURCE, sampleData, variantData } from "../test/samples";
import { buildEvent, EVENT_TYPE_NAMES, type EventType, validateEvent } from "./index";
import { JSON_SCHEMA_DIR, JSON_SCHEMA_DRAFT, jsonSchemaFileName, jsonSchemaText } from "./json-schemas";

const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
const STALE = "events/schemas/ is out of date with events/src: run `npm run schemas` and commit the result";

const published = (type: EventType) => readFileSync(path.join(JSON_SCHEMA_DIR, jsonSchemaFileName(type)), "utf8");

describe("events/schemas/", () => {
  it("holds exactly one file per event type of the catalog", () => {
    expect(existsSync(JSON_SCHEMA_DIR), STALE).toBe(true);
    expect(readdirSync(JSON_SCHEMA_DIR).sort(), STALE).toEqual(EVENT_TYPE_NAMES.map(jsonSchemaFileName).sort());
  });

  it.each(EVENT_TYPE_NAMES)("%s.schema.json is what `npm run schemas` writes today", (type) => {
    expect(published(type), STALE).toBe(jsonSchemaText(type));
  });

  it("are draft-07 documents that ajv's draft-07 class compiles strictly, and they accept what we emit", () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv, ["uuid", "date-time"]);
    for (const type of EVENT_TYPE_NAMES) {
      const schema = JSON.parse(published(type)) as { $schema: string; title: string };
      expect(schema.$schema).toBe(JSON_SCHEMA_DRAFT);
      expect(schema.title).toBe(type);
      const validate = ajv.compile(schema);
      const events = [sampleData(type), ...(variantData()[type] ?? [])].map((data) =>
        buildEvent(type, data as never, { source: SOURCE }),
      );
      for (const event of events) expect(validate(event), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
      // As strict as the validator: what it refuses, the published schema refuses too.
      const broken = { ...events[0], data: { ...(events[0]?.data as object), extra: 1 } };
      expect(validateEvent(broken).valid).toBe(false);
      expect(validate(broken)).toBe(false);
      expect(validate({ ...events[0], type: "com.taskmanager.other" })).toBe(false);
    }
  });
});
