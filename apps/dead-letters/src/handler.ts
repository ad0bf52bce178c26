// The subscription handler of `dead-letters`: every delivery becomes (or counts towards) an entry, whatever it holds.
import type { RawEventHandler } from "@event-platform/service-kit";
import type { Kysely } from "kysely";
import { readDeadLetter } from "./letters";
import { recordDeadLetter } from "./store";
import type { Tables } from "./tables";

export interface DeadLetterHandlerDependencies {
  db: Kysely<Tables>;
  /** Called after the commit that made a new entry (not for a repeat): its alert is pending. */
  onNewEntry: () => void;
}

/**
 * Answers SUCCESS to every dead letter once it is stored, malformed or not JSON at all: this subscription has no
 * dead-letter topic, so anything but SUCCESS would be redelivered for ever and stall its partition. Only a failed
 * write (the database is down) rejects, which the kit answers RETRY.
 */
export function deadLetterHandler(deps: DeadLetterHandlerDependencies): RawEventHandler {
  return async (delivery) => {
    const letter = readDeadLetter(delivery);
    const { id, created } = await recordDeadLetter(deps.db, letter);
    if (created) deps.onNewEntry();
    delivery.log.info(
      { deadLetter: id, topic: letter.topic, eventId: letter.eventId, eventType: letter.eventType },
      created ? "dead letter stored" : "dead letter received again",
    );
    return "SUCCESS";
  };
}
