// `npm run demo`: the whole event system on this machine (local/system.ts), its progress as it starts, the URLs and sample tokens once up, and the ordered shutdown on Ctrl-C.
import path from "node:path";
import { parseArgs } from "node:util";
import { APPS } from "../specs/apps";
import { DEFAULT_DATA_DIR, DemoDataMismatch } from "./demo-data";
import { SAMPLE_OPERATOR, SAMPLE_USERS, TOKEN_LIFETIME_SECONDS } from "./demo-tokens";
import { type Progress, type RunningSystem, startSystem } from "./system";

/** The mail page's port when free (MailHog's and Mailpit's habit). */
const MAIL_PAGE_PORT = 8025;
/** Signals this soon after the first are the same Ctrl-C relayed by npm and tsx, not a second one. */
const SIGNAL_ECHO_MS = 1_000;

const USAGE = `Usage: npm run demo [-- --fresh] [-- --data-dir DIR]

  --fresh          delete the demo's data (Kafka's and the databases' together) and start over
  --data-dir DIR   keep the data in DIR (default: ${path.relative(process.cwd(), DEFAULT_DATA_DIR) || "."})

Environment: KAFKA_BROKERS (an existing Kafka cluster instead of the demo's own broker), DATABASE_URL (one
PostgreSQL database for every service instead of embedded PostgreSQL), LOG_LEVEL (the services', default warn).`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One progress line: the time since the start, the piece, and what happened to it. */
function progressLine(startedAt: number, progress: Progress): string {
  const at = `[${seconds(Date.now() - startedAt).padStart(7)}]`;
  const piece = progress.piece.padEnd(22);
  switch (progress.state) {
    case "starting":
      return `${at} ${piece} waiting…`;
    case "stopping":
      return `${at} ${piece} stopping…`;
    case "note":
      return `${at} ${piece} ${progress.detail ?? ""}`;
    default:
      return `${at} ${piece} ${progress.state} in ${seconds(progress.ms ?? 0)}${progress.detail ? `  ${progress.detail}` : ""}`;
  }
}

/** What a user needs once the system is up: where everything is, tokens, and commands to try. */
async function welcome(system: RunningSystem): Promise<string[]> {
  const url = (id: string) => system.apps[id]?.url ?? "";
  const relative = (file: string) => path.relative(process.cwd(), file) || ".";
  const users = await Promise.all(SAMPLE_USERS.map(async (user) => [user, await system.token(user)] as const));
  const operator = await system.token(SAMPLE_OPERATOR, { operator: true });
  const backend = url(APPS.backend.id);
  const lines = [
    "",
    `REST API        ${backend}/api/tasks`,
    `MCP             ${backend}/mcp   (streamable HTTP, same bearer token)`,
    `Live board      ${url(APPS.gateway.id)}/   (sign in with a user's token)`,
    `Notifications   ${url(APPS.notification.id)}/api/notifications   (and /api/preferences)`,
    `Dead letters    ${url(APPS.deadLetters.id)}/api/dead-letters   (operator token)`,
    `Mail            ${system.mail.url}/`,
    `Health          ${backend}/readyz   (every service answers /readyz)`,
    `Sidecars        ${Object.values(system.apps)
      .map((app) => `${app.spec.id} ${app.sidecarUrl}`)
      .join(", ")}   (daprd's HTTP API)`,
    `Kafka           ${system.kafka.bootstrap}${system.kafka.topicPrefix ? `   (topics under ${system.kafka.topicPrefix})` : ""}`,
    `Data            ${relative(system.paths.root)}   (sidecar logs in ${relative(system.paths.logs)})`,
  ];
  lines.push(
    "",
    `Tokens, valid ${TOKEN_LIFETIME_SECONDS / 3600} h (signing key: ${relative(system.paths.signingKey)}; more: npm run demo:token -- <user> [--operator]):`,
    ...users.map(([user, token]) => `  export ${user.toUpperCase()}=${token}`),
    `  export ${SAMPLE_OPERATOR.toUpperCase()}=${operator}   # operator`,
    "",
    "Try, in another terminal after the exports:",
    `  curl -s -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' \\`,
    `    -d '{"title":"Water the plants","priority":"high"}' ${backend}/api/tasks`,
    `  curl -s -H "Authorization: Bearer $ALICE" ${backend}/api/tasks`,
    `  curl -s -H "Authorization: Bearer $BOB" ${backend}/api/tasks        # Bob sees none of Alice's tasks`,
    `  curl -s -H "Authorization: Bearer $OPS" ${url(APPS.deadLetters.id)}/api/dead-letters`,
    "",
    "Press Ctrl-C to stop: deliveries first, then each service (flushing its outbox), the sidecars, mail and Kafka.",
  );
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { fresh: { type: "boolean" }, "data-dir": { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // Progress lines count from the start, then from the stop.
  let startedAt = Date.now();
  const log = (line: string) => console.log(line);
  const starting = new AbortController();
  let system: RunningSystem | undefined;
  let firstSignalAt: number | undefined;
  const onSignal = () => {
    const now = Date.now();
    if (firstSignalAt !== undefined) {
      if (now - firstSignalAt < SIGNAL_ECHO_MS) return;
      log("Stopping at once: what was not flushed is published on the next start.");
      process.exit(1);
    }
    firstSignalAt = now;
    startedAt = now;
    log(system ? "Stopping in order… (Ctrl-C again to stop at once)" : "Interrupted: stopping what has started…");
    starting.abort();
    system?.stop().then(
      () => {
        log("Stopped; the data is kept for the next start.");
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const dataDir = path.resolve(values["data-dir"] ?? DEFAULT_DATA_DIR);
  const kafkaBrokers = process.env.KAFKA_BROKERS?.trim();
  const databaseUrl = process.env.DATABASE_URL?.trim();
  log(`Starting the event system; data in ${dataDir}${values.fresh ? " (fresh)" : ""}`);
  try {
    system = await startSystem({
      dataDir,
      fresh: values.fresh ?? false,
      ...(kafkaBrokers ? { kafka: { bootstrap: kafkaBrokers } } : {}),
      ...(databaseUrl ? { databaseUrl } : {}),
      ports: "catalog",
      mailPagePort: MAIL_PAGE_PORT,
      env: process.env,
      onProgress: (progress) => log(progressLine(startedAt, progress)),
      signal: starting.signal,
    });
  } catch (error) {
    if (starting.signal.aborted) process.exit(0);
    console.error(error instanceof DemoDataMismatch ? `\n${error.message}` : error);
    process.exit(1);
  }
  log(`Ready in ${seconds(Date.now() - startedAt)}.`);
  for (const line of await welcome(system)) log(line);
}

void main();
