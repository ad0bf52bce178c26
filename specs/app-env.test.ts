// Unit tests of the apps' container environment (specs/app-env.ts): exactly what each app reads, secrets only as secretKeyRef, and the service kit accepting it.
import { describe, expect, it } from "vitest";
import { loadConfig as loadBackendConfig } from "../apps/backend/src/config";
import { loadConfig as loadDeadLettersConfig } from "../apps/dead-letters/src/config";
import { loadConfig as loadGatewayConfig } from "../apps/gateway/src/config";
import { loadConfig as loadNotificationConfig } from "../apps/notification/src/config";
import { loadConfig as loadRecurringConfig } from "../apps/recurring/src/config";
import type { ServiceConfig } from "../service-kit/src/config";
import { dev } from "../stacks/dev";
import { prod } from "../stacks/prod";
import {
  APP_SECRETS,
  APP_SHUTDOWN_TIMEOUT_MS,
  APP_TERMINATION_GRACE_SECONDS,
  type AppEnvSettings,
  appEnvironment,
} from "./app-env";
import { APP_LIST, APPS, type AppSpec } from "./apps";
import { appTokenSecretName } from "./dapr";
import type { EnvVar } from "./pods";

const DEV: AppEnvSettings = { logLevel: dev.dapr.logLevel, ...dev };
const SMTP = { host: "smtp.example.com", port: 465, secure: true, from: "Tasks <tasks@example.com>", user: "" };
const ALERT_URL = "https://alerts.example.com/hooks/dead-letters";

/** Each app's own configuration loader (apps/<app>/src/config.ts), by app id. */
const APP_LOADERS: Record<string, (env: Record<string, string | undefined>) => ServiceConfig> = {
  [APPS.backend.id]: loadBackendConfig,
  [APPS.recurring.id]: loadRecurringConfig,
  [APPS.notification.id]: loadNotificationConfig,
  [APPS.gateway.id]: loadGatewayConfig,
  [APPS.deadLetters.id]: loadDeadLettersConfig,
};

/** An app's environment as its process sees it: plain values, and each secret as the kubelet resolves it. */
function values(app: AppSpec, settings: AppEnvSettings, secrets: Record<string, string>) {
  return Object.fromEntries(appEnvironment(app, settings).map((v) => [v.name, v.value ?? secrets[v.name]]));
}

const names = (env: EnvVar[]) => env.map((v) => v.name);
const envVar = (env: EnvVar[], name: string) => env.find((v) => v.name === name);
const plainValues = (env: EnvVar[]) =>
  Object.fromEntries(env.filter((v) => v.value !== undefined).map((v) => [v.name, v.value]));
const secretRef = (name: string, ref: { name: string; key: string }): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

const SHARED = [
  "PORT",
  "HOST",
  "APP_ID",
  "PUBSUB_NAME",
  "LOG_LEVEL",
  "DAPR_HOST",
  "SHUTDOWN_TIMEOUT_MS",
  "APP_API_TOKEN",
];
const AUTH = ["JWT_SECRET", "JWT_ROLES_CLAIM", "OPERATOR_ROLE"];

describe("every app", () => {
  it("gets the service kit's shared variables, its own port and id, and its own token Secret", () => {
    for (const app of APP_LIST) {
      const env = appEnvironment(app, DEV);
      expect(names(env).slice(0, SHARED.length), app.id).toEqual(SHARED);
      expect(plainValues(env), app.id).toMatchObject({
        PORT: String(app.port),
        HOST: "0.0.0.0",
        APP_ID: app.id,
        PUBSUB_NAME: "kafka-pubsub",
        LOG_LEVEL: "info",
        DAPR_HOST: "127.0.0.1",
        SHUTDOWN_TIMEOUT_MS: "25000",
      });
      expect(envVar(env, "APP_API_TOKEN")).toEqual(
        secretRef("APP_API_TOKEN", { name: appTokenSecretName(app), key: "token" }),
      );
    }
  });

  it("leaves DAPR_HTTP_PORT to Dapr's injector, which sets it to the sidecar's real port", () => {
    for (const app of APP_LIST) expect(names(appEnvironment(app, DEV))).not.toContain("DAPR_HTTP_PORT");
  });

  it("shuts down within its pod's grace period, with time left for the process to exit", () => {
    expect(APP_SHUTDOWN_TIMEOUT_MS).toBeLessThan(APP_TERMINATION_GRACE_SECONDS * 1000);
    expect(APP_SHUTDOWN_TIMEOUT_MS).toBe(25_000);
  });

  it("names each variable once, with a string value or a secretKeyRef, never both", () => {
    const settings: AppEnvSettings = {
      ...DEV,
      notification: { ...DEV.notification, smtp: { ...SMTP, user: "mailer" } },
      deadLetters: { alertWebhookUrl: ALERT_URL },
    };
    for (const app of APP_LIST) {
      const env = appEnvironment(app, settings);
      expect(new Set(names(env)).size, app.id).toBe(env.length);
      for (const variable of env) {
        const sources = [typeof variable.value === "string", variable.valueFrom !== undefined];
        expect(sources.filter(Boolean), `${app.id} ${variable.name}`).toHaveLength(1);
      }
    }
  });

  it("reads every secret from a Secret the program creates, never as a value", () => {
    const settings: AppEnvSettings = {
      ...DEV,
      notification: { ...DEV.notification, smtp: { ...SMTP, user: "mailer" } },
      deadLetters: { alertWebhookUrl: ALERT_URL },
    };
    const known = (app: AppSpec) => [...Object.values(APP_SECRETS).map((s) => s.name), appTokenSecretName(app)];
    for (const app of APP_LIST) {
      for (const variable of appEnvironment(app, settings)) {
        if (/SECRET$|PASSWORD|TOKEN|DATABASE_URL/.test(variable.name)) {
          expect(variable.value, `${app.id} ${variable.name}`).toBeUndefined();
          expect(known(app), `${app.id} ${variable.name}`).toContain(variable.valueFrom?.secretKeyRef.name);
        }
      }
    }
  });

  it("is accepted by each app's own configuration loader, the board's addresses included", () => {
    // The secrets as the kubelet would resolve them; the loaders check their presence and length.
    const resolved: Record<string, string> = {
      APP_API_TOKEN: "t".repeat(64),
      DATABASE_URL: "postgres://events:pw@postgres.event-platform.svc:5432/events",
      JWT_SECRET: "k".repeat(64),
      SMTP_PASSWORD: "p".repeat(20),
      ALERT_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
    };
    const settings: AppEnvSettings = {
      ...DEV,
      notification: { ...DEV.notification, smtp: { ...SMTP, user: "mailer" } },
      deadLetters: { alertWebhookUrl: ALERT_URL },
    };
    expect(Object.keys(APP_LOADERS).sort()).toEqual(APP_LIST.map((app) => app.id).sort());
    for (const app of APP_LIST) {
      const config = APP_LOADERS[app.id]?.(values(app, settings, resolved));
      expect(config, app.id).toMatchObject({
        port: app.port,
        host: "0.0.0.0",
        appId: app.id,
        pubsubName: "kafka-pubsub",
        logLevel: "info",
        dapr: { url: "http://127.0.0.1:3500", appToken: resolved.APP_API_TOKEN },
        shutdownTimeoutMs: APP_SHUTDOWN_TIMEOUT_MS,
      });
      expect(config?.database?.url, app.id).toBe(app.database ? resolved.DATABASE_URL : undefined);
      expect(config?.auth, app.id).toEqual(
        app.userFacing
          ? expect.objectContaining({ mode: "secret", rolesClaim: "roles", operatorRole: "operator" })
          : undefined,
      );
    }
    expect(loadBackendConfig(values(APPS.backend, settings, resolved)).cors.origins).toEqual(["http://localhost:3003"]);
    const gateway = loadGatewayConfig(values(APPS.gateway, settings, resolved));
    expect(gateway.backendPublicUrl).toBe("http://localhost:3000");
    expect(gateway.sockets.allowedOrigins).toEqual(new Set(["http://localhost:3003"]));
  });
});

describe("each app's own variables (dev defaults)", () => {
  const own = (app: AppSpec, settings = DEV) => names(appEnvironment(app, settings)).slice(SHARED.length);

  it("backend: the database, the JWT variables, and CORS for the board's origin", () => {
    expect(own(APPS.backend)).toEqual(["DATABASE_URL", ...AUTH, "CORS_ORIGINS"]);
    expect(plainValues(appEnvironment(APPS.backend, DEV)).CORS_ORIGINS).toBe("http://localhost:3003");
  });

  it("gateway: the JWT variables, the backend's public URL for the board, and the board's origin for WebSockets", () => {
    expect(own(APPS.gateway)).toEqual([...AUTH, "BACKEND_PUBLIC_URL", "WS_ALLOWED_ORIGINS"]);
    expect(plainValues(appEnvironment(APPS.gateway, DEV))).toMatchObject({
      BACKEND_PUBLIC_URL: "http://localhost:3000",
      WS_ALLOWED_ORIGINS: "http://localhost:3003",
    });
  });

  it("without a board (prod's default): no CORS on the backend, no board settings on the gateway", () => {
    const settings: AppEnvSettings = { ...prod, logLevel: "info" };
    expect(own(APPS.backend, settings)).toEqual(["DATABASE_URL", ...AUTH]);
    expect(own(APPS.gateway, settings)).toEqual(AUTH);
    for (const app of APP_LIST.filter((a) => a.id !== APPS.backend.id && a.id !== APPS.gateway.id)) {
      expect(names(appEnvironment(app, DEV)), app.id).not.toContain("CORS_ORIGINS");
      expect(names(appEnvironment(app, DEV)), app.id).not.toContain("BACKEND_PUBLIC_URL");
    }
  });

  it("recurring: its database and the backend's app id, which it invokes; no JWT", () => {
    expect(APPS.recurring.invokes).toContain(APPS.backend.id);
    expect(own(APPS.recurring)).toEqual(["DATABASE_URL", "BACKEND_APP_ID"]);
    expect(plainValues(appEnvironment(APPS.recurring, DEV)).BACKEND_APP_ID).toBe("backend");
  });

  it("notification: database, JWT, webhook settings, and no email channel without an SMTP server", () => {
    expect(own(APPS.notification)).toEqual([
      "DATABASE_URL",
      ...AUTH,
      "WEBHOOK_TIMEOUT_MS",
      "WEBHOOK_ALLOW_PRIVATE_ADDRESSES",
    ]);
    expect(plainValues(appEnvironment(APPS.notification, DEV))).toMatchObject({
      WEBHOOK_TIMEOUT_MS: "10000",
      WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "false",
    });
  });

  it("dead-letters: database and JWT (operators), and no alert variables without an alert webhook", () => {
    expect(own(APPS.deadLetters)).toEqual(["DATABASE_URL", ...AUTH]);
  });

  it("reads the JWT secret from the generated key, and the roles claim and operator role from stack config", () => {
    const env = appEnvironment(APPS.deadLetters, { ...DEV, auth: { rolesClaim: "groups", operatorRole: "sre" } });
    expect(envVar(env, "JWT_SECRET")).toEqual(secretRef("JWT_SECRET", { name: "jwt-signing-key", key: "secret" }));
    expect(plainValues(env)).toMatchObject({ JWT_ROLES_CLAIM: "groups", OPERATOR_ROLE: "sre" });
  });
});

describe("the notification service's email channel", () => {
  it("an SMTP server without a user: host, port, TLS and sender, no credentials", () => {
    const env = appEnvironment(APPS.notification, { ...DEV, notification: { ...DEV.notification, smtp: SMTP } });
    expect(plainValues(env)).toMatchObject({
      SMTP_HOST: "smtp.example.com",
      SMTP_PORT: "465",
      SMTP_SECURE: "true",
      SMTP_FROM: "Tasks <tasks@example.com>",
    });
    expect(names(env)).not.toContain("SMTP_USER");
    expect(names(env)).not.toContain("SMTP_PASSWORD");
  });

  it("with a user: SMTP_USER as a value, SMTP_PASSWORD from the notification-smtp Secret", () => {
    const smtp = { ...SMTP, user: "mailer" };
    const env = appEnvironment(APPS.notification, { ...DEV, notification: { ...DEV.notification, smtp } });
    expect(plainValues(env).SMTP_USER).toBe("mailer");
    expect(envVar(env, "SMTP_PASSWORD")).toEqual(
      secretRef("SMTP_PASSWORD", { name: "notification-smtp", key: "password" }),
    );
  });

  it("no app but the notification service gets SMTP or webhook variables", () => {
    const settings = { ...DEV, notification: { ...DEV.notification, smtp: { ...SMTP, user: "mailer" } } };
    for (const app of APP_LIST.filter((a) => a.id !== APPS.notification.id)) {
      expect(
        names(appEnvironment(app, settings)).filter((n) => /^(SMTP|WEBHOOK)_/.test(n)),
        app.id,
      ).toEqual([]);
    }
  });
});

describe("the dead-letter desk's alerts", () => {
  it("with an alert webhook: its URL as a value, its signing secret from the dead-letters-alert-webhook Secret", () => {
    const env = appEnvironment(APPS.deadLetters, {
      ...prod,
      logLevel: "info",
      deadLetters: { alertWebhookUrl: ALERT_URL },
    });
    expect(plainValues(env).ALERT_WEBHOOK_URL).toBe(ALERT_URL);
    expect(envVar(env, "ALERT_WEBHOOK_SECRET")).toEqual(
      secretRef("ALERT_WEBHOOK_SECRET", { name: "dead-letters-alert-webhook", key: "secret" }),
    );
    for (const app of APP_LIST.filter((a) => a.id !== APPS.deadLetters.id)) {
      const other = appEnvironment(app, { ...DEV, deadLetters: { alertWebhookUrl: ALERT_URL } });
      expect(
        names(other).filter((n) => n.startsWith("ALERT_")),
        app.id,
      ).toEqual([]);
    }
  });
});
