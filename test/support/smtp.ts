// A real SMTP server for tests and the demo: a child process running smtp-server on 127.0.0.1 (smtp-process.ts) that keeps every message it accepts, read back with `messages()`.
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ServiceProcess, waitForPort } from "../../local/process";

/** One message the server accepted. */
export interface ReceivedMail {
  /** The envelope sender (`MAIL FROM`). */
  from: string;
  /** The envelope recipients (`RCPT TO`). */
  to: string[];
  /** Every header by its lower-case name (`message-id`, `subject`, ...), unfolded; repeated ones joined by line feeds. */
  headers: Record<string, string>;
  subject: string;
  /** The plain-text body, decoded (quoted-printable, base64, charset). */
  text: string;
  /** The message as it came over the wire. */
  raw: string;
  /** RFC 3339: when the server accepted it. */
  receivedAt: string;
}

export interface SmtpServerOptions {
  /** The port to listen on; a free one by default. */
  port?: number;
  /** With these, clients must log in (AUTH PLAIN or LOGIN, over plain SMTP); without, no login is needed. */
  auth?: { user: string; password: string };
  /** A folder that keeps the messages across starts (the demo's): created when missing, never deleted. */
  mailDir?: string;
}

export interface TestSmtpServer {
  host: "127.0.0.1";
  port: number;
  /** The messages accepted so far, in the order they arrived. */
  messages(): Promise<ReceivedMail[]>;
  /** Stops the process and removes what it stored (not the messages of an `options.mailDir`). */
  stop(): Promise<void>;
}

const SCRIPT = join(__dirname, "smtp-process.ts");

/**
 * Starts a real SMTP server (the smtp-server library) in a child process on 127.0.0.1, resolving once it accepts
 * connections. It speaks plain SMTP (no STARTTLS, so clients need no certificate) and accepts any sender and
 * recipient; each message is stored as it was received, and parsed (mailparser). Stop it with `stop()`; a process
 * left behind by a crashed runner is killed by its watchdog.
 */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const port = options.port ?? (await freePort());
  const root = await mkdtemp(join(tmpdir(), "smtp-server-"));
  const mailDir = options.mailDir ?? join(root, "mail");
  await mkdir(mailDir, { recursive: true });
  const child = ServiceProcess.start({
    name: "smtp",
    command: process.execPath,
    args: ["--import", "tsx", SCRIPT],
    env: {
      ...process.env,
      SMTP_TEST_PORT: String(port),
      SMTP_TEST_MAIL_DIR: mailDir,
      ...(options.auth ? { SMTP_TEST_USER: options.auth.user, SMTP_TEST_PASSWORD: options.auth.password } : {}),
    },
    logFile: join(root, "smtp.log"),
    stopTimeoutMs: 5_000,
  });
  try {
    await waitForPort("127.0.0.1", port, 30_000);
  } catch (error) {
    const log = await child.logTail();
    await child.stop();
    await rm(root, { recursive: true, force: true });
    throw new Error(`The SMTP server did not start on port ${port}: ${String(error)}\n${log}`);
  }
  return {
    host: "127.0.0.1",
    port,
    async messages() {
      const names = (await readdir(mailDir)).filter((name) => !name.startsWith("."));
      const mails = await Promise.all(
        names.map(async (name) => JSON.parse(await readFile(join(mailDir, name), "utf8")) as ReceivedMail),
      );
      return mails.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    },
    async stop() {
      await child.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
