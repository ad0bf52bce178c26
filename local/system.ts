// The whole event system on one machine, started by the same code in `npm run demo` and the end-to-end suite: Kafka with the catalog's topics, a mail sink, and every app of the catalog with its development sidecar, on one data folder whose parts belong together; and the ordered shutdown.
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { TOPIC_LIST } from "@event-platform/events";
import { Admin } from "@platformatic/kafka";
import pg from "pg";
import { startBackend } from "../apps/backend/src/app";
import { loadConfig as loadBackendConfig } from "../apps/backend/src/config";
import { BACKEND_SCHEMA } from "../apps/backend/src/migrations";
import { startDeadLetters } from "../apps/dead-letters/src/app";
import { loadConfig as loadDeadLettersConfig } from "../apps/dead-letters/src/config";
import { DEAD_LETTERS_SCHEMA } from "../apps/dead-letters/src/migrations";
import { startGateway } from "../apps/gateway/src/app";
import { loadConfig as loadGatewayConfig } from "../apps/gateway/src/config";
import { startNotification } from "../apps/notification/src/app";
import { loadConfig as loadNotificationConfig } from "../apps/notification/src/config";
import { NOTIFICATION_SCHEMA } from "../apps/notification/src/migrations";
import { startRecurring } from "../apps/recurring/src/app";
import { loadConfig as loadRecurringConfig } from "../apps/recurring/src/config";
import { RECURRING_SCHEMA } from "../apps/recurring/src/migrations";
import { APP_LIST, APPS, type AppId, type AppSpec } from "../specs/apps";
import { daprResources } from "../specs/dapr";
import {
  type DatabaseIdentity,
  DemoDataMismatch,
  type DemoPaths,
  databaseName,
  demoPaths,
  holdsState,
  type KafkaIdentity,
  localClusterId,
  mismatchOf,
  newTopicPrefix,
  pgliteDataOf,
  readRecord,
  signingKey,
  wipeState,
  writeRecord,
} from "./demo-data";
import { mintToken } from "./demo-tokens";
import { startKafka } from "./kafka/broker";
import { brokerTopicName, ensureTopics } from "./kafka/topics";
import { type MailSink, startMailSink } from "./mail-sink";
import { freePort, portOrFree, ServiceProcess, waitForPort } from "./process";
import { localDaprSettings } from "./sidecar/local-settings";
import { type Sidecar, startSidecar } from "./sidecar/sidecar";

type Env = Readonly<Record<string, string | undefined>>;

/** A started app, as the service kit's `startService` returns it. */
export interface RunningApp {
  url: string;
  port: number;
  /** The app's graceful shutdown: stop taking deliveries, close the server, flush its outbox, close its database. */
  close(): Promise<void>;
  /** Kills the app as `kill -9` does, when it runs as a process of its own (`SystemOptions.processes`). */
  kill?(): Promise<void>;
}

/** Where everything listens, known before anything starts: what an app's variables point at. */
interface Wiring {
  /** App id → `http://127.0.0.1:<port>`. */
  urls: Record<string, string>;
  mail: { host: string; port: number };
}

/** How the topology starts one app of the catalog: the app's own start function and config loader, and what it adds. */
interface AppRunner {
  start(env: Env): Promise<RunningApp>;
  /** Its variables beyond those every app gets (port, tokens, sidecar, database, JWT key, log level). */
  env?(wiring: Wiring): Record<string, string>;
  /** The PostgreSQL schema of its tables, for an app with a database. */
  schema?: string;
}

/** Under catalog ports, the sidecars listen from daprd's default HTTP port on, one per app in catalog order. */
const SIDECAR_BASE_PORT = 3500;

/** The origins a browser may show the gateway's board under: the printed address, and `localhost`. */
function gatewayOrigins(wiring: Wiring): string[] {
  const url = wiring.urls[APPS.gateway.id];
  if (!url) return [];
  return [url, url.replace("127.0.0.1", "localhost")];
}

/** The apps this topology can start, by catalog id; the catalog (specs/apps.ts) says which there are and how they connect. */
const RUNNERS: Record<AppId, AppRunner> = {
  backend: {
    start: (env) => startBackend(loadBackendConfig(env)),
    // The live board, served by the gateway, calls the REST API from the gateway's origin.
    env: (wiring) => ({ CORS_ORIGINS: gatewayOrigins(wiring).join(",") }),
    schema: BACKEND_SCHEMA,
  },
  recurring: { start: (env) => startRecurring(loadRecurringConfig(env)), schema: RECURRING_SCHEMA },
  notification: {
    start: (env) => startNotification(loadNotificationConfig(env)),
    env: (wiring) => ({
      SMTP_HOST: wiring.mail.host,
      SMTP_PORT: String(wiring.mail.port),
      SMTP_FROM: "Task reminders <reminders@example.com>",
      // Webhook receivers of a local run listen on this machine.
      WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true",
    }),
    schema: NOTIFICATION_SCHEMA,
  },
  gateway: {
    start: (env) => startGateway(loadGatewayConfig(env)),
    env: (wiring) => ({
      BACKEND_PUBLIC_URL: wiring.urls[APPS.backend.id] ?? "",
      WS_ALLOWED_ORIGINS: gatewayOrigins(wiring).join(","),
    }),
  },
  "dead-letters": {
    start: (env) => startDeadLetters(loadDeadLettersConfig(env)),
    schema: DEAD_LETTERS_SCHEMA,
  },
};

/** One step of starting or stopping, as it happens: which piece, and how long it took once done. */
export interface Progress {
  /** `kafka`, `mail`, an app id, or `<app id> sidecar`. */
  piece: string;
  state: "starting" | "ready" | "stopping" | "stopped" | "note";
  /** Milliseconds, with `ready` and `stopped`. */
  ms?: number;
  /** Where it serves (with `ready`), or the note. */
  detail?: string;
}

export interface SystemOptions {
  /** The data folder: Kafka's data (the local broker's), the databases (PGlite), the mail, the sidecars' logs. */
  dataDir: string;
  /** Delete the data folder's state first (Kafka's data and the databases together; the signing key stays). */
  fresh?: boolean;
  /**
   * An existing Kafka cluster (KAFKA_BROKERS; the tests' broker), never stopped here, with the prefix of every topic
   * and consumer group (a new `demo-<hex>.` per pairing when not given). Without it the demo's own broker runs on
   * `<dataDir>/kafka`.
   */
  kafka?: { bootstrap: string; topicPrefix?: string };
  /** One PostgreSQL database for every app (a schema each), in place of PGlite folders. */
  databaseUrl?: string;
  /**
   * `catalog`: each app on its catalog port and each sidecar on 3500 + the app's catalog position, where free (the
   * addresses the README shows); `free`: any free ports (parallel test files).
   */
  ports: "catalog" | "free";
  /** Port of the mail page under `catalog` ports (when free). */
  mailPagePort?: number;
  /**
   * Apps that run as processes of their own, their entry point (`apps/<id>/src/main.ts`, as their image runs it)
   * under tsx, rather than inside this one: what `RunningSystem.killApp` needs. Their output goes to
   * `<logs>/<id>.log`.
   */
  processes?: readonly AppId[];
  /** Variables every app gets before the topology's own (timings, `LOG_LEVEL`: `warn` when unset). */
  env?: Env;
  onProgress?: (progress: Progress) => void;
  /** Aborting stops a start between its steps: what started is stopped, and the start rejects. */
  signal?: AbortSignal;
}

/** One app of the running system. */
export interface SystemApp {
  spec: AppSpec;
  url: string;
  port: number;
  /** Its sidecar's API (daprd's `http://127.0.0.1:<DAPR_HTTP_PORT>`). */
  sidecarUrl: string;
}

export interface RunningSystem {
  paths: DemoPaths;
  kafka: KafkaIdentity & { bootstrap: string };
  database: DatabaseIdentity;
  /** Every app of the catalog, by app id. */
  apps: Record<string, SystemApp>;
  mail: MailSink;
  /** A bearer token for a user, signed with the data folder's key; `operator` adds the operator role. */
  token(userId: string, options?: { operator?: boolean }): Promise<string>;
  /** Stops one app gracefully and leaves its sidecar running (an outage of that app); `startApp` brings it back. */
  stopApp(appId: string): Promise<void>;
  /** Starts a stopped app again: the same port, variables and data. */
  startApp(appId: string): Promise<void>;
  /**
   * Kills one app as `kill -9` does (an app in `SystemOptions.processes`): no shutdown code runs, its sidecar keeps
   * running and redelivers what the app had not answered; `startApp` brings it back.
   */
  killApp(appId: string): Promise<void>;
  /**
   * The ordered shutdown, nothing lost: every sidecar stops delivering (uncommitted deliveries come again on the
   * next start); the apps close in reverse catalog order, each draining its requests and flushing its outbox through
   * its sidecar, which still publishes; then the sidecars, the mail sink, and the demo's own Kafka broker.
   */
  stop(): Promise<void>;
}

/** Runs a piece's start or stop with its progress lines. */
async function timed<T>(
  report: (progress: Progress) => void,
  piece: string,
  states: readonly ["starting", "ready"] | readonly ["stopping", "stopped"],
  work: () => Promise<T>,
  detail?: (result: T) => string,
): Promise<T> {
  const startedAt = Date.now();
  report({ piece, state: states[0] });
  const result = await work();
  report({ piece, state: states[1], ms: Date.now() - startedAt, ...(detail ? { detail: detail(result) } : {}) });
  return result;
}

/** The apps with a database, with their schemas. */
function databaseApps(): { id: string; schema: string }[] {
  return APP_LIST.flatMap((app) => {
    const { schema } = runnerOf(app);
    return app.database && schema ? [{ id: app.id, schema }] : [];
  });
}

/** The apps whose tables exist in a PostgreSQL database (their migration record in their schema). */
async function postgresDataOf(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, application_name: "demo" });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_schema: string }>(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'kysely_migration'",
    );
    const schemas = new Set(rows.map((row) => row.table_schema));
    return databaseApps()
      .filter((app) => schemas.has(app.schema))
      .map((app) => app.id);
  } finally {
    await client.end();
  }
}

/** An external cluster's id, and which of the catalog's topics under `prefix` it holds. */
async function describeCluster(bootstrap: string, prefix: string): Promise<{ clusterId: string; topics: string[] }> {
  const admin = new Admin({ clientId: "demo", bootstrapBrokers: bootstrap.split(",") });
  try {
    const names = TOPIC_LIST.map((topic) => brokerTopicName(topic, prefix));
    const listed = new Set(await admin.listTopics());
    const metadata = await admin.metadata({ topics: [] });
    return { clusterId: metadata.id, topics: names.filter((name) => listed.has(name)) };
  } finally {
    await admin.close();
  }
}

/** Stop steps, run newest first when a start fails half-way. */
class Started {
  private readonly steps: (() => Promise<unknown>)[] = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async unwind(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}

/**
 * Starts the system on `options.dataDir`. First the data folder is checked: Kafka's data and the databases must
 * come from one pairing (`mismatchOf`), else it throws a `DemoDataMismatch` saying what to do, before anything
 * starts. Then Kafka (the demo's own broker, or `options.kafka`) and the mail sink, the catalog's topics, and every
 * app the topology can start, each with its development sidecar on the platform's own Dapr resources (scoped per
 * app, the app's API token, the tokens and addresses of the apps it invokes). Each step reports its progress.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const report = options.onProgress ?? (() => {});
  const paths = demoPaths(options.dataDir);
  const external = options.kafka;
  if (options.fresh) {
    await wipeState(paths);
    report({ piece: "data", state: "note", detail: `${paths.root}: Kafka's data and the databases deleted` });
  }
  let record = await readRecord(paths);
  if (record && !record.complete) {
    // The first start did not finish: whatever it made on either side is incomplete.
    await wipeState(paths);
    record = undefined;
  }
  const unrecorded = !record && (await holdsState(paths));
  const key = await signingKey(paths);
  const database: DatabaseIdentity = options.databaseUrl
    ? { kind: "postgres", database: databaseName(options.databaseUrl) }
    : { kind: "pglite" };
  const databasesWithData = options.databaseUrl ? await postgresDataOf(options.databaseUrl) : await pgliteDataOf(paths);
  const topicPrefix = record?.kafka.topicPrefix ?? external?.topicPrefix ?? (external ? newTopicPrefix() : "");
  const kafkaSeen = external
    ? ({ external: true, clusterId: (await describeCluster(external.bootstrap, topicPrefix)).clusterId } as const)
    : ({ external: false, clusterId: await localClusterId(paths) } as const);
  const dataApps = databaseApps().map((app) => app.id);
  const mismatch = mismatchOf({ record, unrecorded, kafka: kafkaSeen, database, databasesWithData }, dataApps);
  if (mismatch) throw new DemoDataMismatch(mismatch);

  const started = new Started();
  const plan = await planApps(options, paths, key);
  await mkdir(paths.logs, { recursive: true });
  let stopKafka: (() => Promise<void>) | undefined;
  const firstRecord = record;
  try {
    // Kafka with the catalog's topics; then, on a first start, the record of the pairing.
    const kafkaReady = (async (): Promise<KafkaIdentity & { bootstrap: string }> => {
      let bootstrap = external?.bootstrap;
      if (!bootstrap) {
        const broker = await timed(
          report,
          "kafka",
          ["starting", "ready"],
          () =>
            startKafka({
              dataDir: paths.kafka,
              log: (line) => report({ piece: "kafka", state: "note", detail: line }),
            }),
          (b) => `${b.bootstrap}, data in ${paths.kafka}`,
        );
        stopKafka = () => broker.stop();
        started.add(stopKafka);
        bootstrap = broker.bootstrap;
      }
      const { clusterId, topics } = await describeCluster(bootstrap, topicPrefix);
      if (firstRecord && topics.length < TOPIC_LIST.length) {
        throw new DemoDataMismatch(
          `Kafka's topics${topicPrefix ? ` under "${topicPrefix}"` : ""} are gone, but the databases remain: their events would be missing. Start over with \`npm run demo -- --fresh\`.`,
        );
      }
      await timed(report, "topics", ["starting", "ready"], () =>
        ensureTopics(bootstrap, TOPIC_LIST, { namePrefix: topicPrefix }),
      );
      const kafka = { external: external !== undefined, clusterId, topicPrefix };
      if (!firstRecord)
        await writeRecord(paths, { kafka, database, createdAt: new Date().toISOString(), complete: false });
      return { ...kafka, bootstrap };
    })();
    const mailReady = timed(
      report,
      "mail",
      ["starting", "ready"],
      async () => {
        const sink = await startMailSink({
          mailDir: paths.mail,
          smtpPort: plan.wiring.mail.port,
          pagePort: plan.mailPagePort,
        });
        started.add(() => sink.stop());
        return sink;
      },
      (sink) => `SMTP 127.0.0.1:${sink.smtp.port}, page ${sink.url}`,
    );
    // A first start makes no database before its record exists: interrupted, it is wiped on the next start rather
    // than refused. Later starts open the databases while Kafka starts.
    const appsMayStart = firstRecord ? Promise.resolve() : kafkaReady;
    const appsReady = plan.apps.map(async (app): Promise<[string, AppHandle]> => {
      await appsMayStart;
      return [app.spec.id, await startApp(app, plan, { kafkaReady, paths, report, started })];
    });
    const settled = await Promise.allSettled([kafkaReady, mailReady, ...appsReady]);
    const failure = settled.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
    if (options.signal?.aborted) throw new Error("The start was interrupted; what had started is stopped.");
    const kafka = await kafkaReady;
    const mail = await mailReady;
    const apps = new Map(await Promise.all(appsReady));
    await writeRecord(paths, {
      kafka: { external: kafka.external, clusterId: kafka.clusterId, topicPrefix },
      database,
      createdAt: firstRecord?.createdAt ?? new Date().toISOString(),
      complete: true,
    });

    let stopping: Promise<void> | undefined;
    return {
      paths,
      kafka,
      database,
      apps: Object.fromEntries([...apps.entries()].map(([id, app]) => [id, app.info])),
      mail,
      token: (userId, tokenOptions) => mintToken(key, userId, tokenOptions),
      stopApp: (appId) => runningApp(apps, appId).stopApp(),
      startApp: (appId) => runningApp(apps, appId).startApp(),
      killApp: (appId) => runningApp(apps, appId).killApp(),
      stop: () => {
        stopping ??= stopAll([...apps.values()], mail, stopKafka, report);
        return stopping;
      },
    };
  } catch (error) {
    await started.unwind();
    throw error;
  }
}

/** An app and its sidecar as the topology runs them. */
interface AppHandle {
  info: SystemApp;
  sidecar: Sidecar;
  /** The app's graceful close; stopping a stopped app does nothing. */
  stopApp(): Promise<void>;
  startApp(): Promise<void>;
  killApp(): Promise<void>;
  /** Closes the sidecar's log. */
  closeLog(): Promise<void>;
}

function runningApp(apps: ReadonlyMap<string, AppHandle>, appId: string): AppHandle {
  const app = apps.get(appId);
  if (!app) throw new Error(`No app "${appId}" runs here; running: ${[...apps.keys()].join(", ")}`);
  return app;
}

/** One app to start: where it and its sidecar listen, and its variables. */
interface AppPlan {
  spec: AppSpec;
  runner: AppRunner;
  port: number;
  daprPort: number;
  env: Env;
  /** Whether it runs as a process of its own (`SystemOptions.processes`). */
  ownProcess: boolean;
}

/** Everything decided before anything starts, so that the pieces can start at once. */
interface Plan {
  apps: AppPlan[];
  wiring: Wiring;
  /** Dapr's app API token per app id, as the platform generates one per app: its sidecar sends it, the app requires it. */
  appTokens: Record<string, string>;
  mailPagePort: number;
}

/** The runner of an app of the catalog. */
const runnerOf = (app: AppSpec): AppRunner => RUNNERS[app.id as AppId];

/** The ports, tokens and variables of every app of the catalog. */
async function planApps(options: SystemOptions, paths: DemoPaths, key: string): Promise<Plan> {
  const catalog = options.ports === "catalog";
  const runnable = APP_LIST.map((spec) => ({ spec, runner: runnerOf(spec) }));
  const ports = new Map<string, { port: number; daprPort: number }>();
  for (const { spec } of runnable) {
    ports.set(spec.id, {
      port: catalog ? await portOrFree(spec.port) : await freePort(),
      daprPort: catalog ? await portOrFree(SIDECAR_BASE_PORT + APP_LIST.indexOf(spec)) : await freePort(),
    });
  }
  const portsOf = (id: string) => ports.get(id) as { port: number; daprPort: number };
  const wiring: Wiring = {
    urls: Object.fromEntries(runnable.map(({ spec }) => [spec.id, `http://127.0.0.1:${portsOf(spec.id).port}`])),
    mail: { host: "127.0.0.1", port: await freePort() },
  };
  const appTokens = Object.fromEntries(runnable.map(({ spec }) => [spec.id, randomBytes(32).toString("hex")]));
  const apps = runnable.map(({ spec, runner }): AppPlan => {
    const { port, daprPort } = portsOf(spec.id);
    const env: Env = {
      ...options.env,
      LOG_LEVEL: options.env?.LOG_LEVEL ?? "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      APP_API_TOKEN: appTokens[spec.id],
      DAPR_HTTP_PORT: String(daprPort),
      ...(spec.userFacing ? { JWT_SECRET: key } : {}),
      ...(spec.database
        ? options.databaseUrl
          ? { DATABASE_URL: options.databaseUrl }
          : { DATA_DIR: paths.pglite(spec.id) }
        : {}),
      ...runner.env?.(wiring),
    };
    return { spec, runner, port, daprPort, env, ownProcess: options.processes?.includes(spec.id as AppId) ?? false };
  });
  const mailPagePort = catalog ? await portOrFree(options.mailPagePort ?? 0) : 0;
  return { apps, wiring, appTokens, mailPagePort };
}

/** Starts one app, then (once Kafka and its topics are ready) its sidecar, which waits for the app's port. */
async function startApp(
  plan: AppPlan,
  whole: Plan,
  context: {
    kafkaReady: Promise<KafkaIdentity & { bootstrap: string }>;
    paths: DemoPaths;
    report: (progress: Progress) => void;
    started: Started;
  },
): Promise<AppHandle> {
  const { spec, runner, env } = plan;
  const { report } = context;
  const start = () =>
    timed(
      report,
      spec.id,
      ["starting", "ready"],
      () => (plan.ownProcess ? startAppProcess(plan, context.paths.logs) : runner.start(env)),
      (a) => a.url,
    );
  let app: RunningApp | undefined = await start();
  context.started.add(() => app?.close() ?? Promise.resolve());
  const { bootstrap, topicPrefix } = await context.kafkaReady;
  const log: WriteStream = createWriteStream(`${context.paths.logs}/${spec.id}.sidecar.log`, { flags: "a" });
  const closeLog = () => new Promise<void>((resolve) => log.end(resolve));
  const sidecar = await timed(
    report,
    `${spec.id} sidecar`,
    ["starting", "ready"],
    () =>
      startSidecar({
        appId: spec.id,
        appPort: plan.port,
        httpPort: plan.daprPort,
        brokers: bootstrap,
        resources: daprResources(localDaprSettings(bootstrap)),
        topicPrefix,
        appToken: whole.appTokens[spec.id],
        appAddresses: Object.fromEntries(spec.invokes.map((id) => [id, whole.wiring.urls[id] ?? ""])),
        appTokens: Object.fromEntries(spec.invokes.map((id) => [id, whole.appTokens[id] ?? ""])),
        // A stable name: the gateway's per-pod consumer group ({podName}) resumes where the last run stopped.
        instanceId: `${spec.id}-local`,
        log: (line) => log.write(`${new Date().toISOString()} ${line}\n`),
      }),
    (s) => s.url,
  ).catch(async (error: unknown) => {
    await closeLog();
    throw error;
  });
  // The log closes after the sidecar, which writes to it until it has stopped.
  context.started.add(() => sidecar.stop().then(closeLog));
  return {
    info: { spec, url: whole.wiring.urls[spec.id] ?? "", port: plan.port, sidecarUrl: sidecar.url },
    sidecar,
    stopApp: async () => {
      const closing = app;
      app = undefined;
      if (closing) await timed(report, spec.id, ["stopping", "stopped"], () => closing.close());
    },
    startApp: async () => {
      app ??= await start();
    },
    killApp: async () => {
      const killed = app;
      if (!killed?.kill) throw new Error(`${spec.id} does not run as a process of its own: it cannot be killed alone`);
      app = undefined;
      await timed(report, spec.id, ["stopping", "stopped"], () => killed.kill?.() ?? Promise.resolve());
    },
    closeLog,
  };
}

/** Where an app's entry point is: what its image runs. */
const mainOf = (appId: string) => path.join(__dirname, "..", "apps", appId, "src", "main.ts");

/** Starts an app as its image runs it, in a Node process of its own, and resolves once it listens. */
async function startAppProcess(plan: AppPlan, logsDir: string): Promise<RunningApp> {
  const env = Object.fromEntries(Object.entries(plan.env).filter((entry): entry is [string, string] => !!entry[1]));
  const proc = ServiceProcess.start({
    name: plan.spec.id,
    command: process.execPath,
    args: ["--import", "tsx", mainOf(plan.spec.id)],
    env: { ...process.env, ...env },
    logFile: path.join(logsDir, `${plan.spec.id}.log`),
    stopTimeoutMs: 20_000,
  });
  const exited = proc.exited.then((code) => {
    throw new Error(`${plan.spec.id} exited with code ${code} while starting`);
  });
  exited.catch(() => {}); // only awaited through the race below
  try {
    await Promise.race([waitForPort("127.0.0.1", plan.port, 60_000), exited]);
  } catch (error) {
    await proc.stop();
    throw new Error(`${(error as Error).message}\n${await proc.logTail()}`);
  }
  return {
    url: `http://127.0.0.1:${plan.port}`,
    port: plan.port,
    close: () => proc.stop(),
    kill: () => proc.kill(),
  };
}

/** The ordered shutdown (`RunningSystem.stop`); every step runs even when one before it failed, the first error is thrown. */
async function stopAll(
  apps: readonly AppHandle[],
  mail: MailSink,
  stopKafka: (() => Promise<void>) | undefined,
  report: (progress: Progress) => void,
): Promise<void> {
  const errors: unknown[] = [];
  const attempt = (work: Promise<unknown>) => work.catch((error: unknown) => errors.push(error));
  await timed(report, "deliveries", ["stopping", "stopped"], () =>
    Promise.all(apps.map((app) => attempt(app.sidecar.stopSubscriptions()))),
  );
  // Reverse catalog order: an app stops after those that call it (recurring invokes the backend).
  for (const app of [...apps].reverse()) await attempt(app.stopApp());
  await timed(report, "sidecars", ["stopping", "stopped"], () =>
    Promise.all(apps.map((app) => attempt(app.sidecar.stop().then(() => app.closeLog())))),
  );
  await attempt(timed(report, "mail", ["stopping", "stopped"], () => mail.stop()));
  // An external cluster (KAFKA_BROKERS) is not ours to stop.
  if (stopKafka) await attempt(timed(report, "kafka", ["stopping", "stopped"], stopKafka));
  if (errors.length > 0) throw errors[0];
}
