// The composition root of the recurring service: database, sidecar client, subscription routes and the HTTP server, with an orderly shutdown.
import {
  closeServer,
  createServer,
  type Database,
  ignoreEvent,
  listen,
  openDatabase,
  registerHealthRoutes,
  registerSubscriber,
  SidecarClient,
  type Subscriber,
} from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import { APPS } from "../../../specs/apps";
import type { RecurringConfig } from "./config";
import { MIGRATIONS, RECURRING_SCHEMA } from "./migrations";
import type { Tables } from "./tables";
import { taskCompletedHandler } from "./task-completed";

export interface Recurring {
  /** `http://127.0.0.1:<port>`: where tests and the local runtime reach it. */
  url: string;
  port: number;
  server: FastifyInstance;
  database: Database<Tables>;
  /** The subscription routes: how many deliveries are being handled now. */
  subscriber: Subscriber;
  /**
   * Graceful shutdown, within the configured shutdown timeout: stop taking deliveries (each new one is answered 503
   * RETRY) and let those in flight finish, close the HTTP server, then close the database.
   */
  close(): Promise<void>;
}

/** Starts the recurring service: migrates its database (schema `recurring`), registers its routes and listens. */
export async function startRecurring(config: RecurringConfig): Promise<Recurring> {
  const server = createServer(config);
  const database = await openDatabase<Tables>(
    config.database,
    { appId: config.appId, schema: RECURRING_SCHEMA, migrations: MIGRATIONS },
    server.log,
  ).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  // Its URL, DAPR_API_TOKEN and SIDECAR_TIMEOUT_MS: every call to the backend ends within the timeout.
  const sidecar = new SidecarClient(config.dapr);

  let subscriber: Subscriber;
  let address: { url: string; port: number };
  try {
    registerHealthRoutes(server, { database: () => database.ping() });
    subscriber = await registerSubscriber(server, {
      app: APPS.recurring,
      appToken: config.dapr.appToken,
      handlers: {
        "/events/task-completed": taskCompletedHandler({
          db: database.db,
          sidecar,
          backendAppId: config.backendAppId,
        }),
        // task.created, updated and deleted: nothing to do, and nothing to keep.
        "/events/ignored": ignoreEvent,
      },
    });
    address = await listen(server, config);
  } catch (error) {
    await server.close();
    await database.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      await subscriber.drain(deadline);
      await closeServer(server, deadline);
      await database.close();
      server.log.info("recurring stopped");
    })();
    return closing;
  };
  return { ...address, server, database, subscriber, close };
}
