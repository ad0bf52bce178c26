// The composition root: database, outbox relay, service, routes and the HTTP server, with an orderly shutdown.
import { eventSource } from "@event-platform/events";
import fastify, { type FastifyInstance } from "fastify";
import packageJson from "../package.json";
import { createAuthenticator } from "./auth";
import type { BackendConfig } from "./config";
import { type Database, openDatabase } from "./database";
import { registerHealthRoutes } from "./health-routes";
import { installErrorHandler } from "./http-errors";
import { installJsonBodyParser } from "./json-body";
import { registerMcpRoute } from "./mcp-route";
import { OutboxRelay } from "./outbox-relay";
import { registerTaskRoutes } from "./rest-routes";
import { SidecarPublisher } from "./sidecar-publisher";
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
  const server = fastify(serverOptions(config));
  installErrorHandler(server);
  installJsonBodyParser(server);
  const database = await openDatabase(config.database, server.log).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const publisher = new SidecarPublisher({
    url: config.dapr.url,
    pubsubName: config.pubsubName,
    timeoutMs: config.outbox.publishTimeoutMs,
    ...(config.dapr.apiToken ? { apiToken: config.dapr.apiToken } : {}),
  });
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
    await registerSidecarRoutes(server, { tasks, appToken: config.dapr.appToken });
    await registerMcpRoute(server, { tasks, authenticator, version: packageJson.version });
    await server.listen({ port: config.port, host: config.host });
  } catch (error) {
    await server.close();
    await database.close();
    throw error;
  }
  relay.start();

  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
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
  return { url: `http://127.0.0.1:${port}`, port, server, database, relay, close };
}

/**
 * The HTTP server's limits, so that no client holds a connection or a request open for long: the whole request
 * (headers and body) within `requestTimeoutMs`, else 408 and the connection closed (a body that stops half-way is
 * cut off); headers within the same; any connection silent for `connectionTimeoutMs` closed. Node checks the
 * request and header deadlines every `connectionsCheckingInterval` (30 s by default), here every second at most.
 */
export function serverOptions(config: Pick<BackendConfig, "logLevel" | "http">) {
  const { requestTimeoutMs, connectionTimeoutMs } = config.http;
  return {
    logger: { level: config.logLevel },
    // Task bodies are small (a 5000-character description at most); a larger body is a mistake or an attack.
    bodyLimit: 256 * 1024,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    http: {
      headersTimeout: requestTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
    },
  };
}

/** Closes the server; requests still running at `deadline` have their connections cut. */
async function closeServer(server: FastifyInstance, deadline: number): Promise<void> {
  const timer = setTimeout(() => server.server.closeAllConnections(), Math.max(deadline - Date.now(), 0));
  try {
    await server.close();
  } finally {
    clearTimeout(timer);
  }
}
