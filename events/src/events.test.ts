// Unit tests of the event contract: topic catalog, event type catalog, CloudEvent builders, validator and types.
import { describe, expect, expectTypeOf, it } from "vitest";
import { contractSchemaFor, contractSchemas, contractViolations } from "../../test/support/contract";
import {
  CREATED_AT,
  EVENT_ID,
  EVENT_TIME,
  SAMPLE_TYPES,
  SOURCE,
  sampleData,
  TASK_ID,
  taskSnapshot,
  USER_ID,
  variantData,
} from "../test/samples";
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
  taskFieldsOf,
  topicByName,
  topicConfig,
  topicOf,
  topicOfEvent,
  type Violation,
  validateEvent,
} from "./index";

const DAY_MS = 24 * 60 * 60 * 1000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

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

/** A valid `task.created` event with its `data` patched. */
function createdWith(patch: Record<string, unknown>): Record<string, unknown> {
  return {
    ...validEvent("com.taskmanager.task.created"),
    data: { ...sampleData("com.taskmanager.task.created"), ...patch },
  };
}

/** A valid `task_list_changed` event whose snapshot is patched. */
function snapshotWith(patch: Record<string, unknown>): Record<string, unknown> {
  const data = sampleData("com.taskmanager.ui.task_list_changed");
  return {
    ...validEvent("com.taskmanager.ui.task_list_changed"),
    data: { ...data, task_snapshot: { ...data.task_snapshot, ...patch } },
  };
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
    expect(SAMPLE_TYPES).toEqual(EVENT_TYPE_NAMES);
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

  it("accepts the variants the schemas allow: absent optional fields, nulls in snapshots and changes, every action", () => {
    const variants = Object.entries(variantData()).flatMap(([type, list]) =>
      (list ?? []).map((data) => buildEvent(type as EventType, data as never, { source: SOURCE })),
    );
    expect(variants.length).toBeGreaterThanOrEqual(8);
    for (const event of variants) expect(validateEvent(event)).toEqual({ valid: true, event });
  });
});

// --- The mission's contract ---

describe("the mission's contract (../shared/contract, through the upstream cache)", () => {
  it("has one schema per topic, and every catalog type in exactly one of them", () => {
    const covered = contractSchemas().flatMap((schema) => schema.types);
    expect([...covered].sort()).toEqual([...EVENT_TYPE_NAMES].sort());
    for (const type of EVENT_TYPE_NAMES) {
      expect(contractSchemaFor(type).file).toBe(
        {
          "task-events": "task-event.schema.json",
          reminders: "reminder-event.schema.json",
          "task-updates": "task-update-event.schema.json",
        }[topicOf(type).name],
      );
    }
  });

  it.each(EVENT_TYPE_NAMES)("%s: what buildEvent makes validates against the contract", (type) => {
    const event = buildEvent(type, sampleData(type), { source: eventSource("backend") });
    expect(contractViolations(event)).toEqual([]);
    // The contract's fields at their places: integer task_id and the user, on every type.
    expect(Number.isSafeInteger(event.data.task_id)).toBe(true);
    expect(event.data.user_id).toBe(USER_ID);
  });

  it("every variant the schemas allow validates against the contract too", () => {
    for (const [type, list] of Object.entries(variantData())) {
      for (const data of list ?? []) {
        const event = buildEvent(type as EventType, data as never, { source: SOURCE });
        expect(contractViolations(event), `${type} ${JSON.stringify(data)}`).toEqual([]);
      }
    }
  });

  it("task events carry the task's fields flat, task.updated its changes, task.completed is_recurring", () => {
    const created = sampleData("com.taskmanager.task.created");
    expect(created).toMatchObject({
      task_id: TASK_ID,
      title: "Write the quarterly report",
      description: "Numbers for Q1, with the charts.",
      priority: "high",
      tags: ["work", "reports"],
      completed: false,
      due_date: "2025-03-05T17:00:00.000Z",
    });
    expect(created).not.toHaveProperty("task");
    expect(sampleData("com.taskmanager.task.updated").changes).toEqual({
      title: "Write the quarterly report",
      description: "Numbers for Q1, with the charts.",
      priority: "high",
    });
    expect(sampleData("com.taskmanager.task.completed").is_recurring).toBe(true);
  });

  it("the contract itself refuses what the old events sent: a uuid task_id, a null snapshot, a null description", () => {
    const withData = (type: EventType, data: Record<string, unknown>) => ({ ...validEvent(type), data });
    const uuid = "3f1c2a4e-8b7d-4c6a-9e21-5d0b7a9c1f34";
    expect(contractViolations(withData("com.taskmanager.task.deleted", { task_id: uuid, user_id: USER_ID }))).toEqual([
      "task-event.schema.json: /data/task_id must be integer",
    ]);
    expect(
      contractViolations(
        withData("com.taskmanager.ui.task_list_changed", {
          user_id: USER_ID,
          action: "remove",
          task_id: 1,
          task_snapshot: null,
        }),
      ),
    ).toEqual(["task-update-event.schema.json: /data/task_snapshot must be object"]);
    expect(
      contractViolations(
        withData("com.taskmanager.task.created", { ...sampleData("com.taskmanager.task.created"), description: null }),
      ),
    ).toEqual(["task-event.schema.json: /data/description must be string"]);
    expect(
      contractViolations(
        withData("com.taskmanager.reminder.cancelled", {
          task_id: 1,
          user_id: USER_ID,
          reminder_id: "x",
          reason: "deleted",
        }),
      ),
    ).toEqual(["reminder-event.schema.json: /data must have required property 'remind_at'"]);
  });
});

describe("taskFieldsOf", () => {
  it("puts every snapshot field flat, leaving out those without a value", () => {
    const snapshot = taskSnapshot({ description: null, due_date: null, remind_before_minutes: null });
    expect(taskFieldsOf(snapshot)).toEqual({
      task_id: TASK_ID,
      user_id: USER_ID,
      title: "Write the quarterly report",
      priority: "high",
      tags: ["work", "reports"],
      time_zone: "Europe/Berlin",
      completed: false,
      created_at: CREATED_AT,
      updated_at: CREATED_AT,
    });
  });

  it("copies the tags rather than sharing them with the snapshot", () => {
    const snapshot = taskSnapshot();
    const fields = taskFieldsOf(snapshot);
    fields.tags.push("changed");
    expect(snapshot.tags).toEqual(["work", "reports"]);
  });
});

// --- Invalid events ---

describe("validateEvent violations", () => {
  it("reports a missing required field of a nested object with its full path", () => {
    expect(violationsOf(snapshotWith({ title: undefined }))).toEqual([
      { path: "/data/task_snapshot/title", message: "must have required property 'title'" },
    ]);
  });

  it("reports an additional property in a nested object", () => {
    expect(violationsOf(snapshotWith({ owner: "x" }))).toEqual([
      { path: "/data/task_snapshot/owner", message: "must NOT have additional properties" },
    ]);
  });

  it("reports a wrong enum value with the allowed values", () => {
    expect(violationsOf(createdWith({ priority: "urgent" }))).toEqual([
      { path: "/data/priority", message: 'must be one of: "high", "medium", "low"' },
    ]);
  });

  it("reports a wrong action and a wrong reminder cancel reason with the allowed values", () => {
    const listChanged = validEvent("com.taskmanager.ui.task_list_changed");
    const data = { ...sampleData("com.taskmanager.ui.task_list_changed"), action: "created" };
    expect(violationsOf({ ...listChanged, data })).toEqual([
      { path: "/data/action", message: 'must be one of: "refresh", "add", "update", "remove"' },
    ]);
    const event = validEvent("com.taskmanager.reminder.cancelled");
    const cancelled = { ...sampleData("com.taskmanager.reminder.cancelled"), reason: "expired" };
    expect(violationsOf({ ...event, data: cancelled })).toEqual([
      { path: "/data/reason", message: 'must be one of: "rescheduled", "completed", "deleted", "removed"' },
    ]);
  });

  it("reports a nullable field of the wrong type as one violation naming both branches", () => {
    expect(violationsOf(snapshotWith({ description: 42 }))).toEqual([
      { path: "/data/task_snapshot/description", message: "must be one of: string, null" },
    ]);
  });

  it("refuses null for a flat task field: a field without a value is absent", () => {
    expect(violationsOf(createdWith({ description: null, due_date: null }))).toEqual([
      { path: "/data/description", message: "must be string" },
      { path: "/data/due_date", message: "must be string" },
    ]);
  });

  it("reports a timestamp with a bad format, flat and inside a nullable", () => {
    expect(violationsOf(createdWith({ due_date: "next friday" }))).toEqual([
      { path: "/data/due_date", message: 'must match format "date-time"' },
    ]);
    expect(violationsOf(snapshotWith({ due_date: "next friday" }))).toEqual([
      { path: "/data/task_snapshot/due_date", message: 'must match format "date-time"' },
    ]);
  });

  it("keeps the path of a bad field inside a nested object", () => {
    expect(violationsOf(snapshotWith({ priority: "urgent", title: undefined }))).toEqual([
      { path: "/data/task_snapshot/title", message: "must have required property 'title'" },
      { path: "/data/task_snapshot/priority", message: 'must be one of: "high", "medium", "low"' },
    ]);
  });

  it("requires the snapshot to be an object: null is not a snapshot", () => {
    const event = validEvent("com.taskmanager.ui.task_list_changed");
    for (const snapshot of ["gone", null]) {
      const data = { ...sampleData("com.taskmanager.ui.task_list_changed"), task_snapshot: snapshot };
      expect(violationsOf({ ...event, data })).toEqual([{ path: "/data/task_snapshot", message: "must be object" }]);
    }
  });

  it("reports a non-integer reminder offset and duplicate tags", () => {
    expect(violationsOf(createdWith({ remind_before_minutes: 1.5, tags: ["a", "a"] }))).toEqual([
      { path: "/data/tags", message: "must NOT have duplicate items (items ## 1 and 0 are identical)" },
      { path: "/data/remind_before_minutes", message: "must be integer" },
    ]);
  });

  it("requires an integer task id within Number.MAX_SAFE_INTEGER, everywhere a task id is", () => {
    expect(violationsOf(createdWith({ task_id: "3f1c2a4e-8b7d-4c6a-9e21-5d0b7a9c1f34" }))).toEqual([
      { path: "/data/task_id", message: "must be integer" },
    ]);
    expect(violationsOf(createdWith({ task_id: 2 ** 53 }))).toEqual([
      { path: "/data/task_id", message: `must be <= ${Number.MAX_SAFE_INTEGER}` },
    ]);
    expect(violationsOf(createdWith({ task_id: 0, parent_task_id: 1.5 }))).toEqual([
      { path: "/data/task_id", message: "must be >= 1" },
      { path: "/data/parent_task_id", message: "must be integer" },
    ]);
    expect(validateEvent(createdWith({ task_id: Number.MAX_SAFE_INTEGER })).valid).toBe(true);
  });

  it("refuses a time zone that is not shaped like an IANA name", () => {
    for (const time_zone of ["", "+05:00", "America/", "../etc/passwd", "a b"]) {
      const paths = new Set(violationsOf(createdWith({ time_zone })).map((v) => v.path));
      expect(paths, time_zone).toEqual(new Set(["/data/time_zone"]));
    }
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
    expect(validateEvent({ ...validEvent(), subject: String(TASK_ID) }).valid).toBe(true);
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

  it("rejects task.updated changes on a field an update cannot change, or with a bad value", () => {
    const event = validEvent("com.taskmanager.task.updated");
    const base = sampleData("com.taskmanager.task.updated");
    expect(violationsOf({ ...event, data: { ...base, changes: { completed: true } } })).toEqual([
      { path: "/data/changes/completed", message: "must NOT have additional properties" },
    ]);
    expect(violationsOf({ ...event, data: { ...base, previous: { title: "" } } })).toEqual([
      { path: "/data/previous/title", message: "must NOT have fewer than 1 characters" },
    ]);
  });

  it("reports every violation at once (allErrors)", () => {
    const { title: _, ...data } = sampleData("com.taskmanager.task.created");
    const event = {
      ...validEvent(),
      id: "42",
      time: "soon",
      source: "/backend",
      specversion: "0.3",
      data: { ...data, task_id: "not-a-number", user_id: "", priority: "urgent", extra: 1 },
    };
    const violations = violationsOf(event);
    expect(violations).toEqual([
      { path: "/specversion", message: "must be equal to constant" },
      { path: "/source", message: `must match pattern "${EVENT_SOURCE_PATTERN}"` },
      { path: "/id", message: 'must match format "uuid"' },
      { path: "/time", message: 'must match format "date-time"' },
      { path: "/data/title", message: "must have required property 'title'" },
      { path: "/data/extra", message: "must NOT have additional properties" },
      { path: "/data/task_id", message: "must be integer" },
      { path: "/data/user_id", message: "must NOT have fewer than 1 characters" },
      { path: "/data/priority", message: 'must be one of: "high", "medium", "low"' },
    ]);
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
    const withSubject = buildEvent("com.taskmanager.task.deleted", data, { source: SOURCE, subject: String(TASK_ID) });
    expect(withSubject.subject).toBe("42");
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
      "daily" | "weekly" | "monthly" | undefined
    >();
    expectTypeOf<EventData<"com.taskmanager.task.created">["task_id"]>().toEqualTypeOf<number>();
    expectTypeOf<
      EventData<"com.taskmanager.ui.task_list_changed">["task_snapshot"]
    >().toEqualTypeOf<schemas.TaskSnapshot>();

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
