// REST under /api: the caller's notifications (list, mark read) and preferences (read, replace), each for the authenticated user only.
import { type Authenticator, bearerRoute, requestInput, requireUser, responses } from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import {
  type ChannelAvailability,
  ListNotificationsQuery,
  NotificationAnswer,
  NotificationIdParams,
  NotificationPageAnswer,
  PreferencesAnswer,
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

      const list = {
        ...bearerRoute,
        querystring: ListNotificationsQuery,
        response: responses({ 200: NotificationPageAnswer }),
      };
      api.get("/notifications", { schema: list }, async (request) => {
        const { querystring } = requestInput(request, { querystring: ListNotificationsQuery });
        return listNotifications(db, request.userId, querystring);
      });

      const read = { ...bearerRoute, params: NotificationIdParams, response: responses({ 200: NotificationAnswer }) };
      api.post("/notifications/:notification_id/read", { schema: read }, async (request) => {
        const { params } = requestInput(request, { params: NotificationIdParams });
        return markRead(db, request.userId, params.notification_id);
      });

      const preferences = { ...bearerRoute, response: responses({ 200: PreferencesAnswer }) };
      api.get("/preferences", { schema: preferences }, async (request) => preferencesOf(db, request.userId));

      api.put("/preferences", { schema: { ...preferences, body: PreferencesBody } }, async (request) => {
        const { body } = requestInput(request, { body: PreferencesBody }, (parsed) =>
          preferencesViolations(parsed.body, available, "/body"),
        );
        return replacePreferences(db, request.userId, body);
      });
    },
    { prefix: "/api" },
  );
}
