// The handler of task.completed: asks the backend (Dapr service invocation) for the next occurrence of the completed task, once per event.
import type { ContractTaskEvent } from "@event-platform/events";
import { type EventHandler, processedEventKey, processOnce, type SidecarClient } from "@event-platform/service-kit";
import type { Kysely } from "kysely";
import { nextOccurrenceResult } from "./backend-answer";
import type { Tables } from "./tables";

export interface TaskCompletedDeps {
  db: Kysely<Tables>;
  /** The service's sidecar: it invokes the backend. */
  sidecar: Pick<SidecarClient, "invoke">;
  /** The backend's Dapr app id (BACKEND_APP_ID). */
  backendAppId: string;
}

/**
 * Handles a `task.completed` delivery (valid under the contract of `task-events`, which requires only `task_id` and
 * `user_id` in `data`):
 * - `data.is_recurring === false`: SUCCESS without a call, the task has no next occurrence;
 * - otherwise, `is_recurring` true or absent: `POST /internal/tasks/<task_id>/next-occurrence` on the backend with
 *   `{ event_id, user_id }`, inside `processOnce`: the event is recorded in `processed_events`, and the next task it
 *   produced in `next_occurrences`, in the transaction that is open during the call. A redelivered event finds its
 *   record and makes no second call; one whose call failed was rolled back and asks again, which the backend
 *   answers with the first next task of (user, task), whatever the event id. The verdicts are `nextOccurrenceResult`'s.
 *
 * The open transaction also makes concurrent deliveries of one event wait for each other (the primary key), so
 * the backend is asked at most once per delivery and the next task is created once.
 */
export function taskCompletedHandler(deps: TaskCompletedDeps): EventHandler {
  return async ({ event: delivered, log }) => {
    // The route is subscribed to task-events only; the kit checked the event against that topic's contract.
    const event = delivered as ContractTaskEvent;
    const { task_id: taskId, user_id: userId } = event.data;
    if ((event.data as { is_recurring?: unknown }).is_recurring === false) {
      log.debug({ taskId }, "task.completed of a task that does not recur: nothing to do");
      return "SUCCESS";
    }
    const outcome = await processOnce(deps.db, event, async (trx) => {
      const answer = await deps.sidecar.invoke(deps.backendAppId, "POST", `/internal/tasks/${taskId}/next-occurrence`, {
        event_id: event.id,
        user_id: userId,
      });
      const result = nextOccurrenceResult(answer);
      if (result.kind === "none") {
        log.info({ taskId, reason: result.reason }, "no next occurrence: the backend says there is nothing to do");
        return;
      }
      await trx
        .insertInto("next_occurrences")
        .values({
          event_key: processedEventKey(event),
          user_id: userId,
          task_id: taskId,
          next_task_id: result.nextTaskId,
          created: result.created,
        })
        .execute();
      log.info({ taskId, nextTaskId: result.nextTaskId, created: result.created }, "next occurrence");
    });
    if (outcome === "duplicate") log.info({ taskId }, "task.completed handled before: no second request");
    return "SUCCESS";
  };
}
