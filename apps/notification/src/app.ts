// The composition root: database, subscriptions, REST routes, the scheduler, the delivery worker and the outbox relay, with an orderly shutdown.
import { eventSource } from "@event-platform/events";
import {
  closeServer,
  createAuthenticator,
  createServer,
  listen,
  OutboxRelay,
  openDatabase,
  registerHealthRoutes,
  registerSubscriber,
  relayLockKey,
  SidecarClient,
  sidecarPublisher,
} from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import { APPS } from "../../../specs/apps";
import { registerApiRoutes } from "./api-routes";
import type { NotificationConfig } from "./config";
import { deliveryPass } from "./delivery-worker";
import { createMailer } from "./email";
import { reminderHandlers } from "./event-handlers";
import { MIGRATIONS, NOTIFICATION_SCHEMA } from "./migrations";
import { Periodic } from "./periodic";
import { schedulerPass } from "./scheduler";
import type { Database, Tables } from "./tables";

export interface NotificationService {
  /** `http://127.0.0.1:<port>`: where tests and the local runtime reach it. */
  url: string;
  port: number;
  server: FastifyInstance;
  database: Database;
  /**
   * Graceful shutdown, within the configured timeout: stop taking deliveries from the sidecar, stop accepting
   * connections and let in-flight requests finish, stop the scheduler and let the attempts in flight finish and be
   * recorded, flush the outbox, close the database.
   */
  close(): Promise<void>;
}

/** A claim holds a delivery this much longer than its slowest attempt may take, for recording the outcome. */
const LEASE_MARGIN_MS = 60_000;

/** Starts the service: migrates its schema, listens, then starts the scheduler, the delivery worker and the relay. */
export async function startNotification(config: NotificationConfig): Promise<NotificationService> {
  const server = createServer(config);
  const database = await openDatabase<Tables>(
    config.database,
    { appId: config.appId, schema: NOTIFICATION_SCHEMA, migrations: MIGRATIONS },
    server.log,
  ).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const sidecar = new SidecarClient({
    url: config.dapr.url,
    timeoutMs: config.dapr.timeoutMs,
    ...(config.dapr.apiToken ? { apiToken: config.dapr.apiToken } : {}),
  });
  const relay = new OutboxRelay(
    database,
    sidecarPublisher(sidecar, config.pubsubName),
    {
      batchSize: config.outbox.batchSize,
      pollIntervalMs: config.outbox.pollIntervalMs,
      backoff: config.outbox.backoff,
      retentionHours: config.outbox.retentionHours,
      lockKey: relayLockKey(NOTIFICATION_SCHEMA),
    },
    server.log.child({ component: "outbox-relay" }),
  );
  const scheduler = new Periodic(
    schedulerPass(database, {
      batchSize: config.scheduler.batchSize,
      source: eventSource(config.appId),
      onEventsStored: () => relay.wake(),
      log: server.log.child({ component: "scheduler" }),
    }),
    // A failed pass means the database is unreachable: it is waited out as the relay waits out the sidecar.
    { intervalMs: config.scheduler.pollIntervalMs, backoff: config.outbox.backoff },
    server.log.child({ component: "scheduler" }),
  );
  const workerLog = server.log.child({ component: "delivery-worker" });
  const worker = new Periodic(
    deliveryPass(database, {
      ...(config.smtp ? { mailer: createMailer(config.smtp) } : {}),
      webhook: config.webhook,
      concurrency: config.delivery.concurrency,
      leaseMs: Math.max(config.webhook.timeoutMs, config.smtp?.timeoutMs ?? 0) + LEASE_MARGIN_MS,
      retry: { maxAttempts: config.delivery.maxAttempts, backoff: config.delivery.backoff },
      log: workerLog,
    }),
    { intervalMs: config.delivery.pollIntervalMs, backoff: config.outbox.backoff },
    workerLog,
  );

  let subscriber: Awaited<ReturnType<typeof registerSubscriber>>;
  try {
    registerHealthRoutes(server, { database: () => database.ping() });
    subscriber = await registerSubscriber(server, {
      app: APPS.notification,
      appToken: config.dapr.appToken,
      handlers: reminderHandlers({ db: database.db, onDeliveriesMade: () => worker.wake() }),
    });
    await registerApiRoutes(server, {
      db: database.db,
      authenticator: createAuthenticator(config.auth),
      available: { email: config.smtp !== undefined, allowPrivateAddresses: config.webhook.allowPrivateAddresses },
    });
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
  scheduler.start();
  worker.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      await subscriber.drain(deadline);
      await closeServer(server, deadline);
      // Both loops before the relay: the events of the scheduler's last pass are then in the outbox for its flush.
      await Promise.all([scheduler.stop(deadline), worker.stop(deadline)]);
      await relay.stop(deadline);
      await database.close();
      server.log.info("notification service stopped");
    })();
    return closing;
  };
  return { url, port, server, database, close };
}
