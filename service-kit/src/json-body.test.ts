// Unit tests of the JSON nesting bound: what counts as a level, strings that hold brackets, and the cost of a deep body.
import { describe, expect, it } from "vitest";
import { InvalidInputError, MAX_VIOLATIONS } from "./errors";
import { MAX_JSON_DEPTH, nestedDeeperThan, poisoningKeyPath } from "./json-body";

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("poisoningKeyPath", () => {
  it("points at a __proto__ key, or a constructor key with a prototype, at any depth", () => {
    expect(poisoningKeyPath('{"title":"t","__proto__":{"x":1}}')).toBe("/__proto__");
    expect(poisoningKeyPath('{"a":[{"b":{"constructor":{"prototype":{}}}}]}')).toBe("/a/0/b/constructor");
    expect(poisoningKeyPath('{"a/b":{"__proto__":null}}')).toBe("/a~1b/__proto__");
    expect(poisoningKeyPath('{"constructor":"fine","x":[1,"__proto__"]}')).toBeUndefined();
    expect(poisoningKeyPath("not json")).toBeUndefined();
  });
});

describe("nestedDeeperThan", () => {
  it("counts arrays and objects alike, up to the limit and one past it", () => {
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestedDeeperThan('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
    expect(nestedDeeperThan('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(nestedDeeperThan('{"title":"t","tags":["a","b"]}', 2)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(nestedDeeperThan(JSON.stringify({ title: "[[[[{{{{" }), 1)).toBe(false);
    expect(nestedDeeperThan(JSON.stringify({ title: 'a \\" [[[ "' }), 1)).toBe(false);
    expect(nestedDeeperThan(JSON.stringify({ title: "ends with a backslash \\", tags: [[["x"]]] }), 2)).toBe(true);
  });

  it("scans the 2,200-level body of the finding, and one as deep as the body limit allows, in one pass", () => {
    expect(nestedDeeperThan(`{"title":"t","x":${nested(2_200)}}`, MAX_JSON_DEPTH)).toBe(true);
    expect(nestedDeeperThan(nested(128 * 1024), MAX_JSON_DEPTH)).toBe(true);
    // A wide body of the same size nests nothing.
    expect(nestedDeeperThan(`[${"1,".repeat(100_000)}1]`, MAX_JSON_DEPTH)).toBe(false);
  });
});

describe("InvalidInputError", () => {
  it("reports at most MAX_VIOLATIONS violations, then how many more there were", () => {
    const many = Array.from({ length: 5_000 }, (_, i) => ({
      path: `/body/x${i}`,
      message: "must NOT have additional properties",
    }));
    const error = new InvalidInputError(many);
    expect(error.violations).toHaveLength(MAX_VIOLATIONS + 1);
    expect(error.violations.at(-1)).toEqual({ path: "", message: `and ${5_000 - MAX_VIOLATIONS} more violations` });
    expect(new InvalidInputError(many.slice(0, 3)).violations).toEqual(many.slice(0, 3));
  });
});
