// The HTTP server every service runs: fastify with bounded requests, the kit's error answers and JSON parser, listening and an orderly close.
import type { Server } from "node:http";
import type { Socket } from "node:net";
import fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { ServiceConfig } from "./config";
import { answerFrameworkError, errorBody, installErrorHandler, installMethodNotAllowed } from "./http-errors";
import { installJsonBodyParser } from "./json-body";

/**
 * A request URL as the logs show it: the path, and the query's parameter names with their values left out. A query
 * may carry what must never reach a log (a token pasted into a WebSocket URL, say), whichever name it has.
 */
export function loggedUrl(url: string): string {
  const queryAt = url.indexOf("?");
  if (queryAt === -1) return url;
  const names = [...new URLSearchParams(url.slice(queryAt + 1)).keys()];
  return `${url.slice(0, queryAt)}?${names.map((name) => `${encodeURIComponent(name)}=…`).join("&")}`;
}

/** Node's default limit of a request's header section, request line included (`--max-http-header-size`). */
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * The HTTP server's limits, so that no client holds a connection or a request open for long: the whole request
 * (headers and body) within `requestTimeoutMs`, else 408 and the connection closed (a body that stops half-way is
 * cut off); headers within the same; any connection silent for `connectionTimeoutMs` closed. Node checks the
 * request and header deadlines every `connectionsCheckingInterval` (30 s by default), here every second at most.
 */
export function serverOptions(config: Pick<ServiceConfig, "logLevel" | "http">) {
  const { requestTimeoutMs, connectionTimeoutMs } = config.http;
  return {
    logger: {
      level: config.logLevel,
      // fastify's own request serializer (lib/logger-pino.js) without the query's values (and the unused accept-version).
      serializers: {
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: loggedUrl(request.url),
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
    },
    // The services' bodies are small (a task, an event of a few KB); a larger body is a mistake or an attack.
    bodyLimit: 256 * 1024,
    // Past fastify's 100 characters a path parameter got a 414 from the router in fastify's own error shape; Node
    // takes no request line longer than its header limit (16 KiB), so at this length every parameter reaches the
    // route, whose schema names it in a 400.
    routerOptions: { maxParamLength: MAX_HEADER_BYTES },
    frameworkErrors: answerFrameworkError,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    http: {
      headersTimeout: requestTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
    },
  };
}

/**
 * Every open connection of each server `createServer` made. Node's `closeAllConnections` cuts only the connections
 * its HTTP parser still tracks: one handed over by an upgrade (a WebSocket) is no longer among them, and `close`
 * waits for it however long it stays open (Node `lib/_http_server.js`: the upgrade removes the socket's parser).
 */
const openConnections = new WeakMap<Server, Set<Socket>>();

/**
 * A body in a content coding (`Content-Encoding: gzip`, ...) is answered 415 with `Accept-Encoding: identity` (RFC
 * 9110 §15.5.16): no service decodes one, and its bytes would otherwise reach the JSON parser and get a 400 that
 * blames the JSON.
 */
export function refuseContentCodings(server: FastifyInstance): void {
  server.addHook("onRequest", async (request, reply) => {
    const coding = request.headers["content-encoding"];
    if (coding === undefined || coding.trim().toLowerCase() === "identity") return;
    await reply
      .code(415)
      .header("accept-encoding", "identity")
      .send(errorBody(415, `Content-Encoding ${coding} is not supported: send the body uncompressed`));
  });
}

/**
 * A fastify server with the kit's limits, error answers, 405s (`http-errors.ts`), no content coding and the
 * depth-bounded JSON parser.
 */
export function createServer(config: Pick<ServiceConfig, "logLevel" | "http">): FastifyInstance {
  const server = fastify(serverOptions(config));
  installErrorHandler(server);
  installMethodNotAllowed(server);
  refuseContentCodings(server);
  installJsonBodyParser(server);
  const connections = new Set<Socket>();
  openConnections.set(server.server, connections);
  server.server.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });
  return server;
}

/** Listens on the configured host and port; resolves with the URL tests and the local runtime reach it at. */
export async function listen(
  server: FastifyInstance,
  config: Pick<ServiceConfig, "host" | "port">,
): Promise<{ url: string; port: number }> {
  await server.listen({ port: config.port, host: config.host });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  return { url: `http://127.0.0.1:${port}`, port };
}

/**
 * Closes the server: no new connections, in-flight requests finish; those still running at `deadline` (epoch ms)
 * are cut, upgraded connections (WebSockets) of a `createServer` server included.
 */
export async function closeServer(server: FastifyInstance, deadline: number): Promise<void> {
  const cut = () => {
    server.server.closeAllConnections();
    for (const socket of openConnections.get(server.server) ?? []) socket.destroy();
  };
  const timer = setTimeout(cut, Math.max(deadline - Date.now(), 0));
  try {
    await server.close();
  } finally {
    clearTimeout(timer);
  }
}
