// The route only the Dapr sidecar calls, behind the app API token: the next occurrence of a recurring task (service invocation from `recurring`).

import { requestInput, requireAppToken } from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import { NextOccurrenceBody, pathTaskIdViolations, TaskIdParams } from "./api-schemas";
import type { TaskService } from "./task-service";

/** Set by the calling sidecar on service invocation: logged as who asked, never trusted as authentication. */
const DAPR_CALLER_HEADER = "dapr-caller-app-id";

/**
 * Registers `POST /internal/tasks/:task_id/next-occurrence` in a scope of its own, every route of which answers 401
 * without the app API token (`requireAppToken`).
 */
export async function registerSidecarRoutes(
  server: FastifyInstance,
  deps: { tasks: TaskService; appToken: string },
): Promise<void> {
  await server.register(async (scope) => {
    requireAppToken(scope, deps.appToken);

    // The schema states the input for whoever reads the routes (the generated bad-input tests); `hide` keeps this
    // route, which only the sidecar may call, out of the published OpenAPI document.
    const schema = { hide: true, params: TaskIdParams, body: NextOccurrenceBody };
    scope.post("/internal/tasks/:task_id/next-occurrence", { schema }, async (request, reply) => {
      const { params, body } = requestInput(request, { params: TaskIdParams, body: NextOccurrenceBody }, (parsed) =>
        pathTaskIdViolations(parsed.params, "/params"),
      );
      const taskId = Number(params.task_id);
      const { created, task } = await deps.tasks.createNextOccurrence(body.user_id, taskId, body.event_id);
      request.log.info(
        { caller: request.headers[DAPR_CALLER_HEADER], taskId, nextTaskId: task.task_id, created },
        "next occurrence",
      );
      return reply.code(created ? 201 : 200).send(task);
    });
  });
}
