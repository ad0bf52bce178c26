// Each app's container environment as a pure function of the app catalog and the stack's settings: the variables the service kit and the app read, plain values inline, secrets only as secretKeyRef.
import type {
  AuthProfile,
  BoardProfile,
  DaprProfile,
  DeadLettersProfile,
  NotificationProfile,
} from "../stacks/profile";
import { APPS, type AppSpec, PUBSUB } from "./apps";
import { APP_TOKEN_ENV, APP_TOKEN_KEY, appTokenSecretName, type SecretKeyRef } from "./dapr";
import type { EnvVar } from "./pods";

/** The Secrets of the apps' namespace that the apps read, each with its key; the program creates each of them. */
export const APP_SECRETS = {
  /** The PostgreSQL URL of every app with a database: the in-cluster server's, or secret config `databaseUrl`. */
  databaseUrl: { name: "database-url", key: "url" },
  /** The HS256 key (generated) the apps that authenticate users verify bearer tokens with. */
  jwtKey: { name: "jwt-signing-key", key: "secret" },
  /** The notification service's SMTP password: secret config `smtpPassword`. */
  smtpPassword: { name: "notification-smtp", key: "password" },
  /** The dead-letter desk's alert signing secret: secret config `alertWebhookSecret`, or generated. */
  alertWebhookSecret: { name: "dead-letters-alert-webhook", key: "secret" },
} as const satisfies Record<string, SecretKeyRef>;

/** How long the kubelet lets an app's pod shut down after SIGTERM before it kills it (its pod template's setting). */
export const APP_TERMINATION_GRACE_SECONDS = 30;
/** What the grace period keeps back, after the app's own shutdown, for the process to exit. */
const EXIT_MARGIN_SECONDS = 5;
/**
 * An app's shutdown budget, `SHUTDOWN_TIMEOUT_MS`: stop taking deliveries, close the server, stop its loops and
 * close the database, all before the kubelet's SIGKILL.
 */
export const APP_SHUTDOWN_TIMEOUT_MS = (APP_TERMINATION_GRACE_SECONDS - EXIT_MARGIN_SECONDS) * 1000;

/** The stack settings the apps' environment comes from. */
export interface AppEnvSettings {
  /** The apps' log level, the sidecars' too. */
  logLevel: DaprProfile["logLevel"];
  auth: AuthProfile;
  notification: NotificationProfile;
  deadLetters: DeadLettersProfile;
  board: BoardProfile;
}

const plain = (name: string, value: string | number | boolean): EnvVar => ({ name, value: String(value) });
const fromSecret = (name: string, ref: SecretKeyRef): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

/** What every app reads (service-kit/src/config.ts, the base variables). */
function sharedEnv(app: AppSpec, s: AppEnvSettings): EnvVar[] {
  return [
    plain("PORT", app.port),
    // Every IPv4 interface: the kubelet's probes and the Service's traffic come from outside the pod.
    plain("HOST", "0.0.0.0"),
    plain("APP_ID", app.id),
    plain("PUBSUB_NAME", PUBSUB),
    plain("LOG_LEVEL", s.logLevel),
    // daprd listens on the pod's loopback interface. Its HTTP port, DAPR_HTTP_PORT, is left to Dapr's injector: it
    // adds it to every container that lacks it, with the port the sidecar really listens on (dapr/dapr v1.18.3
    // pkg/injector/patcher/sidecar_patcher.go addDaprEnvVarsToContainers, patch.go GetEnvPatchOperations).
    plain("DAPR_HOST", "127.0.0.1"),
    plain("SHUTDOWN_TIMEOUT_MS", APP_SHUTDOWN_TIMEOUT_MS),
    // The token daprd sends on every call to the app (dapr.io/app-token-secret); the app refuses calls without it.
    fromSecret(APP_TOKEN_ENV, { name: appTokenSecretName(app), key: APP_TOKEN_KEY }),
  ];
}

/** What an app that authenticates users reads: the token key, and where a token names its roles. */
function authEnv(auth: AuthProfile): EnvVar[] {
  return [
    fromSecret("JWT_SECRET", APP_SECRETS.jwtKey),
    plain("JWT_ROLES_CLAIM", auth.rolesClaim),
    plain("OPERATOR_ROLE", auth.operatorRole),
  ];
}

/** The notification service's channels: email over SMTP when a server is set, and webhooks. */
function notificationEnv({ notification: n }: AppEnvSettings): EnvVar[] {
  const { smtp } = n;
  return [
    // Without SMTP_HOST the service has no email channel.
    ...(smtp.host
      ? [
          plain("SMTP_HOST", smtp.host),
          plain("SMTP_PORT", smtp.port),
          plain("SMTP_SECURE", smtp.secure),
          plain("SMTP_FROM", smtp.from),
          ...(smtp.user ? [plain("SMTP_USER", smtp.user), fromSecret("SMTP_PASSWORD", APP_SECRETS.smtpPassword)] : []),
        ]
      : []),
    plain("WEBHOOK_TIMEOUT_MS", n.webhookTimeoutMs),
    plain("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", n.webhookAllowPrivateAddresses),
  ];
}

/** The dead-letter desk's alerts, when a webhook receives them: its URL and the secret that signs them. */
function deadLettersEnv({ deadLetters }: AppEnvSettings): EnvVar[] {
  if (!deadLetters.alertWebhookUrl) return [];
  return [
    plain("ALERT_WEBHOOK_URL", deadLetters.alertWebhookUrl),
    fromSecret("ALERT_WEBHOOK_SECRET", APP_SECRETS.alertWebhookSecret),
  ];
}

/** The backend lets the board's origin call its REST API from browsers (CORS); none without a board. */
function backendEnv({ board }: AppEnvSettings): EnvVar[] {
  return board.origin ? [plain("CORS_ORIGINS", board.origin)] : [];
}

/** The gateway serves the board with the backend's public URL and takes WebSockets from the board's origin only. */
function gatewayEnv({ board }: AppEnvSettings): EnvVar[] {
  if (!board.origin) return [];
  return [plain("BACKEND_PUBLIC_URL", board.backendUrl), plain("WS_ALLOWED_ORIGINS", board.origin)];
}

/** Each app's own variables, beyond the service kit's, by app id. */
const OWN_ENV: Readonly<Record<string, (s: AppEnvSettings) => EnvVar[]>> = {
  // The app that creates a recurring task's next occurrence, which it invokes through its sidecar.
  [APPS.backend.id]: backendEnv,
  [APPS.recurring.id]: () => [plain("BACKEND_APP_ID", APPS.backend.id)],
  [APPS.gateway.id]: gatewayEnv,
  [APPS.notification.id]: notificationEnv,
  [APPS.deadLetters.id]: deadLettersEnv,
};

/**
 * The environment of an app's container: the service kit's shared variables (HTTP server, sidecar, shutdown, the app
 * API token), `DATABASE_URL` for an app with a database, the JWT variables for a user-facing app (it authenticates
 * users), and the app's own. Each secret is a `secretKeyRef` to one of {@link APP_SECRETS} or the app's token Secret.
 * Variables left out take the service's default; `DAPR_HTTP_PORT` comes from Dapr's injector.
 */
export function appEnvironment(app: AppSpec, s: AppEnvSettings): EnvVar[] {
  return [
    ...sharedEnv(app, s),
    ...(app.database ? [fromSecret("DATABASE_URL", APP_SECRETS.databaseUrl)] : []),
    ...(app.userFacing ? authEnv(s.auth) : []),
    ...(OWN_ENV[app.id]?.(s) ?? []),
  ];
}
