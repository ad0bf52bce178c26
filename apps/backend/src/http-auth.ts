// The hook that puts the authenticated user id on every request of a route scope, or answers 401.
import type { FastifyInstance } from "fastify";
import type { Authenticator } from "./auth";

declare module "fastify" {
  interface FastifyRequest {
    /** The JWT `sub` of the caller, set by `requireUser` on authenticated routes. */
    userId: string;
  }
}

/** Authenticates before anything else runs, so an unauthenticated caller learns nothing, not even a 400. */
export function requireUser(scope: FastifyInstance, authenticator: Authenticator): void {
  if (!scope.hasRequestDecorator("userId")) scope.decorateRequest("userId", "");
  scope.addHook("onRequest", async (request) => {
    request.userId = await authenticator.userId(request.headers.authorization);
  });
}
