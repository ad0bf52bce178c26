// Unit tests of processedEventKey: one fixed-length key per (source, id) pair, whatever the strings hold.
import { describe, expect, it } from "vitest";
import { processedEventKey } from "./processed-events";

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
