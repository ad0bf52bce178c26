// `npm run demo`: the event system on this machine: a real Kafka broker with the catalog's topics, the backend on embedded PostgreSQL and its development sidecar, with URLs and a sample token printed.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { TOPIC_LIST } from "@event-platform/events";
import { SignJWT } from "jose";
import { type Backend, startBackend } from "../apps/backend/src/app";
import { loadConfig } from "../apps/backend/src/config";
import { APPS } from "../specs/apps";
import { daprResources } from "../specs/dapr";
import { kafkaFromEnv } from "./kafka/broker";
import { ensureTopics } from "./kafka/topics";
import { freePort } from "./process";
import { localDaprSettings } from "./sidecar/local-settings";
import { type Sidecar, startSidecar } from "./sidecar/sidecar";

const DEMO_USER = "demo-user";

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("Stopping...");
    for (const fn of stops.reverse()) await fn().catch((error: unknown) => console.error(error));
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    const broker = await kafkaFromEnv({ log });
    stops.push(() => broker.stop());
    log(`Topics ready: ${(await ensureTopics(broker.bootstrap, TOPIC_LIST)).join(", ")}`);

    // A fresh signing key per run: the printed token is only good for this demo.
    const jwtSecret = randomBytes(32).toString("hex");
    // Dapr's app API token, as the platform generates one per app: the sidecar sends it, the backend requires it.
    const appToken = randomBytes(32).toString("hex");
    const [appPort, daprPort] = [await freePort(), await freePort()];
    const backend: Backend = await startBackend(
      loadConfig({
        ...process.env,
        PORT: String(appPort),
        HOST: "127.0.0.1",
        JWT_SECRET: jwtSecret,
        APP_API_TOKEN: appToken,
        DAPR_HTTP_PORT: String(daprPort),
        DATA_DIR: process.env.DATA_DIR ?? path.resolve(__dirname, "../.cache/demo/backend"),
        LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      }),
    );
    stops.push(() => backend.close());
    const sidecar: Sidecar = await startSidecar({
      appId: APPS.backend.id,
      appPort,
      httpPort: daprPort,
      brokers: broker.bootstrap,
      resources: daprResources(localDaprSettings(broker.bootstrap)),
      appToken,
      log: (line) => log(`[sidecar backend] ${line}`),
    });
    stops.push(() => sidecar.stop());

    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(DEMO_USER)
      .setIssuedAt()
      .setExpirationTime("12h")
      .sign(new TextEncoder().encode(jwtSecret));
    log("");
    log(`Kafka bootstrap     ${broker.bootstrap}`);
    log(`Backend REST        ${backend.url}/api/tasks`);
    log(`Backend MCP         ${backend.url}/mcp`);
    log(`Backend sidecar     ${sidecar.url}/v1.0/healthz`);
    log(`Token (${DEMO_USER}) ${token}`);
    log("");
    log("Try:");
    log(`  curl -s -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" \\`);
    log(`    -d '{"title":"Write the report","priority":"high"}' ${backend.url}/api/tasks`);
    log(`  curl -s -H "Authorization: Bearer ${token}" ${backend.url}/api/tasks`);
    log("Press Ctrl-C to stop.");
    // Keep the process alive until a signal arrives.
    setInterval(() => {}, 1 << 30);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    await stop(1);
  }
}

void main();
