// Unit tests of origin lists in configuration: each entry exactly as browsers send `Origin`, and each bad one named.
import { describe, expect, it } from "vitest";
import { originEntries, originListProblems, originProblem } from "./origins";

describe("originProblem", () => {
  it("accepts scheme://host[:port] as browsers serialize it", () => {
    for (const origin of [
      "https://board.example.com",
      "http://127.0.0.1:3003",
      "http://[::1]:8080",
      "http://localhost",
    ]) {
      expect(originProblem(origin), origin).toBeUndefined();
    }
  });

  it("says what no Origin header holds: paths, queries, credentials, default ports, capitals, other schemes, null", () => {
    expect(originProblem("*")).toBe("must be an origin scheme://host[:port]");
    expect(originProblem("null")).toBe("must be an origin scheme://host[:port]");
    expect(originProblem("ws://board.example.com")).toBe("must be an http or https origin");
    for (const entry of [
      "https://board.example.com/app",
      "https://board.example.com?x=1",
      "https://u@board.example.com",
    ]) {
      expect(originProblem(entry), entry).toBe(
        "must be an origin scheme://host[:port], without a user, path, query or fragment",
      );
    }
    for (const entry of ["https://board.example.com/", "https://Board.example.com", "https://board.example.com:443"]) {
      expect(originProblem(entry), entry).toBe("must be written as a browser sends it: https://board.example.com");
    }
  });
});

describe("origin lists", () => {
  it("are split on commas, trimmed, empty entries skipped", () => {
    expect(originEntries(" https://a.example.com, http://b.example.com:8080 ,,")).toEqual([
      "https://a.example.com",
      "http://b.example.com:8080",
    ]);
    expect(originEntries(undefined)).toEqual([]);
  });

  it("name the variable and each bad entry", () => {
    expect(originListProblems("CORS_ORIGINS", "https://ok.example.com,board.example.com,https://x.com/")).toEqual([
      'CORS_ORIGINS entry "board.example.com" must be an origin scheme://host[:port]',
      'CORS_ORIGINS entry "https://x.com/" must be written as a browser sends it: https://x.com',
    ]);
  });
});
