// The reliability record: what each fault, bad-input and isolation test tried and what was lost, duplicated or leaked, written per test file for docs/reliability.md.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ARTIFACTS_DIR } from "./browser";

/** Where the trials of a run are kept, one JSON file per test file (git-ignored with the other test artifacts). */
export const TRIALS_DIR = path.join(ARTIFACTS_DIR, "reliability");

/** The tables of docs/reliability.md, in their order. */
export const TRIAL_AREAS = ["fault", "bad input", "isolation"] as const;

/** One kind of fault or input tried, with its outcome over every try. */
export interface Trial {
  /** The table of docs/reliability.md it belongs to. */
  area: (typeof TRIAL_AREAS)[number];
  /** What was done, in a user's words ("kill -9 the Kafka broker during 500 writes"). */
  name: string;
  /** The service, route, tool, socket or event path it was tried on ("backend REST", "all services"). */
  target: string;
  /** How many times it was tried: runs, generated inputs, requests or events. */
  tries: number;
  /** Accepted writes or events that never had their effect. */
  lost: number;
  /** Effects that happened more than once. */
  duplicated: number;
  /** Answers, frames or records that reached another user, or anyone without the right role. */
  leaked: number;
  /** What the service answered or did, in a few words ("4xx naming the field", "closed 1009"). */
  outcome: string;
  /** The test file that tried it, relative to the repository root. */
  file: string;
  /**
   * When that file's run recorded it (ISO 8601, UTC): the folder keeps each file's last run, so the trials of one
   * doc may come from different runs. Absent in records written before it was kept.
   */
  recordedAt?: string;
}

/**
 * Records trials of one test file, stamped `recordedAt` (now by default): they replace what this file recorded in an
 * earlier run, so the folder always holds the last run of every file. `file` is the test's `__filename`; `dir` and
 * `recordedAt` are for the record's own tests.
 */
export function recordTrials(
  file: string,
  trials: readonly Omit<Trial, "file" | "recordedAt">[],
  dir = TRIALS_DIR,
  recordedAt = new Date(),
): void {
  const relative = path.relative(path.resolve(ARTIFACTS_DIR, ".."), file);
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `${relative.replaceAll(/[/\\]/g, "__")}.json`);
  writeFileSync(
    target,
    `${JSON.stringify(
      trials.map((trial) => ({ ...trial, file: relative, recordedAt: recordedAt.toISOString() })),
      null,
      2,
    )}\n`,
  );
}

/** Every trial recorded in `dir`, ordered by area, then file, then name. */
export function readTrials(dir = TRIALS_DIR): Trial[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  const order: readonly Trial["area"][] = TRIAL_AREAS;
  return names
    .flatMap((name) => JSON.parse(readFileSync(path.join(dir, name), "utf8")) as Trial[])
    .sort(
      (a, b) =>
        order.indexOf(a.area) - order.indexOf(b.area) || a.file.localeCompare(b.file) || a.name.localeCompare(b.name),
    );
}
