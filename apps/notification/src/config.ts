// The notification service's configuration: the service kit's shared variables (HTTP, sidecar, database, JWT), its outbox relay's, and its own (scheduler, delivery, SMTP, webhooks).
import {
  backoffProblems,
  Host,
  loadServiceConfig,
  Milliseconds,
  OUTBOX_RELAY_VARIABLES,
  type OutboxRelayConfig,
  outboxRelayProblems,
  outboxRelaySettings,
  Port,
  Secret,
  type ServiceConfig,
} from "@event-platform/service-kit";
import Type from "typebox";
import { APPS } from "../../../specs/apps";
import { mailboxProblem } from "./email-address";

const Count = (minimum: number, maximum: number, defaultValue: number) =>
  Type.Integer({ minimum, maximum, default: defaultValue });

/** The service's own variables, with their defaults. */
const NOTIFICATION_VARIABLES = {
  SCHEDULER_POLL_INTERVAL_MS: Milliseconds(10, 3_600_000, 1_000),
  SCHEDULER_BATCH_SIZE: Count(1, 10_000, 100),
  DELIVERY_POLL_INTERVAL_MS: Milliseconds(10, 3_600_000, 1_000),
  DELIVERY_CONCURRENCY: Count(1, 100, 8),
  DELIVERY_MAX_ATTEMPTS: Count(1, 100, 8),
  DELIVERY_BACKOFF_INITIAL_MS: Milliseconds(1, 3_600_000, 1_000),
  DELIVERY_BACKOFF_MAX_MS: Milliseconds(1, 86_400_000, 300_000),
  SMTP_HOST: Type.Optional(Host()),
  SMTP_PORT: Port(587),
  SMTP_SECURE: Type.Boolean({ default: false }),
  SMTP_USER: Type.Optional(Type.String({ minLength: 1 })),
  // No rule of its own: whatever the SMTP server takes. A secret: an error would show only its length.
  SMTP_PASSWORD: Type.Optional(Secret(Type.String())),
  SMTP_FROM: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  SMTP_TIMEOUT_MS: Milliseconds(100, 600_000, 30_000),
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: Type.Boolean({ default: false }),
  WEBHOOK_TIMEOUT_MS: Milliseconds(100, 600_000, 5_000),
};

/** Everything the service reads besides the kit's shared variables: its own and its outbox relay's. */
const OWN_VARIABLES = { ...NOTIFICATION_VARIABLES, ...OUTBOX_RELAY_VARIABLES };

/** How to reach the SMTP server; absent when SMTP_HOST is unset (no email channel). */
export interface SmtpConfig {
  host: string;
  port: number;
  /** true: TLS from the first byte (implicit TLS, port 465 usually); false: STARTTLS when the server offers it. */
  secure: boolean;
  /** `password` is a secret: never logged. */
  auth?: { user: string; password: string };
  /** The `From` of every email: an address, or `Name <address>`. */
  from: string;
  /** Connecting, the greeting, any silence, and a whole send each end after this long. */
  timeoutMs: number;
}

export interface NotificationConfig extends ServiceConfig {
  database: NonNullable<ServiceConfig["database"]>;
  auth: NonNullable<ServiceConfig["auth"]>;
  scheduler: { pollIntervalMs: number; batchSize: number };
  delivery: {
    pollIntervalMs: number;
    /** Deliveries claimed and sent at once by one instance. */
    concurrency: number;
    maxAttempts: number;
    backoff: { initialMs: number; maxMs: number };
  };
  smtp?: SmtpConfig;
  webhook: { allowPrivateAddresses: boolean; timeoutMs: number };
  /** The outbox relay's settings (the kit's OUTBOX_* variables); its backoff is the scheduler's and the worker's too. */
  outbox: OutboxRelayConfig;
}

type Values = Type.Static<Type.TObject<typeof OWN_VARIABLES>>;

function problems(e: Values): string[] {
  const found: string[] = [
    ...backoffProblems("DELIVERY", e.DELIVERY_BACKOFF_INITIAL_MS, e.DELIVERY_BACKOFF_MAX_MS),
    ...outboxRelayProblems(e),
  ];
  if (e.SMTP_HOST) {
    if (!e.SMTP_FROM) found.push("SMTP_FROM is required with SMTP_HOST: the sender of every email (got unset)");
    else {
      const problem = mailboxProblem(e.SMTP_FROM);
      if (problem !== undefined) {
        found.push(
          `SMTP_FROM must be one mailbox: an email address, or a name and one in angle brackets (Tasks <tasks@example.com>); it ${problem} (got ${JSON.stringify(e.SMTP_FROM)})`,
        );
      }
    }
  }
  // The password's value is never part of a message.
  if (e.SMTP_USER && e.SMTP_PASSWORD === undefined) found.push("SMTP_PASSWORD is required with SMTP_USER (got unset)");
  if (!e.SMTP_USER && e.SMTP_PASSWORD !== undefined) found.push("SMTP_USER is required with SMTP_PASSWORD (got unset)");
  return found;
}

/** Builds the configuration from environment variables (`process.env` in production); throws a `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): NotificationConfig {
  const { service, own: e } = loadServiceConfig(APPS.notification, { auth: true, own: OWN_VARIABLES, problems }, env);
  const { database, auth } = service;
  // The catalog gives the service a database and `auth: true` asks for JWT settings, so both are there.
  if (!database || !auth)
    throw new Error("The notification service's configuration lacks its database or auth settings");
  return {
    ...service,
    database,
    auth,
    scheduler: { pollIntervalMs: e.SCHEDULER_POLL_INTERVAL_MS, batchSize: e.SCHEDULER_BATCH_SIZE },
    delivery: {
      pollIntervalMs: e.DELIVERY_POLL_INTERVAL_MS,
      concurrency: e.DELIVERY_CONCURRENCY,
      maxAttempts: e.DELIVERY_MAX_ATTEMPTS,
      backoff: { initialMs: e.DELIVERY_BACKOFF_INITIAL_MS, maxMs: e.DELIVERY_BACKOFF_MAX_MS },
    },
    ...(e.SMTP_HOST && e.SMTP_FROM
      ? {
          smtp: {
            host: e.SMTP_HOST,
            port: e.SMTP_PORT,
            secure: e.SMTP_SECURE,
            ...(e.SMTP_USER ? { auth: { user: e.SMTP_USER, password: e.SMTP_PASSWORD ?? "" } } : {}),
            from: e.SMTP_FROM,
            timeoutMs: e.SMTP_TIMEOUT_MS,
          },
        }
      : {}),
    webhook: { allowPrivateAddresses: e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES, timeoutMs: e.WEBHOOK_TIMEOUT_MS },
    outbox: outboxRelaySettings(e),
  };
}
