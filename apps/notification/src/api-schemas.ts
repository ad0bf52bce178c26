// JSON Schemas of the REST input (preferences, the notification list, a notification's id) and the rules a schema cannot state, each violation naming its field.
import { schemas as S } from "@event-platform/events";
import { TEXT_KEYWORD, type Violation } from "@event-platform/service-kit";
import Type from "typebox";
import { emailAddressProblem } from "./email-address";
import type { PreferencesInput } from "./preferences";
import { MAX_WEBHOOK_URL_LENGTH, webhookUrlProblem } from "./webhook";

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** `PUT /api/preferences`: the whole of a user's preferences; an omitted field takes its default. */
export const PreferencesBody = Type.Object(
  {
    in_app: Type.Optional(Type.Boolean({ description: "In-app notifications; on by default." })),
    email: Type.Optional(Type.Boolean({ description: "Email; needs email_address and an SMTP server." })),
    // One line of well-formed text: a NUL would fail the insert (a 500), a lone surrogate be stored as U+FFFD, and
    // the URL parser would silently drop a tab or line break, so what is stored would not be what was checked.
    email_address: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 254, [TEXT_KEYWORD]: "line" }))),
    webhook: Type.Optional(Type.Boolean({ description: "Signed webhooks; needs webhook_url." })),
    webhook_url: Type.Optional(
      Nullable(Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH, [TEXT_KEYWORD]: "line" })),
    ),
  },
  // Its example: in-app notifications only (email and webhooks need an address the service can reach).
  { ...closed, examples: [{ in_app: true, email: false, email_address: null, webhook: false, webhook_url: null }] },
);

/** What the service offers, against which preferences are checked. */
export interface ChannelAvailability {
  /** Whether an SMTP server is configured (SMTP_HOST). */
  email: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_ADDRESSES. */
  allowPrivateAddresses: boolean;
}

/**
 * The rules of preferences beyond their schema, each a violation under `prefix` naming the field: a valid email
 * address, and one when email is on; email only when the service has an SMTP server; a webhook URL that is
 * http(s), without credentials, not a private address (unless allowed), and one when the webhook is on.
 */
export function preferencesViolations(
  input: PreferencesInput,
  available: ChannelAvailability,
  prefix: string,
): Violation[] {
  const violations: Violation[] = [];
  const add = (field: string, message: string) => violations.push({ path: `${prefix}/${field}`, message });
  if (typeof input.email_address === "string") {
    const problem = emailAddressProblem(input.email_address);
    if (problem) add("email_address", problem);
  }
  if (input.email === true) {
    if (!available.email) {
      add("email", "the email channel is not available: this service has no SMTP server (SMTP_HOST is unset)");
    }
    if (typeof input.email_address !== "string") add("email_address", "is required when email is true");
  }
  if (typeof input.webhook_url === "string") {
    const problem = webhookUrlProblem(input.webhook_url, available.allowPrivateAddresses);
    if (problem) add("webhook_url", problem);
  }
  if (input.webhook === true && typeof input.webhook_url !== "string") {
    add("webhook_url", "is required when webhook is true");
  }
  return violations;
}

/** `GET /api/notifications`: a page of the caller's notifications, newest first. */
export const ListNotificationsQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean({ description: "Only unread (true) or read (false) notifications." })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "Page size, 20 by default." })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: "Notifications to skip." })),
  },
  closed,
);
export type ListNotificationsQuery = Type.Static<typeof ListNotificationsQuery>;

/** `/api/notifications/:notification_id/...`: a notification's id, a UUID. */
export const NotificationIdParams = Type.Object({ notification_id: S.Uuid }, closed);

const Timestamp = Type.Unsafe<string>({ ...S.Timestamp });
const page = <T extends Type.TSchema>(item: T) =>
  Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ minimum: 0, description: "Matches over all pages." }),
      limit: Type.Integer({ minimum: 1, maximum: 100 }),
      offset: Type.Integer({ minimum: 0 }),
    },
    closed,
  );

/** A notification as the API answers it (`Notification` in `notifications.ts`). */
export const NotificationAnswer = Type.Object(
  {
    notification_id: S.Uuid,
    reminder_id: S.Uuid,
    task_id: S.TaskId,
    title: Nullable(Type.String()),
    remind_at: Timestamp,
    due_at: Nullable(Timestamp),
    time_zone: Nullable(Type.String()),
    created_at: Timestamp,
    read_at: Nullable(Timestamp),
  },
  closed,
);

/** `GET /api/notifications`: a page of the caller's notifications. */
export const NotificationPageAnswer = page(NotificationAnswer);

/** The caller's preferences as the API answers them (`Preferences` in `preferences.ts`). */
export const PreferencesAnswer = Type.Object(
  {
    in_app: Type.Boolean(),
    email: Type.Boolean(),
    email_address: Nullable(Type.String()),
    webhook: Type.Boolean(),
    webhook_url: Nullable(Type.String()),
    webhook_secret: Nullable(
      Type.String({ description: "Receivers verify signatures with it; shown to its user only." }),
    ),
    updated_at: Nullable(Timestamp),
  },
  closed,
);
