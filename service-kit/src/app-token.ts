// Dapr's app API token: a route only the sidecar calls (deliveries, invocations, /dapr/subscribe) takes a call only with the app's token in `dapr-api-token`.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { AppTokenError } from "./errors";

/**
 * The header daprd sends its app's token in, on every call to the app, when the pod has the annotation
 * `dapr.io/app-token-secret` (daprd reads the token from its env `APP_API_TOKEN`, which the injector fills from
 * that Secret's key `token`).
 */
export const APP_TOKEN_HEADER = "dapr-api-token";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * Whether a header value is the app's token. Both sides are hashed to 32 bytes first, so the comparison
 * (crypto.timingSafeEqual) takes the same time whatever the value, its length included.
 */
export function isAppToken(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== "string") return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/**
 * Makes every route of `scope` answer 401 to a call without the app's token, before anything else runs (the
 * body is not even parsed). `dapr-caller-app-id` is not looked at: any client that reaches the app port can send it.
 */
export function requireAppToken(scope: FastifyInstance, token: string): void {
  scope.addHook("onRequest", async (request) => {
    if (!isAppToken(token, request.headers[APP_TOKEN_HEADER])) {
      throw new AppTokenError(
        `Only the Dapr sidecar may call this route: the ${APP_TOKEN_HEADER} header is missing or wrong`,
      );
    }
  });
}
