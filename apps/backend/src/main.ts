// Entry point: configuration from the environment (a bad value exits naming the variable), start, and shut down on SIGTERM/SIGINT.
import { startBackend } from "./app";
import { ConfigError, loadConfig } from "./config";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const backend = await startBackend(config);
  const log = backend.server.log;

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    // A second signal means the operator does not want to wait for the flush.
    if (signals > 1) process.exit(1);
    log.info({ signal }, "shutting down");
    backend.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
