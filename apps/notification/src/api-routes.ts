// REST under /api: the caller's notifications (list, mark read) and preferences (read, replace), each for the authenticated user only.
import {
  type Authenticator,
  bearerRoute,
  linksTo,
  requestInput,
  requireUser,
  responses,
} from "@event-platform/service-kit";
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

/** The operation ids of the API's routes in the OpenAPI document, which its links name. */
export const NOTIFICATION_OPERATIONS = {
  list: "listNotifications",
  read: "markNotificationRead",
  getPreferences: "getPreferences",
  replacePreferences: "replacePreferences",
} as const;

const OP = NOTIFICATION_OPERATIONS;

/**
 * Registers the /api routes behind the JWT (`requireUser`): no valid token is a 401 before anything else runs. The
 * answers link (OpenAPI Link Objects) to what follows them: a listed notification to marking it read, a marked one
 * to marking it again (the same answer) and to the list; each preferences route to the other.
 */
export async function registerApiRoutes(server: FastifyInstance, deps: ApiDependencies): Promise<void> {
  const { db, authenticator, available } = deps;
  await server.register(
    async (api) => {
      requireUser(api, authenticator);

      const list = {
        ...bearerRoute,
        operationId: OP.list,
        querystring: ListNotificationsQuery,
        response: responses({ 200: NotificationPageAnswer }),
      };
      const listLinks = { 200: linksTo([OP.read], { notification_id: "$response.body#/items/0/notification_id" }) };
      api.get("/notifications", { schema: list, links: listLinks }, async (request) => {
        const { querystring } = requestInput(request, { querystring: ListNotificationsQuery });
        return listNotifications(db, request.userId, querystring);
      });

      const read = {
        ...bearerRoute,
        operationId: OP.read,
        params: NotificationIdParams,
        response: responses({ 200: NotificationAnswer }),
      };
      const readLinks = {
        200: { ...linksTo([OP.read], { notification_id: "$request.path.notification_id" }), ...linksTo([OP.list]) },
      };
      api.post("/notifications/:notification_id/read", { schema: read, links: readLinks }, async (request) => {
        const { params } = requestInput(request, { params: NotificationIdParams });
        return markRead(db, request.userId, params.notification_id);
      });

      const preferences = { ...bearerRoute, response: responses({ 200: PreferencesAnswer }) };
      const getPreferences = { ...preferences, operationId: OP.getPreferences };
      const getLinks = { 200: linksTo([OP.replacePreferences]) };
      api.get("/preferences", { schema: getPreferences, links: getLinks }, async (request) =>
        preferencesOf(db, request.userId),
      );

      const replace = { ...preferences, operationId: OP.replacePreferences, body: PreferencesBody };
      const replaceLinks = { 200: linksTo([OP.getPreferences]) };
      api.put("/preferences", { schema: replace, links: replaceLinks }, async (request) => {
        const { body } = requestInput(request, { body: PreferencesBody }, (parsed) =>
          preferencesViolations(parsed.body, available, "/body"),
        );
        return replacePreferences(db, request.userId, body);
      });
    },
    { prefix: "/api" },
  );
}
