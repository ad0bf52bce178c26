// Unit tests of the verdicts on the backend's answers: which end the event (SUCCESS), which drop it, which retry it.
import { DropEvent } from "@event-platform/service-kit";
import { describe, expect, it } from "vitest";
import { nextOccurrenceResult } from "./backend-answer";

const task = { task_id: 42, user_id: "alice", title: "Stretch" };
const error = (status: number, message: string) => ({
  status,
  body: { statusCode: status, error: "Error", message },
});

describe("nextOccurrenceResult", () => {
  it("takes 201 and 200 as the next occurrence, created now or for an earlier request", () => {
    expect(nextOccurrenceResult({ status: 201, body: task })).toEqual({ kind: "next", nextTaskId: 42, created: true });
    expect(nextOccurrenceResult({ status: 200, body: task })).toEqual({ kind: "next", nextTaskId: 42, created: false });
  });

  it("takes 409 as nothing to do, with the backend's reason", () => {
    expect(nextOccurrenceResult(error(409, "Task 7 is not recurring"))).toEqual({
      kind: "none",
      reason: "Task 7 is not recurring",
    });
    expect(nextOccurrenceResult(error(409, "Task 7 is not completed"))).toMatchObject({ kind: "none" });
  });

  it("drops the event on 404 and on any other 4xx but 401 and 403", () => {
    for (const status of [404, 400, 413, 415, 422]) {
      expect(() => nextOccurrenceResult(error(status, "no")), String(status)).toThrow(DropEvent);
    }
    expect(() => nextOccurrenceResult(error(404, "Task 7 not found"))).toThrow(
      "the backend has no such task of this user (404): Task 7 not found",
    );
  });

  it("retries on 401 and 403, 5xx, no task id in a 2xx and any other status", () => {
    const answers = [
      error(401, "Only the Dapr sidecar may call this route"),
      error(403, "forbidden"),
      error(500, "Internal server error"),
      { status: 500, body: { errorCode: "ERR_DIRECT_INVOKE", message: "fail to invoke" } },
      error(503, "unavailable"),
      { status: 201, body: { title: "no id" } },
      { status: 200, body: "not json" },
      { status: 204, body: undefined },
      { status: 302, body: "" },
    ];
    for (const answer of answers) {
      let thrown: unknown;
      try {
        nextOccurrenceResult(answer);
      } catch (caught) {
        thrown = caught;
      }
      expect(thrown, JSON.stringify(answer)).toBeInstanceOf(Error);
      expect(thrown, JSON.stringify(answer)).not.toBeInstanceOf(DropEvent);
    }
  });

  it("keeps a long message short in its reason", () => {
    const result = nextOccurrenceResult({ status: 409, body: "x".repeat(5_000) });
    expect(result).toEqual({ kind: "none", reason: `${"x".repeat(300)}…` });
  });
});
