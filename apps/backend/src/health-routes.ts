// Liveness (/healthz: the process answers) and readiness (/readyz: what serving needs, which is the database).
import type { FastifyInstance } from "fastify";

export interface ReadinessChecks {
  /** Resolves when the database answers; every request needs it. */
  database: () => Promise<void>;
}

const READINESS_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<"ok" | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness is the database only. The Dapr sidecar is not part of it: while the sidecar is down the outbox keeps
 * every write and publishes it later, so the pod can serve; taking it out of its Service then would refuse writes
 * for no reason. The sidecar's own readiness is daprd's business (its own probe).
 */
export function registerHealthRoutes(server: FastifyInstance, checks: ReadinessChecks): void {
  server.get("/healthz", async () => ({ status: "ok" }));

  server.get("/readyz", async (_request, reply) => {
    const database = await check(checks.database);
    const ready = database === "ok";
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks: { database } });
  });
}
