// The handlers of the `reminders` subscription: scheduled and cancelled keep the schedule, triggered makes the deliveries; each event is processed once (kit processOnce), in one transaction with its effect.
import type { ContractReminderEvent, EventType } from "@event-platform/events";
import { type Delivery, type EventHandler, ignoreEvent, processOnce, textProblems } from "@event-platform/service-kit";
import type { Kysely } from "kysely";
import { APPS } from "../../../specs/apps";
import { createDeliveries } from "./deliveries";
import { preferencesOf } from "./preferences";
import { type DeliveryContent, instant, reminderData, reminderOf } from "./reminder";
import { cancelReminder, noteTriggered, scheduleReminder } from "./schedule";
import type { Channel, Tables } from "./tables";

const SUBSCRIPTION = APPS.notification.subscriptions[0];

/** The path the catalog (specs/apps.ts) routes an event type to. */
function pathOf(type: EventType): string {
  const route = SUBSCRIPTION.routes.find((r) => r.type === type);
  if (!route) throw new Error(`specs/apps.ts routes no ${type} to the notification service`);
  return route.path;
}

/** The longest cancellation reason kept (one line of text; anything else is not kept): the project's are single words. */
const MAX_REASON_LENGTH = 100;

export interface HandlerOptions {
  db: Kysely<Tables>;
  /** Called after a commit that made pending deliveries, to wake the delivery worker. */
  onDeliveriesMade: () => void;
}

/**
 * The subscriber's event. The kit has checked it against the contract of the subscription's topic, `reminders`,
 * whose events all have this shape; its type names the topic only generically.
 */
const reminderEvent = (delivery: Delivery) => delivery.event as unknown as ContractReminderEvent;

/**
 * When a triggered reminder fired: its `triggered_at` when that is a contract `date-time` (the contract does not
 * check this field), else the event's `time`, else now.
 */
function triggeredAtOf(event: ContractReminderEvent): Date {
  const given = (event.data as { triggered_at?: unknown }).triggered_at;
  return (typeof given === "string" ? instant(given) : undefined) ?? instant(event.time) ?? new Date();
}

/**
 * A handler per subscribed path. An event is answered DROP (`DropEvent`) when no retry can make it usable
 * (`reminderOf`), and RETRY (any other error) when the database fails. A redelivered event (same `source` and
 * `id`) changes nothing.
 */
export function reminderHandlers(options: HandlerOptions): Record<string, EventHandler> {
  const { db } = options;
  const scheduled: EventHandler = async (delivery) => {
    const event = reminderEvent(delivery);
    const reminder = reminderOf(event.data);
    const outcome = await processOnce(db, event, async (trx) => {
      const status = await scheduleReminder(trx, reminder);
      delivery.log.info({ reminderId: reminder.reminderId, status: status ?? "another user's" }, "reminder scheduled");
    });
    if (outcome === "duplicate") delivery.log.info("already processed");
    return "SUCCESS";
  };

  const cancelled: EventHandler = async (delivery) => {
    const event = reminderEvent(delivery);
    const reminder = reminderOf(event.data);
    const reason = (event.data as { reason?: unknown }).reason;
    const outcome = await processOnce(db, event, async (trx) => {
      const status = await cancelReminder(
        trx,
        reminder,
        typeof reason === "string" && textProblems(reason, "line").length === 0
          ? reason.slice(0, MAX_REASON_LENGTH)
          : undefined,
      );
      delivery.log.info({ reminderId: reminder.reminderId, status: status ?? "another user's" }, "reminder cancelled");
    });
    if (outcome === "duplicate") delivery.log.info("already processed");
    return "SUCCESS";
  };

  const triggered: EventHandler = async (delivery) => {
    const event = reminderEvent(delivery);
    const reminder = reminderOf(event.data);
    const content: DeliveryContent = { ...reminderData(reminder), triggered_at: triggeredAtOf(event).toISOString() };
    let pending = 0;
    const outcome = await processOnce(db, event, async (trx) => {
      if ((await noteTriggered(trx, reminder)) === "cancelled") {
        delivery.log.info({ reminderId: reminder.reminderId }, "reminder was cancelled: nothing delivered");
        return;
      }
      const preferences = await preferencesOf(trx, reminder.userId);
      const channels: Channel[] = [];
      if (preferences.in_app) channels.push("in_app");
      if (preferences.email) channels.push("email");
      if (preferences.webhook) channels.push("webhook");
      pending = await createDeliveries(trx, reminder, content, channels);
      delivery.log.info({ reminderId: reminder.reminderId, channels }, "reminder deliveries made");
    });
    if (outcome === "duplicate") delivery.log.info("already processed");
    if (pending > 0) options.onDeliveriesMade();
    return "SUCCESS";
  };

  return {
    [pathOf("com.taskmanager.reminder.scheduled")]: scheduled,
    [pathOf("com.taskmanager.reminder.cancelled")]: cancelled,
    [pathOf("com.taskmanager.reminder.triggered")]: triggered,
    [SUBSCRIPTION.defaultPath]: ignoreEvent,
  };
}
