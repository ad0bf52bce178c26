// Route rules' CEL: what it matches, how CEL's errors and non-boolean results surface, and the load error for what does not compile.
import { describe, expect, it } from "vitest";
import { compileRouteMatch, RouteMatchError } from "./route-match";

const event = {
  type: "com.taskmanager.task.completed",
  source: "/tasks/backend",
  data: { user_id: "u1", count: 3, priority: "high", tags: ["urgent"] },
};

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
    // Beyond the former hand-written subset: CEL's standard library.
    ['event.type in ["a", "com.taskmanager.task.completed"]', true],
    ['event.type in ["a", "b"]', false],
    ['event.data.priority == "high"', true],
    ['event.type.startsWith("com.taskmanager.task.")', true],
    ['event.type.endsWith(".created")', false],
    ['event.source.matches("^/tasks/")', true],
    ['"urgent" in event.data.tags', true],
    ["size(event.data) > 1", true],
    ['has(event.subject) && event.subject == "s"', false],
    ['!(event.type == "x")', true],
    // JSON numbers are doubles, as after daprd's encoding/json: they compare with ints, and int() converts them.
    ["event.data.count == 3", true],
    ["event.data.count > 2", true],
    ["int(event.data.count) % 2 == 1", true],
  ])("%s → %s", (expression, expected) => {
    expect(compileRouteMatch(expression).matches(event)).toBe(expected);
  });

  it("fails on a missing attribute, as CEL does, unless the other side of || or && decides", () => {
    expect(() => compileRouteMatch('event.subject == "s"').matches(event)).toThrow(RouteMatchError);
    expect(() => compileRouteMatch('event.subject == "s"').matches(event)).toThrow(
      /^error evaluating "event.subject == \\"s\\"": .*subject/,
    );
    expect(
      compileRouteMatch('event.subject == "s" || event.type == "com.taskmanager.task.completed"').matches(event),
    ).toBe(true);
    expect(compileRouteMatch('event.subject == "s" && event.type == "nope"').matches(event)).toBe(false);
  });

  it.each([
    ["event.data.count + 1 == 4", /no matching overload/],
    ["int(event.type) == 1", /error evaluating/],
    // daprd declares a free identifier, but only `event` is ever bound.
    ['type_ == "x"', /error evaluating/],
  ])("fails %j when evaluated", (expression, message) => {
    const match = compileRouteMatch(expression);
    expect(() => match.matches(event)).toThrow(RouteMatchError);
    expect(() => match.matches(event)).toThrow(message);
  });

  it("fails a rule whose result is not a boolean, as daprd does", () => {
    expect(() => compileRouteMatch("event.type").matches(event)).toThrow(
      new RouteMatchError("the result of match expression event.type was not a boolean"),
    );
  });

  it.each([
    ['event.type == "unterminated', /is not valid CEL: /],
    ["", /is not valid CEL: /],
    ["event.type ==", /is not valid CEL: /],
    ['event.type.lowerAscii() == "x"', /undeclared reference to 'lowerAscii'/],
    ['nope(event) || event.type.trim() == ""', /undeclared reference to 'nope', 'trim'/],
  ])("rejects %j at load time, naming the expression", (expression, message) => {
    expect(() => compileRouteMatch(expression)).toThrow(`Route match ${JSON.stringify(expression)} is not valid CEL: `);
    expect(() => compileRouteMatch(expression)).toThrow(message);
  });
});
