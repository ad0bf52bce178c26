// REST under /api/tasks: create, list, get, partial update, delete and complete, each for the authenticated user only.

import {
  type Authenticator,
  bearerRoute,
  linksTo,
  requestInput,
  requireUser,
  responses,
} from "@event-platform/service-kit";
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

/** The operation ids of the task routes in the OpenAPI document, which its links name. */
export const TASK_OPERATIONS = {
  create: "createTask",
  list: "listTasks",
  get: "getTask",
  update: "updateTask",
  delete: "deleteTask",
  complete: "completeTask",
} as const;

const OP = TASK_OPERATIONS;
/** What can be done to a task whose id an answer holds. */
const ON_A_TASK = [OP.get, OP.update, OP.complete, OP.delete] as const;
const others = (self: string) => ON_A_TASK.filter((id) => id !== self);
const answeredTask = { task_id: "$response.body#/task_id" };

/**
 * Registers the task routes. Each answer that holds a task links (OpenAPI Link Objects) to what can be done to it
 * next, by its `task_id`; a deleted task's path links to reading it again (a 404).
 */
export async function registerTaskRoutes(
  server: FastifyInstance,
  deps: { tasks: TaskService; authenticator: Authenticator },
): Promise<void> {
  const { tasks, authenticator } = deps;
  await server.register(
    async (api) => {
      requireUser(api, authenticator);

      const created = {
        ...bearerRoute,
        operationId: OP.create,
        body: CreateTaskBody,
        response: responses({ 201: Task }),
      };
      const createdLinks = { 201: linksTo(ON_A_TASK, answeredTask) };
      api.post("/tasks", { schema: created, links: createdLinks }, async (request, reply) => {
        const { body } = requestInput(request, { body: CreateTaskBody });
        const task = await bodyFields(() => tasks.create(request.userId, body));
        return reply.code(201).header("location", `/api/tasks/${task.task_id}`).send(task);
      });

      const list = {
        ...bearerRoute,
        operationId: OP.list,
        querystring: ListTasksQuery,
        response: responses({ 200: TaskListAnswer }),
      };
      const listLinks = { 200: linksTo(ON_A_TASK, { task_id: "$response.body#/items/0/task_id" }) };
      api.get("/tasks", { schema: list, links: listLinks }, async (request) => {
        const { querystring } = requestInput(request, { querystring: ListTasksQuery }, ({ querystring: q }) =>
          dueRangeViolations(q, "/querystring"),
        );
        return tasks.list(request.userId, querystring);
      });

      const withId = { params: TaskIdParams };
      const oneTask = { ...bearerRoute, ...withId, response: responses({ 200: Task }) };
      const idChecks = ({ params }: { params: { task_id: string } }) => pathTaskIdViolations(params, "/params");

      const linksFrom = (self: string) => ({ 200: linksTo(others(self), answeredTask) });

      api.get(
        "/tasks/:task_id",
        { schema: { ...oneTask, operationId: OP.get }, links: linksFrom(OP.get) },
        async (request) => {
          const { params } = requestInput(request, withId, idChecks);
          return tasks.get(request.userId, pathTaskId(params));
        },
      );

      const update = { ...oneTask, operationId: OP.update, body: UpdateTaskBody };
      api.patch("/tasks/:task_id", { schema: update, links: linksFrom(OP.update) }, async (request) => {
        const { params, body } = requestInput(request, { ...withId, body: UpdateTaskBody }, idChecks);
        return bodyFields(() => tasks.update(request.userId, pathTaskId(params), body));
      });

      const deleted = { ...bearerRoute, ...withId, operationId: OP.delete, response: responses({ 204: NoContent }) };
      const deletedLinks = { 204: linksTo([OP.get], { task_id: "$request.path.task_id" }) };
      api.delete("/tasks/:task_id", { schema: deleted, links: deletedLinks }, async (request, reply) => {
        const { params } = requestInput(request, withId, idChecks);
        await tasks.remove(request.userId, pathTaskId(params));
        return reply.code(204).send();
      });

      const complete = { ...oneTask, operationId: OP.complete };
      api.post("/tasks/:task_id/complete", { schema: complete, links: linksFrom(OP.complete) }, async (request) => {
        const { params } = requestInput(request, withId, idChecks);
        return tasks.complete(request.userId, pathTaskId(params));
      });
    },
    { prefix: "/api" },
  );
}
