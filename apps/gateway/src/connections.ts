// The open sockets of this gateway instance by user: the per-user cap, the close at the token's expiry, and sending a frame to a user's sockets without ever buffering more than the per-socket limit.
import type { FastifyBaseLogger } from "fastify";
import { type Closing, TOKEN_EXPIRED, TOO_SLOW } from "./close-codes";
import type { SocketSettings } from "./config";

/** `readyState` of an open socket (WHATWG WebSocket, which `ws` follows): frames can be sent. */
const OPEN = 1;
/** The longest delay `setTimeout` takes (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** The part of a `ws` WebSocket the registry uses. */
export interface ClientSocket {
  readonly readyState: number;
  /** Bytes accepted by `send` but not yet written to the network: the TCP socket's buffer and `ws`'s own queue. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
}

/** One open socket of a user. */
export interface Connection {
  readonly userId: string;
  readonly socket: ClientSocket;
  /** Whether the socket answered the last ping with a pong (or has not been pinged yet). */
  alive: boolean;
}

interface Entry extends Connection {
  expiry?: NodeJS.Timeout;
}

/** The registry of one gateway instance's sockets, keyed by the user id (`sub`) of the token each opened with. */
export class Connections {
  private readonly byUser = new Map<string, Set<Entry>>();

  constructor(
    private readonly settings: Pick<SocketSettings, "maxBufferedBytes" | "maxSocketsPerUser">,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * Registers a user's new socket and arms its close with 4001 at `expiresAt` (epoch ms; at once when past).
   * Returns undefined, registering nothing, when the user already has `maxSocketsPerUser` sockets here: the caller
   * closes it with 4029. Call `remove` when the socket closes.
   */
  add(userId: string, socket: ClientSocket, expiresAt: number): Connection | undefined {
    const sockets = this.byUser.get(userId) ?? new Set<Entry>();
    if (sockets.size >= this.settings.maxSocketsPerUser) return undefined;
    const entry: Entry = { userId, socket, alive: true };
    sockets.add(entry);
    this.byUser.set(userId, sockets);
    const arm = () => {
      const left = expiresAt - Date.now();
      if (left > 0) {
        entry.expiry = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
        return;
      }
      this.log.info({ userId }, "token expired: closing its socket");
      close(socket, TOKEN_EXPIRED);
    };
    arm();
    return entry;
  }

  /** Forgets a socket (it closed) and its expiry timer. */
  remove(connection: Connection): void {
    const entry = connection as Entry;
    clearTimeout(entry.expiry);
    const sockets = this.byUser.get(entry.userId);
    sockets?.delete(entry);
    if (sockets?.size === 0) this.byUser.delete(entry.userId);
  }

  /** How many sockets a user has open here. */
  count(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  /** Every registered socket. */
  *[Symbol.iterator](): IterableIterator<Connection> {
    for (const sockets of this.byUser.values()) yield* sockets;
  }

  /**
   * Sends `frame` (one text frame) to each open socket of `userId`, now, in the order of the calls. A socket whose
   * unsent bytes plus the frame would pass `maxBufferedBytes` gets no frame but a close with 4008 (the `ws` server's
   * `closeTimeout` terminates it when the close handshake does not finish): a reader that stopped never makes the
   * gateway hold more than the limit for it. Returns how many sockets the frame went to.
   */
  send(userId: string, frame: string): number {
    const bytes = Buffer.byteLength(frame);
    let sent = 0;
    for (const { socket } of this.byUser.get(userId) ?? []) {
      if (socket.readyState !== OPEN) continue;
      if (socket.bufferedAmount + bytes > this.settings.maxBufferedBytes) {
        this.log.warn(
          {
            userId,
            bufferedBytes: socket.bufferedAmount,
            frameBytes: bytes,
            maxBufferedBytes: this.settings.maxBufferedBytes,
          },
          "socket too slow: closing it with 4008",
        );
        close(socket, TOO_SLOW);
        continue;
      }
      socket.send(frame);
      sent += 1;
    }
    return sent;
  }
}

/** Starts the close handshake with `closing`, unless the socket is already closing. */
export function close(socket: ClientSocket, closing: Closing): void {
  if (socket.readyState === OPEN) socket.close(closing.code, closing.reason);
}
