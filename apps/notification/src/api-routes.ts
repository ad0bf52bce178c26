// REST under /api: the caller's notifications (list, mark read) and preferences (read, replace), each for the authenticated user only.
import { type Authenticator, requestInput, requireUser } from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import {
  type ChannelAvailability,
  ListNotificationsQuery,
  NotificationIdParams,
  PreferencesBody,
  preferencesViolations,
} from "./api-schemas";
import { listNotifications, markRead } from "./notifications";
import { preferencesOf, replacePreferences } from "./preferences";
import type { Tables } from "./tables";

export interface ApiDependencies {
  db: Kysely<Tables>;
  authenticator: Authenticator;
  available: ChannelAvailability;
}

/** Registers the /api routes behind the JWT (`requireUser`): no valid token is a 401 before anything else runs. */
export async function registerApiRoutes(server: FastifyInstance, deps: ApiDependencies): Promise<void> {
  const { db, authenticator, available } = deps;
  await server.register(
    async (api) => {
      requireUser(api, authenticator);

      api.get("/notifications", async (request) => {
        const { querystring } = requestInput(request, { querystring: ListNotificationsQuery });
        return listNotifications(db, request.userId, querystring);
      });

      api.post("/notifications/:notification_id/read", async (request) => {
        const { params } = requestInput(request, { params: NotificationIdParams });
        return markRead(db, request.userId, params.notification_id);
      });

      api.get("/preferences", async (request) => preferencesOf(db, request.userId));

      api.put("/preferences", async (request) => {
        const { body } = requestInput(request, { body: PreferencesBody }, (parsed) =>
          preferencesViolations(parsed.body, available, "/body"),
        );
        return replacePreferences(db, request.userId, body);
      });
    },
    { prefix: "/api" },
  );
}
