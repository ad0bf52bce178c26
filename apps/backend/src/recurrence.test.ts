// Unit tests of the next due date: days, weeks and calendar months on the wall clock of the task's time zone, across daylight saving changes, month ends and leap years.
import { describe, expect, it } from "vitest";
import { monthlyAnchorDay, nextDueDate } from "./recurrence";

const next = (iso: string, recurrence: "daily" | "weekly" | "monthly", timeZone = "UTC") =>
  nextDueDate(new Date(iso), recurrence, timeZone).toISOString();

describe("nextDueDate in UTC", () => {
  it("adds one day for daily, across a month and a year end", () => {
    expect(next("2025-03-05T17:00:00.000Z", "daily")).toBe("2025-03-06T17:00:00.000Z");
    expect(next("2025-02-28T08:30:00.000Z", "daily")).toBe("2025-03-01T08:30:00.000Z");
    expect(next("2024-02-28T08:30:00.000Z", "daily")).toBe("2024-02-29T08:30:00.000Z");
    expect(next("2025-12-31T23:59:59.999Z", "daily")).toBe("2026-01-01T23:59:59.999Z");
  });

  it("adds seven days for weekly", () => {
    expect(next("2025-03-05T17:00:00.000Z", "weekly")).toBe("2025-03-12T17:00:00.000Z");
    expect(next("2025-12-29T10:00:00.000Z", "weekly")).toBe("2026-01-05T10:00:00.000Z");
    expect(next("2024-02-26T10:00:00.000Z", "weekly")).toBe("2024-03-04T10:00:00.000Z");
  });

  it("keeps the day of the month for monthly when the next month has it", () => {
    expect(next("2025-03-05T17:00:00.000Z", "monthly")).toBe("2025-04-05T17:00:00.000Z");
    expect(next("2025-01-28T06:15:00.000Z", "monthly")).toBe("2025-02-28T06:15:00.000Z");
    expect(next("2025-03-31T12:00:00.000Z", "monthly")).toBe("2025-04-30T12:00:00.000Z");
  });

  it("moves Jan 31 to Feb 28 in a common year and to Feb 29 in a leap year", () => {
    expect(next("2025-01-31T09:00:00.000Z", "monthly")).toBe("2025-02-28T09:00:00.000Z");
    expect(next("2024-01-31T09:00:00.000Z", "monthly")).toBe("2024-02-29T09:00:00.000Z");
    expect(next("2024-01-30T09:00:00.000Z", "monthly")).toBe("2024-02-29T09:00:00.000Z");
    expect(next("2024-01-29T09:00:00.000Z", "monthly")).toBe("2024-02-29T09:00:00.000Z");
  });

  it("follows the Gregorian rules: 2000 is a leap year, 2100 is not", () => {
    expect(next("2000-01-31T00:00:00.000Z", "monthly")).toBe("2000-02-29T00:00:00.000Z");
    expect(next("2100-01-31T00:00:00.000Z", "monthly")).toBe("2100-02-28T00:00:00.000Z");
  });

  it("clamps to 30-day months and rolls December into January of the next year", () => {
    expect(next("2025-05-31T18:00:00.000Z", "monthly")).toBe("2025-06-30T18:00:00.000Z");
    expect(next("2025-08-31T18:00:00.000Z", "monthly")).toBe("2025-09-30T18:00:00.000Z");
    expect(next("2025-12-31T18:00:00.000Z", "monthly")).toBe("2026-01-31T18:00:00.000Z");
    expect(next("2025-12-15T18:00:00.000Z", "monthly")).toBe("2026-01-15T18:00:00.000Z");
  });

  it("goes from Feb 29 to Mar 29, one occurrence at a time (no memory of an earlier day 31)", () => {
    expect(next("2024-02-29T09:00:00.000Z", "monthly")).toBe("2024-03-29T09:00:00.000Z");
  });

  it("does not mutate its argument", () => {
    const due = new Date("2025-01-31T09:00:00.000Z");
    nextDueDate(due, "monthly", "UTC");
    expect(due.toISOString()).toBe("2025-01-31T09:00:00.000Z");
  });
});

describe("nextDueDate in the task's time zone", () => {
  it("keeps 09:00 in New York across the start of daylight saving time: 2026-03-07 14:00Z, then 2026-03-08 13:00Z", () => {
    // 09:00 EST (UTC-5) on Saturday; daylight saving time starts at 02:00 on Sunday 2026-03-08 (UTC-4).
    expect(next("2026-03-07T14:00:00.000Z", "daily", "America/New_York")).toBe("2026-03-08T13:00:00.000Z");
    // UTC arithmetic (24 hours later) would have said 14:00Z, which is 10:00 in New York.
    expect(next("2026-03-07T14:00:00.000Z", "daily", "UTC")).toBe("2026-03-08T14:00:00.000Z");
  });

  it("keeps 09:00 in New York across the end of daylight saving time, weekly too", () => {
    // 09:00 EDT (UTC-4) on 2026-10-31; standard time from 2026-11-01 (UTC-5).
    expect(next("2026-10-31T13:00:00.000Z", "daily", "America/New_York")).toBe("2026-11-01T14:00:00.000Z");
    expect(next("2026-10-28T13:00:00.000Z", "weekly", "America/New_York")).toBe("2026-11-04T14:00:00.000Z");
    // Berlin changes a week earlier than New York: 08:00 CEST on 2026-03-28, then 08:00 CEST again.
    expect(next("2026-03-28T07:00:00.000Z", "daily", "Europe/Berlin")).toBe("2026-03-29T06:00:00.000Z");
  });

  it("moves a time inside the daylight saving gap forward by the gap", () => {
    // 02:30 does not exist in New York on 2026-03-08; it becomes 03:30 EDT (07:30Z).
    expect(next("2026-03-07T07:30:00.000Z", "daily", "America/New_York")).toBe("2026-03-08T07:30:00.000Z");
  });

  it("takes the last day of a shorter month in the task's zone, not in UTC", () => {
    // 20:00 on Jan 31 in Los Angeles is already Feb 1 in UTC; the series is on the 31st there.
    const anchor = monthlyAnchorDay(new Date("2026-02-01T04:00:00.000Z"), "America/Los_Angeles");
    expect(anchor).toBe(31);
    const february = nextDueDate(new Date("2026-02-01T04:00:00.000Z"), "monthly", "America/Los_Angeles", 31);
    expect(february.toISOString()).toBe("2026-03-01T04:00:00.000Z"); // Feb 28, 20:00 PST
    const march = nextDueDate(february, "monthly", "America/Los_Angeles", 31);
    expect(march.toISOString()).toBe("2026-04-01T03:00:00.000Z"); // Mar 31, 20:00 PDT
    const april = nextDueDate(march, "monthly", "America/Los_Angeles", 31);
    expect(april.toISOString()).toBe("2026-05-01T03:00:00.000Z"); // Apr 30, 20:00 PDT
  });

  it("uses the zone's calendar day for the anchor: 09:00 on the 1st in Tokyo is the 31st in UTC", () => {
    const due = new Date("2026-01-01T00:00:00.000Z"); // 09:00 on Jan 1 in Tokyo
    expect(monthlyAnchorDay(due, "Asia/Tokyo")).toBe(1);
    expect(monthlyAnchorDay(due, "America/New_York")).toBe(31);
    expect(nextDueDate(due, "monthly", "Asia/Tokyo").toISOString()).toBe("2026-02-01T00:00:00.000Z");
  });
});

describe("a monthly series", () => {
  it("returns to its day after a shorter month: Jan 31, Feb 29, Mar 31, Apr 30, May 31", () => {
    const anchor = monthlyAnchorDay(new Date("2024-01-31T09:00:00.000Z"), "UTC") ?? 0;
    const dates: string[] = [];
    let due = new Date("2024-01-31T09:00:00.000Z");
    for (let i = 0; i < 4; i++) {
      due = nextDueDate(due, "monthly", "UTC", anchor);
      dates.push(due.toISOString());
    }
    expect(anchor).toBe(31);
    expect(dates).toEqual([
      "2024-02-29T09:00:00.000Z",
      "2024-03-31T09:00:00.000Z",
      "2024-04-30T09:00:00.000Z",
      "2024-05-31T09:00:00.000Z",
    ]);
  });

  it("has no anchor day without a due date", () => {
    expect(monthlyAnchorDay(null, "UTC")).toBeNull();
  });
});
