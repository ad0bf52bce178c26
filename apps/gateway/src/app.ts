// The composition root of the gateway: the service kit's server and shutdown (no database), with the WebSocket endpoint, the socket registry and heartbeat, the task-updates subscription and the board.
import {
  type BaseService,
  type BaseServiceContext,
  createAuthenticator,
  startService,
} from "@event-platform/service-kit";
import { APPS } from "../../../specs/apps";
import packageJson from "../package.json";
import { BOARD_DIR, registerBoardRoutes } from "./board";
import type { GatewayConfig } from "./config";
import { Connections } from "./connections";
import { Heartbeat } from "./heartbeat";
import { registerSocketRoute } from "./socket-route";
import { taskUpdatesHandler } from "./updates";

export interface Gateway extends BaseService {
  /** The sockets open on this instance, by user. */
  connections: Connections;
  /**
   * Graceful shutdown within the configured timeout: stop taking deliveries (each new one is answered RETRY), close
   * the server, which closes every socket with 1001 and cuts what is still open at the deadline, stop the heartbeat.
   */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** The board's folder; `apps/gateway/board` (`BOARD_DIR`) by default. */
  boardDir?: string;
}

/** Starts the gateway: its routes and subscription, listening, then the heartbeat. */
export function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  return startService({
    app: APPS.gateway,
    version: packageJson.version,
    config,
    build: async ({ server, log }: BaseServiceContext) => {
      const connections = new Connections(config.sockets, log.child({ component: "sockets" }));
      await registerSocketRoute(server, {
        authenticator: createAuthenticator(config.auth),
        connections,
        ...(config.sockets.allowedOrigins ? { allowedOrigins: config.sockets.allowedOrigins } : {}),
      });
      await registerBoardRoutes(server, {
        boardDir: options.boardDir ?? BOARD_DIR,
        ...(config.backendPublicUrl === undefined ? {} : { backendPublicUrl: config.backendPublicUrl }),
      });
      const heartbeat = new Heartbeat(
        connections,
        config.sockets.pingIntervalMs,
        log.child({ component: "heartbeat" }),
      );
      const [subscription] = APPS.gateway.subscriptions;
      return {
        handlers: { [subscription.defaultPath]: taskUpdatesHandler(connections) },
        workers: [heartbeat],
        connections,
      };
    },
  });
}
