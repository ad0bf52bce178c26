// CLI: runs the development sidecar in place of daprd for one app (`tsx local/sidecar/main.ts --app-id backend --app-port 3000 ...`).
import { parseArgs } from "node:util";
import { APP_LIST } from "../../specs/apps";
import { daprResources } from "../../specs/dapr";
import { localDaprSettings } from "./local-settings";
import { startSidecar } from "./sidecar";

const USAGE = `Usage: tsx local/sidecar/main.ts --app-id <id> --app-port <port> --brokers <host:port,...>
         [--dapr-http-port <port>] [--resources-path <dir>] [--instance-id <pod name>]
         [--topic-prefix <prefix>] [--app-address <app-id>=<url> ...]

Without --resources-path the sidecar loads the platform's own Dapr resources (specs/dapr.ts) with local
settings: the given brokers, authType none, initialOffset oldest, short retries. Service invocation reaches the
bundled apps on 127.0.0.1 at their catalog ports unless --app-address says otherwise.

Environment: APP_API_TOKEN, as for daprd: sent as the dapr-api-token header on every call to the app.`;

class UsageError extends Error {}

function port(value: string | undefined, flag: string, required: boolean): number | undefined {
  if (value === undefined) {
    if (required) throw new UsageError(`Missing ${flag}.`);
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new UsageError(`${flag} must be a port number (0-65535), got "${value}".`);
  }
  return parsed;
}

function appAddresses(entries: readonly string[]): Record<string, string> {
  const addresses: Record<string, string> = Object.fromEntries(
    APP_LIST.map((app) => [app.id, `http://127.0.0.1:${app.port}`]),
  );
  for (const entry of entries) {
    const at = entry.indexOf("=");
    const id = entry.slice(0, at);
    const url = entry.slice(at + 1);
    if (at <= 0 || !URL.canParse(url)) {
      throw new UsageError(
        `--app-address must look like <app-id>=<url> (backend=http://127.0.0.1:3000), got "${entry}".`,
      );
    }
    addresses[id] = url;
  }
  return addresses;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "app-id": { type: "string" },
      "app-port": { type: "string" },
      "dapr-http-port": { type: "string" },
      brokers: { type: "string" },
      "resources-path": { type: "string" },
      "instance-id": { type: "string" },
      "topic-prefix": { type: "string" },
      "app-address": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const appId = values["app-id"];
  if (!appId) throw new UsageError("Missing --app-id: the Dapr app id of the app this sidecar serves.");
  const brokers = values.brokers ?? process.env.KAFKA_BROKERS;
  if (!brokers)
    throw new UsageError("Missing --brokers (or KAFKA_BROKERS): the Kafka bootstrap servers, host:port,...");
  const resourcesPath = values["resources-path"];
  const log = (line: string) => console.log(`[dapr ${appId}] ${line}`);
  const sidecar = await startSidecar({
    appId,
    appPort: port(values["app-port"], "--app-port", true) as number,
    httpPort: port(values["dapr-http-port"], "--dapr-http-port", false) ?? 3500,
    brokers,
    resources: resourcesPath ? { dir: resourcesPath } : daprResources(localDaprSettings(brokers)),
    appAddresses: appAddresses(values["app-address"] ?? []),
    // daprd reads the app API token from its environment, never from a flag (flags show in the process list).
    ...(process.env.APP_API_TOKEN ? { appToken: process.env.APP_API_TOKEN } : {}),
    ...(values["instance-id"] ? { instanceId: values["instance-id"] } : {}),
    ...(values["topic-prefix"] ? { topicPrefix: values["topic-prefix"] } : {}),
    log,
  });
  log(`serving daprd's HTTP API at ${sidecar.url} (Ctrl-C stops)`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await sidecar.stop();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
