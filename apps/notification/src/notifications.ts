// In-app notifications: one per reminder, listed for their user newest first, and marked read by their user only.
import { randomUUID } from "node:crypto";
import { NotFoundError, readInOneSnapshot } from "@event-platform/service-kit";
import { type Kysely, sql, type Transaction } from "kysely";
import type { ListNotificationsQuery } from "./api-schemas";
import type { Reminder } from "./reminder";
import type { NotificationRow, Tables } from "./tables";

/** A notification as the API answers it. */
export interface Notification {
  notification_id: string;
  reminder_id: string;
  task_id: number;
  title: string | null;
  remind_at: string;
  due_at: string | null;
  time_zone: string | null;
  created_at: string;
  /** When its user marked it read; null while unread. */
  read_at: string | null;
}

export interface NotificationPage {
  items: Notification[];
  /** How many notifications match the filter, over all pages. */
  total: number;
  limit: number;
  offset: number;
}

const DEFAULT_PAGE_SIZE = 20;

function toNotification(row: NotificationRow): Notification {
  return {
    notification_id: row.notification_id,
    reminder_id: row.reminder_id,
    task_id: Number(row.task_id),
    title: row.title,
    remind_at: row.remind_at.toISOString(),
    due_at: row.due_at?.toISOString() ?? null,
    time_zone: row.time_zone,
    created_at: row.created_at.toISOString(),
    read_at: row.read_at?.toISOString() ?? null,
  };
}

/** Stores the in-app notification of a reminder, once: a second one for the same reminder is not made. */
export async function storeInAppNotification(trx: Transaction<Tables>, reminder: Reminder): Promise<void> {
  await trx
    .insertInto("notifications")
    .values({
      notification_id: randomUUID(),
      reminder_id: reminder.reminderId,
      user_id: reminder.userId,
      task_id: reminder.taskId,
      title: reminder.title ?? null,
      remind_at: reminder.remindAt,
      due_at: reminder.dueAt ?? null,
      time_zone: reminder.timeZone ?? null,
    })
    .onConflict((conflict) => conflict.column("reminder_id").doNothing())
    .execute();
}

/** A page of a user's notifications, newest first (ties by id, so pages never overlap), optionally only (un)read ones. */
export async function listNotifications(
  db: Kysely<Tables>,
  userId: string,
  query: ListNotificationsQuery,
): Promise<NotificationPage> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const offset = query.offset ?? 0;
  // One snapshot for the page and its total, so a notification committed between the two is in both or neither.
  return readInOneSnapshot(db, async (trx) => {
    let filtered = trx.selectFrom("notifications").where("user_id", "=", userId);
    if (query.unread !== undefined) filtered = filtered.where("read_at", query.unread ? "is" : "is not", null);
    const rows = await filtered
      .selectAll()
      .orderBy("created_at", "desc")
      .orderBy("notification_id", "desc")
      .limit(limit)
      .offset(offset)
      .execute();
    const count = await filtered.select((eb) => eb.fn.countAll<string>().as("total")).executeTakeFirstOrThrow();
    return { items: rows.map(toNotification), total: Number(count.total), limit, offset };
  });
}

/**
 * Marks one of the user's notifications read and answers it; marking it again keeps the first time. Another
 * user's notification is a `NotFoundError`, exactly like one that does not exist.
 */
export async function markRead(db: Kysely<Tables>, userId: string, notificationId: string): Promise<Notification> {
  const row = await db
    .updateTable("notifications")
    .set({ read_at: sql<Date>`coalesce(read_at, now())` })
    .where("notification_id", "=", notificationId)
    .where("user_id", "=", userId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Notification ${notificationId} not found`);
  return toNotification(row);
}
