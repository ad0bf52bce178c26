// When the next occurrence of a recurring task is due: a day, a week or a calendar month after the completed one.
import type { schemas } from "@event-platform/events";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The day of the month (UTC) a monthly series keeps: that of the due date the user set. */
export function monthlyAnchorDay(due: Date | null): number | null {
  return due === null ? null : due.getUTCDate();
}

/**
 * The due date of the next occurrence, in UTC. `monthly` moves to the series' day (`anchorDay`) of the next
 * calendar month, or to that month's last day when it is shorter (Jan 31 → Feb 28, or Feb 29 in a leap year,
 * then Mar 31 again); the time of day is kept.
 */
export function nextDueDate(due: Date, recurrence: schemas.Recurrence, anchorDay = due.getUTCDate()): Date {
  switch (recurrence) {
    case "daily":
      return new Date(due.getTime() + DAY_MS);
    case "weekly":
      return new Date(due.getTime() + 7 * DAY_MS);
    case "monthly":
      return addCalendarMonth(due, anchorDay);
  }
}

function addCalendarMonth(date: Date, anchorDay: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  // Day 0 of the month after the target month is the target month's last day.
  const lastDayOfTarget = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const next = new Date(date.getTime());
  next.setUTCDate(1);
  next.setUTCFullYear(year, month, Math.min(anchorDay, lastDayOfTarget));
  return next;
}
