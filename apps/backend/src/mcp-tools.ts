// The MCP tools: names, descriptions and input schemas, each run through the same service functions (and events) as REST.

import { InvalidInputError, ServiceError, validated } from "@event-platform/service-kit";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type Type from "typebox";
import {
  CreateTaskBody,
  dueRangeViolations,
  ListTasksQuery,
  TaskIdArguments,
  UpdateTaskArguments,
} from "./api-schemas";
import type { TaskService } from "./task-service";

interface TaskTool<S extends Type.TSchema> {
  description: string;
  input: S;
  annotations: NonNullable<Tool["annotations"]>;
  run(tasks: TaskService, userId: string, args: Type.Static<S>): Promise<Record<string, unknown>>;
}

// Inferring each tool's argument type from its own schema, while the map stays indexable by name.
const tool = <S extends Type.TSchema>(definition: TaskTool<S>) => definition as unknown as TaskTool<Type.TSchema>;

export const TASK_TOOLS: Record<string, TaskTool<Type.TSchema>> = {
  add_task: tool({
    description: "Create a task for the signed-in user. Returns the new task.",
    input: CreateTaskBody,
    annotations: { title: "Add task", readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    run: (tasks, userId, args) => tasks.create(userId, args),
  }),
  list_tasks: tool({
    description:
      "List the signed-in user's tasks: filter by completion, priority, tag and due range, search title and description, sort and page.",
    input: ListTasksQuery,
    annotations: { title: "List tasks", readOnlyHint: true },
    run: async (tasks, userId, args) => {
      const violations = dueRangeViolations(args, "");
      if (violations.length > 0) throw new InvalidInputError(violations);
      return { ...(await tasks.list(userId, args)) };
    },
  }),
  update_task: tool({
    description: "Change fields of one of the user's tasks; fields not given stay as they are. Returns the task.",
    input: UpdateTaskArguments,
    annotations: { title: "Update task", readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: (tasks, userId, { task_id, ...patch }) => {
      if (Object.keys(patch).length === 0) {
        throw new InvalidInputError([{ path: "", message: "must change at least one field besides task_id" }]);
      }
      return tasks.update(userId, task_id, patch);
    },
  }),
  complete_task: tool({
    description:
      "Mark one of the user's tasks completed; a recurring task then gets its next occurrence. Returns the task.",
    input: TaskIdArguments,
    annotations: { title: "Complete task", readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: (tasks, userId, { task_id }) => tasks.complete(userId, task_id),
  }),
  delete_task: tool({
    description: "Delete one of the user's tasks. Its subtasks stay, detached (their parent_task_id becomes null).",
    input: TaskIdArguments,
    annotations: { title: "Delete task", readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: async (tasks, userId, { task_id }) => {
      await tasks.remove(userId, task_id);
      return { task_id, deleted: true };
    },
  }),
};

/** The tools as `tools/list` describes them. */
export function toolList(): Tool[] {
  return Object.entries(TASK_TOOLS).map(([name, t]) => ({
    name,
    description: t.description,
    inputSchema: JSON.parse(JSON.stringify(t.input)) as Tool["inputSchema"],
    annotations: t.annotations,
  }));
}

/**
 * Runs a tool for a user. Bad arguments, a missing task and other service errors come back as tool errors
 * (`isError`), which the model can read and correct, with the HTTP status REST would have answered; a task of
 * another user is "not found" here too.
 */
export async function callTool(
  tasks: TaskService,
  userId: string,
  name: string,
  args: unknown,
): Promise<CallToolResult> {
  // Own properties only: a name such as "constructor" must not find Object.prototype's.
  const definition = Object.hasOwn(TASK_TOOLS, name) ? TASK_TOOLS[name] : undefined;
  if (!definition) return toolError(404, `Unknown tool ${name}; the tools are ${Object.keys(TASK_TOOLS).join(", ")}`);
  try {
    const result = await definition.run(tasks, userId, validated(definition.input, args ?? {}));
    return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
  } catch (error) {
    if (error instanceof InvalidInputError) return toolError(400, "Invalid arguments", error.violations);
    if (error instanceof ServiceError) return toolError(error.statusCode, error.message);
    throw error;
  }
}

function toolError(status: number, message: string, violations?: { path: string; message: string }[]): CallToolResult {
  const error = { status, message, ...(violations ? { violations } : {}) };
  return { isError: true, content: [{ type: "text", text: JSON.stringify({ error }) }], structuredContent: { error } };
}
