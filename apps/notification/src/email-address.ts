// Email addresses as the service accepts them: the WHATWG HTML "valid e-mail address" (what a browser's type=email takes), at most 254 characters.

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
