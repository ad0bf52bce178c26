// CloudEvents 1.0 envelopes for the catalog's types: builders that only produce valid events, and a validator that reports every violation.
import { randomUUID } from "node:crypto";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import Type from "typebox";
import { EVENT_TYPE_NAMES, EVENT_TYPES, type EventData, type EventType, isEventType, topicOf } from "./catalog";
import type { TopicSpec } from "./topics";
import { type Violation, violationsOf } from "./violations";

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives as the module object.
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

/** The `source` of every event: the emitting service under `/tasks/`, such as `/tasks/backend`. */
export const EVENT_SOURCE_PATTERN = "^/tasks/[a-z-]+$";

/** The `source` a service puts on the events it emits. */
export function eventSource(service: string): string {
  const source = `/tasks/${service}`;
  if (!new RegExp(EVENT_SOURCE_PATTERN).test(source)) {
    throw new Error(`Service name "${service}" cannot form an event source: it must be lowercase letters and dashes.`);
  }
  return source;
}

const envelopeFields = {
  specversion: Type.Literal("1.0"),
  source: Type.String({ pattern: EVENT_SOURCE_PATTERN }),
  id: Type.String({ format: "uuid" }),
  time: Type.String({ format: "date-time" }),
  datacontenttype: Type.Literal("application/json"),
  subject: Type.Optional(Type.String({ minLength: 1 })),
};

// Extension attributes (Dapr adds topic, pubsubname, traceparent, ...) are allowed, named as CloudEvents 1.0 requires.
const extensionNames = { propertyNames: { pattern: "^[a-z0-9]{1,20}$" } } as const;

/** The TypeBox schema of a whole CloudEvent of one catalog type: the envelope and its typed `data`. */
export function envelopeSchema<T extends EventType>(type: T) {
  return Type.Object(
    { ...envelopeFields, type: Type.Literal(type), data: EVENT_TYPES[type].data },
    { additionalProperties: true, ...extensionNames },
  );
}

/** A CloudEvent of one catalog type, with its typed `data`. */
export interface CloudEvent<T extends EventType = EventType> {
  specversion: "1.0";
  type: T;
  source: string;
  id: string;
  time: string;
  datacontenttype: "application/json";
  subject?: string;
  data: EventData<T>;
  /** Extension attributes, such as the `topic` and `pubsubname` that Dapr sets. */
  [extension: string]: unknown;
}

/** Any event of the catalog, narrowed by `type`. */
export type AnyCloudEvent = { [T in EventType]: CloudEvent<T> }[EventType];

export type ValidationResult = { valid: true; event: AnyCloudEvent } | { valid: false; violations: Violation[] };

/** Thrown by the builders when the event they were asked for would break the contract. */
export class EventValidationError extends Error {
  constructor(
    readonly eventType: string,
    readonly violations: Violation[],
  ) {
    super(`Invalid ${eventType} event: ${violations.map((v) => `${v.path || "/"} ${v.message}`).join("; ")}`);
    this.name = "EventValidationError";
  }
}

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv, ["uuid", "date-time"]);

const validators = new Map<EventType, ValidateFunction>(
  EVENT_TYPE_NAMES.map((type) => [type, ajv.compile(envelopeSchema(type))]),
);

/** Checks any value against the contract: a CloudEvent 1.0 envelope of a catalog type with valid `data`. */
export function validateEvent(value: unknown): ValidationResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { valid: false, violations: [{ path: "", message: "must be a CloudEvent object" }] };
  }
  const type = (value as { type?: unknown }).type;
  if (!isEventType(type)) {
    return {
      valid: false,
      violations: [
        { path: "/type", message: `must be one of the catalog's event types: ${EVENT_TYPE_NAMES.join(", ")}` },
      ],
    };
  }
  const validate = validators.get(type) as ValidateFunction;
  if (validate(value)) return { valid: true, event: value as AnyCloudEvent };
  return { valid: false, violations: violationsOf(validate.errors ?? []) };
}

/** Like `validateEvent`, but returns the typed event or throws an `EventValidationError`. */
export function parseEvent(value: unknown): AnyCloudEvent {
  const result = validateEvent(value);
  if (!result.valid) {
    const type = (value as { type?: unknown } | null)?.type;
    throw new EventValidationError(typeof type === "string" ? type : "unknown", result.violations);
  }
  return result.event;
}

export interface BuildOptions {
  /** The emitting service's source, from `eventSource(service)`. */
  source: string;
  /** Defaults to a new UUID; pass one to make a rebuilt event keep its identity (outbox, replay). */
  id?: string;
  /** Defaults to now. */
  time?: Date | string;
  subject?: string;
}

/** Builds a CloudEvent of a catalog type; throws an `EventValidationError` listing every violation if it would be invalid. */
export function buildEvent<T extends EventType>(type: T, data: EventData<T>, options: BuildOptions): CloudEvent<T> {
  const time = options.time ?? new Date();
  if (time instanceof Date && Number.isNaN(time.getTime())) {
    throw new EventValidationError(type, [{ path: "/time", message: "must be a valid date" }]);
  }
  const event: CloudEvent<T> = {
    specversion: "1.0",
    type,
    source: options.source,
    id: options.id ?? randomUUID(),
    time: typeof time === "string" ? time : time.toISOString(),
    datacontenttype: "application/json",
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    data,
  };
  const result = validateEvent(event);
  if (!result.valid) throw new EventValidationError(type, result.violations);
  return event;
}

/** The record key of an event: its `user_id`, so every event of a user lands on one partition, in order. */
export function partitionKeyOf(event: AnyCloudEvent): string {
  return event.data.user_id;
}

/** The topic an event is published to. */
export function topicOfEvent(event: AnyCloudEvent): TopicSpec {
  return topicOf(event.type);
}
