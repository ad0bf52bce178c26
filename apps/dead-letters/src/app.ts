// The composition root of the dead-letter desk: database, replay relay, alert loop, subscription, API and the HTTP server, with an orderly shutdown.
import {
  closeServer,
  createAuthenticator,
  createServer,
  type Database,
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
import { logSender, webhookSender } from "./alert-senders";
import { Alerter } from "./alerter";
import type { DeadLettersConfig } from "./config";
import { deadLetterHandler } from "./handler";
import { DEAD_LETTERS_SCHEMA, MIGRATIONS } from "./migrations";
import { registerDeskRoutes } from "./routes";
import type { Tables } from "./tables";

/** Replays are rare and small: one batch size and a week of published outbox rows kept, for looking back. */
const RELAY_BATCH_SIZE = 100;
const RELAY_RETENTION_HOURS = 168;

export interface DeadLetterDesk {
  /** `http://127.0.0.1:<port>`: where tests and the local runtime reach it. */
  url: string;
  port: number;
  server: FastifyInstance;
  database: Database<Tables>;
  relay: OutboxRelay;
  alerter: Alerter;
  /**
   * Graceful shutdown within the configured timeout: stop taking deliveries and let those in flight finish, close
   * the server, stop the relay (flushing replays) and the alert loop, then close the database.
   */
  close(): Promise<void>;
}

/** Starts the desk: migrates its schema, listens, then starts the relay and the alert loop (which send any backlog). */
export async function startDeadLetters(config: DeadLettersConfig): Promise<DeadLetterDesk> {
  const server = createServer(config);
  const database = await openDatabase<Tables>(
    config.database,
    { appId: config.appId, schema: DEAD_LETTERS_SCHEMA, migrations: MIGRATIONS },
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
      batchSize: RELAY_BATCH_SIZE,
      pollIntervalMs: config.outbox.pollIntervalMs,
      backoff: config.outbox.backoff,
      retentionHours: RELAY_RETENTION_HOURS,
      lockKey: relayLockKey(DEAD_LETTERS_SCHEMA),
    },
    server.log.child({ component: "outbox-relay" }),
  );
  const { webhook, ...alertSettings } = config.alerts;
  const alerter = new Alerter(
    database.db,
    webhook ? webhookSender(webhook, alertSettings.timeoutMs) : logSender(server.log.child({ component: "alerts" })),
    alertSettings,
    server.log.child({ component: "alerter" }),
  );
  const [subscription] = APPS.deadLetters.subscriptions;

  let subscriber: Awaited<ReturnType<typeof registerSubscriber>>;
  let address: { url: string; port: number };
  try {
    registerHealthRoutes(server, { database: () => database.ping() });
    subscriber = await registerSubscriber(server, {
      app: APPS.deadLetters,
      appToken: config.dapr.appToken,
      deadLetterBodyLimit: config.maxDeadLetterBytes,
      handlers: {
        [subscription.defaultPath]: deadLetterHandler({
          db: database.db,
          onNewEntry: () => alerter.wake(),
        }),
      },
    });
    await registerDeskRoutes(server, {
      db: database.db,
      authenticator: createAuthenticator(config.auth),
      onReplayStored: () => relay.wake(),
    });
    address = await listen(server, config);
  } catch (error) {
    // Nothing was started yet but the server and the database.
    await server.close();
    await database.close();
    throw error;
  }
  relay.start();
  alerter.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      await subscriber.drain(deadline);
      await closeServer(server, deadline);
      await relay.stop(deadline);
      await alerter.stop(deadline);
      await database.close();
      server.log.info("dead-letter desk stopped");
    })();
    return closing;
  };
  return { ...address, server, database, relay, alerter, close };
}
