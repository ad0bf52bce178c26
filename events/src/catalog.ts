// The event type catalog: every CloudEvent type of the system, the topic it travels on and its data schema.
import type Type from "typebox";
import * as S from "./schemas";
import { TOPICS, type TopicSpec } from "./topics";

interface EventTypeSpec {
  readonly topic: TopicSpec;
  readonly data: Type.TSchema;
  readonly description: string;
}

/** Every event type, keyed by its CloudEvent `type`. */
export const EVENT_TYPES = {
  "com.taskmanager.task.created": {
    topic: TOPICS.taskEvents,
    data: S.TaskCreatedData,
    description: "A task was created; its fields are flat in `data`.",
  },
  "com.taskmanager.task.updated": {
    topic: TOPICS.taskEvents,
    data: S.TaskUpdatedData,
    description: "Fields of a task changed; `changes` holds each changed field's new value, `previous` its old one.",
  },
  "com.taskmanager.task.completed": {
    topic: TOPICS.taskEvents,
    data: S.TaskCompletedData,
    description: "A task was completed; `is_recurring` tells the recurring service to create the next occurrence.",
  },
  "com.taskmanager.task.deleted": {
    topic: TOPICS.taskEvents,
    data: S.TaskDeletedData,
    description: "A task was deleted.",
  },
  "com.taskmanager.reminder.scheduled": {
    topic: TOPICS.reminders,
    data: S.ReminderScheduledData,
    description: "A reminder is due at `remind_at`.",
  },
  "com.taskmanager.reminder.triggered": {
    topic: TOPICS.reminders,
    data: S.ReminderTriggeredData,
    description: "A reminder's time came; the notification service delivers it.",
  },
  "com.taskmanager.reminder.cancelled": {
    topic: TOPICS.reminders,
    data: S.ReminderCancelledData,
    description: "A scheduled reminder no longer applies; `remind_at` says which time it was for.",
  },
  "com.taskmanager.ui.task_list_changed": {
    topic: TOPICS.taskUpdates,
    data: S.TaskListChangedData,
    description:
      "The user's task list changed (`action`: refresh, add, update, remove); the gateway pushes it to the user's connections.",
  },
  "com.taskmanager.ui.task_status_changed": {
    topic: TOPICS.taskUpdates,
    data: S.TaskStatusChangedData,
    description: "A task's completion status changed.",
  },
} as const satisfies Record<string, EventTypeSpec>;

export type EventType = keyof typeof EVENT_TYPES;

/** The `data` of an event type, derived from its schema. */
export type EventData<T extends EventType> = Type.Static<(typeof EVENT_TYPES)[T]["data"]>;

/** Every event type, in catalog order. */
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

export function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && Object.hasOwn(EVENT_TYPES, value);
}

/** The topic an event type is published to. */
export function topicOf(type: EventType): TopicSpec {
  return EVENT_TYPES[type].topic;
}

/** The event types that travel on a topic, in catalog order. */
export function eventTypesOn(topic: TopicSpec): EventType[] {
  return EVENT_TYPE_NAMES.filter((type) => EVENT_TYPES[type].topic.name === topic.name);
}
