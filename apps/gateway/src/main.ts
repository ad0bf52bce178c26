// Entry point: configuration from the environment (a bad value exits naming the variable), start, and shut down on SIGTERM/SIGINT.
import { runMain } from "@event-platform/service-kit";
import { startGateway } from "./app";
import { loadConfig } from "./config";

runMain(loadConfig, (config) => startGateway(config));
