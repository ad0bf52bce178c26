// Unit tests of input validation: the text rule of `x-text`, and numbers read from a query string.
import Type from "typebox";
import { describe, expect, it } from "vitest";
import { TEXT_KEYWORD, textProblems, violationsOf } from "./validation";

describe("textProblems", () => {
  it("refuses NUL and other controls, lone surrogates and bidi overrides in a line", () => {
    for (const text of ["a\u0000", "a\tb", "a\nb", "a\u0085", "x\ud800", "abc\u202Egnp.exe", "a\u2066b"]) {
      expect(textProblems(text, "line"), JSON.stringify(text)).not.toEqual([]);
    }
    expect(textProblems("Ünïcödé ✓ 中文 עברית", "line")).toEqual([]);
    expect(textProblems("two\nlines\ttab", "lines")).toEqual([]);
    expect(textProblems("a\u202Db", "lines")).toEqual([
      "must not contain bidirectional override or isolate characters",
    ]);
  });

  it("calls a line blank when it holds only white space and invisible characters (U+200B, U+2060, U+FEFF, ...)", () => {
    for (const text of [" ", "\u00a0\u3000", "\u200b", "\u200c\u200d", "\u2060", "\ufeff", " \ufe0f"]) {
      expect(textProblems(text, "line"), JSON.stringify(text)).toEqual(["must not be blank"]);
    }
    expect(textProblems("a\u200b", "line")).toEqual([]);
    expect(textProblems("\u200b", "lines")).toEqual([]);
  });
});

describe("violationsOf with coercion (query strings)", () => {
  const Query = Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    ratio: Type.Optional(Type.Number()),
    q: Type.Optional(Type.String({ [TEXT_KEYWORD]: "line" })),
  });

  it("takes numbers in plain decimal notation only, naming the field", () => {
    for (const limit of ["0x10", "1e1", "0b11", " 10 ", "1e6", "+5", "10.0"]) {
      const query = { limit };
      expect(violationsOf(Query, query, "/querystring", true), limit).toEqual([
        {
          path: "/querystring/limit",
          message: expect.stringMatching(/plain decimal digits|must be integer/),
        },
      ]);
    }
    expect(violationsOf(Query, { ratio: "5.87e2" }, "/querystring", true)).toEqual([
      {
        path: "/querystring/ratio",
        message: "must be a number in plain decimal notation (an optional minus sign, digits, an optional fraction)",
      },
    ]);
    const query = { limit: "16", ratio: "-0.5", q: "0x10" };
    expect(violationsOf(Query, query, "/querystring", true)).toEqual([]);
    expect(query).toEqual({ limit: 16, ratio: -0.5, q: "0x10" });
  });

  it("leaves a body's numbers to their JSON types", () => {
    expect(violationsOf(Query, { limit: "0x10" }, "/body")).toEqual([
      { path: "/body/limit", message: "must be integer" },
    ]);
  });
});
