// JSON request bodies with a bounded nesting depth: an iterative scan first, then fastify's own parser (secure-json-parse).
import { escapePointer } from "@event-platform/events";
import type { FastifyInstance } from "fastify";
import { InvalidInputError } from "./errors";

/**
 * The deepest nesting of arrays and objects a JSON body may have. The API's own bodies need 2 (a task and its
 * tags) and an MCP request about 5; no code path then walks client input deeper than this, whatever it does.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]);
const CLOSE = new Set([0x5d, 0x7d]);

/**
 * Whether a JSON text nests arrays and objects deeper than `limit`. One pass over the text, no recursion and no
 * allocation, so its cost is bounded by the body limit; brackets inside strings do not count. The text need not be
 * valid JSON: the parser judges that afterwards.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === BACKSLASH) escaped = true;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (OPEN.has(c)) {
      depth += 1;
      if (depth > limit) return true;
    } else if (CLOSE.has(c)) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * The JSON Pointer of the first key in a JSON text that secure-json-parse refuses as prototype poisoning: a
 * `__proto__` key, or a `constructor` key whose value has a `prototype` key; undefined when there is none (or the
 * text is no JSON). JSON.parse makes such keys own properties and sets no prototype, so reading them is safe; the
 * walk is iterative and the depth is bounded before (MAX_JSON_DEPTH).
 */
export function poisoningKeyPath(text: string): string | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  const pending: { value: unknown; path: string }[] = [{ value: root, path: "" }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value !== "object" || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}/${escapePointer(key)}`;
      if (key === "__proto__") return childPath;
      if (key === "constructor" && typeof child === "object" && child !== null && Object.hasOwn(child, "prototype")) {
        return childPath;
      }
      pending.push({ value: child, path: childPath });
    }
  }
  return undefined;
}

/**
 * Replaces the `application/json` parser: a body nested deeper than MAX_JSON_DEPTH is a 400 before it is parsed;
 * any other goes to fastify's default JSON parser (prototype-poisoning checks on, as by default), and a body it
 * refuses for a poisoning key is a 400 naming that key (`/body/__proto__`) rather than "not valid JSON". Removes the
 * default `text/plain` parser: no API route takes text, so a text body is a 415, not a 400 about its type. The
 * body limit still applies first.
 */
export function installJsonBodyParser(server: FastifyInstance): void {
  const parse = server.getDefaultJsonParser("error", "error");
  server.removeContentTypeParser(["application/json", "text/plain"]);
  server.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    // parseAs "string" hands the body over as text.
    const text = body as string;
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
      const error = Object.assign(new Error(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), {
        statusCode: 400,
      });
      done(error, undefined);
      return;
    }
    parse(request, text, (error, value) => {
      const key = error ? poisoningKeyPath(text) : undefined;
      if (key === undefined) return done(error, value);
      const message = "must not be a key: it could change an object's prototype (prototype poisoning)";
      done(new InvalidInputError([{ path: `/body${key}`, message }]), undefined);
    });
  });
}
