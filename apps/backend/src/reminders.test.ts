// Unit tests of reminder times (due date minus offset, only ahead of now) and of the reminder events a write calls for.
import { describe, expect, it } from "vitest";
import { planReminder, type ReminderFields, reminderTime } from "./reminders";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const open = (due_date: string | null, reminder_offset_minutes: number | null): ReminderFields => ({
  due_date,
  reminder_offset_minutes,
  completed: false,
});
let ids = 0;
const newId = () => `reminder-${++ids}`;

describe("reminderTime", () => {
  it("is the due date minus the offset", () => {
    expect(reminderTime(open("2025-03-05T17:00:00.000Z", 30), NOW)?.toISOString()).toBe("2025-03-05T16:30:00.000Z");
    expect(reminderTime(open("2025-03-05T17:00:00.000Z", 1440), NOW)?.toISOString()).toBe("2025-03-04T17:00:00.000Z");
  });

  it("is the due date itself with an offset of 0", () => {
    expect(reminderTime(open("2025-03-05T17:00:00.000Z", 0), NOW)?.toISOString()).toBe("2025-03-05T17:00:00.000Z");
  });

  it("needs both a due date and an offset", () => {
    expect(reminderTime(open(null, 30), NOW)).toBeUndefined();
    expect(reminderTime(open("2025-03-05T17:00:00.000Z", null), NOW)).toBeUndefined();
    expect(reminderTime(open(null, null), NOW)).toBeUndefined();
  });

  it("is none when the time is not ahead of now, even if the due date is", () => {
    expect(reminderTime(open("2025-03-01T12:30:00.000Z", 30), NOW)).toBeUndefined();
    expect(reminderTime(open("2025-03-01T12:30:00.000Z", 60), NOW)).toBeUndefined();
    expect(reminderTime(open("2025-03-01T12:30:00.000Z", 29), NOW)?.toISOString()).toBe("2025-03-01T12:01:00.000Z");
    expect(reminderTime(open("2025-02-01T12:00:00.000Z", 0), NOW)).toBeUndefined();
  });

  it("is none for a completed task", () => {
    expect(reminderTime({ ...open("2025-03-05T17:00:00.000Z", 30), completed: true }, NOW)).toBeUndefined();
  });
});

describe("planReminder", () => {
  const due = "2025-03-05T17:00:00.000Z";

  it("schedules a reminder for a new task with a future reminder time, and nothing otherwise", () => {
    expect(planReminder({ kind: "created", after: open(due, 30) }, null, NOW, () => "r1")).toEqual({
      schedule: { reminderId: "r1", remindAt: new Date("2025-03-05T16:30:00.000Z") },
    });
    expect(planReminder({ kind: "created", after: open(due, null) }, null, NOW, newId)).toEqual({});
    expect(planReminder({ kind: "created", after: open("2025-01-01T00:00:00.000Z", 5) }, null, NOW, newId)).toEqual({});
  });

  it("leaves the reminder alone when neither the due date nor the offset changed", () => {
    expect(planReminder({ kind: "updated", before: open(due, 30), after: open(due, 30) }, "r1", NOW, newId)).toEqual(
      {},
    );
  });

  it("cancels as rescheduled and schedules a new reminder when the due date moves", () => {
    const later = "2025-03-06T17:00:00.000Z";
    expect(
      planReminder({ kind: "updated", before: open(due, 30), after: open(later, 30) }, "r1", NOW, () => "r2"),
    ).toEqual({
      cancel: { reminderId: "r1", reason: "rescheduled" },
      schedule: { reminderId: "r2", remindAt: new Date("2025-03-06T16:30:00.000Z") },
    });
  });

  it("reschedules when only the offset changes", () => {
    expect(
      planReminder({ kind: "updated", before: open(due, 30), after: open(due, 60) }, "r1", NOW, () => "r2"),
    ).toEqual({
      cancel: { reminderId: "r1", reason: "rescheduled" },
      schedule: { reminderId: "r2", remindAt: new Date("2025-03-05T16:00:00.000Z") },
    });
  });

  it("cancels as removed when the offset or the due date is cleared, or the new time is past", () => {
    const removed = { cancel: { reminderId: "r1", reason: "removed" } };
    expect(planReminder({ kind: "updated", before: open(due, 30), after: open(due, null) }, "r1", NOW, newId)).toEqual(
      removed,
    );
    expect(planReminder({ kind: "updated", before: open(due, 30), after: open(null, 30) }, "r1", NOW, newId)).toEqual(
      removed,
    );
    const past = open("2025-02-01T00:00:00.000Z", 30);
    expect(planReminder({ kind: "updated", before: open(due, 30), after: past }, "r1", NOW, newId)).toEqual(removed);
  });

  it("only schedules when there was no active reminder", () => {
    expect(
      planReminder({ kind: "updated", before: open(null, 30), after: open(due, 30) }, null, NOW, () => "r9"),
    ).toEqual({
      schedule: { reminderId: "r9", remindAt: new Date("2025-03-05T16:30:00.000Z") },
    });
    expect(planReminder({ kind: "updated", before: open(null, 30), after: open(null, 45) }, null, NOW, newId)).toEqual(
      {},
    );
  });

  it("cancels the active reminder on completion and on deletion, with the reason", () => {
    expect(planReminder({ kind: "completed" }, "r1", NOW, newId)).toEqual({
      cancel: { reminderId: "r1", reason: "completed" },
    });
    expect(planReminder({ kind: "deleted" }, "r1", NOW, newId)).toEqual({
      cancel: { reminderId: "r1", reason: "deleted" },
    });
    expect(planReminder({ kind: "completed" }, null, NOW, newId)).toEqual({});
    expect(planReminder({ kind: "deleted" }, null, NOW, newId)).toEqual({});
  });
});
