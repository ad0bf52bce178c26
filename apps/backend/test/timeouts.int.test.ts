// The HTTP server's timeouts on both databases: a body that stops half-way, headers that never end and a silent connection are each cut off, and nothing is written.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Backend } from "../src/app";
import { Api, Cleanup, DATABASE_KINDS, newUser, startTestBackend, tableCounts, testStore, tokenFor } from "./harness";

/**
 * Opens a connection, sends `bytes` and then nothing more, and resolves with what the server answered once the
 * server closes the connection. Without server timeouts it never resolves, and the test times out.
 */
function sendAndStall(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    // A reset counts as closing too: the server cut the connection either way.
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    if (bytes.length > 0) socket.write(bytes);
  });
}

describe.each(DATABASE_KINDS)("HTTP timeouts on %s", (kind) => {
  const cleanup = new Cleanup();
  let backend: Backend;
  let user: string;

  beforeAll(async () => {
    const store = cleanup.add(await testStore(kind, `backend_timeouts_${kind}`));
    backend = await startTestBackend({
      ...store.env,
      DAPR_HTTP_PORT: String(await freePort()),
      HTTP_REQUEST_TIMEOUT_MS: "1000",
      HTTP_CONNECTION_TIMEOUT_MS: "2000",
    });
    cleanup.add({ stop: () => backend.close() });
    user = newUser("timeouts");
  });
  afterAll(() => cleanup.run());

  it("cuts off a body that stops half-way with 408, and writes nothing", async () => {
    const before = await tableCounts(backend);
    const body = JSON.stringify({ title: "a task whose body never ends", description: "x".repeat(100) });
    const head = [
      "POST /api/tasks HTTP/1.1",
      "Host: 127.0.0.1",
      `Authorization: Bearer ${await tokenFor(user)}`,
      "Content-Type: application/json",
      `Content-Length: ${body.length}`,
      "",
      "",
    ].join("\r\n");
    const answer = await sendAndStall(backend.port, head + body.slice(0, body.length / 2));
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(await tableCounts(backend)).toEqual(before);
  });

  it("cuts off headers that never end with 408", async () => {
    const answer = await sendAndStall(backend.port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes a connection that says nothing, with 408 (its headers did not arrive in time)", async () => {
    expect(await sendAndStall(backend.port, "")).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("still serves requests that arrive in time", async () => {
    const api = await Api.as(backend.url, user);
    expect((await api.request("POST", "/api/tasks", { title: "in time" })).status).toBe(201);
    expect((await api.request("GET", "/api/tasks")).status).toBe(200);
  });
});
