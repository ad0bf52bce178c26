// Unit tests of change detection: which fields a task.updated event reports, with their old and new values.
import { buildEvent, type schemas } from "@event-platform/events";
import { describe, expect, it } from "vitest";
import { detectChanges, TRACKED_FIELDS } from "./changes";

const task = (overrides: Partial<schemas.TaskSnapshot> = {}): schemas.TaskSnapshot => ({
  id: "3f1c2a4e-8b7d-4c6a-9e21-5d0b7a9c1f34",
  user_id: "user-1",
  title: "Write the report",
  description: null,
  priority: "medium",
  tags: ["work"],
  due_date: "2025-03-05T17:00:00.000Z",
  reminder_offset_minutes: 30,
  recurrence: null,
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

  it("reports each changed field with its old and new value", () => {
    const after = task({ title: "Write the quarterly report", priority: "high", description: "With charts." });
    expect(detectChanges(task(), after)).toEqual({
      title: { old: "Write the report", new: "Write the quarterly report" },
      description: { old: null, new: "With charts." },
      priority: { old: "medium", new: "high" },
    });
  });

  it("reports clearing a value as a change to null", () => {
    expect(detectChanges(task(), task({ due_date: null, reminder_offset_minutes: null }))).toEqual({
      due_date: { old: "2025-03-05T17:00:00.000Z", new: null },
      reminder_offset_minutes: { old: 30, new: null },
    });
  });

  it("compares tags as lists: an added tag and a reordering are changes", () => {
    expect(detectChanges(task({ tags: ["a"] }), task({ tags: ["a", "b"] }))).toEqual({
      tags: { old: ["a"], new: ["a", "b"] },
    });
    expect(detectChanges(task({ tags: ["a", "b"] }), task({ tags: ["b", "a"] }))).toEqual({
      tags: { old: ["a", "b"], new: ["b", "a"] },
    });
  });

  it("reports recurrence and parent changes", () => {
    const parent = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    expect(detectChanges(task(), task({ recurrence: "weekly", parent_task_id: parent }))).toEqual({
      recurrence: { old: null, new: "weekly" },
      parent_task_id: { old: null, new: parent },
    });
  });

  it("tracks exactly the fields the contract's TaskChanges allows", () => {
    const after = task({
      title: "t",
      description: "d",
      priority: "low",
      tags: [],
      due_date: null,
      reminder_offset_minutes: 5,
      recurrence: "daily",
      parent_task_id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    });
    const changes = detectChanges(task(), after);
    expect(Object.keys(changes ?? {})).toEqual([...TRACKED_FIELDS]);
    // The contract's own validator accepts the result in a task.updated event.
    const event = buildEvent(
      "com.taskmanager.task.updated",
      { task_id: after.id, user_id: after.user_id, changes: changes as schemas.TaskChanges, task: after },
      { source: "/tasks/backend" },
    );
    expect(event.data.changes).toEqual(changes);
  });
});
