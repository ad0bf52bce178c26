// Unit tests of the reminder.triggered event: the catalog's event when every field is known, the contract's shape otherwise.
import { contractViolationsOn, TOPICS, validateEvent } from "@event-platform/events";
import { describe, expect, it } from "vitest";
import { reminderOf } from "./reminder";
import { triggeredEntry } from "./triggered-event";

const minimal = { task_id: 7, user_id: "alice", remind_at: "2026-12-01T10:00:00Z" };
const full = {
  ...minimal,
  reminder_id: "6f9619ff-8b86-4011-b42d-00c04fc964ff",
  title: "Pay rent",
  due_at: "2026-12-01T10:30:00Z",
  remind_before_minutes: 30,
  time_zone: "UTC",
};
const at = new Date("2026-12-01T10:00:01Z");
const SOURCE = "/tasks/notification";

describe("triggeredEntry", () => {
  it("builds the catalog's event for a reminder with every field, on reminders under its user", () => {
    const entry = triggeredEntry(reminderOf(full), at, SOURCE);
    expect(entry).toMatchObject({ topic: TOPICS.reminders.name, partitionKey: "alice" });
    expect(validateEvent(entry.event).valid).toBe(true);
    expect(entry.event).toMatchObject({
      type: "com.taskmanager.reminder.triggered",
      source: SOURCE,
      subject: "7",
      time: at.toISOString(),
      data: {
        ...full,
        remind_at: "2026-12-01T10:00:00.000Z",
        due_at: "2026-12-01T10:30:00.000Z",
        triggered_at: at.toISOString(),
      },
    });
  });

  it("builds a contract event with what is known for a minimal reminder, or one whose fields break the catalog's rules", () => {
    for (const data of [minimal, { ...full, title: "x".repeat(201) }]) {
      const entry = triggeredEntry(reminderOf(data), at, SOURCE);
      expect(contractViolationsOn(TOPICS.reminders, entry.event)).toEqual([]);
      expect(entry).toMatchObject({ topic: TOPICS.reminders.name, partitionKey: "alice" });
      expect((entry.event as { data: Record<string, unknown> }).data).toMatchObject({
        task_id: 7,
        user_id: "alice",
        remind_at: "2026-12-01T10:00:00.000Z",
        triggered_at: at.toISOString(),
      });
      expect((entry.event as { data: { reminder_id: string } }).data.reminder_id).toBe(reminderOf(data).reminderId);
    }
  });
});
