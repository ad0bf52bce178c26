// docs/reliability.md is written from the recorded trials: one table per area, totals, cells kept on one line.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { reliabilityDoc } from "./reliability-doc";
import { readTrials, recordTrials, type Trial } from "./support/reliability";

const trial = (area: Trial["area"], name: string, counts: Partial<Trial> = {}): Trial => ({
  area,
  name,
  target: "backend REST",
  tries: 10,
  lost: 0,
  duplicated: 0,
  leaked: 0,
  outcome: "4xx | named",
  file: "test/x.int.test.ts",
  ...counts,
});

describe("reliabilityDoc", () => {
  it("writes a table per area in a fixed order with the totals, escaping pipes and line breaks", () => {
    const doc = reliabilityDoc(
      [trial("isolation", "B reads A's task"), trial("fault", "kill -9 Kafka", { tries: 3, lost: 1, outcome: "a\nb" })],
      new Date("2026-11-30T12:34:56Z"),
    );
    expect(doc).toContain("(last run: 2026-11-30T12:34Z)");
    expect(doc).toContain("**2 kinds tried, 13 tries: 1 lost, 0 duplicated, 0 leaked.**");
    expect(doc.indexOf("## Faults")).toBeLessThan(doc.indexOf("## Isolation"));
    expect(doc).not.toContain("## Bad input");
    expect(doc).toContain("| kill -9 Kafka | backend REST | 3 | 1 | 0 | 0 | a b | `test/x.int.test.ts` |");
    expect(doc).toContain("| 4xx \\| named |");
  });
});

describe("recordTrials", () => {
  it("keeps the last run of each test file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "trials-"));
    const file = path.resolve(__dirname, "x.int.test.ts");
    recordTrials(file, [trial("fault", "first")], dir);
    recordTrials(file, [trial("fault", "second"), trial("bad input", "third")], dir);
    expect(readTrials(dir).map((t) => [t.name, t.file])).toEqual([
      ["second", "test/x.int.test.ts"],
      ["third", "test/x.int.test.ts"],
    ]);
  });
});
