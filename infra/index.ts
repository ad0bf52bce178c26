// Entry of the Pulumi program (Pulumi.yaml `main`): reads the stack's config and builds the whole platform from the bundled catalog; its exports are the stack's outputs.
import { CATALOG } from "../specs/apps";
import { loadConfig } from "./config";
import { platformProgram } from "./program";

const outputs = platformProgram(loadConfig(), CATALOG);

export const environment = outputs.environment;
export const namespace = outputs.namespace;
export const bootstrapServers = outputs.bootstrapServers;
export const topics = outputs.topics;
export const pubsubNames = outputs.pubsubNames;
export const services = outputs.services;
/** See `PlatformOutputs.deadLetterAlerts`. */
export const deadLetterAlerts = outputs.deadLetterAlerts;
