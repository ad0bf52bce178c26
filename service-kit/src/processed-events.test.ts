// Unit tests of processed-event records: one fixed-length key per (source, id) pair, whatever the strings hold; kept as long as their topics' retention and a day.
import { describe, expect, it } from "vitest";
import { APPS } from "../../specs/apps";
import { processedEventKey, processedEventsRetentionMs } from "./processed-events";

describe("processedEventKey", () => {
  it("is 64 lower-case hex digits for any source and id: NUL, 20 KB, lone surrogates", () => {
    for (const event of [
      { source: "/tasks/backend", id: "1" },
      { source: "/tasks/\u0000x", id: "\u0000" },
      { source: `/tasks/${"a".repeat(20_000)}`, id: "x".repeat(20_000) },
      { source: "\ud800", id: "\udfff" },
    ]) {
      expect(processedEventKey(event)).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("tells pairs apart that a plain concatenation would not, and is the same for the same pair", () => {
    const keys = [
      { source: "/a", id: "b/c" },
      { source: "/a/b", id: "c" },
      { source: "/a\u0000", id: "b" },
      { source: "/a", id: "\u0000b" },
      { source: "\ud800", id: "x" },
      { source: "\udc00", id: "x" },
    ].map(processedEventKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(processedEventKey({ source: "/a", id: "b" })).toBe(processedEventKey({ source: "/a", id: "b" }));
  });
});

describe("processedEventsRetentionMs", () => {
  const DAY = 24 * 60 * 60 * 1000;

  it("keeps records as long as the longest retention of the app's topics, and a day", () => {
    expect(processedEventsRetentionMs(APPS.recurring)).toBe(8 * DAY); // task-events: 7 days
    expect(processedEventsRetentionMs(APPS.notification)).toBe(4 * DAY); // reminders: 3 days
  });

  it("refuses an app that subscribes to nothing", () => {
    expect(() => processedEventsRetentionMs(APPS.backend)).toThrow("App backend subscribes to nothing");
  });
});
