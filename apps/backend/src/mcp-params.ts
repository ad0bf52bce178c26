// MCP requests whose params break their method's schema, answered -32602 Invalid params naming each bad field (the SDK would answer -32603 with a Zod dump).
import { escapePointer } from "@event-platform/events";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  InitializeRequestSchema,
  type JSONRPCErrorResponse,
  ListToolsRequestSchema,
  PingRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

/**
 * The requests the backend's MCP server answers (`initialize` and `ping` are the SDK's own, `tools/list` and
 * `tools/call` the backend's), by method, with the SDK's schema of each.
 */
const ANSWERED = new Map(
  [InitializeRequestSchema, PingRequestSchema, ListToolsRequestSchema, CallToolRequestSchema].map((schema) => [
    schema.shape.method.value as string,
    schema,
  ]),
);

/** One bad field of a request: its JSON Pointer in the JSON-RPC message (`/params/name`) and what is wrong. */
export interface ParamsViolation {
  path: string;
  message: string;
}

/** A JSON-RPC 2.0 request's id and method, whatever its params; undefined for a notification, an answer or no request. */
function requestOf(message: unknown): { id: string | number; method: string } | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  const { jsonrpc, id, method } = message as Record<string, unknown>;
  const validId = typeof id === "string" || (typeof id === "number" && Number.isInteger(id));
  return jsonrpc === "2.0" && validId && typeof method === "string" ? { id, method } : undefined;
}

/**
 * The JSON-RPC error for a request whose method the server answers but whose params break that method's schema
 * (missing, not an object, a field of the wrong type): code -32602 (JSON-RPC 2.0 §5.1, "Invalid method
 * parameter(s)"), the violations in `data`; undefined for any other message. The SDK's transport answers params
 * that are no object with HTTP 400 and -32700 Parse error, though the JSON parsed; its `Protocol.setRequestHandler` parses the request with the method's schema before the
 * handler runs and answers its ZodError as -32603 Internal error (`@modelcontextprotocol/sdk` 1.32
 * `shared/protocol.js`; `Server`'s own -32602 check for `tools/call` runs after that parse, so never). Tool
 * arguments are not checked here: the MCP spec has a tool report its own errors in its result (`isError`), which
 * `callTool` does with the arguments' violations.
 */
export function invalidParamsError(message: unknown): JSONRPCErrorResponse | undefined {
  const request = requestOf(message);
  if (request === undefined) return undefined;
  const schema = ANSWERED.get(request.method);
  const parsed = schema?.safeParse(message);
  if (parsed === undefined || parsed.success) return undefined;
  const violations: ParamsViolation[] = parsed.error.issues.map((issue) => ({
    path: issue.path.map((key) => `/${escapePointer(String(key))}`).join(""),
    message: issue.message,
  }));
  return {
    jsonrpc: "2.0",
    id: request.id,
    error: {
      code: ErrorCode.InvalidParams,
      message: `Invalid params: ${violations.map((v) => `${v.path || "/"} ${v.message}`).join("; ")}`,
      data: { violations },
    },
  };
}

/**
 * Makes a connected transport answer `invalidParamsError`'s requests itself, before the server sees them (the
 * requests of a batch, which the route cannot answer as one); every other message reaches the server as before.
 * Call after the server's `connect`, which installs its `onmessage`.
 */
export function refuseInvalidParams(transport: Transport): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const refused = invalidParamsError(message);
    if (refused === undefined) deliver?.(message, extra);
    else void transport.send(refused);
  };
}
