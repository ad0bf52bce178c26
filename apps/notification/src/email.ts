// The email channel: a reminder as a plain-text message with a stable Message-ID, sent over SMTP with nodemailer (implicit TLS, or STARTTLS when the server offers it).
import { inTimeZone } from "@event-platform/service-kit";
import { createTransport } from "nodemailer";
import type { SmtpConfig } from "./config";
import { mailboxAddress } from "./email-address";
import type { DeliveryContent } from "./reminder";

/** One message, as nodemailer takes it. */
export interface ReminderEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** RFC 5322 msg-id, angle brackets included. */
  messageId: string;
}

/** An instant as its date and wall-clock time in a zone (UTC when none is known), to the minute. */
function localTime(iso: string, timeZone: string | undefined): string {
  const zone = timeZone ?? "UTC";
  const local = inTimeZone(new Date(iso), zone);
  return `${local.toPlainDate().toString()} ${local.toPlainTime().toString({ smallestUnit: "minute" })} (${zone})`;
}

/**
 * The email of a reminder. Its Message-ID is the same for every attempt (`<reminder id>.reminder@<domain of
 * SMTP_FROM>`), so a mail system or reader that already has the message (a send whose outcome was not recorded
 * before a crash, then repeated) can recognise the repeat.
 */
export function reminderEmail(content: DeliveryContent, from: string, to: string): ReminderEmail {
  const what = content.title ?? `task ${content.task_id}`;
  const lines = [
    `Reminder: ${what}`,
    "",
    ...(content.due_at ? [`Due: ${localTime(content.due_at, content.time_zone)}`] : []),
    `Reminder time: ${localTime(content.remind_at, content.time_zone)}`,
    `Task: ${content.task_id}`,
    "",
    "You get this email because email reminders are on in your notification preferences.",
  ];
  const domain = mailboxAddress(from).split("@")[1] ?? "localhost";
  return {
    from,
    to,
    subject: `Reminder: ${what}`,
    text: `${lines.join("\n")}\n`,
    messageId: `<${content.reminder_id}.reminder@${domain}>`,
  };
}

/** Sends reminder emails through one SMTP server. */
export interface Mailer {
  /** Resolves once the server accepted the message for `to`; throws otherwise (or after `timeoutMs`). */
  send(to: string, content: DeliveryContent): Promise<void>;
}

/**
 * A mailer on the configured SMTP server: a connection per message (no pool to go stale between reminders), with
 * `secure` as configured (implicit TLS) or else STARTTLS whenever the server offers it (nodemailer's default,
 * `smtp-connection`: it upgrades when EHLO lists STARTTLS, and fails rather than continue in clear if the upgrade
 * fails); certificates verified. Connecting, the greeting and any silence each time out after `timeoutMs`, and so
 * does the whole send. nodemailer's logger stays off: the password is never logged.
 */
export function createMailer(smtp: SmtpConfig): Mailer {
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.auth ? { auth: { user: smtp.auth.user, pass: smtp.auth.password } } : {}),
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    dnsTimeout: smtp.timeoutMs,
  });
  return {
    async send(to, content) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`SMTP send took more than ${smtp.timeoutMs} ms`)), smtp.timeoutMs);
      });
      const sending = transport.sendMail(reminderEmail(content, smtp.from, to));
      // A send that outlives its deadline may still fail later: that failure must not surface as unhandled.
      sending.catch(() => {});
      try {
        const info = await Promise.race([sending, deadline]);
        if (info.rejected.length > 0) throw new Error(`the SMTP server refused ${info.rejected.join(", ")}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
