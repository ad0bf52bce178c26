// Unit tests of change detection: which fields a task.updated event reports, with their new values (`changes`) and old ones (`previous`).
import { buildEvent, type schemas, taskFieldsOf } from "@event-platform/events";
import { describe, expect, it } from "vitest";
import { detectChanges, TRACKED_FIELDS } from "./changes";

const task = (overrides: Partial<schemas.TaskSnapshot> = {}): schemas.TaskSnapshot => ({
  task_id: 12,
  user_id: "user-1",
  title: "Write the report",
  description: null,
  priority: "medium",
  tags: ["work"],
  due_date: "2025-03-05T17:00:00.000Z",
  remind_before_minutes: 30,
  recurrence: null,
  time_zone: "UTC",
  completed: false,
  completed_at: null,
  parent_task_id: null,
  created_at: "2025-02-27T08:00:00.000Z",
  updated_at: "2025-02-27T08:00:00.000Z",
  ...overrides,
});

describe("detectChanges", () => {
  it("finds nothing when no tracked field differs", () => {
    expect(detectChanges(task(), task())).toBeUndefined();
    expect(detectChanges(task(), task({ tags: ["work"] }))).toBeUndefined();
  });

  it("ignores the fields an update does not report (timestamps, completion)", () => {
    const after = task({
      updated_at: "2025-03-01T00:00:00.000Z",
      completed: true,
      completed_at: "2025-03-01T00:00:00.000Z",
    });
    expect(detectChanges(task(), after)).toBeUndefined();
  });

  it("reports each changed field's new value in changes and its old one in previous", () => {
    const after = task({ title: "Write the quarterly report", priority: "high", description: "With charts." });
    expect(detectChanges(task(), after)).toEqual({
      changes: { title: "Write the quarterly report", description: "With charts.", priority: "high" },
      previous: { title: "Write the report", description: null, priority: "medium" },
    });
  });

  it("reports clearing a value as a change to null", () => {
    expect(detectChanges(task(), task({ due_date: null, remind_before_minutes: null }))).toEqual({
      changes: { due_date: null, remind_before_minutes: null },
      previous: { due_date: "2025-03-05T17:00:00.000Z", remind_before_minutes: 30 },
    });
  });

  it("compares tags as lists: an added tag and a reordering are changes", () => {
    expect(detectChanges(task({ tags: ["a"] }), task({ tags: ["a", "b"] }))).toEqual({
      changes: { tags: ["a", "b"] },
      previous: { tags: ["a"] },
    });
    expect(detectChanges(task({ tags: ["a", "b"] }), task({ tags: ["b", "a"] }))?.changes).toEqual({
      tags: ["b", "a"],
    });
  });

  it("reports recurrence, time zone and parent changes", () => {
    expect(detectChanges(task(), task({ recurrence: "weekly", time_zone: "Europe/Paris", parent_task_id: 3 }))).toEqual(
      {
        changes: { recurrence: "weekly", time_zone: "Europe/Paris", parent_task_id: 3 },
        previous: { recurrence: null, time_zone: "UTC", parent_task_id: null },
      },
    );
  });

  it("tracks exactly the fields the contract's TaskChanges allows", () => {
    const after = task({
      title: "t",
      description: "d",
      priority: "low",
      tags: [],
      due_date: null,
      remind_before_minutes: 5,
      recurrence: "daily",
      time_zone: "Asia/Tokyo",
      parent_task_id: 9,
    });
    const diff = detectChanges(task(), after);
    expect(Object.keys(diff?.changes ?? {})).toEqual([...TRACKED_FIELDS]);
    expect(Object.keys(diff?.previous ?? {})).toEqual([...TRACKED_FIELDS]);
    // The contract's own validator accepts the result in a task.updated event.
    const event = buildEvent(
      "com.taskmanager.task.updated",
      { ...taskFieldsOf(after), changes: diff?.changes ?? {}, previous: diff?.previous ?? {} },
      { source: "/tasks/backend" },
    );
    expect(event.data.changes).toEqual(diff?.changes);
  });
});
