// The settings the platform's own Dapr resources (specs/dapr.ts) take on one machine: the local plain broker and short retries.
import type { DaprSettings } from "../../specs/dapr";
import { dev } from "../../stacks/dev";

/** Local settings for the platform's resources: the local broker is plain, and retries are short. */
export function localDaprSettings(brokers: string): DaprSettings {
  const retry = { maxRetries: 3, maxInterval: "2s" };
  return {
    namespace: "default",
    controlPlaneNamespace: "dapr-system",
    pubsub: { brokers, auth: { type: "none" }, protocolVersion: dev.kafka.protocolVersion, initialOffset: "oldest" },
    inboundRetry: retry,
    outboundRetry: retry,
    tracingSamplingRate: "0",
    logLevel: "info",
  };
}
