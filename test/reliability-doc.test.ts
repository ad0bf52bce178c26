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
    expect(doc).toContain("(written 2026-11-30T12:34Z; each test");
    expect(doc).toContain("file's last run recorded them: 2 kinds at an unrecorded time).");
    expect(doc).toContain("**2 kinds tried, 13 tries: 1 lost, 0 duplicated, 0 leaked.**");
    expect(doc.indexOf("## Faults")).toBeLessThan(doc.indexOf("## Isolation"));
    expect(doc).not.toContain("## Bad input");
    expect(doc).toContain("| kill -9 Kafka | backend REST | 3 | 1 | 0 | 0 | a b | `test/x.int.test.ts` |");
    expect(doc).toContain("| 4xx \\| named |");
  });
});

describe("reliabilityDoc's header", () => {
  it("gives when the trials were recorded: one time when they were recorded at once, else the span", () => {
    const at = (iso: string) => ({ recordedAt: iso });
    const once = reliabilityDoc(
      [trial("fault", "a", at("2026-11-30T10:00:05.000Z")), trial("fault", "b", at("2026-11-30T10:00:59.000Z"))],
      new Date("2026-11-30T12:34:56Z"),
    );
    expect(once).toContain("file's last run recorded them: 2026-11-30T10:00Z).");
    const apart = reliabilityDoc(
      [
        trial("isolation", "c", at("2026-11-30T12:30:00.000Z")),
        trial("fault", "a", at("2026-11-29T08:00:00.000Z")),
        trial("fault", "b"),
      ],
      new Date("2026-11-30T12:34:56Z"),
    );
    expect(apart).toContain(
      "file's last run recorded them: from 2026-11-29T08:00Z to 2026-11-30T12:30Z, 1 kinds at an unrecorded time).",
    );
  });
});

describe("recordTrials", () => {
  it("stamps each trial with the time its file recorded it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "trials-"));
    recordTrials(
      path.resolve(__dirname, "y.int.test.ts"),
      [trial("fault", "one")],
      dir,
      new Date("2026-11-30T01:02:03Z"),
    );
    expect(readTrials(dir).map((t) => t.recordedAt)).toEqual(["2026-11-30T01:02:03.000Z"]);
  });

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
