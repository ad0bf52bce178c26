// Unit tests of liveness and readiness: ready exactly when the database answers; the sidecar is no part of it.
import fastify from "fastify";
import { describe, expect, it } from "vitest";
import { registerHealthRoutes } from "./health";

async function answers(database: () => Promise<void>) {
  const server = fastify();
  registerHealthRoutes(server, { database });
  try {
    const live = await server.inject({ method: "GET", url: "/healthz" });
    const ready = await server.inject({ method: "GET", url: "/readyz" });
    return { live: [live.statusCode, live.json()], ready: [ready.statusCode, ready.json()] };
  } finally {
    await server.close();
  }
}

describe("health routes", () => {
  it("are live and ready when the database answers, with nothing else checked", async () => {
    expect(await answers(async () => {})).toEqual({
      live: [200, { status: "ok" }],
      ready: [200, { status: "ready", checks: { database: "ok" } }],
    });
  });

  it("are live but not ready when the database fails, saying why", async () => {
    const failing = async () => {
      throw new Error("connect ECONNREFUSED 10.0.0.5:5432");
    };
    expect(await answers(failing)).toEqual({
      live: [200, { status: "ok" }],
      ready: [503, { status: "not ready", checks: { database: "connect ECONNREFUSED 10.0.0.5:5432" } }],
    });
  });
});
