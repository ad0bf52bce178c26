// The scheduler: in one transaction, takes the reminders whose time has come, marks them triggered and stores their `reminder.triggered` events in the outbox; safe with any number of replicas.
import { appendToOutbox, type PassOutcome } from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import { reminderOfRow, takeDueReminders } from "./schedule";
import type { Database } from "./tables";
import { triggeredEntry } from "./triggered-event";

export interface SchedulerOptions {
  /** Reminders triggered per transaction, at most. */
  batchSize: number;
  /** The `source` of the events, `eventSource(appId)`. */
  source: string;
  /** Called after a commit that stored events, to wake the outbox relay. */
  onEventsStored: () => void;
  log: FastifyBaseLogger;
}

/**
 * One pass of the scheduler: triggers a batch of due reminders (`takeDueReminders`, `FOR UPDATE SKIP LOCKED`, so
 * replicas share the work and never trigger one twice) and appends their events to the outbox in the same
 * transaction, so a reminder is marked triggered exactly when its event will be published. A cancelled reminder is
 * never `scheduled`, so nothing is published for it. (Old processed-event records are the kit's
 * `processedEventsPurger`'s business.)
 */
export function schedulerPass(database: Database, options: SchedulerOptions): () => Promise<PassOutcome> {
  return async () => {
    const triggered = await database.db.transaction().execute(async (trx) => {
      const due = await takeDueReminders(trx, options.batchSize);
      const entries = due.map((row) =>
        triggeredEntry(reminderOfRow(row), row.triggered_at ?? new Date(), options.source),
      );
      await appendToOutbox(trx, entries);
      return due;
    });
    if (triggered.length > 0) {
      options.onEventsStored();
      options.log.info({ reminders: triggered.map((row) => row.reminder_id) }, "reminders triggered");
    }
    return triggered.length === options.batchSize ? "more" : "idle";
  };
}
