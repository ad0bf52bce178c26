// Unit tests of parseTimestamp: every form the contract's date-time (ajv-formats) accepts reads as its instant.
import { contractViolationsOn, TOPICS } from "@event-platform/events";
import { describe, expect, it } from "vitest";
import { sampleData } from "../../events/test/samples";
import { parseTimestamp } from "./timestamps";

/** Whether the contract takes `text` as a `remind_at` (ajv-formats' date-time, as consumers check it). */
function contractAccepts(text: string): boolean {
  const event = {
    specversion: "1.0",
    type: "com.taskmanager.reminder.scheduled",
    source: "/tasks/backend",
    id: "0b0c4c2e-7d55-4a3e-9d3e-0c1f6a1e2b3c",
    time: "2030-01-01T00:00:00Z",
    data: { ...sampleData("com.taskmanager.reminder.scheduled"), remind_at: text },
  };
  return contractViolationsOn(TOPICS.reminders, event).length === 0;
}

describe("parseTimestamp", () => {
  const forms: [string, string][] = [
    ["2030-01-01T10:00:00Z", "2030-01-01T10:00:00.000Z"],
    ["2030-01-01t10:00:00z", "2030-01-01T10:00:00.000Z"],
    ["2030-01-01 10:00:00Z", "2030-01-01T10:00:00.000Z"],
    ["2030-01-01\t10:00:00Z", "2030-01-01T10:00:00.000Z"],
    ["2030-01-01T10:00:00+01", "2030-01-01T09:00:00.000Z"],
    ["2030-01-01T10:00:00+0130", "2030-01-01T08:30:00.000Z"],
    ["2030-01-01T10:00:00+01:30", "2030-01-01T08:30:00.000Z"],
    ["2030-01-01T10:00:00-23:59", "2030-01-02T09:59:00.000Z"],
    ["2030-01-01T10:00:00.5Z", "2030-01-01T10:00:00.500Z"],
    ["2030-01-01T10:00:00.123456789123456Z", "2030-01-01T10:00:00.123Z"],
    ["2016-12-31T23:59:60Z", "2016-12-31T23:59:59.000Z"],
    ["2017-01-01T00:59:60+01:00", "2016-12-31T23:59:59.000Z"],
    ["0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"],
    ["0099-06-01T00:00:00Z", "0099-06-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
    ["2028-02-29T00:00:00Z", "2028-02-29T00:00:00.000Z"],
  ];

  it.each(forms)("reads %j, which the contract accepts, as %s", (text, instant) => {
    expect(contractAccepts(text)).toBe(true);
    expect(parseTimestamp(text).toISOString()).toBe(instant);
  });

  it.each([
    "2030-01-01",
    "2030-01-01T10:00:00",
    "2030-01-01T10:00Z",
    "2030-01-01T24:00:00Z",
    "2030-02-30T10:00:00Z",
    "2030-01-01T10:00:00+24:00",
    "2030-01-01TT10:00:00Z",
    "20300101T100000Z",
    " 2030-01-01T10:00:00Z",
  ])("refuses %j, which the contract refuses too, with a RangeError naming it", (text) => {
    expect(contractAccepts(text)).toBe(false);
    expect(() => parseTimestamp(text)).toThrow(RangeError);
    expect(() => parseTimestamp(text)).toThrow(JSON.stringify(text));
  });
});
