// JSON request bodies with a bounded nesting depth: an iterative scan first, then fastify's own parser (secure-json-parse).
import type { FastifyInstance } from "fastify";

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
 * Replaces the `application/json` parser: a body nested deeper than MAX_JSON_DEPTH is a 400 before it is parsed;
 * any other goes to fastify's default JSON parser (prototype-poisoning checks on, as by default). The body limit
 * still applies first.
 */
export function installJsonBodyParser(server: FastifyInstance): void {
  const parse = server.getDefaultJsonParser("error", "error");
  server.removeContentTypeParser("application/json");
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
    parse(request, text, done);
  });
}
