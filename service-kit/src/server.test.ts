// Unit tests of the server's close: a connection that an upgrade took over is cut at the deadline too, so a shutdown cannot hang on it.
import { request } from "node:http";
import type { Socket } from "node:net";
import fastify from "fastify";
import { describe, expect, it } from "vitest";
import { closeServer, createServer, listen, loggedUrl, serverOptions } from "./server";

const config = {
  logLevel: "silent",
  host: "127.0.0.1",
  port: 0,
  http: { requestTimeoutMs: 5_000, connectionTimeoutMs: 5_000 },
} as const;

/** Opens an upgraded connection that the server's side keeps open and never ends; resolves the client's socket. */
function upgradedConnection(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const upgrade = request(`${url}/`, { headers: { connection: "upgrade", upgrade: "test" } });
    upgrade.on("upgrade", (_response, socket) => resolve(socket));
    upgrade.on("error", reject);
    upgrade.end();
  });
}

describe("closeServer", () => {
  it("cuts a connection handed over by an upgrade at the deadline instead of waiting for it", async () => {
    const server = createServer(config);
    server.server.on("upgrade", (_request, socket: Socket) => {
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n");
    });
    const { url } = await listen(server, config);
    const client = await upgradedConnection(url);
    const ended = new Promise((resolve) => client.once("close", resolve));

    const started = Date.now();
    await closeServer(server, started + 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3_000);
    await ended;
  });

  it("closes at once when no connection is open", async () => {
    const server = createServer(config);
    await listen(server, config);
    const started = Date.now();
    await closeServer(server, started + 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("request logs", () => {
  it("show a query's parameter names but never its values", () => {
    expect(loggedUrl("/api/tasks")).toBe("/api/tasks");
    expect(loggedUrl("/ws?token=eyJhbGciOiJIUzI1NiJ9.e30.sig")).toBe("/ws?token=…");
    expect(loggedUrl("/api/tasks?status=open&limit=10&x=")).toBe("/api/tasks?status=…&limit=…&x=…");
    expect(loggedUrl("/p?a%20b=secret&=v")).toBe("/p?a%20b=…&=…");
  });

  it("are written that way by the server's logger", async () => {
    const lines: string[] = [];
    const options = serverOptions({ ...config, logLevel: "info" });
    const server = fastify({
      ...options,
      logger: { ...options.logger, stream: { write: (line: string) => lines.push(line) } },
    });
    server.get("/ws", async () => "ok");
    await server.inject({ url: "/ws?token=secret-value&access_token=other" });
    await server.close();
    const logged = lines.join("");
    expect(logged).toContain('"url":"/ws?token=…&access_token=…"');
    expect(logged).not.toContain("secret-value");
  });
});

describe("request bodies and paths the routes never see", () => {
  async function server() {
    const server = createServer(config);
    server.post("/things/:id", async (request) => ({ id: (request.params as { id: string }).id }));
    await server.ready();
    return server;
  }
  const json = { "content-type": "application/json" };

  it("refuses a body in a content coding with 415 and Accept-Encoding: identity", async () => {
    const s = await server();
    for (const coding of ["gzip", "br", "deflate, gzip", "x-unknown"]) {
      const answer = await s.inject({
        method: "POST",
        url: "/things/1",
        headers: { ...json, "content-encoding": coding },
        payload: "{}",
      });
      expect(answer.statusCode, coding).toBe(415);
      expect(answer.headers["accept-encoding"]).toBe("identity");
      expect(answer.json().message).toBe(`Content-Encoding ${coding} is not supported: send the body uncompressed`);
    }
    const plain = { ...json, "content-encoding": "identity" };
    expect((await s.inject({ method: "POST", url: "/things/1", headers: plain, payload: "{}" })).statusCode).toBe(200);
    await s.close();
  });

  it("refuses a text/plain body with 415, as any other type but JSON", async () => {
    const s = await server();
    const answer = await s.inject({
      method: "POST",
      url: "/things/1",
      headers: { "content-type": "text/plain" },
      payload: "{}",
    });
    expect(answer.statusCode).toBe(415);
    await s.close();
  });

  it("names a prototype-poisoning key in a 400 rather than calling the JSON invalid", async () => {
    const s = await server();
    const answer = await s.inject({
      method: "POST",
      url: "/things/1",
      headers: json,
      payload: '{"a":{"__proto__":{}}}',
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().violations).toEqual([
      {
        path: "/body/a/__proto__",
        message: "must not be a key: it could change an object's prototype (prototype poisoning)",
      },
    ]);
    await s.close();
  });

  it("hands a path parameter of any length Node takes to the route, and answers a bad URL in the error body", async () => {
    const s = await server();
    const long = "9".repeat(5_000);
    expect((await s.inject({ method: "POST", url: `/things/${long}`, headers: json, payload: "{}" })).json()).toEqual({
      id: long,
    });
    const bad = await s.inject({ method: "POST", url: "/things/%E0%A4%A", headers: json, payload: "{}" });
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.json()).sort()).toEqual(["error", "message", "statusCode"]);
    await s.close();
  });
});
