// The SMTP server process of test/support/smtp.ts (run with `node --import tsx`): a real SMTP server (smtp-server) on 127.0.0.1 that stores each message it accepts as a JSON file.
import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { ReceivedMail } from "./smtp";

const port = Number(process.env.SMTP_TEST_PORT);
const mailDir = process.env.SMTP_TEST_MAIL_DIR ?? "";
const user = process.env.SMTP_TEST_USER;
const password = process.env.SMTP_TEST_PASSWORD;

/** Every header of a message by its lower-case name, repeated ones joined by line feeds, as written (unfolded). */
function headersOf(lines: readonly { key: string; line: string }[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of lines) {
    const value = line
      .slice(line.indexOf(":") + 1)
      .replace(/\r?\n[ \t]+/g, " ")
      .trim();
    headers[key] = key in headers ? `${headers[key]}\n${value}` : value;
  }
  return headers;
}

const server = new SMTPServer({
  logger: false,
  // Plain SMTP only: the tests' clients connect to 127.0.0.1, where TLS would need a certificate they trust.
  disabledCommands: ["STARTTLS"],
  authOptional: user === undefined,
  allowInsecureAuth: true,
  onAuth(auth, _session, callback) {
    if (auth.username === user && auth.password === password) callback(null, { user: auth.username });
    else callback(new Error("Invalid username or password"));
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const raw = Buffer.concat(chunks);
      void (async () => {
        const parsed = await simpleParser(raw);
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          headers: headersOf(parsed.headerLines),
          subject: parsed.subject ?? "",
          text: parsed.text ?? "",
          raw: raw.toString("utf8"),
          receivedAt: new Date().toISOString(),
        };
        // Written whole, then renamed: a reader never sees half a message.
        const name = `${Date.now()}-${randomUUID()}.json`;
        await writeFile(join(mailDir, `.${name}`), JSON.stringify(mail));
        await rename(join(mailDir, `.${name}`), join(mailDir, name));
      })().then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    });
  },
});

server.on("error", (error) => console.error(`smtp server error: ${error.message}`));
server.listen(port, "127.0.0.1", () => console.log(`smtp server listening on 127.0.0.1:${port}`));
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
