// Unit tests of reminder times (due date minus the minutes before it, only ahead of now) and of the reminder events a write calls for.
import { describe, expect, it } from "vitest";
import { planReminder, type ReminderFields, remindAt, reminderTime } from "./reminders";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const open = (due_date: string | null, remind_before_minutes: number | null): ReminderFields => ({
  title: "Write the report",
  due_date,
  remind_before_minutes,
  time_zone: "UTC",
  completed: false,
});
let ids = 0;
const newId = () => `reminder-${++ids}`;
const active = (reminderId: string, at = "2025-03-05T16:30:00.000Z") => ({ reminderId, remindAt: new Date(at) });

describe("reminderTime", () => {
  it("is the due date minus the minutes before it", () => {
    expect(reminderTime(open("2025-03-05T17:00:00.000Z", 30), NOW)?.toISOString()).toBe("2025-03-05T16:30:00.000Z");
    expect(reminderTime(open("2025-03-05T17:00:00.000Z", 1440), NOW)?.toISOString()).toBe("2025-03-04T17:00:00.000Z");
  });

  it("is the due date itself with 0 minutes", () => {
    expect(reminderTime(open("2025-03-05T17:00:00.000Z", 0), NOW)?.toISOString()).toBe("2025-03-05T17:00:00.000Z");
  });

  it("is an exact duration before the due instant, whatever the offset it was written with", () => {
    expect(remindAt("2026-03-08T09:30:00-04:00", 60).toISOString()).toBe("2026-03-08T12:30:00.000Z");
    // Across the start of daylight saving time in New York, 60 minutes before 03:30 EDT is 01:30 EST.
    expect(remindAt("2026-03-08T07:30:00Z", 60).toISOString()).toBe("2026-03-08T06:30:00.000Z");
  });

  it("needs both a due date and the minutes before it", () => {
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

  it("leaves the reminder alone when neither the due date nor the minutes before it changed", () => {
    const change = { kind: "updated", before: open(due, 30), after: { ...open(due, 30), title: "Renamed" } } as const;
    expect(planReminder(change, active("r1"), NOW, newId)).toEqual({});
  });

  it("cancels as rescheduled, with the reminder as it was, and schedules a new one when the due date moves", () => {
    const later = "2025-03-06T17:00:00.000Z";
    const before = open(due, 30);
    expect(planReminder({ kind: "updated", before, after: open(later, 30) }, active("r1"), NOW, () => "r2")).toEqual({
      cancel: { reminderId: "r1", remindAt: new Date("2025-03-05T16:30:00.000Z"), reason: "rescheduled", task: before },
      schedule: { reminderId: "r2", remindAt: new Date("2025-03-06T16:30:00.000Z") },
    });
  });

  it("reschedules when only the minutes before the due date change", () => {
    const before = open(due, 30);
    expect(planReminder({ kind: "updated", before, after: open(due, 60) }, active("r1"), NOW, () => "r2")).toEqual({
      cancel: { ...active("r1"), reason: "rescheduled", task: before },
      schedule: { reminderId: "r2", remindAt: new Date("2025-03-05T16:00:00.000Z") },
    });
  });

  it("cancels as removed when the minutes or the due date are cleared, or the new time is past", () => {
    const before = open(due, 30);
    const removed = { cancel: { ...active("r1"), reason: "removed", task: before } };
    expect(planReminder({ kind: "updated", before, after: open(due, null) }, active("r1"), NOW, newId)).toEqual(
      removed,
    );
    expect(planReminder({ kind: "updated", before, after: open(null, 30) }, active("r1"), NOW, newId)).toEqual(removed);
    const past = open("2025-02-01T00:00:00.000Z", 30);
    expect(planReminder({ kind: "updated", before, after: past }, active("r1"), NOW, newId)).toEqual(removed);
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

  it("cancels the active reminder on completion and on deletion, with the reason and the reminder's own time", () => {
    const before = open(due, 30);
    expect(planReminder({ kind: "completed", before }, active("r1"), NOW, newId)).toEqual({
      cancel: { ...active("r1"), reason: "completed", task: before },
    });
    // A reminder already past is still cancelled with the time it was for.
    const fired = active("r1", "2025-02-28T09:00:00.000Z");
    expect(planReminder({ kind: "deleted", before }, fired, NOW, newId)).toEqual({
      cancel: { ...fired, reason: "deleted", task: before },
    });
    expect(planReminder({ kind: "completed", before }, null, NOW, newId)).toEqual({});
    expect(planReminder({ kind: "deleted", before }, null, NOW, newId)).toEqual({});
  });
});
