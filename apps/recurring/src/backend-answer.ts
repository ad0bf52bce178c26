// What the backend's answer to a next-occurrence request means for the task.completed delivery: the next task, nothing to do, DROP or RETRY.
import { DropEvent, type InvocationAnswer } from "@event-platform/service-kit";

/** What a next-occurrence request came to, when the event is done with. */
export type NextOccurrenceResult =
  /** The backend created the next task now (201), or had for an earlier request for this task (200). */
  | { kind: "next"; nextTaskId: number; created: boolean }
  /** The task admits no next occurrence (409: not completed, not recurring, or its series ends): nothing to do. */
  | { kind: "none"; reason: string };

/** A message from the answer for the logs: the kit's error body names it; anything else is cut short. */
function messageOf(answer: InvocationAnswer): string {
  const { body } = answer;
  const message =
    typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string"
      ? (body as { message: string }).message
      : typeof body === "string"
        ? body
        : "";
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/**
 * Reads the backend's answer to `POST /internal/tasks/:task_id/next-occurrence` (passed through by the sidecars):
 * - 201 or 200 with the task: the next occurrence (`task_id` of the body);
 * - 409: nothing to do, the task as it is has no next occurrence;
 * - 404 (no such task, or not the event's user's) or any other 4xx but 401/403: throws `DropEvent`, since the same
 *   request can never succeed; the event goes to the dead-letter topic;
 * - 401/403 (a wrong app or API token: an operator error a fix clears), 5xx (the backend, or daprd's own
 *   ERR_DIRECT_INVOKE when it cannot reach the backend), a 2xx without a task id, anything else: throws an `Error`,
 *   answered RETRY.
 */
export function nextOccurrenceResult(answer: InvocationAnswer): NextOccurrenceResult {
  const { status } = answer;
  const message = messageOf(answer);
  if (status === 200 || status === 201) {
    const nextTaskId = (answer.body as { task_id?: unknown } | undefined)?.task_id;
    if (typeof nextTaskId !== "number" || !Number.isSafeInteger(nextTaskId) || nextTaskId < 1) {
      throw new Error(`the backend answered ${status} without the next task's task_id`);
    }
    return { kind: "next", nextTaskId, created: status === 201 };
  }
  if (status === 409) return { kind: "none", reason: message };
  if (status === 401 || status === 403) {
    throw new Error(
      `the backend refused the call with ${status} (are APP_API_TOKEN and DAPR_API_TOKEN right?): ${message}`,
    );
  }
  if (status === 404) throw new DropEvent(`the backend has no such task of this user (404): ${message}`);
  if (status >= 400 && status < 500) throw new DropEvent(`the backend refused the request with ${status}: ${message}`);
  throw new Error(`the backend answered ${status}: ${message}`);
}
