// The subscription handler of `task-updates`: each update goes, as delivered, to its user's sockets on this instance, at once and in arrival order.
import { DropEvent, type EventHandler } from "@event-platform/service-kit";
import type { Connections } from "./connections";

/** The user an update is for (`data.user_id`, also its Kafka key), or undefined when it names none. */
export function recipientOf(event: { data?: unknown }): string | undefined {
  const { data } = event;
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const userId = (data as { user_id?: unknown }).user_id;
  return typeof userId === "string" && userId !== "" ? userId : undefined;
}

/**
 * Pushes each update to its user's sockets here (`Connections.send`: synchronously, so frames leave in the order
 * daprd delivers, which is Kafka's order per `user_id` key) and answers SUCCESS, also when the user has no socket
 * here (another replica may hold them; every replica receives every update). The frame is the CloudEvent as
 * delivered. The contract requires neither `data.user_id` nor `id`, but an update without a user can be delivered
 * to nobody, and one without an id breaks the board's protocol (it drops duplicates by id): both are answered DROP,
 * so that they land on `dead-letters` where operators see them, rather than vanish.
 */
export function taskUpdatesHandler(connections: Connections): EventHandler {
  return async ({ event, log }) => {
    const { id } = event as { id?: unknown };
    const userId = recipientOf(event);
    if (userId === undefined) {
      throw new DropEvent(`update ${JSON.stringify(id ?? null)} has no data.user_id: it can be delivered to nobody`);
    }
    if (typeof id !== "string" || id === "") {
      throw new DropEvent("the update has no id: the board could not tell it from a redelivery");
    }
    const sockets = connections.send(userId, JSON.stringify(event));
    log.debug({ userId, sockets }, "update pushed");
    return "SUCCESS";
  };
}
