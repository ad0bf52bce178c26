// Unit tests of input validation: every bad field reported with its JSON Pointer, unions resolved to one message.

import { InvalidInputError, textProblems, validated, violationsOf } from "@event-platform/service-kit";
import { describe, expect, it } from "vitest";
import { CreateTaskBody, ListTasksQuery, UpdateTaskBody } from "./api-schemas";

describe("violationsOf", () => {
  it("accepts a full, valid task", () => {
    const body = {
      title: "Pay rent",
      description: null,
      priority: "high",
      tags: ["home", "money"],
      due_date: "2030-01-31T09:00:00+01:00",
      remind_before_minutes: 60,
      recurrence: "monthly",
      time_zone: "Europe/Berlin",
      parent_task_id: null,
    };
    expect(violationsOf(CreateTaskBody, body, "/body")).toEqual([]);
  });

  it("reports every bad field of a body, each at its path", () => {
    const body = {
      title: "",
      description: 42,
      priority: "urgent",
      tags: ["a", "a", ""],
      due_date: "next friday",
      remind_before_minutes: -5,
      recurrence: "yearly",
      time_zone: "Mars/Olympus_Mons",
      parent_task_id: "not-a-number",
      owner: "mallory",
    };
    expect(violationsOf(CreateTaskBody, body, "/body")).toEqual([
      { path: "/body/owner", message: "must NOT have additional properties" },
      { path: "/body/title", message: "must NOT have fewer than 1 characters" },
      { path: "/body/description", message: "must be one of: string, null" },
      { path: "/body/priority", message: 'must be one of: "high", "medium", "low"' },
      { path: "/body/tags/2", message: "must NOT have fewer than 1 characters" },
      { path: "/body/tags", message: "must NOT have duplicate items (items ## 1 and 0 are identical)" },
      { path: "/body/due_date", message: 'must match format "date-time"' },
      { path: "/body/remind_before_minutes", message: "must be >= 0" },
      { path: "/body/recurrence", message: 'must be one of: "daily", "weekly", "monthly", null' },
      { path: "/body/time_zone", message: 'must match format "time-zone"' },
      { path: "/body/parent_task_id", message: "must be one of: integer, null" },
    ]);
  });

  it("reports a missing title and a too long description inside its nullable union", () => {
    expect(violationsOf(CreateTaskBody, { description: "x".repeat(5001) }, "/body")).toEqual([
      { path: "/body/title", message: "must have required property 'title'" },
      { path: "/body/description", message: "must NOT have more than 5000 characters" },
    ]);
  });

  it("rejects a body that is not an object, and an empty patch", () => {
    expect(violationsOf(CreateTaskBody, undefined, "/body")).toEqual([{ path: "/body", message: "must be object" }]);
    expect(violationsOf(UpdateTaskBody, {}, "/body")).toEqual([
      { path: "/body", message: "must NOT have fewer than 1 properties" },
    ]);
  });

  it("rejects what PostgreSQL or JavaScript could not store: NUL characters, leap seconds, years past 9999, ids past 2^53 - 1", () => {
    expect(violationsOf(CreateTaskBody, { title: "a\u0000b", tags: ["ok", "b\u0000"] })).toEqual([
      { path: "/title", message: "must not contain control characters" },
      { path: "/tags/1", message: "must not contain control characters" },
    ]);
    const dates = ["2016-12-31T23:59:60Z", "+10000-01-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-03-01T09:30:00"];
    for (const due_date of dates) {
      expect(violationsOf(CreateTaskBody, { title: "t", due_date }), due_date).toEqual([
        { path: "/due_date", message: 'must match format "date-time"' },
      ]);
    }
    // The first and last instants allowed: years 1 to 9999 (Date.UTC would read year 1 as 1901).
    for (const due_date of ["0001-01-01T00:00:00Z", "1900-12-31T23:59:59Z", "9999-12-31T23:59:59.999Z"]) {
      expect(violationsOf(CreateTaskBody, { title: "t", due_date }), due_date).toEqual([]);
    }
    expect(violationsOf(CreateTaskBody, { title: "t", parent_task_id: 2 ** 53 })).toEqual([
      { path: "/parent_task_id", message: `must be <= ${Number.MAX_SAFE_INTEGER}` },
    ]);
  });

  it("coerces a query string's numbers and booleans, and names what cannot be coerced", () => {
    const query: Record<string, unknown> = { completed: "true", limit: "10", offset: "0" };
    expect(violationsOf(ListTasksQuery, query, "/querystring", true)).toEqual([]);
    expect(query).toEqual({ completed: true, limit: 10, offset: 0 });
    expect(
      violationsOf(ListTasksQuery, { completed: "maybe", limit: "0", sort: "title", x: "1" }, "/querystring", true),
    ).toEqual([
      { path: "/querystring/x", message: "must NOT have additional properties" },
      { path: "/querystring/completed", message: "must be boolean" },
      { path: "/querystring/sort", message: 'must be one of: "created_at", "due_date", "priority"' },
      { path: "/querystring/limit", message: "must be >= 1" },
    ]);
  });

  it("does not coerce JSON bodies: a number in a string stays a string", () => {
    expect(violationsOf(CreateTaskBody, { title: "t", remind_before_minutes: "30", parent_task_id: "7" })).toEqual([
      { path: "/remind_before_minutes", message: "must be one of: integer, null" },
      { path: "/parent_task_id", message: "must be one of: integer, null" },
    ]);
  });

  it("takes IANA time zones in any letter case, and refuses offsets and unknown names", () => {
    for (const time_zone of ["UTC", "America/New_York", "america/new_york", "Etc/GMT+5", "Asia/Calcutta"]) {
      expect(violationsOf(CreateTaskBody, { title: "t", time_zone }), time_zone).toEqual([]);
    }
    for (const time_zone of ["Mars/Base", "New York", "+05:00", "", "x".repeat(65)]) {
      const violations = violationsOf(CreateTaskBody, { title: "t", time_zone });
      expect(new Set(violations.map((v) => v.path)), time_zone).toEqual(new Set(["/time_zone"]));
    }
  });
});

describe("text a person wrote", () => {
  const LONE_HIGH = "\ud83d";
  const LONE_LOW = "\ude00";

  it("must be well-formed Unicode: a lone surrogate is refused, a pair (an emoji) is fine", () => {
    expect(violationsOf(CreateTaskBody, { title: `fix ${LONE_HIGH} it` }, "/body")).toEqual([
      { path: "/body/title", message: "must be well-formed Unicode (no lone surrogate)" },
    ]);
    expect(violationsOf(CreateTaskBody, { title: "t", description: `x${LONE_LOW}`, tags: [LONE_HIGH] })).toEqual([
      { path: "/description", message: "must be well-formed Unicode (no lone surrogate)" },
      { path: "/tags/0", message: "must be well-formed Unicode (no lone surrogate)" },
    ]);
    expect(violationsOf(CreateTaskBody, { title: "Party \ud83c\udf89", tags: ["\ud83d\ude00"] })).toEqual([]);
  });

  it("must not be blank where a value is required: a title or a tag of spaces", () => {
    expect(violationsOf(CreateTaskBody, { title: "   ", tags: ["\u00a0\u3000"] }, "/body")).toEqual([
      { path: "/body/title", message: "must not be blank" },
      { path: "/body/tags/0", message: "must not be blank" },
    ]);
    expect(violationsOf(UpdateTaskBody, { title: "\t" })).toEqual([
      { path: "/title", message: "must not contain control characters" },
      { path: "/title", message: "must not be blank" },
    ]);
  });

  it("must not contain control characters; a description keeps tabs and line breaks", () => {
    expect(violationsOf(CreateTaskBody, { title: "bell\u0007", tags: ["a\nb", "c\u009bd"] })).toEqual([
      { path: "/title", message: "must not contain control characters" },
      { path: "/tags/0", message: "must not contain control characters" },
      { path: "/tags/1", message: "must not contain control characters" },
    ]);
    expect(violationsOf(CreateTaskBody, { title: "t", description: "line 1\r\n\tline 2\n" })).toEqual([]);
    expect(violationsOf(CreateTaskBody, { title: "t", description: "esc\u001b[31m" })).toEqual([
      { path: "/description", message: "must not contain control characters other than tab and line breaks" },
    ]);
    // An empty or blank description is allowed: it is optional text, not a required value.
    expect(violationsOf(CreateTaskBody, { title: "t", description: "  " })).toEqual([]);
  });

  it("applies to the search and the tag filter too", () => {
    expect(violationsOf(ListTasksQuery, { q: "  ", tag: `x${LONE_HIGH}` }, "/querystring", true)).toEqual([
      { path: "/querystring/tag", message: "must be well-formed Unicode (no lone surrogate)" },
      { path: "/querystring/q", message: "must not be blank" },
    ]);
  });

  it("textProblems names every problem of a string", () => {
    expect(textProblems(`\u0000 ${LONE_LOW}`, "line")).toEqual([
      "must be well-formed Unicode (no lone surrogate)",
      "must not contain control characters",
    ]);
    expect(textProblems("fine", "line")).toEqual([]);
  });
});

describe("validated", () => {
  it("returns the value when valid and throws an InvalidInputError listing the violations otherwise", () => {
    expect(validated(CreateTaskBody, { title: "t" })).toEqual({ title: "t" });
    expect(() => validated(CreateTaskBody, { title: 1, priority: "x" }, "/body")).toThrow(InvalidInputError);
    try {
      validated(CreateTaskBody, { title: 1, priority: "x" }, "/body");
    } catch (error) {
      expect((error as InvalidInputError).violations.map((v) => v.path)).toEqual(["/body/title", "/body/priority"]);
      expect((error as InvalidInputError).statusCode).toBe(400);
    }
  });
});
