// The project's published JSON Schemas: one draft-07 document per event type, generated from the TypeBox schemas (events/schemas/, `npm run schemas`).
import path from "node:path";
import { EVENT_TYPES, type EventType } from "./catalog";
import { envelopeSchema } from "./cloudevents";

/** Where the generated files live: `events/schemas/<type>.schema.json`. */
export const JSON_SCHEMA_DIR = path.resolve(__dirname, "../schemas");

/** The dialect of the generated documents: draft-07, like the mission's contract they refine. */
export const JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#";

/** The file name of an event type's schema, such as `com.taskmanager.task.created.schema.json`. */
export function jsonSchemaFileName(type: EventType): string {
  return `${type}.schema.json`;
}

/**
 * The JSON Schema document of one event type: the whole CloudEvent (envelope and `data`), with its `$schema`,
 * title and description. Plain data, so it serializes as it is.
 */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const schema = JSON.parse(JSON.stringify(envelopeSchema(type))) as Record<string, unknown>;
  return { $schema: JSON_SCHEMA_DRAFT, title: type, description: EVENT_TYPES[type].description, ...schema };
}

/** The text of an event type's schema file, exactly as `npm run schemas` writes it. */
export function jsonSchemaText(type: EventType): string {
  return `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`;
}
