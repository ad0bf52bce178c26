// What every consumer accepts: the mission's published contract (../shared/contract, draft-07) read as TypeBox, field for field, so that an event with only the contract's required fields is taken by every subscriber.
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import Type from "typebox";
import { type EventType, eventTypesOn } from "./catalog";
import { EVENT_SOURCE_PATTERN } from "./cloudevents";
import { TOPICS, type TopicSpec } from "./topics";
import { type Violation, violationsOf } from "./violations";

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives as the module object.
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

// The contract's `type` enums are the catalog's types of each topic (a unit test holds them equal).
const typeEnum = (topic: TopicSpec) => Type.Union(eventTypesOn(topic).map((type) => Type.Literal(type)));

// The envelope the task and reminder schemas require. Neither closes an object: any other field is allowed.
const envelope = {
  specversion: Type.Literal("1.0"),
  id: Type.String({ format: "uuid" }),
  time: Type.String({ format: "date-time" }),
};

/** `task-event.schema.json`: a task event as the contract allows it; `data` needs only `task_id` and `user_id`. */
export const ContractTaskEvent = Type.Object({
  ...envelope,
  type: typeEnum(TOPICS.taskEvents),
  source: Type.String({ pattern: EVENT_SOURCE_PATTERN }),
  datacontenttype: Type.Optional(Type.Literal("application/json")),
  data: Type.Object({
    task_id: Type.Integer(),
    user_id: Type.String(),
    title: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    priority: Type.Optional(Type.Union([Type.Literal("high"), Type.Literal("medium"), Type.Literal("low")])),
    tags: Type.Optional(Type.Array(Type.String())),
    completed: Type.Optional(Type.Boolean()),
    due_date: Type.Optional(Type.String({ format: "date-time" })),
    changes: Type.Optional(Type.Object({})),
  }),
});
export type ContractTaskEvent = Type.Static<typeof ContractTaskEvent>;

/** `reminder-event.schema.json`: a reminder event as the contract allows it; `data` needs `task_id`, `user_id`, `remind_at`. */
export const ContractReminderEvent = Type.Object({
  ...envelope,
  type: typeEnum(TOPICS.reminders),
  source: Type.String(),
  data: Type.Object({
    task_id: Type.Integer(),
    user_id: Type.String(),
    title: Type.Optional(Type.String()),
    due_at: Type.Optional(Type.String({ format: "date-time" })),
    remind_at: Type.String({ format: "date-time" }),
    remind_before_minutes: Type.Optional(Type.Integer()),
  }),
});
export type ContractReminderEvent = Type.Static<typeof ContractReminderEvent>;

/**
 * `task-update-event.schema.json`: every field optional, each typed when present. Its `data` declares properties
 * but no `type`, so a `data` that is not an object at all passes the contract (draft-07 applies `properties` to
 * objects only); the consumer then finds no user in it.
 */
const taskUpdateData = Type.Object({
  user_id: Type.Optional(Type.String()),
  action: Type.Optional(
    Type.Union([Type.Literal("refresh"), Type.Literal("add"), Type.Literal("update"), Type.Literal("remove")]),
  ),
  task_id: Type.Optional(Type.Integer()),
  task_snapshot: Type.Optional(Type.Object({})),
});
export const ContractTaskUpdateEvent = Type.Object({
  specversion: Type.Optional(Type.Literal("1.0")),
  type: Type.Optional(typeEnum(TOPICS.taskUpdates)),
  data: Type.Optional(
    Type.Unsafe<Type.Static<typeof taskUpdateData> | string | number | boolean | null | unknown[]>({
      properties: taskUpdateData.properties,
    }),
  ),
});
export type ContractTaskUpdateEvent = Type.Static<typeof ContractTaskUpdateEvent>;

/** The contract's schema for each topic that carries contract events. */
const BY_TOPIC = new Map<string, Type.TSchema>([
  [TOPICS.taskEvents.name, ContractTaskEvent],
  [TOPICS.reminders.name, ContractReminderEvent],
  [TOPICS.taskUpdates.name, ContractTaskUpdateEvent],
]);

// The same reading of draft-07 as the contract's own tests: ajv's default dialect with ajv-formats.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validators = new Map([...BY_TOPIC].map(([topic, schema]) => [topic, ajv.compile(schema)]));

/** The contract's schema for events on `topic`; throws for a topic the contract does not cover (`dead-letters`). */
export function contractSchemaOf(topic: TopicSpec): Type.TSchema {
  const schema = BY_TOPIC.get(topic.name);
  if (!schema) throw new Error(`The contract has no schema for topic "${topic.name}"`);
  return schema;
}

/** The contract event a topic carries, typed by topic. */
export type ContractEventOn<T extends TopicSpec> = T extends typeof TOPICS.taskEvents
  ? ContractTaskEvent
  : T extends typeof TOPICS.reminders
    ? ContractReminderEvent
    : ContractTaskUpdateEvent;

/**
 * How `value` breaks the contract for events on `topic`: one violation per bad field with its JSON Pointer, empty
 * when the contract allows it. Stricter rules of the catalog (lengths, closed objects, required titles) are not
 * applied: a consumer must take any event the contract allows.
 */
export function contractViolationsOn(topic: TopicSpec, value: unknown): Violation[] {
  const validate = validators.get(topic.name);
  if (!validate) throw new Error(`The contract has no schema for topic "${topic.name}"`);
  return validate(value) ? [] : violationsOf(validate.errors ?? []);
}

/** Whether an event type is one the topic carries by the contract's `type` enum. */
export function isContractTypeOn(topic: TopicSpec, type: unknown): type is EventType {
  return eventTypesOn(topic).includes(type as EventType);
}
