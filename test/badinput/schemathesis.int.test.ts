// schemathesis (PyPI) against each user-facing service's OpenAPI document: every phase, every check, on the real pieces (the service with its development sidecar, real Kafka and PostgreSQL).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend } from "../../apps/backend/test/harness";
import { startDeskWithSidecar } from "../../apps/dead-letters/test/harness";
import { startWithSidecar } from "../../apps/notification/test/harness";
import { freePort } from "../../local/process";
import { recordTrials, type Trial } from "../support/reliability";
import { Cleanup, createTopics, newUser, startAppSidecar, testStore, tokenFor, uniqueTag } from "../support/services";

const run = promisify(execFile);
const SCHEMATHESIS = path.resolve(__dirname, "../../scripts/schemathesis.sh");

/**
 * Test cases per operation and phase: enough for every phase to reach each field's edge cases, bounded so the
 * file stays within about two minutes on two cores.
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
  /** The requests schemathesis sent, by its NDJSON event log. */
  requests: number;
}

/** Runs schemathesis on a service's document with a bearer token; the run's report goes to a folder of its own. */
async function schemathesis(baseUrl: string, token: string): Promise<Outcome> {
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
      "--header",
      `Authorization: Bearer ${token}`,
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
    const events = (await readFile(ndjson, "utf8").catch(() => "")).split("\n").filter(Boolean);
    return { exitCode, output, requests: countRequests(events) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The HTTP interactions in schemathesis's NDJSON event log (each `ScenarioFinished` lists its recorded ones). */
function countRequests(lines: string[]): number {
  let requests = 0;
  for (const line of lines) {
    const event = JSON.parse(line) as Record<string, { recorder?: { interactions?: Record<string, unknown> } }>;
    const finished = event.ScenarioFinished;
    if (finished?.recorder?.interactions) requests += Object.keys(finished.recorder.interactions).length;
  }
  return requests;
}

const trials: Omit<Trial, "file">[] = [];

describe("schemathesis on every user-facing service", () => {
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

  const attack = async (name: string, baseUrl: string, token: string) => {
    const outcome = await schemathesis(baseUrl, token);
    trials.push({
      area: "bad input",
      name: "schemathesis, every phase and check (no 5xx, answers as documented)",
      target: `${name} OpenAPI`,
      tries: outcome.requests,
      lost: 0,
      duplicated: 0,
      leaked: 0,
      outcome: outcome.exitCode === 0 ? "no failure" : "failures found",
    });
    expect(outcome.requests).toBeGreaterThan(0);
    expect(outcome.exitCode, outcome.output).toBe(0);
  };

  it("backend", async () => {
    const store = cleanup.add(await testStore("postgres", "schemathesis_backend"));
    const daprPort = await freePort();
    const backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(daprPort) });
    cleanup.add({ stop: () => backend.close() });
    cleanup.add(
      await startAppSidecar({ appId: "backend", appPort: backend.port, httpPort: daprPort, topicPrefix: prefix }),
    );
    await attack("backend", backend.url, await tokenFor(newUser("schemathesis")));
  }, 180_000);

  it("notification", async () => {
    const store = cleanup.add(await testStore("postgres", "schemathesis_notification"));
    const running = await startWithSidecar(store.env, prefix);
    cleanup.add({ stop: () => running.stop() });
    await attack("notification", running.service.url, await tokenFor(newUser("schemathesis")));
  }, 180_000);

  it("dead-letters", async () => {
    const store = cleanup.add(await testStore("postgres", "schemathesis_desk"));
    const { desk, sidecar } = await startDeskWithSidecar(store.env, prefix);
    cleanup.add({ stop: () => desk.close() });
    cleanup.add(sidecar);
    await attack("dead-letters", desk.url, await tokenFor(newUser("schemathesis"), { roles: ["operator"] }));
  }, 180_000);
});
