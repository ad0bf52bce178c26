// The scheduler: in one transaction, takes the reminders whose time has come, marks them triggered and stores their `reminder.triggered` events in the outbox; safe with any number of replicas.
import { TOPICS } from "@event-platform/events";
import { appendToOutbox, type PassOutcome, purgeProcessedEvents } from "@event-platform/service-kit";
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

const HOUR_MS = 3_600_000;
/**
 * Processed-event records are kept a day longer than `reminders` keeps its records: by then no broker holds the
 * event, so none can be redelivered.
 */
const PROCESSED_EVENTS_KEPT_MS = TOPICS.reminders.retentionMs + 24 * HOUR_MS;

/**
 * One pass of the scheduler: triggers a batch of due reminders (`takeDueReminders`, `FOR UPDATE SKIP LOCKED`, so
 * replicas share the work and never trigger one twice) and appends their events to the outbox in the same
 * transaction, so a reminder is marked triggered exactly when its event will be published. A cancelled reminder is
 * never `scheduled`, so nothing is published for it. Once an hour it also forgets old processed-event records.
 */
export function schedulerPass(database: Database, options: SchedulerOptions): () => Promise<PassOutcome> {
  let lastPurge = 0;
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
    if (Date.now() - lastPurge >= HOUR_MS) {
      lastPurge = Date.now();
      const purged = await purgeProcessedEvents(database.db, new Date(Date.now() - PROCESSED_EVENTS_KEPT_MS));
      if (purged > 0) options.log.info({ purged }, "old processed-event records forgotten");
    }
    return triggered.length === options.batchSize ? "more" : "idle";
  };
}
