// schemathesis (PyPI) against every service's OpenAPI document: every phase (stateful along the document's links) and every check, on the real pieces (the service with its development sidecar, real Kafka and PostgreSQL).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { buildEvent, eventSource } from "@event-platform/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend } from "../../apps/backend/test/harness";
import { contractEvent, deliver, startDeskWithSidecar } from "../../apps/dead-letters/test/harness";
import { startGatewayPod } from "../../apps/gateway/test/harness";
import { scheduledData, startWithSidecar } from "../../apps/notification/test/harness";
import { startRecurringSidecar, startTestRecurring } from "../../apps/recurring/test/harness";
import { freePort } from "../../local/process";
import { recordTrials, type Trial } from "../support/reliability";
import { phasePassed, readSchemathesisLog, type SchemathesisLog, totalRequests } from "../support/schemathesis-log";
import {
  Cleanup,
  createTopics,
  fromSidecar,
  newUser,
  startAppSidecar,
  testStore,
  tokenFor,
  uniqueTag,
} from "../support/services";

const run = promisify(execFile);
const SCHEMATHESIS = path.resolve(__dirname, "../../scripts/schemathesis.sh");

/**
 * Test cases per operation and phase: enough for every phase to reach each field's edge cases, bounded so the
 * file (five services) stays within about two to three minutes on two cores.
 */
const MAX_EXAMPLES = 15;

/**
 * Every check but `positive_data_acceptance`: the document cannot state every rule a field follows (the `x-text`
 * rules of text a person wrote, a webhook URL's address policy, a due range's order, a parent task that must exist),
 * so data the schema allows may rightly get a 400 naming the field.
 */
const EXCLUDED_CHECKS = ["positive_data_acceptance"];

interface Outcome {
  exitCode: number;
  output: string;
  /** What the run did, by its NDJSON event log. */
  log: SchemathesisLog;
}

/**
 * Runs schemathesis on a service's document, with a bearer token when its routes need one; the run's report goes to
 * a folder of its own. Every phase is on (schemathesis's default), the stateful one included: it follows the links
 * the document declares, and those schemathesis infers (its default `dependency-analysis` and `location-headers`).
 */
async function schemathesis(baseUrl: string, token?: string): Promise<Outcome> {
  const dir = await mkdtemp(path.join(tmpdir(), "schemathesis-"));
  try {
    const ndjson = path.join(dir, "events.ndjson");
    const args = [
      "run",
      `${baseUrl}/openapi.json`,
      "--checks",
      "all",
      "--exclude-checks",
      EXCLUDED_CHECKS.join(","),
      ...(token === undefined ? [] : ["--header", `Authorization: Bearer ${token}`]),
      "--max-examples",
      String(MAX_EXAMPLES),
      "--seed",
      "17",
      "--workers",
      "1",
      "--generation-database",
      "none",
      "--report",
      "ndjson",
      "--report-ndjson-path",
      ndjson,
      "--no-color",
    ];
    const { exitCode, output } = await run(SCHEMATHESIS, args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 }).then(
      ({ stdout, stderr }) => ({ exitCode: 0, output: `${stdout}${stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        exitCode: typeof error.code === "number" ? error.code : -1,
        output: `${error.stdout ?? ""}${error.stderr ?? ""}`,
      }),
    );
    const events = (await readFile(ndjson, "utf8").catch(() => "")).split("\n");
    return { exitCode, output, log: readSchemathesisLog(events) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a service's run must show beyond exit 0: coverage and fuzzing ran and passed, and the phases that need state. */
interface Expected {
  /**
   * True: its input schemas give examples and the examples phase ran and passed. False: it takes no input (health
   * and a fixed config only), and the phase is skipped for want of examples.
   */
  examples: boolean;
  /**
   * True: its document declares links and the stateful phase ran and passed, with steps along them. False: it has
   * no links (no state over HTTP), and the phase is skipped as not applicable.
   */
  stateful: boolean;
}

const trials: Omit<Trial, "file">[] = [];

describe("schemathesis on every service", () => {
  const cleanup = new Cleanup();
  const prefix = uniqueTag();

  beforeAll(async () => {
    // The first run installs schemathesis and its pinned dependencies from PyPI into the cache.
    await run(SCHEMATHESIS, ["--install"]);
    await createTopics(prefix);
  }, 300_000);
  afterAll(async () => {
    await cleanup.run();
    recordTrials(__filename, trials);
  });

  const attack = async (name: string, baseUrl: string, token: string | undefined, expected: Expected) => {
    const { exitCode, output, log } = await schemathesis(baseUrl, token);
    const byPhase = Object.entries(log.phases)
      .filter(([, outcome]) => outcome.requests > 0)
      .map(([phase, outcome]) => `${phase} ${outcome.requests}`)
      .join(", ");
    const notApplicable = [
      ...(expected.examples ? [] : ["examples (no input)"]),
      ...(expected.stateful ? [] : ["stateful (no links: no state over HTTP)"]),
    ];
    trials.push({
      area: "bad input",
      name: "schemathesis, every phase (examples, coverage, fuzzing, stateful) and check: no 5xx, answers as documented",
      target: `${name} OpenAPI`,
      tries: totalRequests(log),
      lost: 0,
      duplicated: 0,
      leaked: 0,
      outcome: [
        exitCode === 0 ? "no failure" : "failures found",
        `requests by phase: ${byPhase}`,
        ...(expected.stateful
          ? [
              `stateful steps along links: ${log.declaredLinkSteps} declared (${log.declaredLinkSuccesses} answered 2xx), ${log.inferredLinkSteps} inferred`,
            ]
          : []),
        ...(notApplicable.length > 0 ? [`not applicable: ${notApplicable.join(", ")}`] : []),
      ].join("; "),
    });
    expect(exitCode, output).toBe(0);
    const ran = [
      "coverage",
      "fuzzing",
      ...(expected.examples ? ["examples"] : []),
      ...(expected.stateful ? ["stateful"] : []),
    ];
    for (const phase of ran) {
      expect(phasePassed(log.phases[phase]), `${phase}: ${log.phases[phase]?.statuses}\n${output}`).toBe(true);
      expect(log.phases[phase]?.requests, `${phase} sent no request\n${output}`).toBeGreaterThan(0);
    }
    if (expected.stateful) {
      expect(log.declaredLinks, "the document declares links").toBeGreaterThan(0);
      expect(log.declaredLinkSteps, `no stateful step followed a declared link\n${output}`).toBeGreaterThan(0);
      expect(log.declaredLinkSuccesses, `no declared link reached a resource\n${output}`).toBeGreaterThan(0);
    } else {
      expect(log.declaredLinks + log.inferredLinks).toBe(0);
      expect(log.phases.stateful?.statuses).toEqual(["skip"]);
    }
    if (!expected.examples) expect(log.phases.examples?.statuses).toEqual(["skip"]);
  };

  it("backend: tasks, created then read, changed, completed and deleted along the links", async () => {
    const store = cleanup.add(await testStore("postgres", "schemathesis_backend"));
    const daprPort = await freePort();
    const backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(daprPort) });
    cleanup.add({ stop: () => backend.close() });
    cleanup.add(
      await startAppSidecar({ appId: "backend", appPort: backend.port, httpPort: daprPort, topicPrefix: prefix }),
    );
    await attack("backend", backend.url, await tokenFor(newUser("schemathesis")), { examples: true, stateful: true });
  }, 180_000);

  it("recurring: health only (its work comes through its subscription)", async () => {
    const store = cleanup.add(await testStore("postgres", "schemathesis_recurring"));
    const daprPort = await freePort();
    const recurring = await startTestRecurring({ ...store.env, DAPR_HTTP_PORT: String(daprPort) });
    cleanup.add({ stop: () => recurring.close() });
    // No backend in this run: nothing here invokes it.
    const sidecar = await startRecurringSidecar({
      recurringPort: recurring.port,
      httpPort: daprPort,
      topicPrefix: prefix,
      backendUrl: "http://127.0.0.1:9",
    });
    cleanup.add(sidecar);
    await attack("recurring", recurring.url, undefined, { examples: false, stateful: false });
  }, 180_000);

  it("notification: a user's notifications read along the links, and preferences replaced and read", async () => {
    const store = cleanup.add(await testStore("postgres", "schemathesis_notification"));
    const running = await startWithSidecar(store.env, prefix);
    cleanup.add({ stop: () => running.stop() });
    const user = newUser("schemathesis");
    // Notifications come from reminders: three delivered as the sidecar would, so the list has some to mark read.
    for (const taskId of [1, 2, 3]) {
      const data = { ...scheduledData(user, taskId, -1_000), triggered_at: new Date().toISOString() };
      const event = buildEvent("com.taskmanager.reminder.triggered", data, { source: eventSource("notification") });
      const answer = await fetch(`${running.service.url}/events/reminder-triggered`, {
        method: "POST",
        headers: { ...fromSidecar("notification"), "content-type": "application/cloudevents+json" },
        body: JSON.stringify(event),
      });
      expect(await answer.json()).toEqual({ status: "SUCCESS" });
    }
    await attack("notification", running.service.url, await tokenFor(user), { examples: true, stateful: true });
  }, 180_000);

  it("gateway: health and the board's config (its WebSocket route: test/isolation/bad-input.int.test.ts)", async () => {
    const pod = await startGatewayPod({
      topicPrefix: prefix,
      instanceId: uniqueTag(),
      env: { BACKEND_PUBLIC_URL: "https://api.example.com" },
    });
    cleanup.add(pod);
    await attack("gateway", pod.gateway.url, undefined, { examples: false, stateful: false });
  }, 180_000);

  it("dead-letters: entries listed, read and replayed along the links, with the operator role", async () => {
    const store = cleanup.add(await testStore("postgres", "schemathesis_desk"));
    const { desk, sidecar } = await startDeskWithSidecar(store.env, prefix);
    cleanup.add({ stop: () => desk.close() });
    cleanup.add(sidecar);
    // Entries come from the dead-letter topic: three delivered as the sidecar would, so there are some to replay.
    const user = newUser("schemathesis");
    for (const taskId of [1, 2, 3]) {
      const event = contractEvent("com.taskmanager.task.completed", { task_id: taskId, user_id: user });
      const answer = await deliver(desk, JSON.stringify(event), { __topic: "task-events", __key: user });
      expect(answer).toEqual({ status: 200, body: { status: "SUCCESS" } });
    }
    const operator = await tokenFor(newUser("schemathesis"), { roles: ["operator"] });
    await attack("dead-letters", desk.url, operator, { examples: true, stateful: true });
  }, 180_000);
});
