// Turns ajv's errors into one violation per offending value, each with its JSON Pointer: shared by the event validator and the services' input validation.
import type { ErrorObject } from "ajv";

/** One way a value breaks a schema: the JSON Pointer of the offending value, and what is wrong with it. */
export interface Violation {
  path: string;
  message: string;
}

/** A property name as a JSON Pointer segment (RFC 6901). */
export function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function pointer(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const child = params.missingProperty ?? params.additionalProperty ?? error.propertyName;
  return child === undefined ? error.instancePath : `${error.instancePath}/${escapePointer(child)}`;
}

function message(error: ErrorObject): string {
  const text = error.message ?? error.keyword;
  return error.propertyName === undefined ? text : `name ${text}`;
}

function describeBranch(error: ErrorObject): string {
  if (error.keyword === "const") return JSON.stringify(error.params.allowedValue);
  if (error.keyword === "type") return String(error.params.type);
  return `a value that ${message(error)}`;
}

/**
 * One violation per offending value. `propertyNames` wrappers are dropped (their inner error names the property).
 * A failed `anyOf` (a nullable field, a union of literals) is resolved to the one branch whose shape the value has,
 * so a bad field inside a nullable object keeps its own path; when no branch has that shape, it becomes one
 * violation listing what the branches allow.
 */
export function violationsOf(errors: readonly ErrorObject[]): Violation[] {
  const anyOfs = errors.filter((e) => e.keyword === "anyOf");
  const nested = (e: ErrorObject) => anyOfs.some((a) => a !== e && e.schemaPath.startsWith(`${a.schemaPath}/`));
  return errors
    .filter((e) => !nested(e) && e.keyword !== "propertyNames")
    .flatMap((e) => (e.keyword === "anyOf" ? anyOfViolations(e, errors) : [{ path: pointer(e), message: message(e) }]));
}

function anyOfViolations(anyOf: ErrorObject, errors: readonly ErrorObject[]): Violation[] {
  const prefix = `${anyOf.schemaPath}/`;
  const branches = new Map<string, ErrorObject[]>();
  for (const e of errors.filter((e) => e.schemaPath.startsWith(prefix))) {
    const branch = e.schemaPath.slice(prefix.length).split("/")[0] ?? "";
    branches.set(branch, [...(branches.get(branch) ?? []), e]);
  }
  const atValue = (e: ErrorObject) => e.instancePath === anyOf.instancePath;
  const shapeFits = (branch: ErrorObject[]) =>
    !branch.some((e) => atValue(e) && ["type", "const", "anyOf"].includes(e.keyword));
  const fitting = [...branches.values()].filter(shapeFits);
  if (fitting.length === 1 && fitting[0]) return violationsOf(fitting[0]);
  // What the branches accept, read from their failures at the value: a literal's value, else a type or a rule.
  const bySchema = new Map<string, string>();
  for (const e of errors) {
    if (!e.schemaPath.startsWith(prefix) || !atValue(e) || e.keyword === "anyOf") continue;
    const schema = e.schemaPath.slice(0, e.schemaPath.lastIndexOf("/"));
    if (e.keyword === "const") bySchema.set(schema, describeBranch(e));
    else if (!bySchema.has(schema)) bySchema.set(schema, describeBranch(e));
  }
  const allowed = [...bySchema.values()];
  return [{ path: anyOf.instancePath, message: `must be one of: ${[...new Set(allowed)].join(", ")}` }];
}
