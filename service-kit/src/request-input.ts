// Validates every part of a request (params, query string, body) at once, so a 400 lists all bad fields, not the first part's.
import type { FastifyRequest } from "fastify";
import type Type from "typebox";
import { InvalidInputError, type Violation } from "./errors";
import { violationsOf } from "./validation";

interface PartSchemas {
  params?: Type.TSchema;
  querystring?: Type.TSchema;
  body?: Type.TSchema;
}

type Parsed<S extends PartSchemas> = {
  [K in keyof S]: S[K] extends Type.TSchema ? Type.Static<S[K]> : never;
};

/**
 * The request's parts, typed by their schemas; throws an `InvalidInputError` with the violations of all parts,
 * each under `/params`, `/querystring` or `/body`. The query string's numbers and booleans are coerced in place.
 */
export function requestInput<S extends PartSchemas>(
  request: FastifyRequest,
  schemas: S,
  extraChecks: (parsed: Parsed<S>) => Violation[] = () => [],
): Parsed<S> {
  const violations: Violation[] = [];
  if (schemas.params) violations.push(...violationsOf(schemas.params, request.params, "/params"));
  if (schemas.querystring) violations.push(...violationsOf(schemas.querystring, request.query, "/querystring", true));
  if (schemas.body) violations.push(...violationsOf(schemas.body, request.body, "/body"));
  const parsed = { params: request.params, querystring: request.query, body: request.body } as Parsed<S>;
  if (violations.length === 0) violations.push(...extraChecks(parsed));
  if (violations.length > 0) throw new InvalidInputError(violations);
  return parsed;
}
