// The README's topic table matches the event contract, so the docs cannot drift from the code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { EVENT_TYPES, eventTypesOn, TOPIC_LIST } from "@event-platform/events";
import { describe, expect, it } from "vitest";

const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
const DAY_MS = 24 * 60 * 60 * 1000;

function topicRows(): Map<string, string[]> {
  const rows = readme
    .split("\n")
    .filter((line) => /^\| `[a-z-]+` \|/.test(line))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  return new Map(rows.map((cells) => [cells[0]?.replaceAll("`", "") ?? "", cells]));
}

describe("README topic table", () => {
  const rows = topicRows();

  it("lists exactly the catalog's topics", () => {
    expect([...rows.keys()]).toEqual(TOPIC_LIST.map((t) => t.name));
  });

  it.each(TOPIC_LIST.map((t) => [t.name, t] as const))("states %s's partitions and retention", (name, topic) => {
    const [, , partitions, retention] = rows.get(name) ?? [];
    expect(Number(partitions)).toBe(topic.partitions);
    const days = topic.retentionMs / DAY_MS;
    expect(retention).toBe(`${days} ${days === 1 ? "day" : "days"}`);
  });

  it("names the event types each source topic carries", () => {
    for (const topic of TOPIC_LIST) {
      const types = eventTypesOn(topic);
      if (types.length === 0) continue;
      const carries = rows.get(topic.name)?.[1] ?? "";
      const [prefix, ...rest] = carries.replaceAll("`", "").split("/");
      const listed = [prefix, ...rest.map((name) => prefix?.replace(/[^.]+$/, name))];
      expect(listed.sort()).toEqual(types.sort());
      for (const type of listed) expect(EVENT_TYPES).toHaveProperty([type as string]);
    }
  });
});
