// Unit tests of the event contract: topic catalog, event type catalog, CloudEvent builders, validator and types.
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type AnyCloudEvent,
  buildEvent,
  DEAD_LETTER_TOPIC,
  EVENT_SOURCE_PATTERN,
  EVENT_TYPE_NAMES,
  EVENT_TYPES,
  type EventData,
  type EventType,
  EventValidationError,
  eventSource,
  eventTypesOn,
  isEventType,
  parseEvent,
  partitionKeyOf,
  type schemas,
  TOPIC_LIST,
  TOPICS,
  topicByName,
  topicConfig,
  topicOf,
  topicOfEvent,
  type Violation,
  validateEvent,
} from "./index";

const DAY_MS = 24 * 60 * 60 * 1000;
const SOURCE = "/tasks/backend";
const USER_ID = "auth0|user-42";
const TASK_ID = "3f1c2a4e-8b7d-4c6a-9e21-5d0b7a9c1f34";
const PARENT_TASK_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const REMINDER_ID = "c0ffee00-1234-4abc-8def-0123456789ab";
const EVENT_ID = "5b6c7d8e-9f01-4234-a567-89abcdef0123";
const EVENT_TIME = "2025-03-01T09:30:00.000Z";
const CREATED_AT = "2025-02-27T08:00:00.000Z";
const DUE_DATE = "2025-03-05T17:00:00.000Z";
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

// --- Fixtures: one valid `data` per event type. ---

function taskSnapshot(overrides: Partial<schemas.TaskSnapshot> = {}): schemas.TaskSnapshot {
  return {
    id: TASK_ID,
    user_id: USER_ID,
    title: "Write the quarterly report",
    description: "Numbers for Q1, with the charts.",
    priority: "high",
    tags: ["work", "reports"],
    due_date: DUE_DATE,
    reminder_offset_minutes: 30,
    recurrence: null,
    completed: false,
    completed_at: null,
    parent_task_id: null,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
  };
}

const completedSnapshot = () =>
  taskSnapshot({
    completed: true,
    completed_at: EVENT_TIME,
    recurrence: "weekly",
    parent_task_id: PARENT_TASK_ID,
    updated_at: EVENT_TIME,
  });

const reminderFields = () => ({
  reminder_id: REMINDER_ID,
  task_id: TASK_ID,
  user_id: USER_ID,
  title: "Write the quarterly report",
  due_date: DUE_DATE,
  remind_at: "2025-03-05T16:30:00.000Z",
});

const SAMPLE_DATA: { [T in EventType]: () => EventData<T> } = {
  "com.taskmanager.task.created": () => ({ task_id: TASK_ID, user_id: USER_ID, task: taskSnapshot() }),
  "com.taskmanager.task.updated": () => ({
    task_id: TASK_ID,
    user_id: USER_ID,
    changes: {
      title: { old: "Write report", new: "Write the quarterly report" },
      description: { old: null, new: "Numbers for Q1, with the charts." },
      priority: { old: "medium", new: "high" },
    },
    task: taskSnapshot({ updated_at: EVENT_TIME }),
  }),
  "com.taskmanager.task.completed": () => ({
    task_id: TASK_ID,
    user_id: USER_ID,
    completed_at: EVENT_TIME,
    is_recurring: true,
    recurrence: "weekly",
    task: completedSnapshot(),
  }),
  "com.taskmanager.task.deleted": () => ({ task_id: TASK_ID, user_id: USER_ID, deleted_at: EVENT_TIME }),
  "com.taskmanager.reminder.scheduled": () => reminderFields(),
  "com.taskmanager.reminder.triggered": () => ({ ...reminderFields(), triggered_at: "2025-03-05T16:30:01.000Z" }),
  "com.taskmanager.reminder.cancelled": () => ({
    reminder_id: REMINDER_ID,
    task_id: TASK_ID,
    user_id: USER_ID,
    reason: "rescheduled",
  }),
  "com.taskmanager.ui.task_list_changed": () => ({
    user_id: USER_ID,
    task_id: TASK_ID,
    change: "created",
    task_snapshot: taskSnapshot(),
  }),
  "com.taskmanager.ui.task_status_changed": () => ({
    user_id: USER_ID,
    task_id: TASK_ID,
    completed: true,
    task_snapshot: completedSnapshot(),
  }),
};

function sampleData<T extends EventType>(type: T): EventData<T> {
  return SAMPLE_DATA[type]();
}

const EXPECTED_TOPIC: Record<EventType, string> = {
  "com.taskmanager.task.created": "task-events",
  "com.taskmanager.task.updated": "task-events",
  "com.taskmanager.task.completed": "task-events",
  "com.taskmanager.task.deleted": "task-events",
  "com.taskmanager.reminder.scheduled": "reminders",
  "com.taskmanager.reminder.triggered": "reminders",
  "com.taskmanager.reminder.cancelled": "reminders",
  "com.taskmanager.ui.task_list_changed": "task-updates",
  "com.taskmanager.ui.task_status_changed": "task-updates",
};

/** A valid event with a fixed id and time, as a plain record to mutate into invalid ones. */
function validEvent(type: EventType = "com.taskmanager.task.created"): Record<string, unknown> {
  return { ...buildEvent(type, sampleData(type), { source: SOURCE, id: EVENT_ID, time: EVENT_TIME }) };
}

/** A valid `task.created` event whose `data` (or `data.task`) is patched. */
function createdWith(data: Record<string, unknown>): Record<string, unknown> {
  return { ...validEvent("com.taskmanager.task.created"), data };
}

function violationsOf(value: unknown): Violation[] {
  const result = validateEvent(value);
  expect(result.valid).toBe(false);
  return result.valid ? [] : result.violations;
}

// --- Topics ---

describe("topic catalog", () => {
  it("lists the four topics in catalog order", () => {
    expect(TOPIC_LIST.map((t) => t.name)).toEqual(["task-events", "reminders", "task-updates", "dead-letters"]);
    expect(Object.keys(TOPICS)).toEqual(["taskEvents", "reminders", "taskUpdates", "deadLetters"]);
    expect(DEAD_LETTER_TOPIC).toBe("dead-letters");
  });

  it.each(TOPIC_LIST.map((t) => [t.name, t] as const))("%s has 3 partitions and cleanup policy delete", (_, topic) => {
    expect(topic.partitions).toBe(3);
    expect(topic.cleanupPolicy).toBe("delete");
    expect(topic.purpose.length).toBeGreaterThan(0);
  });

  it("retains task-events 7 days, reminders 3 days and task-updates 1 day", () => {
    expect(topicByName("task-events").retentionMs).toBe(7 * DAY_MS);
    expect(topicByName("reminders").retentionMs).toBe(3 * DAY_MS);
    expect(topicByName("task-updates").retentionMs).toBe(1 * DAY_MS);
  });

  it("retains dead letters strictly longer than every other topic", () => {
    const others = TOPIC_LIST.filter((t) => t.name !== "dead-letters");
    expect(others).toHaveLength(3);
    for (const topic of others) {
      expect(TOPICS.deadLetters.retentionMs).toBeGreaterThan(topic.retentionMs);
    }
  });

  it("keys the three source topics by user_id and dead letters by the original key", () => {
    for (const name of ["task-events", "reminders", "task-updates"]) {
      expect(topicByName(name).key).toBe("user_id");
    }
    expect(topicByName("dead-letters").key).toBe("original key");
  });

  it("topicConfig gives the broker config as strings", () => {
    expect(topicConfig(TOPICS.taskEvents)).toEqual({ "retention.ms": "604800000", "cleanup.policy": "delete" });
    for (const topic of TOPIC_LIST) {
      const config = topicConfig(topic);
      expect(Object.keys(config).sort()).toEqual(["cleanup.policy", "retention.ms"]);
      for (const value of Object.values(config)) expect(typeof value).toBe("string");
      expect(Number(config["retention.ms"])).toBe(topic.retentionMs);
    }
  });

  it("topicByName finds a topic by its broker name", () => {
    expect(topicByName("reminders")).toBe(TOPICS.reminders);
  });

  it("topicByName throws naming the known topics for an unknown name", () => {
    expect(() => topicByName("task-event")).toThrow(
      'Unknown topic "task-event". Known topics: task-events, reminders, task-updates, dead-letters.',
    );
  });
});

// --- Event types ---

describe("event type catalog", () => {
  it("has exactly these 9 types, in order (a new type must be added to the fixtures here)", () => {
    expect(EVENT_TYPE_NAMES).toEqual([
      "com.taskmanager.task.created",
      "com.taskmanager.task.updated",
      "com.taskmanager.task.completed",
      "com.taskmanager.task.deleted",
      "com.taskmanager.reminder.scheduled",
      "com.taskmanager.reminder.triggered",
      "com.taskmanager.reminder.cancelled",
      "com.taskmanager.ui.task_list_changed",
      "com.taskmanager.ui.task_status_changed",
    ]);
    expect(Object.keys(SAMPLE_DATA)).toEqual(EVENT_TYPE_NAMES);
  });

  it("eventTypesOn groups the types by topic, and nothing travels on dead-letters", () => {
    expect(eventTypesOn(TOPICS.taskEvents)).toEqual(EVENT_TYPE_NAMES.filter((t) => t.includes(".task.")));
    expect(eventTypesOn(TOPICS.reminders)).toEqual(EVENT_TYPE_NAMES.filter((t) => t.includes(".reminder.")));
    expect(eventTypesOn(TOPICS.taskUpdates)).toEqual(EVENT_TYPE_NAMES.filter((t) => t.includes(".ui.")));
    expect(eventTypesOn(TOPICS.deadLetters)).toEqual([]);
  });

  it("isEventType accepts catalog types only", () => {
    expect(isEventType("com.taskmanager.task.created")).toBe(true);
    expect(isEventType("com.taskmanager.task.archived")).toBe(false);
    expect(isEventType("toString")).toBe(false);
    expect(isEventType("__proto__")).toBe(false);
    expect(isEventType(42)).toBe(false);
  });

  describe.each(EVENT_TYPE_NAMES)("%s", (type) => {
    it("has a description and is published to the expected topic", () => {
      expect(EVENT_TYPES[type].description.length).toBeGreaterThan(0);
      const expected = type.includes(".task.")
        ? "task-events"
        : type.includes(".reminder.")
          ? "reminders"
          : "task-updates";
      expect(EXPECTED_TOPIC[type]).toBe(expected);
      expect(topicOf(type).name).toBe(expected);
      expect(topicOf(type)).toBe(topicByName(expected));
    });

    it("buildEvent makes a valid CloudEvents 1.0 envelope", () => {
      const data = sampleData(type);
      const before = Date.now();
      const event = buildEvent(type, data, { source: eventSource("backend") });
      const after = Date.now();

      expect(event.specversion).toBe("1.0");
      expect(event.type).toBe(type);
      expect(event.source).toBe("/tasks/backend");
      expect(event.datacontenttype).toBe("application/json");
      expect(event.id).toMatch(UUID_V4);
      expect(event.time).toMatch(RFC3339);
      expect(new Date(event.time).toISOString()).toBe(event.time);
      expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(event.time)).toBeLessThanOrEqual(after);
      expect(event).not.toHaveProperty("subject");
      expect(event.data).toEqual(data);
      expect(Object.keys(event).sort()).toEqual(
        ["data", "datacontenttype", "id", "source", "specversion", "time", "type"].sort(),
      );

      expect(validateEvent(event)).toEqual({ valid: true, event });
    });

    it("gives every event a fresh id", () => {
      const a = buildEvent(type, sampleData(type), { source: SOURCE });
      const b = buildEvent(type, sampleData(type), { source: SOURCE });
      expect(a.id).not.toBe(b.id);
    });

    it("routes the event to its topic and keys it by data.user_id", () => {
      const event = buildEvent(type, sampleData(type), { source: SOURCE }) as AnyCloudEvent;
      expect(topicOfEvent(event).name).toBe(EXPECTED_TOPIC[type]);
      expect(partitionKeyOf(event)).toBe(event.data.user_id);
      expect(partitionKeyOf(event)).toBe(USER_ID);
    });

    it("survives a JSON round trip as a valid event", () => {
      const wire = JSON.parse(JSON.stringify(validEvent(type))) as unknown;
      expect(validateEvent(wire).valid).toBe(true);
      expect(parseEvent(wire)).toEqual(wire);
    });

    it("rejects data without user_id, pointing at /data/user_id", () => {
      const { user_id: _, ...data } = sampleData(type) as Record<string, unknown>;
      expect(violationsOf({ ...validEvent(type), data })).toEqual([
        { path: "/data/user_id", message: "must have required property 'user_id'" },
      ]);
    });

    it("rejects an additional property in data", () => {
      const data = { ...sampleData(type), extra: true };
      expect(violationsOf({ ...validEvent(type), data })).toEqual([
        { path: "/data/extra", message: "must NOT have additional properties" },
      ]);
    });
  });

  it("accepts the variants the schemas allow", () => {
    const variants: unknown[] = [
      buildEvent(
        "com.taskmanager.task.created",
        {
          task_id: TASK_ID,
          user_id: USER_ID,
          task: taskSnapshot({ description: null, due_date: null, reminder_offset_minutes: null, tags: [] }),
        },
        { source: SOURCE },
      ),
      buildEvent(
        "com.taskmanager.task.completed",
        {
          task_id: TASK_ID,
          user_id: USER_ID,
          completed_at: EVENT_TIME,
          is_recurring: false,
          recurrence: null,
          task: taskSnapshot({ completed: true, completed_at: EVENT_TIME }),
        },
        { source: SOURCE },
      ),
      buildEvent(
        "com.taskmanager.ui.task_list_changed",
        { user_id: USER_ID, task_id: TASK_ID, change: "deleted", task_snapshot: null },
        { source: SOURCE },
      ),
      buildEvent(
        "com.taskmanager.task.updated",
        {
          task_id: TASK_ID,
          user_id: USER_ID,
          changes: { due_date: { old: DUE_DATE, new: null } },
          task: taskSnapshot({ due_date: null }),
        },
        { source: SOURCE },
      ),
    ];
    for (const event of variants) expect(validateEvent(event).valid).toBe(true);
  });
});

// --- Invalid events ---

describe("validateEvent violations", () => {
  it("reports a missing required field of a nested object with its full path", () => {
    const { title: _, ...task } = taskSnapshot();
    expect(violationsOf(createdWith({ task_id: TASK_ID, user_id: USER_ID, task }))).toEqual([
      { path: "/data/task/title", message: "must have required property 'title'" },
    ]);
  });

  it("reports an additional property in a nested object", () => {
    expect(
      violationsOf(createdWith({ task_id: TASK_ID, user_id: USER_ID, task: { ...taskSnapshot(), owner: "x" } })),
    ).toEqual([{ path: "/data/task/owner", message: "must NOT have additional properties" }]);
  });

  it("reports a wrong enum value with the allowed values", () => {
    const task = { ...taskSnapshot(), priority: "urgent" };
    expect(violationsOf(createdWith({ task_id: TASK_ID, user_id: USER_ID, task }))).toEqual([
      { path: "/data/task/priority", message: 'must be one of: "high", "medium", "low"' },
    ]);
  });

  it("reports a wrong reminder cancel reason with the allowed values", () => {
    const event = validEvent("com.taskmanager.reminder.cancelled");
    const data = { ...sampleData("com.taskmanager.reminder.cancelled"), reason: "expired" };
    expect(violationsOf({ ...event, data })).toEqual([
      { path: "/data/reason", message: 'must be one of: "rescheduled", "completed", "deleted", "removed"' },
    ]);
  });

  it("reports a nullable field of the wrong type as one violation naming both branches", () => {
    const task = { ...taskSnapshot(), description: 42 };
    expect(violationsOf(createdWith({ task_id: TASK_ID, user_id: USER_ID, task }))).toEqual([
      { path: "/data/task/description", message: "must be one of: string, null" },
    ]);
  });

  it("reports a nullable timestamp with a bad format", () => {
    const task = { ...taskSnapshot(), due_date: "next friday" };
    expect(violationsOf(createdWith({ task_id: TASK_ID, user_id: USER_ID, task }))).toEqual([
      { path: "/data/task/due_date", message: 'must match format "date-time"' },
    ]);
  });

  it("keeps the path of a bad field inside a nullable object", () => {
    const event = validEvent("com.taskmanager.ui.task_list_changed");
    const snapshot = { ...taskSnapshot(), priority: "urgent", title: undefined };
    const data = { ...sampleData("com.taskmanager.ui.task_list_changed"), task_snapshot: snapshot };
    expect(violationsOf({ ...event, data })).toEqual([
      { path: "/data/task_snapshot/title", message: "must have required property 'title'" },
      { path: "/data/task_snapshot/priority", message: 'must be one of: "high", "medium", "low"' },
    ]);
  });

  it("reports a nullable object of the wrong type", () => {
    const event = validEvent("com.taskmanager.ui.task_list_changed");
    const data = { ...sampleData("com.taskmanager.ui.task_list_changed"), task_snapshot: "gone" };
    expect(violationsOf({ ...event, data })).toEqual([
      { path: "/data/task_snapshot", message: "must be one of: object, null" },
    ]);
  });

  it("reports a non-integer reminder offset and duplicate tags", () => {
    const task = { ...taskSnapshot(), reminder_offset_minutes: 1.5, tags: ["a", "a"] };
    expect(violationsOf(createdWith({ task_id: TASK_ID, user_id: USER_ID, task }))).toEqual([
      { path: "/data/task/tags", message: "must NOT have duplicate items (items ## 1 and 0 are identical)" },
      { path: "/data/task/reminder_offset_minutes", message: "must be one of: integer, null" },
    ]);
  });

  it("rejects a bad uuid id", () => {
    expect(violationsOf({ ...validEvent(), id: "not-a-uuid" })).toEqual([
      { path: "/id", message: 'must match format "uuid"' },
    ]);
  });

  it.each(["yesterday", "2025-03-01T09:30:00", "2025-02-30T09:30:00Z", "2025-03-01 09:30"])(
    "rejects time %j",
    (time) => {
      expect(violationsOf({ ...validEvent(), time })).toEqual([
        { path: "/time", message: 'must match format "date-time"' },
      ]);
    },
  );

  it("accepts a time with a numeric offset", () => {
    expect(validateEvent({ ...validEvent(), time: "2025-03-01T10:30:00+01:00" }).valid).toBe(true);
  });

  it.each(["/backend", "/tasks/Backend", "/tasks/", "/tasks/back_end", "tasks/backend", "/tasks/backend/v2"])(
    "rejects source %j",
    (source) => {
      expect(violationsOf({ ...validEvent(), source })).toEqual([
        { path: "/source", message: `must match pattern "${EVENT_SOURCE_PATTERN}"` },
      ]);
    },
  );

  it("rejects specversion 0.3", () => {
    expect(violationsOf({ ...validEvent(), specversion: "0.3" })).toEqual([
      { path: "/specversion", message: "must be equal to constant" },
    ]);
  });

  it("rejects a missing specversion", () => {
    const { specversion: _, ...event } = validEvent();
    expect(violationsOf(event)).toEqual([
      { path: "/specversion", message: "must have required property 'specversion'" },
    ]);
  });

  it("rejects datacontenttype text/plain", () => {
    expect(violationsOf({ ...validEvent(), datacontenttype: "text/plain" })).toEqual([
      { path: "/datacontenttype", message: "must be equal to constant" },
    ]);
  });

  it("rejects an empty subject and accepts a non-empty one", () => {
    expect(violationsOf({ ...validEvent(), subject: "" })).toEqual([
      { path: "/subject", message: "must NOT have fewer than 1 characters" },
    ]);
    expect(validateEvent({ ...validEvent(), subject: TASK_ID }).valid).toBe(true);
  });

  it("rejects missing or null data", () => {
    const { data: _, ...event } = validEvent();
    expect(violationsOf(event)).toEqual([{ path: "/data", message: "must have required property 'data'" }]);
    expect(violationsOf({ ...event, data: null })).toEqual([{ path: "/data", message: "must be object" }]);
  });

  it.each([
    ["an unknown type", "com.taskmanager.task.archived"],
    ["a missing type", undefined],
    ["a non-string type", 7],
  ])("rejects %s at /type, listing the catalog's types", (_, type) => {
    expect(violationsOf({ ...validEvent(), type })).toEqual([
      { path: "/type", message: `must be one of the catalog's event types: ${EVENT_TYPE_NAMES.join(", ")}` },
    ]);
  });

  it.each([
    ["a number", 42],
    ["a string", "event"],
    ["null", null],
    ["undefined", undefined],
    ["an array", [validEvent()]],
  ])("rejects %s at the root", (_, value) => {
    expect(violationsOf(value)).toEqual([{ path: "", message: "must be a CloudEvent object" }]);
  });

  it("rejects an extension attribute with an invalid name", () => {
    expect(violationsOf({ ...validEvent(), Bad_Name: "x" })).toEqual([
      { path: "/Bad_Name", message: 'name must match pattern "^[a-z0-9]{1,20}$"' },
    ]);
    expect(validateEvent({ ...validEvent(), "trace-parent": "x" }).valid).toBe(false);
    expect(validateEvent({ ...validEvent(), abcdefghijklmnopqrstu: "x" }).valid).toBe(false);
  });

  it("accepts valid extension attributes such as the ones Dapr sets", () => {
    const event = {
      ...validEvent(),
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "",
      topic: "task-events",
      pubsubname: "kafka-pubsub",
    };
    expect(validateEvent(event)).toEqual({ valid: true, event });
  });

  it("rejects task.updated with empty changes (minProperties)", () => {
    const event = validEvent("com.taskmanager.task.updated");
    const data = { ...sampleData("com.taskmanager.task.updated"), changes: {} };
    expect(violationsOf({ ...event, data })).toEqual([
      { path: "/data/changes", message: "must NOT have fewer than 1 properties" },
    ]);
  });

  it("rejects task.updated changes on an unknown field or without a new value", () => {
    const event = validEvent("com.taskmanager.task.updated");
    const base = sampleData("com.taskmanager.task.updated");
    expect(violationsOf({ ...event, data: { ...base, changes: { completed: { old: false, new: true } } } })).toEqual([
      { path: "/data/changes/completed", message: "must NOT have additional properties" },
    ]);
    expect(violationsOf({ ...event, data: { ...base, changes: { title: { old: "a" } } } })).toEqual([
      { path: "/data/changes/title/new", message: "must have required property 'new'" },
    ]);
  });

  it("reports every violation at once (allErrors)", () => {
    const { title: _, ...task } = taskSnapshot();
    const event = {
      ...validEvent(),
      id: "42",
      time: "soon",
      source: "/backend",
      specversion: "0.3",
      data: { task_id: "not-a-uuid", user_id: "", task: { ...task, priority: "urgent" }, extra: 1 },
    };
    const violations = violationsOf(event);
    expect(violations).toEqual([
      { path: "/specversion", message: "must be equal to constant" },
      { path: "/source", message: `must match pattern "${EVENT_SOURCE_PATTERN}"` },
      { path: "/id", message: 'must match format "uuid"' },
      { path: "/time", message: 'must match format "date-time"' },
      { path: "/data/extra", message: "must NOT have additional properties" },
      { path: "/data/task_id", message: 'must match format "uuid"' },
      { path: "/data/user_id", message: "must NOT have fewer than 1 characters" },
      { path: "/data/task/title", message: "must have required property 'title'" },
      { path: "/data/task/priority", message: 'must be one of: "high", "medium", "low"' },
    ]);
    expect(new Set(violations.map((v) => v.path))).toEqual(
      new Set([
        "/specversion",
        "/source",
        "/id",
        "/time",
        "/data/extra",
        "/data/task_id",
        "/data/user_id",
        "/data/task/title",
        "/data/task/priority",
      ]),
    );
  });

  it("does not modify the value it validates", () => {
    const event = { ...validEvent(), extra: undefined, Bad_Name: 1 };
    const copy = structuredClone(event);
    validateEvent(event);
    expect(event).toEqual(copy);
  });
});

// --- Builders and parsing ---

describe("buildEvent", () => {
  it("throws an EventValidationError naming the bad path for invalid data", () => {
    const data = { ...sampleData("com.taskmanager.task.deleted"), deleted_at: "today" };
    let error: unknown;
    try {
      buildEvent("com.taskmanager.task.deleted", data, { source: SOURCE });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventValidationError);
    expect(error).toBeInstanceOf(Error);
    const validationError = error as EventValidationError;
    expect(validationError.name).toBe("EventValidationError");
    expect(validationError.eventType).toBe("com.taskmanager.task.deleted");
    expect(validationError.violations).toContainEqual({
      path: "/data/deleted_at",
      message: 'must match format "date-time"',
    });
    expect(validationError.message).toBe(
      'Invalid com.taskmanager.task.deleted event: /data/deleted_at must match format "date-time"',
    );
  });

  it("lists every violation in the error message", () => {
    const { user_id: _, ...data } = sampleData("com.taskmanager.task.created");
    expect(() =>
      buildEvent("com.taskmanager.task.created", data as EventData<"com.taskmanager.task.created">, {
        source: "/backend",
      }),
    ).toThrow(
      `Invalid com.taskmanager.task.created event: /source must match pattern "${EVENT_SOURCE_PATTERN}"; ` +
        "/data/user_id must have required property 'user_id'",
    );
  });

  it("throws for a bad source, id or time given as options", () => {
    const data = sampleData("com.taskmanager.task.deleted");
    expect(() => buildEvent("com.taskmanager.task.deleted", data, { source: "/tasks/Backend" })).toThrow(
      EventValidationError,
    );
    expect(() => buildEvent("com.taskmanager.task.deleted", data, { source: SOURCE, id: "1" })).toThrow(
      "/id must match format",
    );
    expect(() => buildEvent("com.taskmanager.task.deleted", data, { source: SOURCE, time: "now" })).toThrow(
      "/time must match format",
    );
  });

  it("throws an EventValidationError, not a RangeError, for an invalid Date", () => {
    const data = sampleData("com.taskmanager.task.deleted");
    expect(() =>
      buildEvent("com.taskmanager.task.deleted", data, { source: SOURCE, time: new Date(Number.NaN) }),
    ).toThrow("Invalid com.taskmanager.task.deleted event: /time must be a valid date");
  });

  it("keeps a given id and time", () => {
    const data = sampleData("com.taskmanager.reminder.triggered");
    const fromString = buildEvent("com.taskmanager.reminder.triggered", data, {
      source: SOURCE,
      id: EVENT_ID,
      time: "2025-03-01T10:30:00+01:00",
    });
    expect(fromString.id).toBe(EVENT_ID);
    expect(fromString.time).toBe("2025-03-01T10:30:00+01:00");

    const fromDate = buildEvent("com.taskmanager.reminder.triggered", data, {
      source: SOURCE,
      id: EVENT_ID,
      time: new Date(EVENT_TIME),
    });
    expect(fromDate.id).toBe(EVENT_ID);
    expect(fromDate.time).toBe(EVENT_TIME);
  });

  it("sets subject only when given", () => {
    const data = sampleData("com.taskmanager.task.deleted");
    const withSubject = buildEvent("com.taskmanager.task.deleted", data, { source: SOURCE, subject: TASK_ID });
    expect(withSubject.subject).toBe(TASK_ID);
    expect(buildEvent("com.taskmanager.task.deleted", data, { source: SOURCE })).not.toHaveProperty("subject");
  });
});

describe("eventSource", () => {
  it("forms /tasks/<service>", () => {
    expect(eventSource("backend")).toBe("/tasks/backend");
    expect(eventSource("recurring-service")).toBe("/tasks/recurring-service");
  });

  it.each(["Bad Name", "Backend", "back_end", "", "a/b"])("throws for %j", (service) => {
    expect(() => eventSource(service)).toThrow(
      `Service name "${service}" cannot form an event source: it must be lowercase letters and dashes.`,
    );
  });
});

describe("parseEvent", () => {
  it("returns a valid event", () => {
    const event = validEvent("com.taskmanager.reminder.scheduled");
    const parsed = parseEvent(event);
    expect(parsed).toBe(event);
    expect(parsed.type).toBe("com.taskmanager.reminder.scheduled");
  });

  it("throws an EventValidationError on an invalid event", () => {
    const event = { ...validEvent("com.taskmanager.reminder.scheduled"), id: "x" };
    expect(() => parseEvent(event)).toThrow(EventValidationError);
    expect(() => parseEvent(event)).toThrow(
      'Invalid com.taskmanager.reminder.scheduled event: /id must match format "uuid"',
    );
  });

  it("names the type as unknown when the value has no string type", () => {
    expect(() => parseEvent(null)).toThrow("Invalid unknown event: / must be a CloudEvent object");
    expect(() => parseEvent({ type: 1 })).toThrow(/^Invalid unknown event: \/type must be one of the catalog's/);
  });
});

// --- Types ---

describe("types", () => {
  it("derives typed data from the schemas", () => {
    expectTypeOf<EventData<"com.taskmanager.task.completed">>().toHaveProperty("is_recurring").toEqualTypeOf<boolean>();
    expectTypeOf<EventData<"com.taskmanager.task.completed">["recurrence"]>().toEqualTypeOf<
      "daily" | "weekly" | "monthly" | null
    >();
    expectTypeOf<
      EventData<"com.taskmanager.ui.task_list_changed">["task_snapshot"]
    >().toEqualTypeOf<schemas.TaskSnapshot | null>();

    const event = buildEvent("com.taskmanager.task.completed", sampleData("com.taskmanager.task.completed"), {
      source: SOURCE,
    });
    expectTypeOf(event.data.is_recurring).toEqualTypeOf<boolean>();
    expectTypeOf(event.type).toEqualTypeOf<"com.taskmanager.task.completed">();
    expect(event.data.is_recurring).toBe(true);

    const parsed = parseEvent(event);
    if (parsed.type === "com.taskmanager.task.completed") {
      expectTypeOf(parsed.data).toEqualTypeOf<EventData<"com.taskmanager.task.completed">>();
    }
    expect(parsed.type).toBe("com.taskmanager.task.completed");
  });
});
