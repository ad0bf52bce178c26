// A service's configuration: read once from the environment, validated with TypeBox + ajv, with errors that name the variable; the variables every service shares, and a way to add its own.
import { isIP } from "node:net";
import { Ajv } from "ajv";
import Type from "typebox";
import { type AppSpec, PUBSUB } from "../../specs/apps";
import { numberNotationViolations } from "./validation";

/** A TCP port, with its default. */
export const Port = (defaultPort: number) => Type.Integer({ minimum: 1, maximum: 65_535, default: defaultPort });
/** A duration in milliseconds between `minimum` and `maximum`, with its default. */
export const Milliseconds = (minimum: number, maximum: number, defaultMs: number) =>
  Type.Integer({ minimum, maximum, default: defaultMs });

/**
 * Marks a variable as a secret: an error about it names the variable and the value's length, never the value, so a
 * wrong secret does not end up in a log. Use it for every password, token, key and URL with credentials.
 */
export const Secret = <S extends Type.TSchema>(schema: S): S => ({ ...schema, "x-secret": true }) as S;

const isSecret = (schema: unknown) => (schema as { "x-secret"?: boolean } | undefined)?.["x-secret"] === true;

/** What a URL-valued variable must be: its schemes (`https:`), and whether it may carry a user name and password. */
export interface UrlRule {
  protocols: readonly string[];
  /** false where the URL is used by `fetch`, which refuses a URL with credentials (WHATWG Fetch, "new Request"). */
  credentials: boolean;
}

/**
 * A URL-valued variable: checked at load to parse as an absolute URL (WHATWG URL, as `fetch` and node-postgres's
 * connection string parser read it) with one of `rule.protocols`, a host and a valid port, and without
 * credentials unless `rule.credentials`. Its errors never show the value, which may hold a password or a token.
 */
export const Url = (rule: UrlRule) => Type.String({ minLength: 1, "x-url": rule });

const urlRuleOf = (schema: unknown) => (schema as { "x-url"?: UrlRule } | undefined)?.["x-url"];

/** What is wrong with `value` as a URL by `rule`, or undefined when nothing is. */
export function urlProblem(value: string, rule: UrlRule): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL with a host and a port from 1 to 65535";
  }
  if (!rule.protocols.includes(url.protocol))
    return `must be a URL with the scheme ${rule.protocols.map((p) => p.replace(/:$/, "")).join(" or ")}`;
  if (url.hostname === "") return "must name a host";
  if (!rule.credentials && (url.username !== "" || url.password !== "")) {
    return "must not contain a user name or password";
  }
  return undefined;
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, at most 253 characters.
const HOST_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Whether `value` is a host name (RFC 1123) or an IP address (v4, or v6 without brackets). */
export function isHostOrAddress(value: string): boolean {
  return isIP(value) !== 0 || HOST_NAME.test(value);
}

/** A host-valued variable (a name or an IP address, nothing else: no scheme, port, path or space), with its default. */
export const Host = (defaultHost?: string) =>
  Type.String({ format: "host", ...(defaultHost === undefined ? {} : { default: defaultHost }) });

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The variables of the HTTP server, the sidecar and shutdown, which every service reads. */
function baseVariables(app: AppSpec) {
  return {
    PORT: Port(app.port),
    HOST: Host("0.0.0.0"),
    APP_ID: Type.String({ pattern: "^[a-z-]+$", default: app.id }),
    PUBSUB_NAME: Type.String({ minLength: 1, default: PUBSUB }),
    LOG_LEVEL: Type.Union(
      LOG_LEVELS.map((level) => Type.Literal(level)),
      { default: "info" },
    ),
    DAPR_HOST: Host("127.0.0.1"),
    DAPR_HTTP_PORT: Port(3500),
    DAPR_API_TOKEN: Type.Optional(Secret(Type.String({ minLength: 1 }))),
    // Dapr's app API token: a short one could be guessed by anyone who reaches the app port.
    APP_API_TOKEN: Type.Optional(Secret(Type.String({ minLength: 32 }))),
    // A call to the sidecar (publish, invoke) that takes longer fails, so a hung sidecar stalls nothing for good.
    SIDECAR_TIMEOUT_MS: Milliseconds(100, 600_000, 5_000),
    SHUTDOWN_TIMEOUT_MS: Milliseconds(100, 600_000, 10_000),
    HTTP_REQUEST_TIMEOUT_MS: Milliseconds(100, 600_000, 30_000),
    HTTP_CONNECTION_TIMEOUT_MS: Milliseconds(100, 3_600_000, 60_000),
  };
}

/** The variables of a service with a database of its own. */
function databaseVariables(app: AppSpec) {
  return {
    // It may carry the password: an error never shows it.
    DATABASE_URL: Type.Optional(Secret(Url({ protocols: ["postgres:", "postgresql:"], credentials: true }))),
    DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    DATA_DIR: Type.String({ minLength: 1, default: `./data/${app.id}` }),
  };
}

/** The variables of a service that authenticates users by bearer JWT. */
const authVariables = {
  // 32 characters at least: an HS256 key shorter than the hash output weakens it (RFC 7518 §3.2).
  JWT_SECRET: Type.Optional(Secret(Type.String({ minLength: 32 }))),
  // Fetched: no credentials; and a secret, as an identity provider's URL may carry a token of its own.
  JWT_JWKS_URL: Type.Optional(Secret(Url({ protocols: ["https:", "http:"], credentials: false }))),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  // A token lives at most this long (exp − iat, and its age): one minute to 30 days, a day by default.
  JWT_MAX_LIFETIME_SECONDS: Type.Integer({ minimum: 60, maximum: 2_592_000, default: 86_400 }),
  // How far apart the issuer's clock and this one may be when exp, nbf and iat are checked.
  JWT_CLOCK_SKEW_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 30 }),
  // The claim that lists a token's roles (an array of strings, or one string), and the role of an operator.
  JWT_ROLES_CLAIM: Type.String({ minLength: 1, maxLength: 100, default: "roles" }),
  OPERATOR_ROLE: Type.String({ minLength: 1, maxLength: 100, default: "operator" }),
};

export type LogLevel = (typeof LOG_LEVELS)[number];

/** How long a token may live, and the clock difference allowed when its times are checked; both in seconds. */
export interface TokenLifetime {
  maxLifetimeSeconds: number;
  clockSkewSeconds: number;
}

/**
 * How bearer tokens are verified: a shared HS256 secret, or the keys of an identity provider's JWKS; and where a
 * token names its roles (`rolesClaim`) and which of them makes an operator.
 */
export type AuthConfig = TokenLifetime & { rolesClaim: string; operatorRole: string } & (
    | { mode: "secret"; secret: string; issuer?: string; audience?: string }
    | { mode: "jwks"; jwksUrl: string; issuer: string; audience: string }
  );

/** What every service is configured with, whatever else it reads. */
export interface ServiceConfig {
  port: number;
  host: string;
  /** The Dapr app id; also names the `source` of every event the service publishes (`/tasks/<appId>`). */
  appId: string;
  /** The Dapr pub/sub component the service publishes through. */
  pubsubName: string;
  logLevel: LogLevel;
  /**
   * `url`: the sidecar's HTTP API. `apiToken`: sent to it as `dapr-api-token` (DAPR_API_TOKEN). `appToken`: what the
   * sidecar sends to this app as `dapr-api-token` (APP_API_TOKEN, from the `dapr.io/app-token-secret` Secret); the
   * routes only the sidecar calls refuse any call without it. `timeoutMs`: the longest a call to the sidecar takes.
   */
  dapr: { url: string; apiToken?: string; appToken: string; timeoutMs: number };
  /** How long a shutdown may take: in-flight requests and deliveries, then the service's own flushing. */
  shutdownTimeoutMs: number;
  http: {
    /** A request's headers and body must have arrived within this (Node's `requestTimeout`), else 408 and closed. */
    requestTimeoutMs: number;
    /** A connection with no traffic for this long is closed (fastify's `connectionTimeout`, the socket timeout). */
    connectionTimeoutMs: number;
  };
  /** Present for a service with a database: PostgreSQL when `url` is set, otherwise PGlite in `dataDir`. */
  database?: { url?: string; poolSize: number; dataDir: string };
  /** Present for a service that authenticates users. */
  auth?: AuthConfig;
}

/** Thrown when the environment does not make a valid configuration; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
ajv.addFormat("host", { type: "string", validate: isHostOrAddress });

/**
 * Reads the variables `schema` declares from `env`, coerced and with defaults; throws a `ConfigError` naming every
 * bad one with its value (a secret's length only; a URL's never). Numbers must be plain decimal notation
 * (`numberNotationViolations`), URLs must follow their `Url` rule. An empty variable means unset: Kubernetes and
 * shells often pass "" for "not configured".
 */
export function loadEnvironment<S extends Type.TObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): Type.Static<S> {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    if (value !== undefined && value !== "") values[name] = value;
  }
  const properties = schema.properties as Record<string, unknown>;
  // Read before ajv coerces the text in place.
  const notation = numberNotationViolations(schema, values).map((v) => ({ name: v.path.slice(1), message: v.message }));
  const validate = ajv.compile(schema);
  const schemaProblems = validate(values)
    ? []
    : (validate.errors ?? [])
        .filter((error) => error.keyword !== "const")
        .map((error) => {
          const name = error.instancePath.replace(/^\//, "");
          const message =
            error.keyword === "anyOf" ? `must be one of: ${allowedValues(schema, name).join(", ")}` : error.message;
          return { name, message };
        });
  // A variable the schema refused keeps that message alone.
  const refused = new Set(schemaProblems.map((p) => p.name));
  const urls = Object.keys(values).flatMap((name) => {
    const rule = urlRuleOf(properties[name]);
    const message = rule && typeof values[name] === "string" ? urlProblem(values[name], rule) : undefined;
    return message === undefined ? [] : [{ name, message }];
  });
  const found = [...schemaProblems, ...[...notation, ...urls].filter((p) => !refused.has(p.name))];
  if (found.length > 0) {
    const given = (name: string) => {
      const value = env[name];
      if (typeof value !== "string") return "unset";
      return isSecret(properties[name]) || urlRuleOf(properties[name])
        ? `${value.length} characters, value not shown`
        : JSON.stringify(value);
    };
    throw new ConfigError([...new Set(found.map(({ name, message }) => `${name} ${message} (got ${given(name)})`))]);
  }
  return values as Type.Static<S>;
}

/** The literals a union-typed variable allows, for the error message. */
function allowedValues(schema: Type.TObject, name: string): string[] {
  const property = (schema.properties as Record<string, { anyOf?: { const?: unknown }[] }>)[name];
  return (property?.anyOf ?? []).map((branch) => String(branch.const));
}

/**
 * The rule of a pair of backoff variables `<name>_BACKOFF_INITIAL_MS` and `<name>_BACKOFF_MAX_MS`: the longest
 * wait may not be shorter than the first. One problem naming both, or none.
 */
export function backoffProblems(name: string, initialMs: number, maxMs: number): string[] {
  return maxMs < initialMs
    ? [`${name}_BACKOFF_MAX_MS must be at least ${name}_BACKOFF_INITIAL_MS (${initialMs}) (got ${maxMs})`]
    : [];
}

/** What a service reads besides the shared variables. */
export interface ServiceVariables<P extends Type.TProperties> {
  /** Whether the service authenticates users by bearer JWT (JWT_* variables). */
  auth: boolean;
  /** The service's own variables (TypeBox schemas, with defaults). */
  own: P;
  /** Rules across its own variables: one message per problem, naming the variables. */
  problems?: (values: Type.Static<Type.TObject<P>>) => string[];
}

/** The TypeBox schema of every variable a service reads: the shared ones that apply to it, and its own. */
export function serviceEnvironment<P extends Type.TProperties>(
  app: AppSpec,
  variables: Pick<ServiceVariables<P>, "auth" | "own">,
) {
  return Type.Object({
    ...baseVariables(app),
    ...(app.database ? databaseVariables(app) : {}),
    ...(variables.auth ? authVariables : {}),
    ...variables.own,
  });
}

/**
 * Loads a service's configuration from the environment (`process.env` in production): the shared variables
 * (database ones when the catalog gives the app a database, JWT ones when `auth`), and its own. Returns the shared
 * part as a `ServiceConfig` and its own variables as read; throws a `ConfigError` naming every bad variable.
 */
export function loadServiceConfig<P extends Type.TProperties>(
  app: AppSpec,
  variables: ServiceVariables<P>,
  env: Readonly<Record<string, string | undefined>>,
): { service: ServiceConfig; own: Type.Static<Type.TObject<P>> } {
  const schema = serviceEnvironment(app, variables);
  const e = loadEnvironment(schema, env) as Record<string, unknown> as SharedValues;
  const problems = [...sharedProblems(e, variables.auth)];
  const own = e as unknown as Type.Static<Type.TObject<P>>;
  if (variables.problems) problems.push(...variables.problems(own));
  if (problems.length > 0) throw new ConfigError(problems);

  const service: ServiceConfig = {
    port: e.PORT,
    host: e.HOST,
    appId: e.APP_ID,
    pubsubName: e.PUBSUB_NAME,
    logLevel: e.LOG_LEVEL,
    dapr: {
      url: `http://${e.DAPR_HOST.includes(":") ? `[${e.DAPR_HOST}]` : e.DAPR_HOST}:${e.DAPR_HTTP_PORT}`,
      ...(e.DAPR_API_TOKEN ? { apiToken: e.DAPR_API_TOKEN } : {}),
      appToken: e.APP_API_TOKEN ?? "",
      timeoutMs: e.SIDECAR_TIMEOUT_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    http: { requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS, connectionTimeoutMs: e.HTTP_CONNECTION_TIMEOUT_MS },
    ...(app.database
      ? {
          database: {
            ...(e.DATABASE_URL ? { url: e.DATABASE_URL } : {}),
            poolSize: e.DATABASE_POOL_SIZE,
            dataDir: e.DATA_DIR,
          },
        }
      : {}),
    ...(variables.auth ? { auth: authConfig(e) } : {}),
  };
  return { service, own };
}

type SharedValues = Type.Static<Type.TObject<ReturnType<typeof baseVariables>>> &
  Type.Static<Type.TObject<ReturnType<typeof databaseVariables>>> &
  Type.Static<Type.TObject<typeof authVariables>>;

function authConfig(e: SharedValues): AuthConfig {
  const common = {
    maxLifetimeSeconds: e.JWT_MAX_LIFETIME_SECONDS,
    clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS,
    rolesClaim: e.JWT_ROLES_CLAIM,
    operatorRole: e.OPERATOR_ROLE,
  };
  if (e.JWT_JWKS_URL) {
    return {
      ...common,
      mode: "jwks",
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER ?? "",
      audience: e.JWT_AUDIENCE ?? "",
    };
  }
  return {
    ...common,
    mode: "secret",
    secret: e.JWT_SECRET ?? "",
    ...(e.JWT_ISSUER ? { issuer: e.JWT_ISSUER } : {}),
    ...(e.JWT_AUDIENCE ? { audience: e.JWT_AUDIENCE } : {}),
  };
}

function sharedProblems(e: SharedValues, auth: boolean): string[] {
  const problems: string[] = [];
  if (auth) {
    if (e.JWT_JWKS_URL) {
      // Both set is ambiguous: the tokens one of them signs would be refused with no hint why.
      if (e.JWT_SECRET)
        problems.push("JWT_SECRET and JWT_JWKS_URL are both set; set only one (HS256 secret, or the JWKS)");
      if (!e.JWT_ISSUER) problems.push("JWT_ISSUER is required with JWT_JWKS_URL (got unset)");
      if (!e.JWT_AUDIENCE) problems.push("JWT_AUDIENCE is required with JWT_JWKS_URL (got unset)");
    } else if (!e.JWT_SECRET) {
      problems.push("JWT_SECRET is required unless JWT_JWKS_URL is set (got unset)");
    }
  }
  if (!e.APP_API_TOKEN) {
    problems.push(
      "APP_API_TOKEN is required: the token the Dapr sidecar sends as dapr-api-token (dapr.io/app-token-secret) (got unset)",
    );
  }
  return problems;
}
