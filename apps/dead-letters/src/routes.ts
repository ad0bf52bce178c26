// REST under /api/dead-letters: list with filters, read one, replay one; operators only.
import {
  type Authenticator,
  bearerRoute,
  linksTo,
  requestInput,
  requireOperator,
  responses,
} from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { DetailAnswer, IdParams, ListQuery, PageAnswer, ReplayAnswer, timeRangeViolations } from "./api-schemas";
import { getDeadLetter, listDeadLetters, replayDeadLetter } from "./store";
import type { Tables } from "./tables";

export interface DeskRouteDependencies {
  db: Kysely<Tables>;
  authenticator: Authenticator;
  /** Called after a replay committed its outbox row, so the relay publishes it now. */
  onReplayStored: () => void;
}

/** The operation ids of the desk's routes in the OpenAPI document, which its links name. */
export const DESK_OPERATIONS = {
  list: "listDeadLetters",
  get: "getDeadLetter",
  replay: "replayDeadLetter",
} as const;

const OP = DESK_OPERATIONS;

/**
 * `GET /api/dead-letters`, `GET /api/dead-letters/:id` and `POST /api/dead-letters/:id/replay`. Every route needs
 * a bearer token with the operator role (401 without a valid token, 403 without the role), before anything else.
 * The answers link (OpenAPI Link Objects) a listed entry to reading and replaying it, a read entry to replaying it,
 * and a replay to reading its entry again (which then lists the replay).
 */
export async function registerDeskRoutes(server: FastifyInstance, deps: DeskRouteDependencies): Promise<void> {
  const { db, authenticator, onReplayStored } = deps;
  await server.register(
    async (api) => {
      requireOperator(api, authenticator);

      const list = {
        ...bearerRoute,
        operationId: OP.list,
        querystring: ListQuery,
        response: responses({ 200: PageAnswer }),
      };
      const listLinks = { 200: linksTo([OP.get, OP.replay], { id: "$response.body#/items/0/id" }) };
      api.get("/dead-letters", { schema: list, links: listLinks }, async (request) => {
        const { querystring } = requestInput(request, { querystring: ListQuery }, ({ querystring: q }) =>
          timeRangeViolations(q, "/querystring"),
        );
        return listDeadLetters(db, querystring);
      });

      const one = { ...bearerRoute, operationId: OP.get, params: IdParams, response: responses({ 200: DetailAnswer }) };
      const oneLinks = { 200: linksTo([OP.replay], { id: "$response.body#/id" }) };
      api.get("/dead-letters/:id", { schema: one, links: oneLinks }, async (request) => {
        const { params } = requestInput(request, { params: IdParams });
        return getDeadLetter(db, Number(params.id));
      });

      // 202: the replay is recorded and its event stored in the outbox; the relay publishes it through Dapr.
      const replay = {
        ...bearerRoute,
        operationId: OP.replay,
        params: IdParams,
        response: responses({ 202: ReplayAnswer }),
      };
      const replayLinks = { 202: linksTo([OP.get], { id: "$response.body#/dead_letter_id" }) };
      api.post("/dead-letters/:id/replay", { schema: replay, links: replayLinks }, async (request, reply) => {
        const { params } = requestInput(request, { params: IdParams });
        const replay = await replayDeadLetter(db, Number(params.id), request.userId);
        onReplayStored();
        request.log.info({ deadLetter: replay.dead_letter_id, topic: replay.topic }, "dead letter replayed");
        return reply.code(202).send(replay);
      });
    },
    { prefix: "/api" },
  );
}
