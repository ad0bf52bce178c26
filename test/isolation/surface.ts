// The attack surface of the demo's system as the services themselves register it: every route of every app (fastify's `fastify.initialization` diagnostics channel and `onRoute` hook), and who may reach each; the isolation and bad-input suites fail on a route this file does not classify.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { FastifyInstance } from "fastify";
import type { RunningSystem } from "../../local/system";
import { startTestSystem, type TestSystem } from "../e2e/harness";
import type { DatabaseKind } from "../support/services";

/**
 * Who may reach a route: anyone (`public`), any user with a valid token (`user`), an operator only (`operator`),
 * the app's own sidecar with its app API token only (`sidecar`), or a user's WebSocket upgrade (`socket`).
 */
export type Access = "public" | "user" | "operator" | "sidecar" | "socket";

/** A route as fastify registered it: method and URL pattern (`/api/tasks/:task_id`), the key `METHOD url`. */
export interface Route {
  method: string;
  url: string;
  key: string;
}

/**
 * Every route of every app, by app id, keyed `METHOD url`; HEAD routes (fastify adds one per GET) take their GET's
 * access. A route that is missing here makes the suites fail until it is classified and probed.
 */
export const ACCESS: Readonly<Record<string, Readonly<Record<string, Access>>>> = {
  backend: {
    "GET /healthz": "public",
    "GET /readyz": "public",
    // The OpenAPI 3.1 document of the app's routes (service-kit/src/openapi.ts): route shapes only, no data.
    "GET /openapi.json": "public",
    "POST /api/tasks": "user",
    "GET /api/tasks": "user",
    "GET /api/tasks/:task_id": "user",
    "PATCH /api/tasks/:task_id": "user",
    "DELETE /api/tasks/:task_id": "user",
    "POST /api/tasks/:task_id/complete": "user",
    "POST /mcp": "user",
    "GET /mcp": "user",
    "DELETE /mcp": "user",
    "POST /internal/tasks/:task_id/next-occurrence": "sidecar",
    "GET /dapr/subscribe": "sidecar",
    // CORS preflights (@fastify/cors) of any path: headers only, for the board's origin.
    "OPTIONS *": "public",
  },
  recurring: {
    "GET /healthz": "public",
    "GET /readyz": "public",
    "GET /openapi.json": "public",
    "GET /dapr/subscribe": "sidecar",
    "POST /events/task-completed": "sidecar",
    "POST /events/ignored": "sidecar",
  },
  notification: {
    "GET /healthz": "public",
    "GET /readyz": "public",
    "GET /openapi.json": "public",
    "GET /api/notifications": "user",
    "POST /api/notifications/:notification_id/read": "user",
    "GET /api/preferences": "user",
    "PUT /api/preferences": "user",
    "GET /dapr/subscribe": "sidecar",
    "POST /events/reminder-scheduled": "sidecar",
    "POST /events/reminder-cancelled": "sidecar",
    "POST /events/reminder-triggered": "sidecar",
    "POST /events/ignored": "sidecar",
  },
  gateway: {
    "GET /healthz": "public",
    "GET /readyz": "public",
    "GET /openapi.json": "public",
    "GET /ws": "socket",
    "GET /": "public",
    "GET /board.css": "public",
    "GET /board.js": "public",
    "GET /board/config.json": "public",
    "GET /dapr/subscribe": "sidecar",
    "POST /events/task-updates": "sidecar",
  },
  "dead-letters": {
    "GET /healthz": "public",
    "GET /readyz": "public",
    "GET /openapi.json": "public",
    "GET /api/dead-letters": "operator",
    "GET /api/dead-letters/:id": "operator",
    "POST /api/dead-letters/:id/replay": "operator",
    "GET /dapr/subscribe": "sidecar",
    "POST /events/dead-letter": "sidecar",
  },
};

/** The access of an app's route; undefined for a route nobody classified. */
export function accessOf(appId: string, route: Route): Access | undefined {
  const table = ACCESS[appId] ?? {};
  return table[route.key] ?? (route.method === "HEAD" ? table[`GET ${route.url}`] : undefined);
}

/** A route's URL with every `:param` replaced by `value` (a path an authenticated probe can request). */
export function concretePath(route: Route, value: string | number = 1): string {
  return route.url.replaceAll(/:[A-Za-z_]+/g, String(value));
}

/** The routes of every fastify server created in this process while recording, found by the port each listens on. */
export class RouteRecorder {
  private readonly servers: { server: FastifyInstance; routes: Route[] }[] = [];
  private readonly onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    const routes: Route[] = [];
    this.servers.push({ server: fastify, routes });
    fastify.addHook("onRoute", (options) => {
      for (const method of [options.method].flat()) {
        routes.push({ method, url: options.url, key: `${method} ${options.url}` });
      }
    });
  };

  /** Starts recording: every fastify instance created from now on (fastify publishes each on the channel). */
  constructor() {
    subscribe("fastify.initialization", this.onInit);
  }

  /** The routes of the server listening on `port`; throws when no recorded server listens there. */
  routesOn(port: number): Route[] {
    const found = this.servers.filter(({ server }) => {
      const address = server.server.address();
      return typeof address === "object" && address?.port === port;
    });
    const last = found.at(-1);
    if (!last) throw new Error(`No fastify server created while recording listens on port ${port}`);
    return last.routes;
  }

  /** Every route of every app of a running system, by app id. */
  routesOf(system: RunningSystem): Record<string, Route[]> {
    return Object.fromEntries(Object.entries(system.apps).map(([id, app]) => [id, this.routesOn(app.port)]));
  }

  stop(): void {
    unsubscribe("fastify.initialization", this.onInit);
  }
}

/** The routes of each app that `ACCESS` does not classify, as `app: METHOD url`, and the entries it has that no app registers. */
export function unclassified(routes: Record<string, Route[]>): { missing: string[]; stale: string[] } {
  const missing = Object.entries(routes).flatMap(([app, list]) =>
    list.filter((route) => accessOf(app, route) === undefined).map((route) => `${app}: ${route.key}`),
  );
  const stale = Object.entries(ACCESS).flatMap(([app, table]) =>
    Object.keys(table)
      .filter((key) => !(routes[app] ?? []).some((route) => route.key === key))
      .map((key) => `${app}: ${key}`),
  );
  return { missing, stale };
}

/** Starts the demo's system on a database of `kind` (`startTestSystem`) and reads every route its apps registered. */
export async function startSurveyedSystem(
  kind: DatabaseKind,
  name: string,
): Promise<{ test: TestSystem; routes: Record<string, Route[]> }> {
  const recorder = new RouteRecorder();
  try {
    const test = await startTestSystem(kind, name);
    return { test, routes: recorder.routesOf(test.system) };
  } finally {
    recorder.stop();
  }
}
