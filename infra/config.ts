// The stack's configuration, read once: the environment's profile with the stack's overrides, validated with errors that name the key.
import * as pulumi from "@pulumi/pulumi";
import { Ajv, type ErrorObject } from "ajv";
import Type from "typebox";
import { originProblem } from "../service-kit/src/origins";
import { APP_LIST } from "../specs/apps";
import { PROFILES } from "../stacks/index";
import type { ContainerResources, Environment, PlatformProfile } from "../stacks/profile";

export const CONFIG_NAMESPACE = "event-platform";

/** Kafka versions Strimzi 1.2.0 can run. */
export const STRIMZI_KAFKA_VERSIONS = ["4.2.0", "4.2.1", "4.3.0", "4.3.1"] as const;

/** A Kubernetes quantity with the suffixes the program uses; group 2 is the suffix. */
const QUANTITY_PATTERN = "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$";
const Quantity = Type.String({ pattern: QUANTITY_PATTERN });
const GoDuration = Type.String({ pattern: "^([0-9]+(ms|s|m|h))+$" });
const Resources = Type.Object(
  {
    requests: Type.Object({ cpu: Quantity, memory: Quantity }, { additionalProperties: false }),
    limits: Type.Object({ cpu: Quantity, memory: Quantity }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
const Retry = Type.Partial(
  Type.Object({ maxRetries: Type.Integer({ minimum: 0, maximum: 100 }), maxInterval: GoDuration }),
  { additionalProperties: false },
);
const DnsLabel = Type.String({ pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 });
const open = { additionalProperties: false } as const;
/** A label key (an optional DNS-subdomain prefix and `/`, then a name) and value, as Kubernetes validates them. */
const LabelKey = Type.String({
  pattern:
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$",
});
const LabelValue = Type.String({ pattern: "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$" });
const IPV4_CIDR = "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}/(3[0-2]|[12]?[0-9])";
const IPV6_CIDR = "[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9])";
/** An IPv4 or IPv6 block in CIDR notation (`10.0.0.0/16`, `fd00::/8`). */
const Cidr = Type.String({ pattern: `^(${IPV4_CIDR}|${IPV6_CIDR})$` });
/** An image digest as registries give it. */
const Digest = Type.String({ pattern: "^sha256:[a-f0-9]{64}$" });
/** A TCP port. */
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
// A `description` is what a message gives as allowed when the value does not match the pattern.
const HostOrNone = Type.String({
  pattern: "^$|^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*$",
  description: "a host name or an IP address, or empty for none",
});
const MailboxOrNone = Type.String({
  pattern: "^$|^[^\\s<>@]+@[^\\s<>@]+$|^[^<>]*<[^\\s<>@]+@[^\\s<>@]+>$",
  description: 'an email address such as "tasks@example.com" or "Tasks <tasks@example.com>", or empty for none',
});
const UrlOrNone = Type.String({
  pattern: "^$|^https?://[^\\s]+$",
  description: "an http:// or https:// URL, or empty for none",
});
/** The claim and role names the services accept (their JWT_ROLES_CLAIM and OPERATOR_ROLE). */
const ClaimName = Type.String({ minLength: 1, maxLength: 100 });

/** What a stack file may set: every key optional, each overriding the profile's value. */
const StackOverrides = Type.Partial(
  Type.Object({
    profile: Type.Union([Type.Literal("dev"), Type.Literal("prod")]),
    namespace: DnsLabel,
    kafka: Type.Partial(
      Type.Object({
        mode: Type.Union([Type.Literal("strimzi"), Type.Literal("redpanda-cloud"), Type.Literal("external")]),
        strimzi: Type.Partial(
          Type.Object({
            namespace: DnsLabel,
            clusterName: DnsLabel,
            kafkaVersion: Type.Union(STRIMZI_KAFKA_VERSIONS.map((v) => Type.Literal(v))),
            nodes: Type.Integer({ minimum: 1, maximum: 99 }),
            storage: Type.Union([
              Type.Object({ type: Type.Literal("ephemeral") }, open),
              Type.Object(
                { type: Type.Literal("persistent-claim"), size: Quantity, storageClass: Type.Optional(Type.String()) },
                open,
              ),
            ]),
            authentication: Type.Union([Type.Literal("scram-sha-512"), Type.Literal("none")]),
            resources: Resources,
          }),
          open,
        ),
        bootstrapServers: Type.Array(Type.String({ pattern: "^[^\\s,]+:[0-9]+$" }), { minItems: 1 }),
        username: Type.String(),
        saslMechanism: Type.Union([Type.Literal("SHA-256"), Type.Literal("SHA-512")]),
        replicationFactor: Type.Integer({ minimum: 1, maximum: 9 }),
        minInsyncReplicas: Type.Integer({ minimum: 1, maximum: 9 }),
        protocolVersion: Type.String({ pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+$" }),
      }),
      open,
    ),
    dapr: Type.Partial(
      Type.Object({
        install: Type.Boolean(),
        namespace: DnsLabel,
        chartVersion: Type.String({ pattern: "^1\\.18\\.[0-9]+$" }),
        highAvailability: Type.Boolean(),
        logLevel: Type.Union(["debug", "info", "warn", "error"].map((l) => Type.Literal(l))),
        tracingSamplingRate: Type.String({ pattern: "^(0(\\.[0-9]+)?|1)$" }),
        // host:port, as Dapr's Configuration takes it; the port also opens the sidecars' egress to the collector.
        otlpEndpoint: Type.String({ pattern: "^$|^[^\\s:/]+:[0-9]{1,5}$" }),
        inboundRetry: Retry,
        outboundRetry: Retry,
        sidecarResources: Resources,
      }),
      open,
    ),
    postgres: Type.Partial(
      Type.Object({
        mode: Type.Union([Type.Literal("in-cluster"), Type.Literal("external")]),
        image: Type.String({ minLength: 1 }),
        imageDigest: Digest,
        storageSize: Quantity,
        port: Port,
      }),
      open,
    ),
    apps: Type.Partial(
      Type.Object({
        imageSource: Type.Union([Type.Literal("build"), Type.Literal("prebuilt")]),
        // A registry host (with an optional port) and path, as an image reference starts: `ghcr.io/org`, `localhost:5001`.
        imageRegistry: Type.String({
          pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
          description:
            "a registry host with an optional port and path in lower case, such as ghcr.io/my-org or localhost:5001",
        }),
        imageTag: Type.String({ minLength: 1 }),
        // One key per app of the catalog: an unknown app id is reported as an unknown setting.
        imageDigests: Type.Partial(Type.Object(Object.fromEntries(APP_LIST.map((app) => [app.id, Digest]))), open),
        registryUsername: Type.String(),
        buildCache: Type.Boolean(),
        buildPlatforms: Type.Array(Type.Union([Type.Literal("linux/amd64"), Type.Literal("linux/arm64")]), {
          minItems: 1,
          uniqueItems: true,
        }),
        replicas: Type.Integer({ minimum: 1, maximum: 50 }),
        disruptionBudget: Type.Boolean(),
        resources: Resources,
      }),
      open,
    ),
    auth: Type.Partial(Type.Object({ rolesClaim: ClaimName, operatorRole: ClaimName }), open),
    notification: Type.Partial(
      Type.Object({
        smtp: Type.Partial(
          Type.Object({
            host: HostOrNone,
            port: Port,
            secure: Type.Boolean(),
            from: MailboxOrNone,
            user: Type.String(),
          }),
          open,
        ),
        webhookPorts: Type.Array(Port, { uniqueItems: true }),
        webhookTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
        webhookAllowPrivateAddresses: Type.Boolean(),
      }),
      open,
    ),
    deadLetters: Type.Partial(Type.Object({ alertWebhookUrl: UrlOrNone }), open),
    board: Type.Partial(Type.Object({ origin: UrlOrNone, backendUrl: UrlOrNone }), open),
    network: Type.Partial(
      Type.Object({
        ingressFrom: Type.Array(
          Type.Union([
            Type.Object(
              { namespace: DnsLabel, podLabels: Type.Optional(Type.Record(LabelKey, LabelValue, open)) },
              open,
            ),
            Type.Object({ cidr: Cidr, except: Type.Optional(Type.Array(Cidr)) }, open),
          ]),
        ),
      }),
      open,
    ),
  }),
  open,
);
export type StackOverrides = Type.Static<typeof StackOverrides>;

/** Stack config keys that hold secrets; they are read with `requireSecret` and stay secret in state. */
export interface PlatformSecrets {
  /** SASL password of Redpanda Cloud or the external cluster. */
  kafkaPassword?: pulumi.Output<string>;
  /** PostgreSQL URL when `postgres.mode` is `external`. */
  databaseUrl?: pulumi.Output<string>;
  /** The password of `notification.smtp.user`. */
  smtpPassword?: pulumi.Output<string>;
  /**
   * The Standard Webhooks secret (`whsec_` and base64) the dead-letter desk signs its alerts with; generated when
   * `deadLetters.alertWebhookUrl` is set without it.
   */
  alertWebhookSecret?: pulumi.Output<string>;
  /** The password or token of `apps.registryUsername`, which the image builds push with. */
  registryPassword?: pulumi.Output<string>;
}

/** Which secrets a stack sets: all the rules need to know of them. */
type SecretsSet = Record<keyof PlatformSecrets, boolean>;

/** The validated configuration of one stack. */
export interface PlatformConfig extends PlatformProfile {
  stack: string;
  secrets: PlatformSecrets;
}

/** Thrown for invalid stack config; the message names the key, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateOverrides = ajv.compile(StackOverrides);

function keyOf(error: ErrorObject): string {
  const path = error.instancePath.split("/").filter(Boolean);
  const extra = (error.params as { additionalProperty?: string }).additionalProperty;
  if (extra) path.push(extra);
  const [top, ...rest] = path;
  return `${CONFIG_NAMESPACE}:${top ?? ""}${rest.length ? `.${rest.join(".")}` : ""}`;
}

function valueAt(raw: unknown, error: ErrorObject): unknown {
  return error.instancePath
    .split("/")
    .filter(Boolean)
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], raw);
}

/** The schema fields a message reads. */
interface BranchSchema {
  description?: string;
  const?: unknown;
  properties?: Record<string, BranchSchema>;
  required?: string[];
}

const isLiteral = (schema: BranchSchema) => schema.const !== undefined;

/** A union member as a user would write it: a literal, or an object's keys (`?` when optional, values when fixed). */
function shapeOf(schema: BranchSchema): string {
  if (isLiteral(schema)) return String(schema.const);
  const fields = Object.entries(schema.properties ?? {}).map(([name, field]) => {
    if (isLiteral(field)) return `${name}: ${JSON.stringify(field.const)}`;
    return schema.required?.includes(name) ? name : `${name}?`;
  });
  return `{${fields.join(", ")}}`;
}

function describe(error: ErrorObject, raw: unknown): string | undefined {
  const key = keyOf(error);
  if (error.keyword === "additionalProperties") return `${key} is not a known setting`;
  const value = JSON.stringify(valueAt(raw, error));
  if (error.keyword === "const") return undefined; // reported once by the enclosing anyOf
  const { description } = (error.parentSchema ?? {}) as BranchSchema;
  if (error.keyword === "pattern" && description) return `${key}: ${value} is not allowed; allowed: ${description}`;
  if (error.keyword === "anyOf") {
    const branches = (error.parentSchema?.anyOf ?? []) as BranchSchema[];
    return `${key}: ${value} is not allowed; allowed: ${branches.map(shapeOf).join(branches.every(isLiteral) ? ", " : " or ")}`;
  }
  return `${key}: ${value} is not allowed; it ${error.message}`;
}

/** Checks the raw stack values; every problem names its key. */
function checkShape(raw: Record<string, unknown>): string[] {
  if (validateOverrides(raw)) return [];
  const errors = validateOverrides.errors ?? [];
  // Inside a failed anyOf only the anyOf itself is reported: it lists every shape the key allows.
  const anyOfPaths = errors.filter((e) => e.keyword === "anyOf").map((e) => e.schemaPath);
  const problems = errors
    .filter((e) => e.keyword === "anyOf" || !anyOfPaths.some((p) => e.schemaPath.startsWith(`${p}/`)))
    .map((e) => describe(e, raw))
    .filter((p): p is string => p !== undefined);
  return [...new Set(problems)];
}

function merge<T>(base: T, override: unknown): T {
  if (override === undefined) return base;
  if (typeof base !== "object" || base === null || Array.isArray(base) || typeof override !== "object") {
    return override as T;
  }
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override as Record<string, unknown>)) {
    // A storage override replaces the whole union member rather than mixing two of them.
    result[key] = key === "storage" ? value : merge(result[key], value);
  }
  return result as T;
}

const k = (key: string) => `${CONFIG_NAMESPACE}:${key}`;

/**
 * The highest `min.insync.replicas` that keeps a topic of `replicationFactor` replicas writable while one replica is
 * down: `replicationFactor - 1` above 1, else 1. Dapr produces with acks=all (Sarama `WaitForAll`), so a write needs
 * `min.insync.replicas` replicas in sync; equal to the replication factor, every broker restart (rolling update, node
 * drain) stops all writes (FACTS.md, "Kafka availability").
 */
export function maxMinInsyncReplicas(replicationFactor: number): number {
  return Math.max(1, replicationFactor - 1);
}

const QUANTITY_SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/**
 * A Kubernetes quantity as the schema's `Quantity` pattern allows it (`250m`, `1.5`, `512Mi`, `1G`) in base units
 * (cores, bytes), following `k8s.io/apimachinery/pkg/api/resource` for those suffixes.
 */
export function quantityValue(quantity: string): number {
  const match = new RegExp(QUANTITY_PATTERN).exec(quantity);
  if (!match) throw new Error(`Not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
  const suffix = match[2] ?? "";
  return Number(quantity.slice(0, quantity.length - suffix.length)) * (QUANTITY_SUFFIXES[suffix] ?? 1);
}

/** Requests above limits: Kubernetes refuses such a pod (for the sidecar, only when the injector creates it). */
function checkResources(key: string, resources: ContainerResources): string[] {
  return (["cpu", "memory"] as const).flatMap((resource) => {
    const request = resources.requests[resource];
    const limit = resources.limits[resource];
    if (quantityValue(request) <= quantityValue(limit)) return [];
    return [
      `${k(`${key}.requests.${resource}`)}: ${JSON.stringify(request)} is not allowed above ${k(`${key}.limits.${resource}`)} (${JSON.stringify(limit)}); allowed: at most the limit (Kubernetes refuses a pod whose request exceeds its limit)`,
    ];
  });
}

/** The notification service's SMTP settings and password, which only make sense together. */
function checkSmtp({ host, from, user }: PlatformProfile["notification"]["smtp"], secrets: SecretsSet): string[] {
  const problems: string[] = [];
  if (host && !from) {
    problems.push(
      `${k("notification.smtp.from")} is required when ${k("notification.smtp.host")} is set: the sender of every email, such as "Tasks <tasks@example.com>"`,
    );
  }
  if (!host) {
    for (const [key, value] of [
      ["from", from],
      ["user", user],
    ] as const) {
      if (value) {
        problems.push(
          `${k(`notification.smtp.${key}`)}: ${JSON.stringify(value)} is not allowed without ${k("notification.smtp.host")}; set the host to turn the email channel on, or leave ${key} unset`,
        );
      }
    }
  }
  if (user && !secrets.smtpPassword) {
    problems.push(
      `${k("smtpPassword")} is required when ${k("notification.smtp.user")} is set: pulumi config set --secret smtpPassword <password>`,
    );
  }
  if (!user && secrets.smtpPassword) {
    problems.push(
      `${k("smtpPassword")} is set but ${k("notification.smtp.user")} is not; set the user it belongs to, or remove it: pulumi config rm smtpPassword`,
    );
  }
  return problems;
}

/** The dead-letter desk's alert webhook: a URL that parses, and its secret only with it. */
function checkAlertWebhook({ alertWebhookUrl: url }: PlatformProfile["deadLetters"], secrets: SecretsSet): string[] {
  if (!url) {
    return secrets.alertWebhookSecret
      ? [
          `${k("alertWebhookSecret")} is set but ${k("deadLetters.alertWebhookUrl")} is not; set the URL the alerts go to, or remove the secret: pulumi config rm alertWebhookSecret`,
        ]
      : [];
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [`${k("deadLetters.alertWebhookUrl")}: ${JSON.stringify(url)} is not allowed; allowed: an http(s) URL`];
  }
  if (parsed.username || parsed.password) {
    // The URL is plain config and a plain environment variable: a password in it would be readable by anyone.
    return [
      `${k("deadLetters.alertWebhookUrl")}: a URL with credentials is not allowed; allowed: an http(s) URL without user or password (the receiver checks the alerts' signature instead)`,
    ];
  }
  return [];
}

/** The apps' images: digests only for prebuilt images, the registry login only for builds and with its password. */
function checkImages(apps: PlatformProfile["apps"], secrets: SecretsSet): string[] {
  const problems: string[] = [];
  const pinned = Object.keys(apps.imageDigests);
  if (apps.imageSource === "build" && pinned.length > 0) {
    problems.push(
      `${k("apps.imageDigests")} (${pinned.join(", ")}) is not allowed with ${k("apps.imageSource")} build: a built app runs the digest its build pushed; allowed: apps.imageSource prebuilt to run given digests, or no digests`,
    );
  }
  if (apps.imageSource === "prebuilt" && apps.registryUsername) {
    problems.push(
      `${k("apps.registryUsername")}: ${JSON.stringify(apps.registryUsername)} is not allowed with ${k("apps.imageSource")} prebuilt, which pushes nothing; allowed: apps.imageSource build, or leave it unset (a cluster pulls private images with its own imagePullSecrets)`,
    );
  }
  if (apps.registryUsername && !secrets.registryPassword) {
    problems.push(
      `${k("registryPassword")} is required when ${k("apps.registryUsername")} is set: pulumi config set --secret registryPassword <password or token>`,
    );
  }
  if (!apps.registryUsername && secrets.registryPassword) {
    problems.push(
      `${k("registryPassword")} is set but ${k("apps.registryUsername")} is not; set the user it belongs to, or remove it: pulumi config rm registryPassword`,
    );
  }
  return problems;
}

/**
 * The board's two public addresses: both or neither (a board without the backend's URL cannot load tasks; a backend
 * URL without the board's origin would be refused by CORS), the origin exactly as browsers send it (`Origin`), and
 * no credentials in the backend's URL (it is handed to every browser).
 */
function checkBoard({ origin, backendUrl }: PlatformProfile["board"]): string[] {
  if (!origin && !backendUrl) return [];
  if (!origin || !backendUrl) {
    const [set, missing] = origin ? ["board.origin", "board.backendUrl"] : ["board.backendUrl", "board.origin"];
    return [`${k(missing)} is required when ${k(set)} is set: the board needs both, or neither to serve no board`];
  }
  const problems: string[] = [];
  const originWrong = originProblem(origin);
  if (originWrong) problems.push(`${k("board.origin")}: ${JSON.stringify(origin)} ${originWrong}`);
  if (!URL.canParse(backendUrl)) {
    problems.push(`${k("board.backendUrl")}: ${JSON.stringify(backendUrl)} is not allowed; allowed: an http(s) URL`);
  } else if (new URL(backendUrl).username || new URL(backendUrl).password) {
    problems.push(
      `${k("board.backendUrl")}: a URL with credentials is not allowed; every browser that loads the board receives it`,
    );
  }
  return problems;
}

/** Rules that span keys or depend on the environment. */
function checkRules(p: PlatformProfile, secretsSet: SecretsSet): string[] {
  const { kafka } = p;
  const problems: string[] = [
    ...checkResources("apps.resources", p.apps.resources),
    ...checkResources("dapr.sidecarResources", p.dapr.sidecarResources),
    ...(kafka.mode === "strimzi" ? checkResources("kafka.strimzi.resources", kafka.strimzi.resources) : []),
    ...checkSmtp(p.notification.smtp, secretsSet),
    ...checkAlertWebhook(p.deadLetters, secretsSet),
    ...checkImages(p.apps, secretsSet),
    ...checkBoard(p.board),
  ];
  const maxInsync = maxMinInsyncReplicas(kafka.replicationFactor);
  if (kafka.minInsyncReplicas > maxInsync) {
    const allowed =
      kafka.replicationFactor === 1
        ? "1 (it cannot exceed the replication factor)"
        : `${maxInsync === 1 ? "1" : `1 to ${maxInsync}`} (at most the replication factor - 1: with acks=all, a value equal to the replication factor stops every write while one broker restarts)`;
    problems.push(
      `${k("kafka.minInsyncReplicas")}: ${kafka.minInsyncReplicas} is not allowed with ${k("kafka.replicationFactor")} ${kafka.replicationFactor}; allowed: ${allowed}`,
    );
  }
  if (kafka.mode === "strimzi" && kafka.replicationFactor > kafka.strimzi.nodes) {
    problems.push(
      `${k("kafka.replicationFactor")}: ${kafka.replicationFactor} exceeds the broker count ${k("kafka.strimzi.nodes")} (${kafka.strimzi.nodes})`,
    );
  }
  if (kafka.mode !== "strimzi" && kafka.bootstrapServers.length === 0) {
    problems.push(`${k("kafka.bootstrapServers")} is required when ${k("kafka.mode")} is ${kafka.mode}`);
  }
  if (kafka.mode === "redpanda-cloud") {
    if (!kafka.username) problems.push(`${k("kafka.username")} is required when ${k("kafka.mode")} is redpanda-cloud`);
    if (kafka.replicationFactor !== 3) {
      problems.push(
        `${k("kafka.replicationFactor")}: ${kafka.replicationFactor} is not allowed on Redpanda Cloud; allowed: 3 (Redpanda resets any other value to 3)`,
      );
    }
  }
  const needsPassword = kafka.mode === "redpanda-cloud" || (kafka.mode === "external" && kafka.username);
  if (needsPassword && !secretsSet.kafkaPassword) {
    const when =
      kafka.mode === "redpanda-cloud" ? `${k("kafka.mode")} is redpanda-cloud` : `${k("kafka.username")} is set`;
    problems.push(
      `${k("kafkaPassword")} is required when ${when}: pulumi config set --secret kafkaPassword <password>`,
    );
  }
  if (p.postgres.imageDigest && p.postgres.image.includes("@")) {
    problems.push(
      `${k("postgres.imageDigest")}: ${JSON.stringify(p.postgres.imageDigest)} is not allowed with ${k("postgres.image")} ${JSON.stringify(p.postgres.image)}, which is pinned already; allowed: one of them (the image as name:tag with the digest apart)`,
    );
  }
  if (p.postgres.mode === "external" && !secretsSet.databaseUrl) {
    problems.push(
      `${k("databaseUrl")} is required when ${k("postgres.mode")} is external: pulumi config set --secret databaseUrl <postgres://...>`,
    );
  }
  if (p.environment === "prod") {
    if (kafka.replicationFactor < 3) {
      problems.push(
        `${k("kafka.replicationFactor")}: ${kafka.replicationFactor} is too low for prod; allowed: 3 or more`,
      );
    }
    if (kafka.minInsyncReplicas < 2) {
      problems.push(
        `${k("kafka.minInsyncReplicas")}: ${kafka.minInsyncReplicas} is too low for prod; allowed: 2 or more`,
      );
    }
    if (kafka.mode === "strimzi" && kafka.strimzi.authentication !== "scram-sha-512") {
      problems.push(`${k("kafka.strimzi.authentication")}: "none" is not allowed in prod; allowed: scram-sha-512`);
    }
    if (kafka.mode === "strimzi" && kafka.strimzi.storage.type !== "persistent-claim") {
      problems.push(
        `${k("kafka.strimzi.storage")}: ephemeral storage is not allowed in prod; allowed: persistent-claim`,
      );
    }
    if (kafka.mode === "external" && !kafka.username) {
      problems.push(`${k("kafka.username")} is required in prod: the external cluster must use SASL SCRAM over TLS`);
    }
    if (p.notification.webhookAllowPrivateAddresses) {
      problems.push(
        `${k("notification.webhookAllowPrivateAddresses")}: true is not allowed in prod; allowed: false (a user's webhook URL could otherwise reach into the cluster, or the cloud's metadata endpoint)`,
      );
    }
  }
  return problems;
}

/**
 * Resolves a stack's configuration from its raw values: picks the profile (the stack name, or `profile`),
 * applies the overrides and validates the result. Pure, so tests and the plan command call it directly.
 */
export function resolveConfig(
  stack: string,
  raw: Record<string, unknown>,
  secrets: PlatformSecrets = {},
): PlatformConfig {
  const problems = checkShape(raw);
  if (problems.length > 0) throw new ConfigError(problems);
  const overrides = raw as StackOverrides;
  const environment = overrides.profile ?? (Object.hasOwn(PROFILES, stack) ? (stack as Environment) : undefined);
  if (!environment) {
    throw new ConfigError([`${k("profile")} is required for stack "${stack}"; allowed: dev, prod`]);
  }
  const { profile: _, ...settings } = overrides;
  const resolved = merge(PROFILES[environment], settings);
  if (resolved.kafka.mode === "redpanda-cloud" && settings.kafka?.replicationFactor === undefined) {
    // Redpanda Cloud replicates every topic 3 times whatever is asked; declare what it does.
    resolved.kafka = { ...resolved.kafka, replicationFactor: 3 };
  }
  const ruleProblems = checkRules(resolved, {
    kafkaPassword: secrets.kafkaPassword !== undefined,
    databaseUrl: secrets.databaseUrl !== undefined,
    smtpPassword: secrets.smtpPassword !== undefined,
    alertWebhookSecret: secrets.alertWebhookSecret !== undefined,
    registryPassword: secrets.registryPassword !== undefined,
  });
  if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);
  return { ...resolved, stack, secrets };
}

const STRING_KEYS = ["profile", "namespace"] as const;
const OBJECT_KEYS = [
  "kafka",
  "dapr",
  "postgres",
  "apps",
  "network",
  "auth",
  "notification",
  "deadLetters",
  "board",
] as const;
/** The secret keys, read with `getSecret` so they stay secret in state. */
const SECRET_KEYS = [
  "kafkaPassword",
  "databaseUrl",
  "smtpPassword",
  "alertWebhookSecret",
  "registryPassword",
] as const satisfies readonly (keyof PlatformSecrets)[];

/** Reads this stack's config through `pulumi.Config`; the only place in the program that does. */
export function loadConfig(): PlatformConfig {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const raw: Record<string, unknown> = {};
  for (const key of STRING_KEYS) {
    const value = config.get(key);
    if (value !== undefined) raw[key] = value;
  }
  for (const key of OBJECT_KEYS) {
    const value = config.getObject<unknown>(key);
    if (value !== undefined) raw[key] = value;
  }
  const secrets: PlatformSecrets = {};
  for (const key of SECRET_KEYS) {
    const value = config.getSecret(key);
    if (value !== undefined) secrets[key] = value;
  }
  return resolveConfig(pulumi.getStack(), raw, secrets);
}
