// Unit tests of reading reminders from events: the derived id, the contract's minimum, and events no retry can make usable.
import { DropEvent } from "@event-platform/service-kit";
import { describe, expect, it } from "vitest";
import { derivedReminderId, reminderData, reminderOf } from "./reminder";

const minimal = { task_id: 1, user_id: "alice", remind_at: "2026-12-01T10:00:00Z" };

describe("derivedReminderId", () => {
  it("is a version-8 UUID, the same for the same instant however it is written, different for another field", () => {
    const id = derivedReminderId("alice", 1, new Date("2026-12-01T10:00:00Z"));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedReminderId("alice", 1, new Date("2026-12-01T12:00:00.000+02:00"))).toBe(id);
    expect(derivedReminderId("alice", 2, new Date("2026-12-01T10:00:00Z"))).not.toBe(id);
    expect(derivedReminderId("bob", 1, new Date("2026-12-01T10:00:00Z"))).not.toBe(id);
    expect(derivedReminderId("alice", 1, new Date("2026-12-01T10:00:01Z"))).not.toBe(id);
  });
});

describe("reminderOf", () => {
  it("takes an event with only the contract's fields, with the derived id its cancellation will find too", () => {
    const reminder = reminderOf(minimal);
    expect(reminder).toEqual({
      reminderId: derivedReminderId("alice", 1, new Date("2026-12-01T10:00:00Z")),
      userId: "alice",
      taskId: 1,
      remindAt: new Date("2026-12-01T10:00:00Z"),
    });
    expect(reminderOf({ ...minimal, remind_at: "2026-12-01T11:00:00+01:00" }).reminderId).toBe(reminder.reminderId);
  });

  it("keeps the project's fields when usable, drops the unusable ones, and uses an event's reminder_id when it is a UUID", () => {
    const full = reminderOf({
      ...minimal,
      reminder_id: "6F9619FF-8B86-4011-B42D-00C04FC964FF",
      title: "Pay rent",
      due_at: "2026-12-01T10:30:00Z",
      remind_before_minutes: 30,
      time_zone: "europe/paris",
    } as typeof minimal);
    expect(full).toMatchObject({
      reminderId: "6f9619ff-8b86-4011-b42d-00c04fc964ff",
      title: "Pay rent",
      dueAt: new Date("2026-12-01T10:30:00Z"),
      remindBeforeMinutes: 30,
      timeZone: "Europe/Paris",
    });
    expect(reminderData(full)).toEqual({
      reminder_id: "6f9619ff-8b86-4011-b42d-00c04fc964ff",
      task_id: 1,
      user_id: "alice",
      remind_at: "2026-12-01T10:00:00.000Z",
      title: "Pay rent",
      due_at: "2026-12-01T10:30:00.000Z",
      remind_before_minutes: 30,
      time_zone: "Europe/Paris",
    });
    const odd = reminderOf({
      ...minimal,
      reminder_id: "not-a-uuid",
      title: "two\u0000lines",
      remind_before_minutes: -5,
      time_zone: "Mars/Olympus",
    } as typeof minimal);
    expect(odd).toEqual(reminderOf(minimal));
  });

  it("drops what no retry can make usable: a task id past 2^53, a user no token can carry", () => {
    expect(() => reminderOf({ ...minimal, task_id: 2 ** 60 })).toThrow(DropEvent);
    expect(() => reminderOf({ ...minimal, user_id: "" })).toThrow(DropEvent);
    expect(() => reminderOf({ ...minimal, user_id: "a\nb" })).toThrow(DropEvent);
  });

  it("reads remind_at and due_at in every form the contract accepts: +01, +0130, space or t, z, a leap second", () => {
    const read = reminderOf({ ...minimal, remind_at: "2030-01-01T10:00:00+01", due_at: "2030-01-01 11:30:00+0130" });
    expect([read.remindAt.toISOString(), read.dueAt?.toISOString()]).toEqual([
      "2030-01-01T09:00:00.000Z",
      "2030-01-01T10:00:00.000Z",
    ]);
    expect(reminderOf({ ...minimal, remind_at: "2026-12-31t23:59:60z" }).remindAt.toISOString()).toBe(
      "2026-12-31T23:59:59.000Z",
    );
    expect(reminderOf({ ...minimal, remind_at: "0000-01-01T00:00:00Z" }).remindAt.toISOString()).toBe(
      "0000-01-01T00:00:00.000Z",
    );
  });
});
