// The composition root of the dead-letter desk: the service kit's server, database and shutdown, with the replay relay, the alert loop, the subscription and the API.
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
import { logSender, webhookSender } from "./alert-senders";
import { Alerter } from "./alerter";
import type { DeadLettersConfig } from "./config";
import { deadLetterHandler } from "./handler";
import { DEAD_LETTERS_SCHEMA, MIGRATIONS } from "./migrations";
import { registerDeskRoutes } from "./routes";
import type { Tables } from "./tables";

export interface DeadLetterDesk extends Service<Tables> {
  relay: OutboxRelay;
  alerter: Alerter;
  /**
   * Graceful shutdown within the configured timeout: stop taking deliveries and let those in flight finish, close
   * the server, stop the relay (flushing replays) and the alert loop, then close the database.
   */
  close(): Promise<void>;
}

/** Starts the desk: migrates its schema, listens, then starts the relay and the alert loop (which send any backlog). */
export function startDeadLetters(config: DeadLettersConfig): Promise<DeadLetterDesk> {
  return startService({
    app: APPS.deadLetters,
    version: packageJson.version,
    config,
    schema: DEAD_LETTERS_SCHEMA,
    migrations: MIGRATIONS,
    build: async (context: ServiceContext<Tables>) => {
      const { server, database } = context;
      const relay = serviceOutboxRelay(context, config.outbox);
      const { webhook, ...alertSettings } = config.alerts;
      const alerter = new Alerter(
        database.db,
        webhook
          ? webhookSender(webhook, alertSettings.timeoutMs)
          : logSender(server.log.child({ component: "alerts" })),
        alertSettings,
        server.log.child({ component: "alerter" }),
      );
      await registerDeskRoutes(server, {
        db: database.db,
        authenticator: createAuthenticator(config.auth),
        onReplayStored: () => relay.wake(),
      });
      const [subscription] = APPS.deadLetters.subscriptions;
      return {
        handlers: {
          [subscription.defaultPath]: deadLetterHandler({ db: database.db, onNewEntry: () => alerter.wake() }),
        },
        deadLetterBodyLimit: config.maxDeadLetterBytes,
        workers: [relay, alerter],
        relay,
        alerter,
      };
    },
  });
}
