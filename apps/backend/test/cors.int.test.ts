// CORS on the REST API: a page on an origin in CORS_ORIGINS may call it (preflight, then the request itself); any other origin, and every origin when the variable is unset, gets no CORS header at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import type { Backend } from "../src/app";
import { CORS_MAX_AGE_SECONDS } from "../src/cors";
import { Cleanup, DATABASE_KINDS, newUser, startTestBackend, testStore, tokenFor } from "./harness";

const BOARD_ORIGIN = "http://127.0.0.1:3003";
const OTHER_ALLOWED = "https://board.example.com";
const FOREIGN_ORIGIN = "http://evil.example.com";

/** A request as a browser would send it from a page on `origin`: the status and every response header. */
async function fromOrigin(
  url: string,
  origin: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Headers }> {
  const response = await fetch(url, { ...init, headers: { origin, ...init.headers } });
  await response.arrayBuffer();
  return { status: response.status, headers: response.headers };
}

/** A preflight for a bearer-token JSON request with `method`. */
const preflight = (url: string, origin: string, method: string) =>
  fromOrigin(url, origin, {
    method: "OPTIONS",
    headers: {
      "access-control-request-method": method,
      "access-control-request-headers": "authorization,content-type",
    },
  });

/** The response's CORS headers (`access-control-*`), by name. */
function corsHeaders(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name.startsWith("access-control-")));
}

describe.each(DATABASE_KINDS)("CORS on %s", (kind) => {
  const cleanup = new Cleanup();
  let withCors: Backend;
  let withoutCors: Backend;
  let token: string;

  beforeAll(async () => {
    // No sidecar: CORS is about the HTTP answers; the relay keeps the events of the writes until one appears.
    const start = async (name: string, env: Record<string, string>) => {
      const store = cleanup.add(await testStore(kind, `backend_cors_${name}_${kind}`));
      const backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(await freePort()), ...env });
      cleanup.add({ stop: () => backend.close() });
      return backend;
    };
    withCors = await start("on", { CORS_ORIGINS: `${OTHER_ALLOWED},${BOARD_ORIGIN}` });
    withoutCors = await start("off", {});
    token = await tokenFor(newUser("cors"));
  });
  afterAll(() => cleanup.run());

  const bearer = () => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

  it("answers the preflight of an allowed origin before authentication, with the methods, headers and max age", async () => {
    for (const [path, method] of [
      ["/api/tasks", "POST"],
      ["/api/tasks/1", "PATCH"],
      ["/api/tasks/1", "DELETE"],
      ["/api/tasks/1/complete", "POST"],
    ] as const) {
      const answer = await preflight(`${withCors.url}${path}`, BOARD_ORIGIN, method);
      expect(answer.status).toBe(204);
      expect(corsHeaders(answer.headers)).toEqual({
        "access-control-allow-origin": BOARD_ORIGIN,
        "access-control-allow-methods": "GET, POST, PATCH, DELETE",
        "access-control-allow-headers": "Authorization, Content-Type",
        "access-control-expose-headers": "Location",
        "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
      });
      // Caches must keep one answer per origin: another origin gets another answer.
      expect(answer.headers.get("vary")).toMatch(/\bOrigin\b/);
    }
  });

  it("lets an allowed origin read the answers of real requests, errors and Location included", async () => {
    const created = await fromOrigin(`${withCors.url}/api/tasks`, BOARD_ORIGIN, {
      method: "POST",
      headers: bearer(),
      body: JSON.stringify({ title: "Across origins" }),
    });
    expect(created.status).toBe(201);
    expect(corsHeaders(created.headers)).toEqual({
      "access-control-allow-origin": BOARD_ORIGIN,
      "access-control-expose-headers": "Location",
    });
    expect(created.headers.get("location")).toMatch(/^\/api\/tasks\/\d+$/);

    // The board shows the backend's messages, so a 400 and a 401 must be readable too.
    const invalid = await fromOrigin(`${withCors.url}/api/tasks`, OTHER_ALLOWED, {
      method: "POST",
      headers: bearer(),
      body: JSON.stringify({ title: " " }),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("access-control-allow-origin")).toBe(OTHER_ALLOWED);
    const unauthenticated = await fromOrigin(`${withCors.url}/api/tasks`, BOARD_ORIGIN, { method: "GET" });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get("access-control-allow-origin")).toBe(BOARD_ORIGIN);
  });

  it("gives another origin, a near miss and a request without Origin no CORS header", async () => {
    for (const origin of [FOREIGN_ORIGIN, "http://127.0.0.1:3004", "http://localhost:3003", "null"]) {
      const answer = await preflight(`${withCors.url}/api/tasks`, origin, "POST");
      expect(answer.status).toBe(404);
      expect(corsHeaders(answer.headers)).toEqual({});
      const listed = await fromOrigin(`${withCors.url}/api/tasks`, origin, { method: "GET", headers: bearer() });
      // The request itself is served (CORS is enforced by the browser), but the browser may not show the answer.
      expect(listed.status).toBe(200);
      expect(corsHeaders(listed.headers)).toEqual({});
    }
    const plain = await fetch(`${withCors.url}/api/tasks`, { headers: bearer() });
    expect(plain.status).toBe(200);
    expect(corsHeaders(plain.headers)).toEqual({});
  });

  it("adds nothing when CORS_ORIGINS is unset", async () => {
    // A preflight is then an OPTIONS like any other: the path has no such method (the kit's 405 with Allow).
    const answer = await preflight(`${withoutCors.url}/api/tasks`, BOARD_ORIGIN, "POST");
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toContain("POST");
    expect(corsHeaders(answer.headers)).toEqual({});
    expect(answer.headers.get("vary")).toBeNull();
    const created = await fromOrigin(`${withoutCors.url}/api/tasks`, BOARD_ORIGIN, {
      method: "POST",
      headers: bearer(),
      body: JSON.stringify({ title: "Same origin only" }),
    });
    expect(created.status).toBe(201);
    expect(corsHeaders(created.headers)).toEqual({});
  });
});
