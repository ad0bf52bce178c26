// Liveness (/healthz: the process answers) and readiness (/readyz: the database and the Dapr sidecar answer).
import type { FastifyInstance } from "fastify";

export interface ReadinessChecks {
  database: () => Promise<void>;
  /** Resolves true when the sidecar's `/v1.0/healthz` answers 2xx. */
  sidecar: () => Promise<boolean>;
}

const READINESS_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<"ok" | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([probe(), timeout]);
    return result === false ? "unhealthy" : "ok";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(server: FastifyInstance, checks: ReadinessChecks): void {
  server.get("/healthz", async () => ({ status: "ok" }));

  server.get("/readyz", async (_request, reply) => {
    const [database, sidecar] = await Promise.all([check(checks.database), check(checks.sidecar)]);
    const ready = database === "ok" && sidecar === "ok";
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks: { database, sidecar } });
  });
}
