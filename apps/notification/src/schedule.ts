// The durable reminder schedule: scheduling and cancelling by reminder id (a cancellation always wins, whichever arrives first), and taking the due reminders for the scheduler.
import { sql, type Transaction } from "kysely";
import type { Reminder } from "./reminder";
import type { ReminderRow, ReminderStatus, Tables } from "./tables";

type Trx = Transaction<Tables>;

function rowOf(reminder: Reminder, status: ReminderStatus) {
  return {
    reminder_id: reminder.reminderId,
    user_id: reminder.userId,
    task_id: reminder.taskId,
    remind_at: reminder.remindAt,
    title: reminder.title ?? null,
    due_at: reminder.dueAt ?? null,
    remind_before_minutes: reminder.remindBeforeMinutes ?? null,
    time_zone: reminder.timeZone ?? null,
    status,
  };
}

/** The fields a later event may change while the reminder is still waiting. */
const RESCHEDULABLE = ["task_id", "remind_at", "title", "due_at", "remind_before_minutes", "time_zone"] as const;

/**
 * Schedules a reminder, or updates the one of that id while it is still `scheduled` and the same user's. A
 * reminder already cancelled stays cancelled (a cancellation that arrived first, or a replayed `scheduled` after
 * its cancellation) and one already triggered stays triggered. Returns the reminder's status afterwards, or
 * undefined when the id belongs to another user (nothing is changed).
 */
export async function scheduleReminder(trx: Trx, reminder: Reminder): Promise<ReminderStatus | undefined> {
  await trx
    .insertInto("reminders")
    .values(rowOf(reminder, "scheduled"))
    .onConflict((conflict) =>
      conflict
        .column("reminder_id")
        .doUpdateSet((eb) => ({
          ...Object.fromEntries(RESCHEDULABLE.map((column) => [column, eb.ref(`excluded.${column}`)])),
          updated_at: sql<Date>`now()`,
        }))
        .where("reminders.status", "=", "scheduled")
        .whereRef("reminders.user_id", "=", "excluded.user_id"),
    )
    .execute();
  return statusOf(trx, reminder);
}

/**
 * Cancels a reminder. One that is unknown yet is recorded as cancelled (a tombstone with what the cancellation
 * says), so that its `scheduled`, arriving later, finds it cancelled. One already triggered stays triggered: its
 * delivery is under way. Returns the reminder's status afterwards, or undefined for another user's reminder id.
 */
export async function cancelReminder(
  trx: Trx,
  reminder: Reminder,
  reason: string | undefined,
): Promise<ReminderStatus | undefined> {
  const cancelled = { cancel_reason: reason ?? null, cancelled_at: sql<Date>`now()` };
  await trx
    .insertInto("reminders")
    .values({ ...rowOf(reminder, "cancelled"), ...cancelled })
    .onConflict((conflict) =>
      conflict
        .column("reminder_id")
        .doUpdateSet({ status: "cancelled", ...cancelled, updated_at: sql<Date>`now()` })
        .where("reminders.status", "=", "scheduled")
        .whereRef("reminders.user_id", "=", "excluded.user_id"),
    )
    .execute();
  return statusOf(trx, reminder);
}

/**
 * Marks a reminder triggered by a `reminder.triggered` event this service did not publish itself (another
 * producer's, or a replay), so the scheduler does not trigger it again. Returns its status before: undefined when
 * the schedule does not know it.
 */
export async function noteTriggered(trx: Trx, reminder: Reminder): Promise<ReminderStatus | undefined> {
  const before = await statusOf(trx, reminder);
  if (before === "scheduled") {
    await trx
      .updateTable("reminders")
      .set({ status: "triggered", triggered_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where("reminder_id", "=", reminder.reminderId)
      .execute();
  }
  return before;
}

async function statusOf(trx: Trx, reminder: Reminder): Promise<ReminderStatus | undefined> {
  const row = await trx
    .selectFrom("reminders")
    .select("status")
    .where("reminder_id", "=", reminder.reminderId)
    .where("user_id", "=", reminder.userId)
    .executeTakeFirst();
  return row?.status;
}

/**
 * Takes up to `limit` reminders whose time has come, oldest first, and marks them `triggered` in the caller's
 * transaction. `FOR UPDATE SKIP LOCKED`: replicas running this at the same moment each take other rows, and a row
 * another transaction is cancelling is skipped until that commits (then it is no longer `scheduled`).
 */
export async function takeDueReminders(trx: Trx, limit: number): Promise<ReminderRow[]> {
  return trx
    .updateTable("reminders")
    .set({ status: "triggered", triggered_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where("reminder_id", "in", (eb) =>
      eb
        .selectFrom("reminders")
        .select("reminder_id")
        .where("status", "=", "scheduled")
        .where("remind_at", "<=", sql<Date>`now()`)
        .orderBy("remind_at")
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

/** The reminder a schedule row holds. */
export function reminderOfRow(row: ReminderRow): Reminder {
  return {
    reminderId: row.reminder_id,
    userId: row.user_id,
    taskId: Number(row.task_id),
    remindAt: row.remind_at,
    ...(row.title !== null ? { title: row.title } : {}),
    ...(row.due_at !== null ? { dueAt: row.due_at } : {}),
    ...(row.remind_before_minutes !== null ? { remindBeforeMinutes: row.remind_before_minutes } : {}),
    ...(row.time_zone !== null ? { timeZone: row.time_zone } : {}),
  };
}
