// Email addresses as the service accepts them: the WHATWG HTML "valid e-mail address" (what a browser's type=email takes), at most 254 characters; and the one mailbox of the sender.
import { textProblems } from "@event-platform/service-kit";

/**
 * The WHATWG HTML Living Standard's "valid e-mail address" (§ 4.10.5.1.5), a deliberate subset of RFC 5322's
 * addr-spec: no comments, no quoted local parts, no IP-literal domains. Every address it accepts is one nodemailer
 * and an SMTP server take as it is.
 */
const VALID_EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its angle brackets, so an address at most 254. */
const MAX_LENGTH = 254;

/** What is wrong with `value` as an email address, or undefined when nothing is. */
export function emailAddressProblem(value: string): string | undefined {
  if (value.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`;
  if (!VALID_EMAIL.test(value)) return "must be an email address (local-part@domain, as in a browser's email field)";
  return undefined;
}

/** The address of a mailbox written `address` or `Display Name <address>` (RFC 5322 name-addr). */
export function mailboxAddress(mailbox: string): string {
  return /<([^<>]*)>\s*$/.exec(mailbox)?.[1] ?? mailbox.trim();
}

// RFC 5322 name-addr: a display name, then the address in angle brackets.
const NAME_ADDR = /^(?<name>[^<>]*?)\s*<(?<address>[^<>]*)>$/;
// A display name: a quoted string without quote or backslash inside, or words without RFC 5322's specials (but
// "."), any of which could make nodemailer's address parser read a second mailbox or a group.
const QUOTED_NAME = /^"[^"\\]*"$/;
const PLAIN_NAME = /^[^"\\<>()[\]:;@,]+$/;

/**
 * What is wrong with `value` as one mailbox, `address` or `Display Name <address>`, or undefined when nothing is.
 * One line of text (no CR or LF: nodemailer would write them into the header, letting a value add headers such as
 * `Bcc`), one address (no list, no group), and that address valid by `emailAddressProblem`.
 */
export function mailboxProblem(value: string): string | undefined {
  const text = textProblems(value, "line");
  if (text.length > 0) return text.join("; ");
  const nameAddr = NAME_ADDR.exec(value)?.groups;
  const address = nameAddr ? (nameAddr.address ?? "") : value;
  const name = nameAddr?.name ?? "";
  if (name !== "" && !QUOTED_NAME.test(name) && !PLAIN_NAME.test(name)) {
    return 'must have a display name without , ; : @ < > ( ) [ ] \\ " unless it is in double quotes';
  }
  return emailAddressProblem(address);
}
