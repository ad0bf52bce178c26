// The event contract, the single source of truth for topics, event types and their schemas.
export * from "./catalog.js";
export * from "./cloudevents.js";
export * as schemas from "./schemas.js";
export * from "./topics.js";
