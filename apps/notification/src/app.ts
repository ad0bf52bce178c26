// The composition root: the service kit's server, database and shutdown, with the subscriptions, REST routes, the scheduler, the delivery worker and the outbox relay.
import { eventSource } from "@event-platform/events";
import {
  createAuthenticator,
  Periodic,
  processedEventsPurger,
  type Service,
  type ServiceContext,
  serviceOutboxRelay,
  startService,
} from "@event-platform/service-kit";
import { APPS } from "../../../specs/apps";
import packageJson from "../package.json";
import { registerApiRoutes } from "./api-routes";
import type { NotificationConfig } from "./config";
import { deliveryPass } from "./delivery-worker";
import { createMailer } from "./email";
import { reminderHandlers } from "./event-handlers";
import { MIGRATIONS, NOTIFICATION_SCHEMA } from "./migrations";
import { schedulerPass } from "./scheduler";
import type { Tables } from "./tables";

export interface NotificationService extends Service<Tables> {
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
export function startNotification(config: NotificationConfig): Promise<NotificationService> {
  return startService({
    app: APPS.notification,
    version: packageJson.version,
    config,
    schema: NOTIFICATION_SCHEMA,
    migrations: MIGRATIONS,
    build: async (context: ServiceContext<Tables>) => {
      const { server, database, log } = context;
      const relay = serviceOutboxRelay(context, config.outbox);
      const schedulerLog = server.log.child({ component: "scheduler" });
      const scheduler = new Periodic(
        schedulerPass(database, {
          batchSize: config.scheduler.batchSize,
          source: eventSource(config.appId),
          onEventsStored: () => relay.wake(),
          log: schedulerLog,
        }),
        // A failed pass means the database is unreachable: it is waited out as the relay waits out the sidecar.
        { intervalMs: config.scheduler.pollIntervalMs, backoff: config.outbox.backoff },
        schedulerLog,
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
      await registerApiRoutes(server, {
        db: database.db,
        authenticator: createAuthenticator(config.auth),
        available: { email: config.smtp !== undefined, allowPrivateAddresses: config.webhook.allowPrivateAddresses },
      });
      return {
        handlers: reminderHandlers({ db: database.db, onDeliveriesMade: () => worker.wake() }),
        // Both loops before the relay: the events of the scheduler's last pass are then in the outbox for its flush.
        workers: [
          [
            scheduler,
            worker,
            processedEventsPurger(database.db, APPS.notification, log.child({ component: "purger" })),
          ],
          relay,
        ],
      };
    },
  });
}
