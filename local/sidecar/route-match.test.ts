// The CEL subset of route rules: what it matches, how CEL's errors surface, and the load error for anything else.
import { describe, expect, it } from "vitest";
import { compileRouteMatch, RouteMatchError } from "./route-match";

const event = { type: "com.taskmanager.task.completed", source: "/tasks/backend", data: { user_id: "u1", count: 3 } };

describe("route match expressions", () => {
  it.each([
    ['event.type == "com.taskmanager.task.completed"', true],
    ['event.type == "com.taskmanager.task.created"', false],
    ['event.type != "com.taskmanager.task.created"', true],
    ["event.type == 'com.taskmanager.task.completed'", true],
    ['"/tasks/backend" == event.source', true],
    ['event.type == "x" || event.source == "/tasks/backend"', true],
    ['event.type == "com.taskmanager.task.completed" && event.source == "/tasks/other"', false],
    ['(event.type == "a" || event.type == "com.taskmanager.task.completed") && event.data.user_id == "u1"', true],
    ['event.data.count == "3"', false],
  ])("%s → %s", (expression, expected) => {
    expect(compileRouteMatch(expression).matches(event)).toBe(expected);
  });

  it("fails on a missing attribute, as CEL does, unless the other side of || or && decides", () => {
    expect(() => compileRouteMatch('event.subject == "s"').matches(event)).toThrow(RouteMatchError);
    expect(() => compileRouteMatch('event.subject == "s"').matches(event)).toThrow(/no such key: subject/);
    expect(
      compileRouteMatch('event.subject == "s" || event.type == "com.taskmanager.task.completed"').matches(event),
    ).toBe(true);
    expect(compileRouteMatch('event.subject == "s" && event.type == "nope"').matches(event)).toBe(false);
  });

  it.each(['event.type.startsWith("com.")', "event.data.count > 2", 'type == "x"', 'event.type == "unterminated', ""])(
    "rejects %j at load time, naming the expression",
    (expression) => {
      expect(() => compileRouteMatch(expression)).toThrow(
        `Route match ${JSON.stringify(expression)} is not supported by the development sidecar`,
      );
    },
  );
});
