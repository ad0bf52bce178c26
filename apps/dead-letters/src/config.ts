// The dead-letter desk's configuration: the service kit's shared variables (HTTP, sidecar, database, JWT with the operator role), its replay relay's (the kit's outbox relay), and the desk's own (largest dead letter, alerts).
import {
  type BackoffSettings,
  backoffProblems,
  EVENT_BODY_LIMIT,
  loadServiceConfig,
  Milliseconds,
  OUTBOX_RELAY_VARIABLES,
  type OutboxRelayConfig,
  outboxRelayProblems,
  outboxRelaySettings,
  Secret,
  type ServiceConfig,
  Url,
} from "@event-platform/service-kit";
import Type from "typebox";
import { APPS } from "../../../specs/apps";

/** Standard Webhooks signing secrets: `whsec_` and the base64 of 24 to 64 random bytes (the specification's range). */
const WEBHOOK_SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
const SECRET_BYTES = { min: 24, max: 64 };

/** The desk's own variables, with their defaults. */
const DESK_VARIABLES = {
  DEAD_LETTER_MAX_BYTES: Type.Integer({ minimum: 1_024, maximum: 104_857_600, default: EVENT_BODY_LIMIT }),
  // A secret: a webhook URL often carries a token of its own (Slack's, for one). fetch refuses credentials in it.
  ALERT_WEBHOOK_URL: Type.Optional(Secret(Url({ protocols: ["https:", "http:"], credentials: false }))),
  // Checked in `webhookProblems`, whose messages never repeat its value.
  ALERT_WEBHOOK_SECRET: Type.Optional(Secret(Type.String())),
  ALERT_TIMEOUT_MS: Milliseconds(100, 600_000, 5_000),
  ALERT_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
  ALERT_BACKOFF_INITIAL_MS: Milliseconds(1, 600_000, 500),
  ALERT_BACKOFF_MAX_MS: Milliseconds(1, 3_600_000, 5_000),
  ALERT_POLL_INTERVAL_MS: Milliseconds(10, 3_600_000, 30_000),
};

/** Everything the desk reads besides the kit's shared variables: its own and its replay relay's. */
const OWN_VARIABLES = { ...DESK_VARIABLES, ...OUTBOX_RELAY_VARIABLES };

type DeskValues = Type.Static<Type.TObject<typeof OWN_VARIABLES>>;

/** Where alerts go: a webhook (signed when a secret is set), or the log when none is configured. */
export interface AlertSettings {
  webhook?: { url: string; secret?: string };
  /** The longest one webhook call may take. */
  timeoutMs: number;
  /** Calls per alert in one round, the first included; after the last failure the alert waits for the next poll. */
  attempts: number;
  backoff: BackoffSettings;
  /** How often pending alerts are looked for when no new entry woke the loop (entries made while down, failed ones). */
  pollIntervalMs: number;
}

export interface DeadLettersConfig extends ServiceConfig {
  /** The desk has both: entries live in a database, and every API caller is an authenticated operator. */
  database: NonNullable<ServiceConfig["database"]>;
  auth: NonNullable<ServiceConfig["auth"]>;
  /** The largest dead letter taken, in bytes: the largest record the broker takes. */
  maxDeadLetterBytes: number;
  /** The settings of the outbox relay that publishes replays (the kit's OUTBOX_* variables). */
  outbox: OutboxRelayConfig;
  alerts: AlertSettings;
}

function webhookProblems(e: DeskValues): string[] {
  const problems: string[] = [];
  if (e.ALERT_WEBHOOK_SECRET !== undefined) {
    const base64 = WEBHOOK_SECRET.exec(e.ALERT_WEBHOOK_SECRET)?.[1];
    const bytes = base64 === undefined ? 0 : Buffer.from(base64, "base64").length;
    if (bytes < SECRET_BYTES.min || bytes > SECRET_BYTES.max) {
      problems.push(
        `ALERT_WEBHOOK_SECRET must be whsec_ followed by the base64 of ${SECRET_BYTES.min} to ${SECRET_BYTES.max} random bytes (value not shown)`,
      );
    }
    if (e.ALERT_WEBHOOK_URL === undefined) {
      problems.push("ALERT_WEBHOOK_SECRET is set but ALERT_WEBHOOK_URL is not: there is nothing to sign");
    }
  }
  return problems;
}

function deskProblems(e: DeskValues): string[] {
  return [
    ...outboxRelayProblems(e),
    ...backoffProblems("ALERT", e.ALERT_BACKOFF_INITIAL_MS, e.ALERT_BACKOFF_MAX_MS),
    ...webhookProblems(e),
  ];
}

/** Builds the configuration from environment variables (`process.env` in production); throws a `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): DeadLettersConfig {
  const { service, own } = loadServiceConfig(
    APPS.deadLetters,
    { auth: true, own: OWN_VARIABLES, problems: deskProblems },
    env,
  );
  const { database, auth } = service;
  // The catalog gives the desk a database and `auth: true` asks for JWT settings, so both are there.
  if (!database || !auth) throw new Error("The dead-letter desk's configuration lacks its database or auth settings");
  const url = own.ALERT_WEBHOOK_URL;
  const secret = own.ALERT_WEBHOOK_SECRET;
  return {
    ...service,
    database,
    auth,
    maxDeadLetterBytes: own.DEAD_LETTER_MAX_BYTES,
    outbox: outboxRelaySettings(own),
    alerts: {
      ...(url === undefined ? {} : { webhook: { url, ...(secret === undefined ? {} : { secret }) } }),
      timeoutMs: own.ALERT_TIMEOUT_MS,
      attempts: own.ALERT_ATTEMPTS,
      backoff: { initialMs: own.ALERT_BACKOFF_INITIAL_MS, maxMs: own.ALERT_BACKOFF_MAX_MS },
      pollIntervalMs: own.ALERT_POLL_INTERVAL_MS,
    },
  };
}
