// /mcp: the MCP tools over streamable HTTP (stateless, JSON responses), behind the same bearer-token auth as REST.

import { type Authenticator, bearerRoute, ErrorBodySchema, requireUser } from "@event-platform/service-kit";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { FastifyInstance, FastifyRequest } from "fastify";
import Type from "typebox";
import { callTool, toolList } from "./mcp-tools";
import type { TaskService } from "./task-service";

const JsonRpcId = Type.Union([Type.String(), Type.Integer()]);

/** A JSON-RPC 2.0 request or notification (no `id`) of MCP; the SDK checks each method's `params`. */
const JsonRpcRequest = Type.Object({
  jsonrpc: Type.Literal("2.0"),
  id: Type.Optional(JsonRpcId),
  method: Type.String({ description: "initialize, tools/list, tools/call, ..." }),
  params: Type.Optional(Type.Object({})),
});

/** A JSON-RPC 2.0 answer: a result, or an error (-32602 for invalid params, ...). */
const JsonRpcResponse = Type.Object({
  jsonrpc: Type.Literal("2.0"),
  id: Type.Union([JsonRpcId, Type.Null()]),
  result: Type.Optional(Type.Object({})),
  error: Type.Optional(
    Type.Object({ code: Type.Integer(), message: Type.String(), data: Type.Optional(Type.Unknown()) }),
  ),
});

/**
 * The low-level `Server` rather than `McpServer`: McpServer's tools take Zod schemas, while these tools take the
 * JSON Schemas REST validates with (built from the event contract), so both transports share one definition.
 */
function mcpServerFor(tasks: TaskService, request: FastifyRequest, version: string): Server {
  const server = new Server({ name: "event-platform-backend", version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: toolList() }));
  server.setRequestHandler(CallToolRequestSchema, async (call) => {
    try {
      return await callTool(tasks, request.userId, call.params.name, call.params.arguments);
    } catch (error) {
      // The SDK turns this into a JSON-RPC error for the client; the log keeps the cause.
      request.log.error({ err: error, tool: call.params.name }, "MCP tool failed");
      throw error;
    }
  });
  return server;
}

export async function registerMcpRoute(
  server: FastifyInstance,
  deps: { tasks: TaskService; authenticator: Authenticator; version: string },
): Promise<void> {
  await server.register(async (scope) => {
    requireUser(scope, deps.authenticator);

    // Stateless: a server and transport per request, bound to the caller; nothing is kept between requests.
    const mcpSchema = {
      ...bearerRoute,
      description: "MCP streamable HTTP, stateless, JSON answers: send Accept: application/json, text/event-stream.",
      body: JsonRpcRequest,
      response: {
        200: JsonRpcResponse,
        202: Type.Null({ description: "A notification, accepted." }),
        // The SDK answers a request it cannot take (wrong Accept or Content-Type, bad JSON-RPC) with a JSON-RPC error.
        "4XX": Type.Union([ErrorBodySchema, JsonRpcResponse]),
      },
    };
    scope.post("/mcp", { schema: mcpSchema }, async (request, reply) => {
      const mcp = mcpServerFor(deps.tasks, request, deps.version);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.raw.on("close", () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      reply.hijack();
      await transport.handleRequest(request.raw, reply.raw, request.body);
    });

    // No sessions and no server-initiated streams in stateless mode.
    const notAllowed = { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed." }, id: null };
    const notAllowedSchema = { ...bearerRoute, response: { "4XX": Type.Union([ErrorBodySchema, JsonRpcResponse]) } };
    scope.get("/mcp", { schema: notAllowedSchema }, async (_request, reply) =>
      reply.code(405).header("allow", "POST").send(notAllowed),
    );
    scope.delete("/mcp", { schema: notAllowedSchema }, async (_request, reply) =>
      reply.code(405).header("allow", "POST").send(notAllowed),
    );
  });
}
