// The close codes the gateway ends a socket with, and their reasons: the browser-facing protocol the board reacts to (README, "Close codes").

/** A WebSocket close: its code and the reason sent with it. */
export interface Closing {
  code: number;
  reason: string;
}

/** The gateway shuts down (SIGTERM): reconnect with backoff (RFC 6455 §7.4.1, 1001 "going away"). */
export const GOING_AWAY: Closing = { code: 1001, reason: "going away" };
/**
 * The client sent a data message (text or binary, whole or in fragments): the protocol is server-to-client only, so
 * the message is dropped and the socket closed (RFC 6455 §7.4.1, 1003: data the endpoint cannot accept). A flood of
 * messages thus costs one close, not a parse of every message.
 */
export const UNSUPPORTED_DATA: Closing = { code: 1003, reason: "the server takes no messages" };
/** The token's `exp` passed: sign in again. */
export const TOKEN_EXPIRED: Closing = { code: 4001, reason: "token expired" };
/** The socket's unsent buffer went over WS_MAX_BUFFERED_BYTES: reconnect and reload. */
export const TOO_SLOW: Closing = { code: 4008, reason: "too slow" };
/** The user already has WS_MAX_SOCKETS_PER_USER sockets on this instance: do not retry on its own. */
export const TOO_MANY_CONNECTIONS: Closing = { code: 4029, reason: "too many connections" };
