// Unit tests of the server's close: a connection that an upgrade took over is cut at the deadline too, so a shutdown cannot hang on it.
import { request } from "node:http";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { closeServer, createServer, listen } from "./server";

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
