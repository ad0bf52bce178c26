// A service put together the way every bundled service is: HTTP server, its database schema migrated, sidecar client, health, the app's own routes and subscriptions, listening, background workers, and the orderly shutdown.
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { AppSpec } from "../../specs/apps";
import type { ServiceConfig } from "./config";
import { type Database, type DatabaseConfig, type DatabaseOptions, openDatabase } from "./database";
import { registerHealthRoutes } from "./health";
import { registerOpenApi } from "./openapi";
import type { OutboxTables } from "./outbox";
import { OutboxRelay, type RelaySettings, relayLockKey, sidecarPublisher } from "./outbox-relay";
import type { BackgroundWorker } from "./periodic";
import { closeServer, createServer, listen } from "./server";
import { SidecarClient } from "./sidecar-client";
import { registerSubscriber, type Subscriber, type SubscriberOptions } from "./subscriptions";

/** What any app builds its own parts from: the server (not listening yet) and the sidecar. */
export interface BaseServiceContext {
  server: FastifyInstance;
  sidecar: SidecarClient;
  /** The server's logger; give each component a child of it. */
  log: FastifyBaseLogger;
  /** The Dapr pub/sub component the service publishes through (PUBSUB_NAME). */
  pubsubName: string;
}

/** What an app with a database builds its own parts from: the server, its migrated database and the sidecar. */
export interface ServiceContext<Tables> extends BaseServiceContext {
  database: Database<Tables>;
  /** The PostgreSQL schema of the service's tables. */
  schema: string;
}

/**
 * The relay of a service's transactional outbox: publishes through the service's sidecar on its pub/sub component,
 * as the one publisher of its schema's outbox (`relayLockKey(schema)`), logging as component `outbox-relay`. A
 * worker: `build` returns it in its stop order.
 */
export function serviceOutboxRelay(
  context: ServiceContext<OutboxTables>,
  settings: Omit<RelaySettings, "lockKey">,
): OutboxRelay {
  return new OutboxRelay(
    context.database,
    sidecarPublisher(context.sidecar, context.pubsubName),
    { ...settings, lockKey: relayLockKey(context.schema) },
    context.log.child({ component: "outbox-relay" }),
  );
}

/** Background workers in the order they stop (the reverse of the order they start); the workers of an inner list stop together. */
export type StopOrder = readonly (BackgroundWorker | readonly BackgroundWorker[])[];

/**
 * What an app's `build` returns: the handler of each path its subscriptions in `specs/apps.ts` deliver to (`{}` for
 * an app that only publishes), the subscriber's other options, and its workers. Any other field is handed back on
 * the started service, for the app's callers (its relay, say).
 */
export interface ServiceParts extends Pick<SubscriberOptions, "handlers" | "deadLetterBodyLimit"> {
  workers?: StopOrder;
}

/** What every service is started with, whether it has a database or not. */
interface CommonOptions<Context, Parts extends ServiceParts> {
  /** The app in the catalog: its subscriptions, and its id and description in its OpenAPI document. */
  app: AppSpec;
  /** The app's version (its package.json), in its OpenAPI document. */
  version: string;
  /** The longest a call to the sidecar may take; `config.dapr.timeoutMs` (SIDECAR_TIMEOUT_MS) by default. */
  sidecarTimeoutMs?: number;
  /**
   * Registers the app's own routes and makes its handlers and workers. It runs after the health routes and before
   * the subscription routes; nothing runs yet (the workers start once the server listens). Annotate its parameter
   * (`ServiceContext<Tables>`): that names the database's tables.
   */
  build(context: Context): Parts | Promise<Parts>;
}

export interface ServiceOptions<Tables, Parts extends ServiceParts>
  extends CommonOptions<ServiceContext<Tables>, Parts>,
    Pick<DatabaseOptions, "schema" | "migrations"> {
  /** The service's configuration, with its database (the catalog gives the app one). */
  config: ServiceConfig & { database: DatabaseConfig };
}

/** The options of a service without a database of its own (catalog `database: false`): no schema, no migrations. */
export interface DatabaseFreeServiceOptions<Parts extends ServiceParts>
  extends CommonOptions<BaseServiceContext, Parts> {
  config: ServiceConfig;
}

/** A started service, with a database or without. */
export interface BaseService {
  /** `http://127.0.0.1:<port>`: where tests and the local runtime reach it. */
  url: string;
  port: number;
  server: FastifyInstance;
  sidecar: SidecarClient;
  /** The subscription routes: how many deliveries are being handled now. */
  subscriber: Subscriber;
  /**
   * Graceful shutdown, once however often it is called, within `config.shutdownTimeoutMs`: stop taking deliveries
   * (each new one is answered 503 RETRY) and let those in flight finish, close the HTTP server (in-flight requests
   * finish, the rest are cut at the deadline), stop the workers in their stop order, close the database if any.
   */
  close(): Promise<void>;
}

/** A started service with its database. */
export interface Service<Tables> extends BaseService {
  database: Database<Tables>;
}

/** A started service with the app's own fields from `build`. */
export type StartedService<Tables, Parts extends ServiceParts> = Service<Tables> & Omit<Parts, keyof ServiceParts>;

/** A started service without a database, with the app's own fields from `build`. */
export type StartedDatabaseFreeService<Parts extends ServiceParts> = BaseService & Omit<Parts, keyof ServiceParts>;

/**
 * Starts a service: creates the server with its OpenAPI document (`registerOpenApi`), opens and migrates its database in `schema` (closing the server if that
 * fails), makes the sidecar client from `config.dapr`, registers `/healthz` and `/readyz` (the database), the
 * app's routes (`build`) and its subscriptions, listens, then starts the workers. When anything before the workers
 * fails, the server and the database are closed and the error is thrown. Given no `schema` (an app the catalog
 * gives no database), it opens none, and `/readyz` has no check: the service is ready once it listens.
 */
export function startService<Tables, Parts extends ServiceParts>(
  options: ServiceOptions<Tables, Parts>,
): Promise<StartedService<Tables, Parts>>;
export function startService<Parts extends ServiceParts>(
  options: DatabaseFreeServiceOptions<Parts>,
): Promise<StartedDatabaseFreeService<Parts>>;
export async function startService<Tables, Parts extends ServiceParts>(
  options: ServiceOptions<Tables, Parts> | DatabaseFreeServiceOptions<Parts>,
): Promise<BaseService & { database?: Database<Tables> }> {
  const { app, config } = options;
  const server = createServer(config);
  const withDatabase = "schema" in options ? options : undefined;
  const database = withDatabase
    ? await openDatabase<Tables>(
        withDatabase.config.database,
        { appId: config.appId, schema: withDatabase.schema, migrations: withDatabase.migrations },
        server.log,
      ).catch(async (error: unknown) => {
        await server.close();
        throw error;
      })
    : undefined;
  const sidecar = new SidecarClient({
    url: config.dapr.url,
    timeoutMs: options.sidecarTimeoutMs ?? config.dapr.timeoutMs,
    ...(config.dapr.apiToken ? { apiToken: config.dapr.apiToken } : {}),
  });

  let subscriber: Subscriber;
  let address: { url: string; port: number };
  let own: Omit<Parts, keyof ServiceParts>;
  let stopOrder: StopOrder;
  try {
    await registerOpenApi(server, { title: app.id, version: options.version, description: app.description });
    registerHealthRoutes(server, database ? { database: () => database.ping() } : {});
    const base: BaseServiceContext = { server, sidecar, log: server.log, pubsubName: config.pubsubName };
    const {
      handlers,
      deadLetterBodyLimit,
      workers = [],
      ...rest
    } = withDatabase && database
      ? await withDatabase.build({ ...base, database, schema: withDatabase.schema })
      : await (options as DatabaseFreeServiceOptions<Parts>).build(base);
    own = rest;
    stopOrder = workers;
    subscriber = await registerSubscriber(server, {
      app,
      appToken: config.dapr.appToken,
      handlers,
      ...(deadLetterBodyLimit === undefined ? {} : { deadLetterBodyLimit }),
    });
    address = await listen(server, config);
  } catch (error) {
    await server.close();
    await database?.close();
    throw error;
  }
  // Started in the reverse of their stop order: a worker that stops later (the relay) is one that those stopping
  // before it feed, so it runs first.
  for (const worker of stopOrder.flat().reverse()) worker.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      await subscriber.drain(deadline);
      await closeServer(server, deadline);
      for (const stage of stopOrder) {
        await Promise.all([stage].flat().map((worker) => worker.stop(deadline)));
      }
      await database?.close();
      server.log.info({ appId: config.appId }, "service stopped");
    })();
    return closing;
  };
  return { ...own, ...address, server, ...(database ? { database } : {}), sidecar, subscriber, close };
}
