// Helpers of the end-to-end suites: the demo's own topology (local/system.ts) on a fresh data folder, free ports, a unique topic prefix on the tests' broker and either kind of database; clients for its users.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { inject } from "vitest";
import { type RunningSystem, type SystemOptions, startSystem } from "../../local/system";
import { Api, type DatabaseKind, testStore, uniqueTag } from "../support/services";

/** The demo's system under test, restartable on its data folder. */
export interface TestSystem {
  system: RunningSystem;
  /** The topic prefix of this system on the tests' broker. */
  prefix: string;
  /** The ordered shutdown, then a start on the same data folder (new free ports). */
  restart(): Promise<RunningSystem>;
  /** Stops the system and deletes its data folder and database. */
  stop(): Promise<void>;
}

/**
 * Starts the demo's topology as `npm run demo` does, on the tests' broker under a unique topic prefix, with a fresh
 * data folder (the PGlite databases, the mail) or a fresh PostgreSQL database for every app. E2E_TEST_LOG=1 shows
 * the services' logs.
 */
export async function startTestSystem(kind: DatabaseKind, name: string): Promise<TestSystem> {
  const prefix = `${name}-${kind}-${uniqueTag()}.`;
  const dataDir = await mkdtemp(join(tmpdir(), `${name}-`));
  const store = kind === "postgres" ? await testStore("postgres", name) : undefined;
  const options: SystemOptions = {
    dataDir,
    kafka: { bootstrap: inject("kafkaBrokers"), topicPrefix: prefix },
    ...(store?.env.DATABASE_URL ? { databaseUrl: store.env.DATABASE_URL } : {}),
    ports: "free",
    env: { LOG_LEVEL: process.env.E2E_TEST_LOG ? "info" : "silent" },
  };
  const remove = async () => {
    await rm(dataDir, { recursive: true, force: true });
    await store?.stop();
  };
  let system: RunningSystem;
  try {
    system = await startSystem(options);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    get system() {
      return system;
    },
    prefix,
    async restart() {
      await system.stop();
      system = await startSystem(options);
      return system;
    },
    async stop() {
      try {
        await system.stop();
      } finally {
        await remove();
      }
    },
  };
}

/** A REST client of one app for a user of the system (an operator with `operator`). */
export async function apiOf(
  system: RunningSystem,
  appId: string,
  userId: string,
  options: { operator?: boolean } = {},
): Promise<Api> {
  const app = system.apps[appId];
  if (!app) throw new Error(`${appId} does not run in this system`);
  return new Api(app.url, await system.token(userId, options));
}

/** The official MCP client on the backend's /mcp, as a user of the system. */
export async function mcpClientOf(system: RunningSystem, userId: string): Promise<Client> {
  const backend = system.apps.backend;
  if (!backend) throw new Error("the backend does not run in this system");
  const client = new Client({ name: "e2e-tests", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${backend.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${await system.token(userId)}` } },
  });
  await client.connect(transport);
  return client;
}

/** A `task-updates` event as the gateway sends it: one JSON object per text frame. */
export interface UpdateFrame {
  id: string;
  type: string;
  data: { user_id: string; action: string; task_id: number };
}

/** A user's WebSocket to the gateway, opened as the board opens it, with every frame received so far. */
export interface UpdatesSocket {
  frames: UpdateFrame[];
  close(): void;
}

/**
 * Opens `/ws` on the system's gateway as the board does (subprotocols `task-updates.v1` and `bearer.<jwt>`) and
 * resolves once open, with the subprotocol the server selected; frames are collected from then on.
 */
export async function openUpdates(
  system: RunningSystem,
  userId: string,
): Promise<UpdatesSocket & { protocol: string }> {
  const gateway = system.apps.gateway;
  if (!gateway) throw new Error("the gateway does not run in this system");
  const token = await system.token(userId);
  const socket = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/ws`, ["task-updates.v1", `bearer.${token}`]);
  const frames: UpdateFrame[] = [];
  socket.addEventListener("message", (event) => frames.push(JSON.parse(String(event.data)) as UpdateFrame));
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`the WebSocket of ${userId} did not open`)), {
      once: true,
    });
  });
  return { frames, protocol: socket.protocol, close: () => socket.close() };
}
