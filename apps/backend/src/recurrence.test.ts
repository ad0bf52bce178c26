// Unit tests of the next due date: days, weeks and calendar months, month ends and leap years, in UTC.
import { describe, expect, it } from "vitest";
import { monthlyAnchorDay, nextDueDate } from "./recurrence";

const next = (iso: string, recurrence: "daily" | "weekly" | "monthly") =>
  nextDueDate(new Date(iso), recurrence).toISOString();

describe("nextDueDate", () => {
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
    nextDueDate(due, "monthly");
    expect(due.toISOString()).toBe("2025-01-31T09:00:00.000Z");
  });
});

describe("a monthly series", () => {
  it("returns to its day after a shorter month: Jan 31, Feb 29, Mar 31, Apr 30, May 31", () => {
    const anchor = monthlyAnchorDay(new Date("2024-01-31T09:00:00.000Z")) ?? 0;
    const dates: string[] = [];
    let due = new Date("2024-01-31T09:00:00.000Z");
    for (let i = 0; i < 4; i++) {
      due = nextDueDate(due, "monthly", anchor);
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
    expect(monthlyAnchorDay(null)).toBeNull();
  });
});
