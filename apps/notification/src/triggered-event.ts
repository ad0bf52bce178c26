// The `reminder.triggered` event of a reminder whose time came: the catalog's event when every field is known, else the contract's own shape with what is known.
import { randomUUID } from "node:crypto";
import { buildEvent, contractViolationsOn, type EventData, EventValidationError, TOPICS } from "@event-platform/events";
import { type OutboxEntry, outboxEntry } from "@event-platform/service-kit";
import { type Reminder, reminderData } from "./reminder";

const TRIGGERED = "com.taskmanager.reminder.triggered";

/**
 * The outbox entry of a reminder's `reminder.triggered` event, keyed by its user on `reminders`. A reminder with
 * every field the catalog's `ReminderTriggeredData` requires gets the catalog's event (`buildEvent`); one that
 * lacks any (a reminder scheduled by an event with only the contract's fields), or whose fields break the
 * catalog's stricter rules (a title over 200 characters), gets an event of the mission's contract with every
 * field that is known, `reminder_id` and `triggered_at` included: consumers keep working either way. Throws
 * when even that would break the contract, which would be a bug here.
 */
export function triggeredEntry(reminder: Reminder, triggeredAt: Date, source: string): OutboxEntry {
  const data = { ...reminderData(reminder), triggered_at: triggeredAt.toISOString() };
  const options = { source, time: triggeredAt, subject: String(reminder.taskId) };
  const complete =
    reminder.title !== undefined &&
    reminder.dueAt !== undefined &&
    reminder.remindBeforeMinutes !== undefined &&
    reminder.timeZone !== undefined;
  if (complete) {
    try {
      return outboxEntry(buildEvent(TRIGGERED, data as EventData<typeof TRIGGERED>, options));
    } catch (error) {
      if (!(error instanceof EventValidationError)) throw error;
    }
  }
  const event = {
    specversion: "1.0",
    type: TRIGGERED,
    source,
    id: randomUUID(),
    time: options.time.toISOString(),
    datacontenttype: "application/json",
    subject: options.subject,
    data,
  };
  const violations = contractViolationsOn(TOPICS.reminders, event);
  if (violations.length > 0) {
    throw new Error(
      `The reminder.triggered event of ${reminder.reminderId} would break the contract: ${JSON.stringify(violations)}`,
    );
  }
  return { topic: TOPICS.reminders.name, partitionKey: reminder.userId, event };
}
