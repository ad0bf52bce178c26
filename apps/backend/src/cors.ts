// Cross-origin access to the REST API for browser pages on other origins (the gateway's task board): exact origins only.
import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/**
 * How long a browser may reuse a preflight answer, in seconds. Chromium caps it at 7200 and Firefox at 86400; ten
 * minutes spares a preflight per request while a change of CORS_ORIGINS still reaches open pages soon.
 */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * Answers cross-origin requests and preflights from `origins` (exact matches of the `Origin` header) for the REST
 * methods, with the request headers a bearer-token JSON client sends and `Location` readable. A request from any
 * other origin, or without one, gets no CORS header at all, and its preflight is a 404 as it is without CORS.
 * With no origins nothing is registered. The preflight is answered before authentication runs (the plugin's
 * `onRequest` hook, registered ahead of the routes' own), since browsers send it without the Authorization header.
 */
export async function registerCors(server: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await server.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ["GET", "POST", "PATCH", "DELETE"],
    allowedHeaders: ["Authorization", "Content-Type"],
    exposedHeaders: ["Location"],
    maxAge: CORS_MAX_AGE_SECONDS,
  });
}
