// How errors become HTTP answers: 400 with every violation or a value the database refuses, the service's own statuses, 405 for a method a path lacks, and never a stack trace.
import { METHODS, STATUS_CODES } from "node:http";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { storageRefusal } from "./data-errors";
import { InvalidInputError, ServiceError, UnauthorizedError } from "./errors";

/** The body of every error answer; `violations` only on 400s about input. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  violations?: { path: string; message: string }[];
}

/** The error body of a status, with its reason phrase. */
export const errorBody = (statusCode: number, message: string): ErrorBody => ({
  statusCode,
  error: STATUS_CODES[statusCode] ?? "Error",
  message,
});

/**
 * A known path asked with a method it lacks: 405 with `Allow` listing the methods it has (RFC 9110 §15.5.6), in the
 * error body; fastify itself answers 404 as for an unknown path. Checked on `onRequest`, before fastify reads a body:
 * a QUERY without Content-Type would otherwise get a 400 first.
 */
export function installMethodNotAllowed(server: FastifyInstance): void {
  server.addHook("onRequest", async (request, reply) => {
    if (!request.is404) return;
    const url = request.url.split("?", 1)[0] ?? "";
    const allowed = METHODS.filter((method) => server.findRoute({ method, url }) !== null);
    if (allowed.length === 0) return;
    await reply
      .code(405)
      .header("allow", allowed.join(", "))
      .send(errorBody(405, `${request.method} is not allowed on ${url}; allowed: ${allowed.join(", ")}`));
  });
}

/**
 * fastify's `frameworkErrors`: the errors its router raises before any route or error handler runs (a URL it cannot
 * decode, a path parameter over `maxParamLength`), answered in the error body like every other error rather than
 * in fastify's own shape (with a `code`).
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 400;
  void reply.code(status).send(errorBody(status, error.message));
}

export function installErrorHandler(server: FastifyInstance): void {
  server.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof InvalidInputError) {
      return reply.code(400).send({ ...errorBody(400, "Invalid input"), violations: error.violations });
    }
    if (error instanceof UnauthorizedError) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer error="invalid_token"')
        .send(errorBody(401, error.message));
    }
    if (error instanceof ServiceError)
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    // fastify's own client errors: malformed JSON, unsupported media type, body too large.
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    }
    // A value PostgreSQL cannot store is the request's fault, and the same request can never succeed.
    const refusal = storageRefusal(error);
    if (refusal !== undefined) {
      request.log.warn({ refusal }, "request refused: a value could not be stored");
      return reply.code(400).send(errorBody(400, `A value could not be stored: ${refusal.message}`));
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send(errorBody(500, "Internal server error"));
  });
}
