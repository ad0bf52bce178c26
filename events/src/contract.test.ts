// The consumers' reading of the contract (contract.ts) against the mission's own schema files: both take and refuse the same events, from the minimal to the full, and every field broken in every way.
import { describe, expect, it } from "vitest";
import { contractSchemas } from "../../test/support/contract";
import { EVENT_ID, EVENT_TIME, SOURCE, sampleData, USER_ID } from "../test/samples";
import { EVENT_TYPE_NAMES, type EventType, topicOf } from "./catalog";
import { buildEvent } from "./cloudevents";
import { contractViolationsOn } from "./contract";
import { TOPICS } from "./topics";

const FILES: Record<string, string> = {
  [TOPICS.taskEvents.name]: "task-event.schema.json",
  [TOPICS.reminders.name]: "reminder-event.schema.json",
  [TOPICS.taskUpdates.name]: "task-update-event.schema.json",
};

/** The event of `type` with only what the contract requires. */
function minimal(type: EventType): Record<string, unknown> {
  const topic = topicOf(type);
  const envelope = { specversion: "1.0", type, source: SOURCE, id: EVENT_ID, time: EVENT_TIME };
  if (topic === TOPICS.taskEvents) return { ...envelope, data: { task_id: 1, user_id: USER_ID } };
  if (topic === TOPICS.reminders) return { ...envelope, data: { task_id: 1, user_id: USER_ID, remind_at: EVENT_TIME } };
  return {};
}

const ODD_VALUES: unknown[] = [undefined, null, "", "x", 0, -1, 1.5, 2 ** 53, true, [], ["x"], [1], {}, { a: 1 }];

/** Every event from `base` with one field (of the envelope or of `data`) removed or replaced by an odd value. */
function mutations(base: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const data = (base.data ?? {}) as Record<string, unknown>;
  const envelopeKeys = [...Object.keys(base), "datacontenttype", "data"];
  const dataKeys = [
    ...Object.keys(data),
    "title",
    "description",
    "priority",
    "tags",
    "completed",
    "due_date",
    "changes",
    "due_at",
    "remind_before_minutes",
    "remind_at",
    "action",
    "task_id",
    "task_snapshot",
    "user_id",
  ];
  for (const value of ODD_VALUES) {
    for (const key of envelopeKeys) out.push(value === undefined ? omit(base, key) : { ...base, [key]: value });
    for (const key of dataKeys) {
      out.push({ ...base, data: value === undefined ? omit(data, key) : { ...data, [key]: value } });
    }
  }
  return out;
}

const omit = (object: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));

describe("the consumers' reading of the contract", () => {
  it.each(EVENT_TYPE_NAMES)("%s: takes and refuses exactly what the contract's file does", (type) => {
    const topic = topicOf(type);
    const file = contractSchemas().find((schema) => schema.file === FILES[topic.name]);
    if (!file) throw new Error(`no contract file for ${topic.name}`);
    const full = buildEvent(type, sampleData(type), { source: SOURCE }) as unknown as Record<string, unknown>;
    const corpus = [full, minimal(type), ...mutations(full), ...mutations(minimal(type))];
    let accepted = 0;
    for (const event of corpus) {
      const ours = contractViolationsOn(topic, event).length === 0;
      expect(ours, JSON.stringify(event)).toBe(file.validate(event) === true);
      if (ours) accepted += 1;
    }
    // The corpus has both kinds in it, so the agreement means something.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(corpus.length);
  });

  it("takes the contract's minimal task.created (task_id 1 and a user), which the catalog's own schema refuses", () => {
    expect(contractViolationsOn(TOPICS.taskEvents, minimal("com.taskmanager.task.created"))).toEqual([]);
  });

  it("names the field that breaks it", () => {
    const event = { ...minimal("com.taskmanager.task.completed"), data: { task_id: "1", user_id: USER_ID } };
    expect(contractViolationsOn(TOPICS.taskEvents, event)).toEqual([
      { path: "/data/task_id", message: "must be integer" },
    ]);
  });
});
