// Liveness (/healthz: the process answers) and readiness (/readyz: what serving needs, each check by name).
import type { FastifyInstance } from "fastify";
import Type from "typebox";

/** What serving needs, by name (`database`, ...): each resolves when that dependency answers, else throws. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

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
 * `GET /healthz` answers 200 while the process runs; `GET /readyz` 200 when every check answers within 2 s, else
 * 503 with each check's result. The Dapr sidecar is no check of its own: while it is down a service keeps what it
 * must publish (the outbox) or is simply not delivered to, so it can still serve; taking it out of its Service then
 * would refuse requests for no reason. The sidecar's readiness is daprd's business (its own probe).
 */
export function registerHealthRoutes(server: FastifyInstance, checks: ReadinessChecks): void {
  const liveness = Type.Object({ status: Type.Literal("ok") }, { additionalProperties: false });
  server.get("/healthz", { schema: { response: { 200: liveness } } }, async () => ({ status: "ok" }));

  const readiness = Type.Object(
    {
      status: Type.Union([Type.Literal("ready"), Type.Literal("not ready")]),
      checks: Type.Record(Type.String(), Type.String(), { description: "Each check: ok, or why it failed." }),
    },
    { additionalProperties: false },
  );
  server.get("/readyz", { schema: { response: { 200: readiness, 503: readiness } } }, async (_request, reply) => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => check(checks[name] as () => Promise<unknown>)));
    const ready = results.every((result) => result === "ok");
    return reply.code(ready ? 200 : 503).send({
      status: ready ? "ready" : "not ready",
      checks: Object.fromEntries(names.map((name, i) => [name, results[i]])),
    });
  });
}
