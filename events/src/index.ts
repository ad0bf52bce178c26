// The event contract, the single source of truth for topics, event types and their schemas.
export * from "./catalog";
export * from "./cloudevents";
export * from "./contract";
export * as schemas from "./schemas";
export * from "./tasks";
export * from "./topics";
export * from "./violations";
