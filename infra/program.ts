// The Pulumi program's body: the whole platform as a function of the stack's config and the catalog, so a benchmark can plan other catalogs under the same mock runtime (infra/index.ts passes the bundled one).
import type { Output } from "@pulumi/pulumi";
import { EventPlatform } from "../components/event-platform";
import type { Catalog } from "../specs/apps";
import type { PlatformConfig } from "./config";

/** The stack's outputs. */
export interface PlatformOutputs {
  environment: string;
  namespace: Output<string>;
  bootstrapServers: string;
  topics: string[];
  pubsubNames: string[];
  services: { name: Output<string>; port: number }[];
  /**
   * Where the dead-letter desk sends its alerts and the secret they are signed with (a secret), for the receiver:
   * `pulumi stack output --show-secrets deadLetterAlerts`; empty without an alert webhook.
   */
  deadLetterAlerts: { url: string | undefined; secret: Output<string> | undefined };
}

/** Declares every resource of one stack: `config` from the stack's config (`loadConfig`), the apps and topics of `catalog`. */
export function platformProgram(config: PlatformConfig, catalog: Catalog): PlatformOutputs {
  const platform = new EventPlatform("event-platform", { config, catalog });
  return {
    environment: config.environment,
    namespace: platform.namespace,
    bootstrapServers: platform.bootstrapServers,
    topics: platform.topics,
    pubsubNames: platform.pubsubNames,
    services: platform.services,
    deadLetterAlerts: {
      url: config.deadLetters.alertWebhookUrl || undefined,
      secret: platform.alertWebhookSecret,
    },
  };
}
