// REST under /api/tasks: create, list, get, partial update, delete and complete, each for the authenticated user only.
import type { FastifyInstance } from "fastify";
import { CreateTaskBody, dueRangeViolations, ListTasksQuery, TaskIdParams, UpdateTaskBody } from "./api-schemas";
import type { Authenticator } from "./auth";
import { InvalidInputError } from "./errors";
import { requireUser } from "./http-auth";
import { requestInput } from "./request-input";
import type { TaskService } from "./task-service";

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

      api.post("/tasks", async (request, reply) => {
        const { body } = requestInput(request, { body: CreateTaskBody });
        const task = await bodyFields(() => tasks.create(request.userId, body));
        return reply.code(201).header("location", `/api/tasks/${task.id}`).send(task);
      });

      api.get("/tasks", async (request) => {
        const { querystring } = requestInput(request, { querystring: ListTasksQuery }, ({ querystring: q }) =>
          dueRangeViolations(q, "/querystring"),
        );
        return tasks.list(request.userId, querystring);
      });

      api.get("/tasks/:id", async (request) => {
        const { params } = requestInput(request, { params: TaskIdParams });
        return tasks.get(request.userId, params.id);
      });

      api.patch("/tasks/:id", async (request) => {
        const { params, body } = requestInput(request, { params: TaskIdParams, body: UpdateTaskBody });
        return bodyFields(() => tasks.update(request.userId, params.id, body));
      });

      api.delete("/tasks/:id", async (request, reply) => {
        const { params } = requestInput(request, { params: TaskIdParams });
        await tasks.remove(request.userId, params.id);
        return reply.code(204).send();
      });

      api.post("/tasks/:id/complete", async (request) => {
        const { params } = requestInput(request, { params: TaskIdParams });
        return tasks.complete(request.userId, params.id);
      });
    },
    { prefix: "/api" },
  );
}
