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
