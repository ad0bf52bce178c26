// The composition root of the recurring service: the service kit's server, database, sidecar client and shutdown, with its subscription handlers.
import {
  ignoreEvent,
  processedEventsPurger,
  type Service,
  type ServiceContext,
  startService,
} from "@event-platform/service-kit";
import { APPS } from "../../../specs/apps";
import packageJson from "../package.json";
import type { RecurringConfig } from "./config";
import { MIGRATIONS, RECURRING_SCHEMA } from "./migrations";
import type { Tables } from "./tables";
import { taskCompletedHandler } from "./task-completed";

export interface Recurring extends Service<Tables> {
  /**
   * Graceful shutdown, within the configured shutdown timeout: stop taking deliveries (each new one is answered 503
   * RETRY) and let those in flight finish, close the HTTP server, stop the processed-event purger, then close the
   * database.
   */
  close(): Promise<void>;
}

/** Starts the recurring service: migrates its database (schema `recurring`), registers its routes and listens. */
export function startRecurring(config: RecurringConfig): Promise<Recurring> {
  return startService({
    app: APPS.recurring,
    version: packageJson.version,
    config,
    schema: RECURRING_SCHEMA,
    migrations: MIGRATIONS,
    // The sidecar client has SIDECAR_TIMEOUT_MS: every call to the backend ends within it.
    build: ({ database, sidecar, log }: ServiceContext<Tables>) => ({
      workers: [processedEventsPurger(database.db, APPS.recurring, log.child({ component: "purger" }))],
      handlers: {
        "/events/task-completed": taskCompletedHandler({
          db: database.db,
          sidecar,
          backendAppId: config.backendAppId,
        }),
        // task.created, updated and deleted: nothing to do, and nothing to keep.
        "/events/ignored": ignoreEvent,
      },
    }),
  });
}
