// Unit tests of the service composition on an embedded database: workers start once the server listens, shutdown runs in order within one deadline, and a failed start leaves nothing open.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS } from "../../specs/apps";
import type { ServiceConfig } from "./config";
import type { BackgroundWorker } from "./periodic";
import { type BaseServiceContext, type ServiceContext, type ServiceParts, startService } from "./service";
import { ignoreEvent } from "./subscriptions";

// One PGlite folder for the file, opened by one test at a time: making a new one takes seconds.
let dataDir = "";
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "service-kit-service-"));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** A configuration for the backend's catalog entry on a free port, with PGlite in the file's folder. */
function testConfig(): ServiceConfig & { database: { poolSize: number; dataDir: string } } {
  return {
    port: 0,
    host: "127.0.0.1",
    appId: "backend",
    pubsubName: "kafka-pubsub",
    logLevel: "silent",
    dapr: { url: "http://127.0.0.1:9", appToken: "app-token-0123456789abcdef0123456789", timeoutMs: 1_000 },
    shutdownTimeoutMs: 5_000,
    http: { requestTimeoutMs: 5_000, connectionTimeoutMs: 5_000 },
    database: { poolSize: 1, dataDir },
  };
}

/** What the last `start` gave its `build`: the server and the database, to look at after a failed start too. */
let context: ServiceContext<unknown> | undefined;

/** Starts a service on the backend's catalog entry (no subscriptions) with an empty schema of its own. */
function start<Parts extends ServiceParts>(build: (given: ServiceContext<unknown>) => Parts) {
  context = undefined;
  return startService({
    app: APPS.backend,
    version: "1.2.3",
    config: testConfig(),
    schema: "service_test",
    migrations: {},
    build: (given: ServiceContext<unknown>) => {
      context = given;
      return build(given);
    },
  });
}

const alive = (database: { ping(): Promise<void> }) =>
  database.ping().then(
    () => true,
    () => false,
  );

// Opening PGlite takes seconds on a busy machine.
describe("startService", { timeout: 60_000 }, () => {
  it("starts the workers once it listens, and closes once: server, workers in their stop order with one deadline, database", async () => {
    const steps: string[] = [];
    const deadlines = new Set<number>();
    const worker = (name: string): BackgroundWorker => ({
      start: () => {
        steps.push(`start ${name}${context?.server.server.listening ? " (listening)" : ""}`);
      },
      stop: async (deadline) => {
        deadlines.add(deadline);
        const open = context ? await alive(context.database) : false;
        steps.push(
          `stop ${name}${context?.server.server.listening ? "" : " (server closed)"}${open ? "" : " (db closed)"}`,
        );
      },
    });
    const service = await start(() => ({
      handlers: {},
      workers: [[worker("scheduler"), worker("sender")], worker("relay")],
      extra: 42,
    }));
    expect(service.extra).toBe(42);
    expect(service).not.toHaveProperty("workers");
    expect(service).not.toHaveProperty("handlers");
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(steps).toEqual(["start relay (listening)", "start sender (listening)", "start scheduler (listening)"]);

    steps.length = 0;
    const started = Date.now();
    const closing = service.close();
    expect(service.close()).toBe(closing);
    await closing;
    expect(steps.slice(0, 2).sort()).toEqual(["stop scheduler (server closed)", "stop sender (server closed)"]);
    expect(steps[2]).toBe("stop relay (server closed)");
    expect(deadlines.size).toBe(1);
    const [deadline] = deadlines;
    expect(deadline).toBeGreaterThanOrEqual(started + 5_000);
    expect(await alive(service.database)).toBe(false);
  });

  it("closes the server and the database when the app's routes fail, and throws their error", async () => {
    let serverClosed = false;
    const started = start(({ server }) => {
      server.addHook("onClose", async () => {
        serverClosed = true;
      });
      throw new Error("a route could not be registered");
    });
    await expect(started).rejects.toThrow("a route could not be registered");
    expect(serverClosed).toBe(true);
    expect(context && (await alive(context.database))).toBe(false);
  });

  it("refuses handlers for paths the app is not subscribed to, leaving nothing open", async () => {
    const started = start(() => ({ handlers: { "/events/unknown": async () => undefined } }));
    await expect(started).rejects.toThrow("not subscribed: /events/unknown");
    expect(context && (await alive(context.database))).toBe(false);
  });
});

describe("startService without a database", () => {
  it("opens none, is ready once it listens with no check, and closes", async () => {
    const { database: _none, ...config } = testConfig();
    let given: BaseServiceContext | undefined;
    const service = await startService({
      app: APPS.gateway,
      version: "1.2.3",
      config: { ...config, appId: "gateway" },
      build: (context: BaseServiceContext) => {
        given = context;
        return { handlers: { "/events/task-updates": ignoreEvent }, extra: "mine" };
      },
    });
    expect(given).not.toHaveProperty("database");
    expect(given).not.toHaveProperty("schema");
    expect(service).not.toHaveProperty("database");
    expect(service.extra).toBe("mine");
    const ready = await fetch(`${service.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", checks: {} }]);
    await service.close();
    expect(service.server.server.listening).toBe(false);
  });
});
