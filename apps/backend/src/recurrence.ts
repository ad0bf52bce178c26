// When the next occurrence of a recurring task is due: a day, a week or a calendar month later, on the wall clock of the task's time zone (Temporal).
import type { schemas } from "@event-platform/events";
import { inTimeZone } from "@event-platform/service-kit";

/**
 * The day of the month a monthly series keeps: that of the due date the user set, in the task's time zone
 * (09:00 on the 1st in Tokyo is the 31st in UTC, and the series is on the 1st).
 */
export function monthlyAnchorDay(due: Date | null, timeZone: string): number | null {
  return due === null ? null : inTimeZone(due, timeZone).day;
}

/**
 * The due date of the next occurrence. The date moves on the calendar of the task's time zone and the wall-clock
 * time stays: a daily task at 09:00 in New York is at 09:00 the next day whether or not daylight saving time
 * began in between. `monthly` moves to the series' day (`anchorDay`) of the next calendar month, or to that
 * month's last day when it is shorter (Jan 31 → Feb 28, or Feb 29 in a leap year, then Mar 31 again). A time
 * that does not exist on the new day (inside a daylight saving gap) moves forward by the gap, as RFC 5545 does.
 */
export function nextDueDate(
  due: Date,
  recurrence: schemas.Recurrence,
  timeZone: string,
  anchorDay: number = inTimeZone(due, timeZone).day,
): Date {
  const current = inTimeZone(due, timeZone);
  switch (recurrence) {
    case "daily":
      return new Date(current.add({ days: 1 }).epochMilliseconds);
    case "weekly":
      return new Date(current.add({ weeks: 1 }).epochMilliseconds);
    case "monthly": {
      const month = current.toPlainDate().toPlainYearMonth().add({ months: 1 });
      const date = month.toPlainDate({ day: Math.min(anchorDay, month.daysInMonth) });
      return new Date(date.toZonedDateTime({ timeZone, plainTime: current.toPlainTime() }).epochMilliseconds);
    }
  }
}
