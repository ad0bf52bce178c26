// The composition root: database, outbox relay, service, routes and the HTTP server, with an orderly shutdown.
import { eventSource } from "@event-platform/events";
import {
  closeServer,
  createAuthenticator,
  createServer,
  listen,
  OutboxRelay,
  registerHealthRoutes,
  registerSubscriber,
  SidecarClient,
  sidecarPublisher,
} from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import { APPS } from "../../../specs/apps";
import packageJson from "../package.json";
import type { BackendConfig } from "./config";
import { type Database, openDatabase } from "./database";
import { registerMcpRoute } from "./mcp-route";
import { registerTaskRoutes } from "./rest-routes";
import { registerSidecarRoutes } from "./sidecar-routes";
import { TaskService } from "./task-service";

export interface Backend {
  /** `http://127.0.0.1:<port>`: where tests and the local runtime reach it. */
  url: string;
  port: number;
  server: FastifyInstance;
  database: Database;
  relay: OutboxRelay;
  /**
   * Graceful shutdown: stop accepting connections and let in-flight requests finish, then stop the relay and
   * flush the outbox, then close the database; everything within the configured shutdown timeout.
   */
  close(): Promise<void>;
}

/** Starts the backend: migrates the database, listens, then starts the relay (which publishes any backlog). */
export async function startBackend(config: BackendConfig): Promise<Backend> {
  const server = createServer(config);
  const database = await openDatabase(config.database, server.log).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const sidecar = new SidecarClient({
    url: config.dapr.url,
    timeoutMs: config.outbox.publishTimeoutMs,
    ...(config.dapr.apiToken ? { apiToken: config.dapr.apiToken } : {}),
  });
  const publisher = sidecarPublisher(sidecar, config.pubsubName);
  const relay = new OutboxRelay(
    database,
    publisher,
    {
      batchSize: config.outbox.batchSize,
      pollIntervalMs: config.outbox.pollIntervalMs,
      backoff: { initialMs: config.outbox.backoffInitialMs, maxMs: config.outbox.backoffMaxMs },
      retentionHours: config.outbox.retentionHours,
    },
    server.log.child({ component: "outbox-relay" }),
  );
  const tasks = new TaskService(database.db, { source: eventSource(config.appId), onEventsStored: () => relay.wake() });
  const authenticator = createAuthenticator(config.auth);

  try {
    registerHealthRoutes(server, { database: () => database.ping() });
    await registerTaskRoutes(server, { tasks, authenticator });
    // The backend publishes only: its `GET /dapr/subscribe` answers an empty list.
    await registerSubscriber(server, { app: APPS.backend, appToken: config.dapr.appToken, handlers: {} });
    await registerSidecarRoutes(server, { tasks, appToken: config.dapr.appToken });
    await registerMcpRoute(server, { tasks, authenticator, version: packageJson.version });
  } catch (error) {
    await server.close();
    await database.close();
    throw error;
  }
  const { url, port } = await listen(server, config).catch(async (error: unknown) => {
    await server.close();
    await database.close();
    throw error;
  });
  relay.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      await closeServer(server, deadline);
      await relay.stop(deadline);
      await database.close();
      server.log.info("backend stopped");
    })();
    return closing;
  };
  return { url, port, server, database, relay, close };
}
