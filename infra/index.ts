// Entry of the Pulumi program (Pulumi.yaml `main`): reads the stack's config and builds the whole platform.
import { EventPlatform } from "../components/event-platform";
import { loadConfig } from "./config";

const config = loadConfig();
const platform = new EventPlatform("event-platform", { config });

export const environment = config.environment;
export const namespace = platform.namespace;
export const bootstrapServers = platform.bootstrapServers;
export const topics = platform.topics;
export const pubsubNames = platform.pubsubNames;
export const services = platform.services;
/**
 * Where the dead-letter desk sends its alerts and the secret they are signed with (a secret), for the receiver:
 * `pulumi stack output --show-secrets deadLetterAlerts`; empty without an alert webhook.
 */
export const deadLetterAlerts = {
  url: config.deadLetters.alertWebhookUrl || undefined,
  secret: platform.alertWebhookSecret,
};
