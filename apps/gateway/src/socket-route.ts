// The WebSocket endpoint `/ws`: origin and bearer token checked at the upgrade (403, 401: no socket opens), the `task-updates.v1` subprotocol echoed (never the token), the socket registered under its user, and every socket closed with 1001 when the server closes.
import { type Authenticator, type Caller, ForbiddenError, UnauthorizedError } from "@event-platform/service-kit";
import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerOptions } from "ws";
import { GOING_AWAY, TOO_MANY_CONNECTIONS, UNSUPPORTED_DATA } from "./close-codes";
import { type Connections, close } from "./connections";

/** The subprotocol of the board's protocol; the server echoes it, and only it. */
export const SUBPROTOCOL = "task-updates.v1";
/** A subprotocol `bearer.<JWT>` carries the token: browsers cannot set an Authorization header on a WebSocket. */
const TOKEN_PREFIX = "bearer.";
/** The largest frame a client may send; the server expects none, and `ws` closes with 1009 over this. */
const MAX_CLIENT_FRAME_BYTES = 4_096;
/** How long a close handshake may take before `ws` destroys the connection (its `closeTimeout`; 30 s by default). */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 3_000;

export interface SocketRouteOptions {
  authenticator: Authenticator;
  connections: Connections;
  /** Origins allowed to open a socket (WS_ALLOWED_ORIGINS); undefined: any. */
  allowedOrigins?: ReadonlySet<string>;
}

/** The subprotocols a client offers (`Sec-WebSocket-Protocol`, comma-separated; several header lines joined). */
export function offeredSubprotocols(header: string | string[] | undefined): string[] {
  return [header ?? []]
    .flat()
    .flatMap((line) => line.split(","))
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * The `Authorization` value to verify for an upgrade: the JWT of the one `bearer.<JWT>` subprotocol offered, else
 * the request's own `Authorization` header (non-browser clients); a query string is never read. Throws
 * `UnauthorizedError` when `task-updates.v1` is not offered or several tokens are.
 */
export function upgradeAuthorization(headers: FastifyRequest["headers"]): string | undefined {
  const offered = offeredSubprotocols(headers["sec-websocket-protocol"]);
  if (!offered.includes(SUBPROTOCOL)) {
    throw new UnauthorizedError(`The WebSocket must offer the subprotocol ${SUBPROTOCOL}`);
  }
  const tokens = offered.filter((item) => item.startsWith(TOKEN_PREFIX));
  if (tokens.length > 1) throw new UnauthorizedError("The WebSocket offers more than one bearer subprotocol");
  const [token] = tokens;
  return token === undefined ? headers.authorization : `Bearer ${token.slice(TOKEN_PREFIX.length)}`;
}

/**
 * Registers `GET /ws`. The upgrade is checked before `ws` answers it: an `Origin` not in `allowedOrigins` is a 403,
 * a missing, invalid or expired token or no `task-updates.v1` a 401 (the kit's error answers), and the connection
 * ends without a socket. An accepted socket is registered under its user, or closed with 4029 when the user is at
 * the cap; it is closed with 1003 on the first data message it sends (the protocol has none from the client); it is
 * forgotten when it closes. When the server closes, every socket is closed with 1001 (`ws`
 * destroys those whose close handshake does not end within CLOSE_HANDSHAKE_TIMEOUT_MS, and the kit's `closeServer`
 * cuts any left at the shutdown deadline).
 */
export async function registerSocketRoute(server: FastifyInstance, options: SocketRouteOptions): Promise<void> {
  const { authenticator, connections, allowedOrigins } = options;
  const callers = new WeakMap<FastifyRequest, Caller>();

  // `closeTimeout` is a server option of ws 8.23 (lib/websocket-server.js, passed to every socket); @types/ws 8.18
  // does not know it yet.
  const socketOptions: ServerOptions & { closeTimeout: number } = {
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS,
    // Only reached after the hook below found the subprotocol offered.
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  };
  await server.register(websocket, {
    options: socketOptions,
    // In place of the plugin's own, which closes every socket without a code (1005).
    preClose: async () => {
      for (const socket of server.websocketServer.clients) close(socket, GOING_AWAY);
      server.websocketServer.close();
    },
    // An error on an open socket (a frame over the limit, a peer that reset): `ws` has already started closing it
    // with the right code when it could; a socket still open here is one the handler failed on.
    errorHandler: (error, socket, request) => {
      request.log.info({ err: error }, "WebSocket error");
      if (socket.readyState === socket.OPEN) socket.terminate();
    },
  });

  await server.register(async (scope) => {
    scope.addHook("onRequest", async (request) => {
      const origin = request.headers.origin;
      if (allowedOrigins && origin !== undefined && !allowedOrigins.has(origin)) {
        throw new ForbiddenError("This origin may not open a WebSocket here (WS_ALLOWED_ORIGINS)");
      }
      callers.set(request, await authenticator.caller(upgradeAuthorization(request.headers)));
    });

    scope.get("/ws", { websocket: true }, (socket, request) => {
      const caller = callers.get(request);
      if (!caller) throw new Error("The upgrade reached /ws without an authenticated caller");
      const connection = connections.add(caller.userId, socket, caller.expiresAt);
      if (!connection) {
        request.log.info({ userId: caller.userId }, "too many sockets for the user: closing the new one with 4029");
        close(socket, TOO_MANY_CONNECTIONS);
        return;
      }
      socket.on("message", () => close(socket, UNSUPPORTED_DATA));
      socket.on("pong", () => {
        connection.alive = true;
      });
      socket.on("close", () => connections.remove(connection));
      request.log.debug({ userId: caller.userId, sockets: connections.count(caller.userId) }, "socket opened");
    });
  });
}
