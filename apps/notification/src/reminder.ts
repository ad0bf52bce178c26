// A reminder as the service keeps it, read from any event the contract allows: the contract's three required fields, the project's extra ones where they are present and usable, and an id derived when the event has none.
import { createHash } from "node:crypto";
import { type ContractReminderEvent, schemas } from "@event-platform/events";
import { canonicalTimeZone, DropEvent, parseTimestamp, textProblems, violationsOf } from "@event-platform/service-kit";

/** One reminder. Only `reminderId`, `userId`, `taskId` and `remindAt` are always known (the contract's fields). */
export interface Reminder {
  reminderId: string;
  userId: string;
  taskId: number;
  remindAt: Date;
  title?: string;
  dueAt?: Date;
  remindBeforeMinutes?: number;
  /** A canonical IANA time zone name. */
  timeZone?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id of a reminder whose events carry no `reminder_id` (the contract does not require one): a UUID made from
 * the SHA-256 digest of (user_id, task_id, remind_at as an instant), so that its `scheduled`, `cancelled` and
 * `triggered` events, whoever sends them, name the same reminder. It has the layout of RFC 9562's UUIDv8 (version
 * 8, variant 10; the name-based SHA-256 example of its Appendix B.2): the first 16 bytes of the digest with those
 * bits set. The fields are hashed as a JSON array, so no user id can be mistaken for another field; `remind_at`
 * as its ISO 8601 instant in UTC, so `10:00:00Z` and `12:00:00+02:00` are one reminder.
 */
export function derivedReminderId(userId: string, taskId: number, remindAt: Date): string {
  const digest = createHash("sha256")
    .update(JSON.stringify(["reminder", userId, taskId, remindAt.toISOString()]), "utf8")
    .digest();
  const bytes = Buffer.from(digest.subarray(0, 16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A contract `date-time` as a Date (kit `parseTimestamp`: every form the contract accepts), else undefined. */
export function instant(value: string): Date | undefined {
  try {
    return parseTimestamp(value);
  } catch {
    return undefined;
  }
}

/**
 * The reminder a contract-valid event describes. Throws `DropEvent` when no retry can make it usable: a `task_id`
 * beyond Number.MAX_SAFE_INTEGER (not exact in JSON numbers or in the database's bigint reading), a `remind_at`
 * that is not a contract `date-time` (the subscriber checked it is), or a `user_id` that no token can carry (the kit's rule for a JWT `sub`: 1 to 255
 * characters, well-formed, no control characters), whose owner could never read or set anything. The fields beyond
 * the contract are taken only when usable: a `reminder_id` that is a UUID (else the derived id), a `title` that is
 * one line of text, a `remind_before_minutes` of 0 to 525600 (a year, as the catalog allows), a known time zone, a
 * `due_at` in any form the contract accepts.
 */
export function reminderOf(data: ContractReminderEvent["data"]): Reminder {
  const extra = data as ContractReminderEvent["data"] & { reminder_id?: unknown; time_zone?: unknown };
  if (!Number.isSafeInteger(data.task_id)) {
    throw new DropEvent(`task_id ${data.task_id} is beyond ${Number.MAX_SAFE_INTEGER}: no task has such an id`);
  }
  if (violationsOf(schemas.UserId, data.user_id).length > 0 || textProblems(data.user_id, "line").length > 0) {
    throw new DropEvent("user_id must be 1 to 255 characters, well-formed, without control characters");
  }
  const remindAt = instant(data.remind_at);
  if (!remindAt) throw new DropEvent(`remind_at ${JSON.stringify(data.remind_at)} is not a representable instant`);
  const dueAt = data.due_at === undefined ? undefined : instant(data.due_at);
  const timeZone = typeof extra.time_zone === "string" ? canonicalTimeZone(extra.time_zone) : undefined;
  const reminderId =
    typeof extra.reminder_id === "string" && UUID.test(extra.reminder_id)
      ? extra.reminder_id.toLowerCase()
      : derivedReminderId(data.user_id, data.task_id, remindAt);
  return {
    reminderId,
    userId: data.user_id,
    taskId: data.task_id,
    remindAt,
    ...(data.title !== undefined && textProblems(data.title, "line").length === 0 ? { title: data.title } : {}),
    ...(dueAt ? { dueAt } : {}),
    ...(data.remind_before_minutes !== undefined &&
    violationsOf(schemas.RemindBeforeMinutes, data.remind_before_minutes).length === 0
      ? { remindBeforeMinutes: data.remind_before_minutes }
      : {}),
    ...(timeZone ? { timeZone } : {}),
  };
}

/** A reminder in the contract's names; the optional fields are present when known. */
export interface ReminderData {
  reminder_id: string;
  task_id: number;
  user_id: string;
  /** RFC 3339, UTC. */
  remind_at: string;
  title?: string;
  due_at?: string;
  remind_before_minutes?: number;
  time_zone?: string;
}

/** What a delivery (email, webhook) carries: the reminder and when it fired, as its `reminder.triggered` gave them. */
export interface DeliveryContent extends ReminderData {
  triggered_at: string;
}

/**
 * A reminder in the contract's names (`reminder_id`, `task_id`, `user_id`, `remind_at`, then the known ones of
 * `title`, `due_at`, `remind_before_minutes`, `time_zone`): the `data` of a `reminder.triggered` event without its
 * `triggered_at`, and what an email or a webhook delivers.
 */
export function reminderData(reminder: Reminder): ReminderData {
  return {
    reminder_id: reminder.reminderId,
    task_id: reminder.taskId,
    user_id: reminder.userId,
    remind_at: reminder.remindAt.toISOString(),
    ...(reminder.title !== undefined ? { title: reminder.title } : {}),
    ...(reminder.dueAt ? { due_at: reminder.dueAt.toISOString() } : {}),
    ...(reminder.remindBeforeMinutes !== undefined ? { remind_before_minutes: reminder.remindBeforeMinutes } : {}),
    ...(reminder.timeZone ? { time_zone: reminder.timeZone } : {}),
  };
}
