// Unit tests of the relay's grouped marks: concurrent marks share UPDATEs, each caller's own marks keep their order, and a failed UPDATE fails every waiter.
import { describe, expect, it } from "vitest";
import { GroupedMarks } from "./grouped-marks";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A write that takes `ms` per UPDATE and records the ids of each one; it throws on the UPDATEs listed in `failOn`. */
function recordingWrite(ms: number, failOn: number[] = []) {
  const groups: string[][] = [];
  let running = 0;
  let overlapping = false;
  const write = async (ids: readonly string[]) => {
    groups.push([...ids]);
    const index = groups.length;
    running += 1;
    if (running > 1) overlapping = true;
    await sleep(ms);
    running -= 1;
    if (failOn.includes(index)) throw new Error(`UPDATE ${index} failed: connection lost`);
  };
  return { write, groups, overlapped: () => overlapping };
}

describe("GroupedMarks", () => {
  it("marks the rows of concurrent workers in fewer UPDATEs than rows, one at a time, each worker's rows in order", async () => {
    const { write, groups, overlapped } = recordingWrite(5);
    const marks = new GroupedMarks(write);
    const workers = 8;
    const rowsEach = 6;
    // Like the relay: each worker marks its user's rows one after another, a "publish" of 0 to 2 ms before each.
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let r = 0; r < rowsEach; r++) {
          await sleep((w + r) % 3);
          await marks.mark(`${w}-${r}`);
        }
      }),
    );
    const marked = groups.flat();
    expect(marked.sort()).toEqual(
      Array.from({ length: workers * rowsEach }, (_, i) => `${Math.floor(i / rowsEach)}-${i % rowsEach}`).sort(),
    );
    expect(groups.length).toBe(marks.writes);
    expect(marks.writes).toBeLessThan((workers * rowsEach) / 2);
    expect(overlapped()).toBe(false);
    // A worker's next row is only marked in a later UPDATE than its previous one: it waited for that mark.
    const updateOf = new Map(groups.flatMap((ids, index) => ids.map((id) => [id, index] as const)));
    for (let w = 0; w < workers; w++) {
      const order = Array.from({ length: rowsEach }, (_, r) => updateOf.get(`${w}-${r}`) ?? -1);
      for (let r = 1; r < rowsEach; r++) expect(order[r]).toBeGreaterThan(order[r - 1] ?? -1);
    }
    expect(marks.failed).toBe(false);
  });

  it("sends a lone mark at once, in an UPDATE of its own", async () => {
    const { write, groups } = recordingWrite(1);
    const marks = new GroupedMarks(write);
    await marks.mark("1");
    await marks.mark("2");
    expect(groups).toEqual([["1"], ["2"]]);
  });

  it("rejects every mark of a failed UPDATE and every mark waiting behind it, and each later mark at once", async () => {
    const { write, groups } = recordingWrite(10, [2]);
    const marks = new GroupedMarks(write);
    const first = marks.mark("a");
    // Made while the first UPDATE runs: they go together in the second, which fails.
    await sleep(1);
    const second = [marks.mark("b"), marks.mark("c")];
    await expect(first).resolves.toBeUndefined();
    // Made while the second UPDATE runs: waiting for a third that is never sent.
    await sleep(1);
    const third = marks.mark("d");
    const outcomes = await Promise.allSettled([...second, third]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toEqual(new Error("UPDATE 2 failed: connection lost"));
    }
    expect(marks.failed).toBe(true);
    await expect(marks.mark("e")).rejects.toThrow("UPDATE 2 failed");
    expect(groups).toEqual([["a"], ["b", "c"]]);
  });
});
