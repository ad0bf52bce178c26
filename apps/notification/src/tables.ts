// The notification service's tables as Kysely sees them: one interface per table, matching the migrations.
import type { OutboxTables, ProcessedEventsTables, Database as ServiceDatabase } from "@event-platform/service-kit";
import type { ColumnType, Generated, Selectable } from "kysely";

/** A `bigint` column (a task id, a delivery id): node-postgres and PGlite return its decimal text; written as a number. */
type BigintColumn = ColumnType<string, number, number>;

/** Where a reminder stands: waiting for its time, fired (its `reminder.triggered` is in the outbox), or cancelled. */
export type ReminderStatus = "scheduled" | "triggered" | "cancelled";

/** One reminder of the schedule, keyed by its reminder id (the event's, or one derived from it: `derivedReminderId` in `reminder.ts`). */
export interface RemindersTable {
  reminder_id: string;
  user_id: string;
  task_id: BigintColumn;
  remind_at: Date;
  /** The contract's "where known" fields: null when the events did not carry them. */
  title: string | null;
  due_at: Date | null;
  remind_before_minutes: number | null;
  time_zone: string | null;
  status: ReminderStatus;
  /** The `reason` of the cancellation, when it gave one. */
  cancel_reason: string | null;
  triggered_at: Date | null;
  cancelled_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A user's channels. A user without a row has the defaults: in-app on, email and webhook off. */
export interface PreferencesTable {
  user_id: string;
  in_app: boolean;
  email: boolean;
  email_address: string | null;
  webhook: boolean;
  webhook_url: string | null;
  /** The Standard Webhooks signing secret (`whsec_…`), generated with the URL; a secret: never logged. */
  webhook_secret: string | null;
  updated_at: Generated<Date>;
}

/** An in-app notification: one per reminder. */
export interface NotificationsTable {
  notification_id: string;
  reminder_id: string;
  user_id: string;
  task_id: BigintColumn;
  title: string | null;
  remind_at: Date;
  due_at: Date | null;
  time_zone: string | null;
  created_at: Generated<Date>;
  read_at: Date | null;
}

/** The channels a reminder is delivered through. */
export type Channel = "in_app" | "email" | "webhook";

/** `skipped`: the channel was off, or not available, by the time its delivery was attempted. */
export type ChannelDeliveryStatus = "pending" | "delivered" | "failed" | "skipped";

/** One delivery of one reminder through one channel: unique per (reminder, channel). */
export interface DeliveriesTable {
  delivery_id: Generated<string>;
  reminder_id: string;
  channel: Channel;
  user_id: string;
  /** What is delivered (`DeliveryContent`), as the `reminder.triggered` event gave it. */
  content: ColumnType<unknown, string, never>;
  status: ChannelDeliveryStatus;
  /** Attempts started so far (counted when an attempt claims the row). */
  attempts: Generated<number>;
  /** When the next attempt may start; while an attempt runs, the end of its lease. */
  next_attempt_at: Generated<Date>;
  /** The attempt that holds the lease: only it may record the outcome. */
  claim_id: string | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type DeliveryOutcome = Exclude<ChannelDeliveryStatus, "pending">;

/** The record of each attempt: when, where to, and how it ended. */
export interface DeliveryAttemptsTable {
  delivery_id: BigintColumn;
  attempt: number;
  started_at: Date;
  finished_at: Generated<Date>;
  outcome: DeliveryOutcome;
  /** The email address or webhook URL tried; null in-app. */
  target: string | null;
  error: string | null;
}

export interface Tables extends OutboxTables, ProcessedEventsTables {
  reminders: RemindersTable;
  preferences: PreferencesTable;
  notifications: NotificationsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
}

export type Database = ServiceDatabase<Tables>;
export type ReminderRow = Selectable<RemindersTable>;
export type PreferencesRow = Selectable<PreferencesTable>;
export type NotificationRow = Selectable<NotificationsTable>;
