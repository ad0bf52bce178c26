// The heartbeat: a WebSocket ping to every socket at each interval; a socket that has not answered the previous ping with a pong is terminated, so a dead peer does not hold a slot (and its buffer) for ever.
import type { BackgroundWorker } from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import type { Connections } from "./connections";

/** Pings every registered socket every `intervalMs`; browsers answer pings on their own (RFC 6455 §5.5.2). */
export class Heartbeat implements BackgroundWorker {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connections: Connections,
    private readonly intervalMs: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.beat(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One beat: terminates the sockets that did not answer the last ping, pings the others. */
  beat(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        this.log.info({ userId: connection.userId }, "no pong since the last ping: terminating the socket");
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }
}
