// The socket endpoint with real `ws` clients: refusals at the upgrade (401, 403: no socket opens), the per-user cap (4029), the close at token expiry (4001), the heartbeat, client frames (1003, 1009); health, the programmatic subscription and the board on a started gateway.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS } from "../../../specs/apps";
import { programmaticSubscriptions } from "../../../specs/subscriptions";
import type { Gateway } from "../src/app";
import {
  Cleanup,
  fromSidecar,
  newUser,
  refusedUpgrade,
  startTestGateway,
  TestClient,
  tokenFor,
  tokenWith,
  waitFor,
} from "./harness";

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("the upgrade", () => {
  const cleanup = new Cleanup();
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ WS_MAX_SOCKETS_PER_USER: "2" });
    cleanup.add({ stop: () => gateway.close() });
  });
  afterAll(() => cleanup.run());

  it("opens with a valid token in the bearer subprotocol, echoing task-updates.v1 and never the token", async () => {
    const token = await tokenFor(newUser("echo"));
    const client = await TestClient.open(gateway, { token });
    cleanup.add({ stop: async () => client.close() });
    expect(client.socket.protocol).toBe("task-updates.v1");
  });

  it("refuses with 401 and opens no socket: no token, a bad signature, an expired token, a token in the query string only, no task-updates.v1", async () => {
    const user = newUser("refused");
    const valid = await tokenFor(user);
    const cases = {
      "no token": {},
      "bad signature": {
        token: await tokenWith(user, { expiresAt: nowSeconds() + 600 }, "another-secret-another-secret-0123456789"),
      },
      expired: { token: await tokenWith(user, { issuedAt: nowSeconds() - 600, expiresAt: nowSeconds() - 120 }) },
      "query string only": { query: `?token=${valid}&access_token=${valid}` },
      "no task-updates.v1": { token: valid, protocols: [`bearer.${valid}`] },
      "header token without task-updates.v1": { token: valid, via: "header" as const, protocols: ["other.v1"] },
    };
    for (const [name, options] of Object.entries(cases)) {
      expect(await refusedUpgrade(gateway, options), name).toEqual({ status: 401, opened: false });
    }
    expect(gateway.connections.count(user)).toBe(0);
  });

  it("closes the socket over the per-user cap with 4029, leaves other users alone, and takes a new one once a slot frees", async () => {
    const user = newUser("capped");
    const token = await tokenFor(user);
    const first = await TestClient.open(gateway, { token });
    const second = await TestClient.open(gateway, { token });
    const third = await TestClient.open(gateway, { token });
    expect(await third.closed).toEqual({ code: 4029, reason: "too many connections" });
    const otherUser = await TestClient.open(gateway, { token: await tokenFor(newUser("uncapped")) });
    expect(otherUser.closedWith).toBeUndefined();
    expect(gateway.connections.count(user)).toBe(2);

    first.close();
    await first.closed;
    await waitFor(() => gateway.connections.count(user) === 1, "the closed socket forgotten");
    const again = await TestClient.open(gateway, { token });
    for (const client of [second, again, otherUser]) cleanup.add({ stop: async () => client.close() });
    expect(gateway.connections.count(user)).toBe(2);
    expect(again.closedWith).toBeUndefined();
  });

  it("closes the socket with 4001 when the token's exp passes", async () => {
    const user = newUser("expiring");
    const expiresAt = nowSeconds() + 2;
    const client = await TestClient.open(gateway, { token: await tokenWith(user, { expiresAt }) });
    expect(await client.closed).toEqual({ code: 4001, reason: "token expired" });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1000);
    expect(Date.now()).toBeLessThan(expiresAt * 1000 + 1_000);
  });

  it("closes with 1003 on a client's data message, and with 1009 on one over 4 KiB", async () => {
    const talker = await TestClient.open(gateway, { token: await tokenFor(newUser("talker")) });
    talker.socket.send("hello");
    expect(await talker.closed).toEqual({ code: 1003, reason: "the server takes no messages" });
    const oversized = await TestClient.open(gateway, { token: await tokenFor(newUser("oversized")) });
    oversized.socket.send("x".repeat(4_097));
    expect((await oversized.closed).code).toBe(1009);
  });
});

describe("allowed origins", () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ WS_ALLOWED_ORIGINS: "https://board.example.com,http://localhost:3003" });
  });
  afterAll(() => gateway.close());

  it("refuses an Origin not listed with 403, and takes a listed one or none (a non-browser client)", async () => {
    const token = await tokenFor(newUser("origin"));
    expect(await refusedUpgrade(gateway, { token, origin: "https://evil.example.com" })).toEqual({
      status: 403,
      opened: false,
    });
    expect(await refusedUpgrade(gateway, { token, origin: "null" })).toEqual({ status: 403, opened: false });
    for (const options of [{ origin: "https://board.example.com" }, { origin: "http://localhost:3003" }, {}]) {
      const client = await TestClient.open(gateway, { token, ...options });
      client.close();
      await client.closed;
    }
  });
});

describe("the heartbeat", () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ WS_PING_INTERVAL_MS: "200" });
  });
  afterAll(() => gateway.close());

  it("pings every socket and terminates one that does not answer by the next ping", async () => {
    const answering = await TestClient.open(gateway, { token: await tokenFor(newUser("alive")) });
    let pings = 0;
    answering.socket.on("ping", () => {
      pings += 1;
    });
    const dead = await TestClient.open(gateway, { token: await tokenFor(newUser("dead")), autoPong: false });
    const started = Date.now();
    expect((await dead.closed).code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(1_500);
    await waitFor(() => pings >= 4, "four pings answered");
    expect(answering.closedWith).toBeUndefined();
    answering.close();
  });
});

describe("the gateway's HTTP routes", () => {
  let gateway: Gateway;
  let unconfigured: Gateway;
  let boardDir = "";

  beforeAll(async () => {
    boardDir = await mkdtemp(join(tmpdir(), "gateway-board-"));
    await writeFile(join(boardDir, "index.html"), "<!doctype html><title>Board</title>");
    await writeFile(join(boardDir, "board.js"), "export {};");
    await writeFile(join(boardDir, "board.css"), "body {}");
    gateway = await startTestGateway({ BACKEND_PUBLIC_URL: "http://localhost:3000/" }, { boardDir });
    unconfigured = await startTestGateway({}, { boardDir });
  });
  afterAll(async () => {
    await gateway.close();
    await unconfigured.close();
    await rm(boardDir, { recursive: true, force: true });
  });

  it("are alive and ready with no database to check", async () => {
    const live = await fetch(`${gateway.url}/healthz`);
    expect([live.status, await live.json()]).toEqual([200, { status: "ok" }]);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", checks: {} }]);
  });

  it("answer GET /dapr/subscribe with the catalog's programmatic subscription, behind the app token", async () => {
    const subscribe = await fetch(`${gateway.url}/dapr/subscribe`, { headers: fromSidecar("gateway") });
    expect(await subscribe.json()).toEqual(programmaticSubscriptions(APPS.gateway));
    expect((await fetch(`${gateway.url}/dapr/subscribe`)).status).toBe(401);
  });

  it("serve the board and its config with the CSP, or 404 saying why without BACKEND_PUBLIC_URL", async () => {
    const page = await fetch(`${gateway.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("<!doctype html><title>Board</title>");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self' http://localhost:3000;");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await fetch(`${gateway.url}/board.js`)).headers.get("content-type")).toContain("javascript");
    expect(await (await fetch(`${gateway.url}/board/config.json`)).json()).toEqual({
      backendUrl: "http://localhost:3000",
      wsPath: "/ws",
    });

    const missing = await fetch(`${unconfigured.url}/`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: expect.stringContaining("not configured") });
    // The socket endpoint works regardless.
    const client = await TestClient.open(unconfigured, { token: await tokenFor(newUser("boardless")) });
    client.close();
    await client.closed;
  });
});
