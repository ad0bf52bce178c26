// Unit tests of reading schemathesis's NDJSON event log: phases, requests by phase, declared and inferred links and the stateful steps along them.
import { describe, expect, it } from "vitest";
import { phasePassed, readSchemathesisLog, totalRequests } from "./schemathesis-log";

/** Lines shaped as schemathesis 4.32.5 writes them (trimmed from a real run against the backend). */
const line = (event: string, payload: object) => JSON.stringify({ [event]: payload });
const interactions = (count: number, status = 200) =>
  Object.fromEntries(
    Array.from({ length: count }, (_, index) => [`case${index}`, { request: {}, response: { status_code: status } }]),
  );
const statefulCase = (isInferred: boolean | undefined, applied = true) => ({
  value: { method: "GET", path: "/api/tasks/{task_id}" },
  is_transition_applied: applied,
  ...(isInferred === undefined ? {} : { parent_id: "p", transition: { id: "t", is_inferred: isInferred } }),
});

const RUN = [
  line("Initialize", { schemathesis_version: "4.32.5", seed: "17" }),
  line("LoadingFinished", { statistic: { operations: { total: 6, selected: 6 }, transitions: { total: 5 } } }),
  line("PhaseStarted", { phase: { name: "examples", is_enabled: true } }),
  line("ScenarioFinished", { phase: "examples", status: "skip", recorder: { label: "POST /api/tasks" } }),
  line("PhaseFinished", { phase: { name: "examples", is_enabled: true }, status: "skip" }),
  line("ScenarioFinished", { phase: "coverage", status: "success", recorder: { interactions: interactions(3) } }),
  line("PhaseFinished", { phase: { name: "coverage", is_enabled: true }, status: "success" }),
  line("PhaseStarted", {
    phase: { name: "stateful", is_enabled: true },
    payload: { inferred_transitions: 2, transitions_total: 7, transitions_selected: 7 },
  }),
  line("ScenarioFinished", {
    phase: "stateful",
    status: "success",
    recorder: {
      // b (declared) answered 201, the others 404; e (declared) has no answer recorded.
      interactions: { ...interactions(4, 404), b: { request: {}, response: { status_code: 201 } } },
      cases: {
        a: statefulCase(undefined),
        b: statefulCase(false),
        c: statefulCase(true),
        d: statefulCase(false, false),
        e: statefulCase(false),
      },
    },
  }),
  line("PhaseFinished", { phase: { name: "stateful", is_enabled: true }, status: "success" }),
  "",
];

describe("readSchemathesisLog", () => {
  it("reads each phase's statuses and requests, the links and the stateful steps along them", () => {
    const log = readSchemathesisLog(RUN);
    expect(log.phases).toEqual({
      examples: { statuses: ["skip"], requests: 0 },
      coverage: { statuses: ["success"], requests: 3 },
      stateful: { statuses: ["success"], requests: 5 },
    });
    expect(log).toMatchObject({
      declaredLinks: 5,
      inferredLinks: 2,
      declaredLinkSteps: 2,
      inferredLinkSteps: 1,
      declaredLinkSuccesses: 1,
    });
    expect(totalRequests(log)).toBe(8);
  });

  it("throws on a line that is not JSON", () => {
    expect(() => readSchemathesisLog(["{"])).toThrow();
  });
});

describe("phasePassed", () => {
  it("holds when the phase finished with success at least once and never failed", () => {
    expect(phasePassed({ statuses: ["success", "skip"], requests: 1 })).toBe(true);
    expect(phasePassed({ statuses: ["skip"], requests: 0 })).toBe(false);
    expect(phasePassed({ statuses: ["success", "failure"], requests: 1 })).toBe(false);
    expect(phasePassed({ statuses: ["error"], requests: 0 })).toBe(false);
    expect(phasePassed(undefined)).toBe(false);
  });
});
