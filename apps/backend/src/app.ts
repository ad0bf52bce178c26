// The composition root: the service kit's server, database and shutdown, with the backend's outbox relay, task service and routes.
import { eventSource } from "@event-platform/events";
import {
  createAuthenticator,
  type OutboxRelay,
  type Service,
  type ServiceContext,
  serviceOutboxRelay,
  startService,
} from "@event-platform/service-kit";
import { APPS } from "../../../specs/apps";
import packageJson from "../package.json";
import type { BackendConfig } from "./config";
import { registerCors } from "./cors";
import { registerMcpRoute } from "./mcp-route";
import { BACKEND_SCHEMA, MIGRATIONS } from "./migrations";
import { registerTaskRoutes } from "./rest-routes";
import { registerSidecarRoutes } from "./sidecar-routes";
import type { Tables } from "./tables";
import { TaskService } from "./task-service";

export interface Backend extends Service<Tables> {
  relay: OutboxRelay;
  /**
   * Graceful shutdown: stop accepting connections and let in-flight requests finish, then stop the relay and
   * flush the outbox, then close the database; everything within the configured shutdown timeout.
   */
  close(): Promise<void>;
}

/** Starts the backend: migrates the database, listens, then starts the relay (which publishes any backlog). */
export function startBackend(config: BackendConfig): Promise<Backend> {
  return startService({
    app: APPS.backend,
    version: packageJson.version,
    config,
    schema: BACKEND_SCHEMA,
    migrations: MIGRATIONS,
    sidecarTimeoutMs: config.publishTimeoutMs,
    build: async (context: ServiceContext<Tables>) => {
      const { server, database } = context;
      // Schema `public`: the relay keeps the lock key it had before services had schemas of their own.
      const relay = serviceOutboxRelay(context, config.outbox);
      const tasks = new TaskService(database, {
        source: eventSource(config.appId),
        onEventsStored: () => relay.wake(),
      });
      const authenticator = createAuthenticator(config.auth);
      await registerCors(server, config.cors.origins);
      await registerTaskRoutes(server, { tasks, authenticator });
      await registerSidecarRoutes(server, { tasks, appToken: config.dapr.appToken });
      await registerMcpRoute(server, { tasks, authenticator, version: packageJson.version });
      // The backend publishes only: its `GET /dapr/subscribe` answers an empty list.
      return { handlers: {}, workers: [relay], relay };
    },
  });
}
