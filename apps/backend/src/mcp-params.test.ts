// Unit tests of the MCP params check: a request whose params break its method's schema is -32602 naming each field; anything else goes to the server.
import { describe, expect, it } from "vitest";
import { invalidParamsError } from "./mcp-params";

const call = (params?: unknown) => ({
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  ...(params === undefined ? {} : { params }),
});

describe("invalidParamsError", () => {
  it("answers a tools/call without params -32602 naming /params, with the request's id", () => {
    const error = invalidParamsError(call());
    expect(error?.id).toBe(7);
    expect(error?.error.code).toBe(-32602);
    expect(error?.error.data).toEqual({ violations: [{ path: "/params", message: expect.any(String) }] });
    expect(error?.error.message).toMatch(/^Invalid params: \/params /);
  });

  it("names each bad field of params, of every method the server answers", () => {
    const paths = (message: unknown) =>
      (
        (invalidParamsError(message)?.error.data ?? { violations: [] }) as { violations: { path: string }[] }
      ).violations.map((v) => v.path);
    expect(paths(call({ name: 5 }))).toEqual(["/params/name"]);
    expect(paths(call(5))).toEqual(["/params"]);
    expect(paths(call([{ name: "add_task" }]))).toEqual(["/params"]);
    expect(paths(call({ name: "add_task", arguments: [1] }))).toEqual(["/params/arguments"]);
    expect(paths({ jsonrpc: "2.0", id: "a", method: "tools/list", params: { cursor: 3 } })).toEqual(["/params/cursor"]);
    expect(paths({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: 1 } })).toEqual([
      "/params/protocolVersion",
      "/params/capabilities",
      "/params/clientInfo",
    ]);
  });

  it("lets valid requests, notifications, responses and methods the server does not answer through", () => {
    expect(invalidParamsError(call({ name: "add_task", arguments: { title: "x" } }))).toBeUndefined();
    expect(invalidParamsError(call({ name: "no_such_tool" }))).toBeUndefined();
    expect(invalidParamsError({ jsonrpc: "2.0", id: 1, method: "tools/list" })).toBeUndefined();
    expect(invalidParamsError({ jsonrpc: "2.0", method: "notifications/initialized" })).toBeUndefined();
    expect(
      invalidParamsError({ jsonrpc: "2.0", id: 1, method: "resources/list", params: { cursor: 3 } }),
    ).toBeUndefined();
    expect(invalidParamsError({ jsonrpc: "2.0", id: 1, result: {} })).toBeUndefined();
  });
});
