// The demo's mail sink: a real SMTP server (test/support/smtp.ts) that keeps every message, and a web page that lists them, so a user sees the reminder emails the notification service sends.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ReceivedMail, startSmtpServer } from "../test/support/smtp";

export interface MailSink {
  /** Where the notification service sends (SMTP_HOST, SMTP_PORT): plain SMTP, no login. */
  smtp: { host: "127.0.0.1"; port: number };
  /** The listing page (`/`, newest first) and the messages as JSON (`/messages.json`). */
  url: string;
  messages(): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** The listing page: every message, newest first, its text as sent; it reloads itself every 5 s. */
export function mailPage(messages: readonly ReceivedMail[]): string {
  const items = [...messages]
    .reverse()
    .map(
      (m) => `<article>
<h2>${escapeHtml(m.subject || "(no subject)")}</h2>
<p>${escapeHtml(m.receivedAt)} · from ${escapeHtml(m.headers.from ?? m.from)} · to ${escapeHtml(m.to.join(", "))}</p>
<pre>${escapeHtml(m.text)}</pre>
</article>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Demo mail (${messages.length})</title></head>
<body>
<h1>Mail sent by the demo (${messages.length})</h1>
${items || "<p>No mail yet. Turn email on in a user's preferences and set a reminder.</p>"}
</body>
</html>
`;
}

/** Nothing on the page may load or run anything: it shows text that users wrote (task titles). */
const PAGE_HEADERS = {
  "content-security-policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Starts the SMTP server on 127.0.0.1:`smtpPort`, keeping messages in `mailDir`, and the listing page on
 * 127.0.0.1:`pagePort` (0: a free port). Stop it after the services that send mail.
 */
export async function startMailSink(options: {
  mailDir: string;
  /** The SMTP port; a free one by default. */
  smtpPort?: number;
  pagePort: number;
}): Promise<MailSink> {
  const smtp = await startSmtpServer({
    mailDir: options.mailDir,
    ...(options.smtpPort === undefined ? {} : { port: options.smtpPort }),
  });
  let page: Server;
  try {
    page = createServer((request, response) => {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      if (request.method !== "GET" || (path !== "/" && path !== "/messages.json")) {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
      smtp.messages().then(
        (messages) => {
          if (path === "/messages.json") {
            response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(messages));
          } else {
            response
              .writeHead(200, { ...PAGE_HEADERS, "content-type": "text/html; charset=utf-8" })
              .end(mailPage(messages));
          }
        },
        (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      page.once("error", reject);
      page.listen(options.pagePort, "127.0.0.1", () => resolve());
    });
  } catch (error) {
    await smtp.stop();
    throw error;
  }
  const { port } = page.address() as AddressInfo;
  return {
    smtp: { host: smtp.host, port: smtp.port },
    url: `http://127.0.0.1:${port}`,
    messages: () => smtp.messages(),
    async stop() {
      await new Promise<void>((resolve) => {
        page.close(() => resolve());
        page.closeAllConnections();
      });
      await smtp.stop();
    },
  };
}
