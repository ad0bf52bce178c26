// Routes other services call through Dapr service invocation (no user token): the next occurrence of a recurring task.
import type { FastifyInstance } from "fastify";
import { NextOccurrenceBody, pathTaskIdViolations, TaskIdParams } from "./api-schemas";
import { ForbiddenError } from "./errors";
import { requestInput } from "./request-input";
import type { TaskService } from "./task-service";

/**
 * The header daprd stamps on every request it delivers by service invocation (and overwrites if a caller sent
 * its own), naming the calling app. Requiring it keeps direct calls that bypass the sidecar out; it is not
 * authentication by itself: in production the app port is reachable only through its sidecar (Dapr's mTLS
 * between sidecars, and a NetworkPolicy or the pod network keeping other clients off the app port).
 */
export const DAPR_CALLER_HEADER = "dapr-caller-app-id";

export function registerInternalRoutes(server: FastifyInstance, deps: { tasks: TaskService }): void {
  server.post("/internal/tasks/:task_id/next-occurrence", async (request, reply) => {
    const caller = request.headers[DAPR_CALLER_HEADER];
    if (typeof caller !== "string" || caller === "") {
      throw new ForbiddenError(`Only Dapr service invocation may call this route (no ${DAPR_CALLER_HEADER} header)`);
    }
    const { params, body } = requestInput(request, { params: TaskIdParams, body: NextOccurrenceBody }, (parsed) =>
      pathTaskIdViolations(parsed.params, "/params"),
    );
    const taskId = Number(params.task_id);
    const { created, task } = await deps.tasks.createNextOccurrence(taskId, body.event_id);
    request.log.info({ caller, taskId, nextTaskId: task.task_id, created }, "next occurrence");
    return reply.code(created ? 201 : 200).send(task);
  });
}
