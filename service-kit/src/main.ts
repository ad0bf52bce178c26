// A service's entry point: configuration from the environment (a bad value exits naming the variable), start, and an orderly shutdown on SIGTERM/SIGINT.
import { ConfigError } from "./config";

/** What a started service offers its entry point. */
export interface RunningService {
  server: { log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void } };
  /** The service's orderly shutdown, within its configured timeout. */
  close(): Promise<void>;
}

/**
 * Loads the configuration (a `ConfigError` prints its message and exits 1), starts the service, and on the first
 * SIGTERM or SIGINT closes it and exits 0 (1 when the close fails). A second signal exits 1 at once: the operator
 * does not want to wait for the flush.
 */
export function runMain<C>(load: (env: NodeJS.ProcessEnv) => C, start: (config: C) => Promise<RunningService>): void {
  const main = async () => {
    let config: C;
    try {
      config = load(process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(error.message);
      process.exit(1);
    }
    const service = await start(config);
    const log = service.server.log;
    let signals = 0;
    const shutdown = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) process.exit(1);
      log.info({ signal }, "shutting down");
      service.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);
  };
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
