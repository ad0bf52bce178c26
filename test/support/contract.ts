// The mission's published event contract (draft-07 JSON Schemas in the upstream cache): which schema covers an event type, and whether an event keeps it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { upstreamPaths } from "./upstream";

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives as the module object.
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

/** The contract's files, one per topic. */
export const CONTRACT_FILES = ["task-event.schema.json", "reminder-event.schema.json", "task-update-event.schema.json"];

/** One schema of the contract, compiled. */
export interface ContractSchema {
  file: string;
  /** The CloudEvent types its `type` enum allows. */
  types: string[];
  validate: ValidateFunction;
}

let loaded: ContractSchema[] | undefined;

/**
 * The contract's schemas, read through the upstream cache (`upstreamPaths.contract`, filled by test/prepare.ts)
 * and compiled by ajv's default class, which implements draft-07 (the files' `$schema`), with ajv-formats for
 * `uuid` and `date-time`. Not strict: the files use annotation keywords (`example`) that draft-07 ignores.
 */
export function contractSchemas(): ContractSchema[] {
  if (loaded) return loaded;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  loaded = CONTRACT_FILES.map((file) => {
    const schema = JSON.parse(readFileSync(path.join(upstreamPaths.contract, file), "utf8")) as {
      $schema?: string;
      properties?: { type?: { enum?: string[] } };
    };
    if (schema.$schema !== "http://json-schema.org/draft-07/schema#") {
      throw new Error(`${file}: expected a draft-07 schema, got $schema ${String(schema.$schema)}`);
    }
    return { file, types: schema.properties?.type?.enum ?? [], validate: ajv.compile(schema) };
  });
  return loaded;
}

/** The contract schema whose `type` enum names this event type; throws when none or several do. */
export function contractSchemaFor(type: string): ContractSchema {
  const matching = contractSchemas().filter((s) => s.types.includes(type));
  if (matching.length !== 1) {
    throw new Error(
      `The contract has ${matching.length} schemas for ${type}: ${matching.map((s) => s.file).join(", ")}`,
    );
  }
  return matching[0] as ContractSchema;
}

/**
 * How an event breaks the contract: one line per ajv error (`<file>: <path> <message>`), empty when it keeps it.
 * The schema is chosen by the event's `type`; throws when the type is in none of them.
 */
export function contractViolations(event: object): string[] {
  const { validate, file } = contractSchemaFor(String((event as { type?: unknown }).type));
  if (validate(event)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => `${file}: ${e.instancePath || "/"} ${e.message ?? e.keyword}`);
}
