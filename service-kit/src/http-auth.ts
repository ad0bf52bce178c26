// The hooks that authenticate every request of a route scope: any user (`requireUser`) or an operator only (`requireOperator`); 401 without a valid token, 403 without the role.
import type { FastifyInstance } from "fastify";
import type { Authenticator } from "./auth";
import { ForbiddenError } from "./errors";

declare module "fastify" {
  interface FastifyRequest {
    /** The JWT `sub` of the caller, set by `requireUser` or `requireOperator` on authenticated routes. */
    userId: string;
  }
}

function decorate(scope: FastifyInstance): void {
  if (!scope.hasRequestDecorator("userId")) scope.decorateRequest("userId", "");
}

/** Authenticates before anything else runs, so an unauthenticated caller learns nothing, not even a 400. */
export function requireUser(scope: FastifyInstance, authenticator: Authenticator): void {
  decorate(scope);
  scope.addHook("onRequest", async (request) => {
    request.userId = await authenticator.userId(request.headers.authorization);
  });
}

/** As `requireUser`, and a valid token without the operator role (stack config) gets 403 before anything else runs. */
export function requireOperator(scope: FastifyInstance, authenticator: Authenticator): void {
  decorate(scope);
  scope.addHook("onRequest", async (request) => {
    const caller = await authenticator.caller(request.headers.authorization);
    if (!caller.operator) throw new ForbiddenError("This route is for operators: the token lacks the operator role");
    request.userId = caller.userId;
  });
}
