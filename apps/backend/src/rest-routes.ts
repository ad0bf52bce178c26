// REST under /api/tasks: create, list, get, partial update, delete and complete, each for the authenticated user only.

import { type Authenticator, bearerRoute, requestInput, requireUser, responses } from "@event-platform/service-kit";
import type { FastifyInstance } from "fastify";
import {
  CreateTaskBody,
  dueRangeViolations,
  ListTasksQuery,
  NoContent,
  pathTaskIdViolations,
  Task,
  TaskIdParams,
  TaskListAnswer,
  UpdateTaskBody,
} from "./api-schemas";
import { InvalidInputError } from "./errors";
import type { TaskService } from "./task-service";

/** The task id of a `/tasks/:task_id` path that `requestInput` checked: decimal digits, at most Number.MAX_SAFE_INTEGER. */
function pathTaskId(params: { task_id: string }): number {
  return Number(params.task_id);
}

/** The service reports its own input fields (`/parent_task_id`); over REST they live in the body. */
async function bodyFields<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof InvalidInputError ? error.under("/body") : error;
  }
}

export async function registerTaskRoutes(
  server: FastifyInstance,
  deps: { tasks: TaskService; authenticator: Authenticator },
): Promise<void> {
  const { tasks, authenticator } = deps;
  await server.register(
    async (api) => {
      requireUser(api, authenticator);

      const created = { ...bearerRoute, body: CreateTaskBody, response: responses({ 201: Task }) };
      api.post("/tasks", { schema: created }, async (request, reply) => {
        const { body } = requestInput(request, { body: CreateTaskBody });
        const task = await bodyFields(() => tasks.create(request.userId, body));
        return reply.code(201).header("location", `/api/tasks/${task.task_id}`).send(task);
      });

      const list = { ...bearerRoute, querystring: ListTasksQuery, response: responses({ 200: TaskListAnswer }) };
      api.get("/tasks", { schema: list }, async (request) => {
        const { querystring } = requestInput(request, { querystring: ListTasksQuery }, ({ querystring: q }) =>
          dueRangeViolations(q, "/querystring"),
        );
        return tasks.list(request.userId, querystring);
      });

      const withId = { params: TaskIdParams };
      const oneTask = { ...bearerRoute, ...withId, response: responses({ 200: Task }) };
      const idChecks = ({ params }: { params: { task_id: string } }) => pathTaskIdViolations(params, "/params");

      api.get("/tasks/:task_id", { schema: oneTask }, async (request) => {
        const { params } = requestInput(request, withId, idChecks);
        return tasks.get(request.userId, pathTaskId(params));
      });

      api.patch("/tasks/:task_id", { schema: { ...oneTask, body: UpdateTaskBody } }, async (request) => {
        const { params, body } = requestInput(request, { ...withId, body: UpdateTaskBody }, idChecks);
        return bodyFields(() => tasks.update(request.userId, pathTaskId(params), body));
      });

      const deleted = { ...bearerRoute, ...withId, response: responses({ 204: NoContent }) };
      api.delete("/tasks/:task_id", { schema: deleted }, async (request, reply) => {
        const { params } = requestInput(request, withId, idChecks);
        await tasks.remove(request.userId, pathTaskId(params));
        return reply.code(204).send();
      });

      api.post("/tasks/:task_id/complete", { schema: oneTask }, async (request) => {
        const { params } = requestInput(request, withId, idChecks);
        return tasks.complete(request.userId, pathTaskId(params));
      });
    },
    { prefix: "/api" },
  );
}
