// What `npm test` fetches first: the cache folder's rule, the upstream files copied once from a shared/-like folder, and the one message when something cannot be had.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cacheRoot } from "../local/cache";
import { UPSTREAM_DIR } from "./support/upstream";

const ROOT = path.resolve(__dirname, "..");

describe("the cache folder", () => {
  it("is $EVENT_PLATFORM_CACHE, else $XDG_CACHE_HOME/event-platform, else ~/.cache/event-platform", () => {
    expect(cacheRoot({ EVENT_PLATFORM_CACHE: "/tmp/c", XDG_CACHE_HOME: "/x" })).toBe("/tmp/c");
    expect(cacheRoot({ XDG_CACHE_HOME: "/x" })).toBe("/x/event-platform");
    // The XDG spec says a relative path is invalid and must be ignored.
    expect(cacheRoot({ XDG_CACHE_HOME: "relative" })).toBe(path.join(homedir(), ".cache", "event-platform"));
    expect(cacheRoot({})).toBe(path.join(homedir(), ".cache", "event-platform"));
  });

  it("agrees with scripts/cache-dir.sh, which the shell scripts and .ci/run use", async () => {
    const script = path.join(ROOT, "scripts/cache-dir.sh");
    for (const env of [{ EVENT_PLATFORM_CACHE: "/tmp/c" }, { XDG_CACHE_HOME: "/x" }, { XDG_CACHE_HOME: "rel" }, {}]) {
      const { stdout } = await promisify(execFile)(script, [], {
        env: { HOME: homedir(), PATH: process.env.PATH, ...env },
      });
      expect(stdout.trim()).toBe(cacheRoot(env));
    }
  });
});

describe("upstream files", () => {
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the module against an empty cache and the given shared/-like folder. */
  async function freshUpstream(shared: string) {
    vi.stubEnv("EVENT_PLATFORM_CACHE", tempDir("cache-"));
    vi.stubEnv("EVENT_PLATFORM_SHARED", shared);
    vi.resetModules();
    return import("./support/upstream.js");
  }

  it("are copied once from a folder laid out like shared/, then come from the cache", async () => {
    // The run's own upstream folder is laid out like shared/ (charts/, crds/, examples/), so it can stand in for it.
    const upstream = await freshUpstream(UPSTREAM_DIR);
    const lines: string[] = [];
    const first = await upstream.ensureUpstream((line) => lines.push(line));
    expect(first.map((r) => [r.title, r.source, r.fetched])).toEqual([
      ["Strimzi 1.2.0", UPSTREAM_DIR, true],
      ["Dapr 1.18.3", UPSTREAM_DIR, true],
      ["The mission's event contract", UPSTREAM_DIR, true],
    ]);
    // One line per product, saying what and from where.
    expect(lines.sort()).toEqual([
      expect.stringMatching(/^Dapr 1\.18\.3 \(Helm chart and CRDs\): copied from .* into /),
      expect.stringMatching(/^Strimzi 1\.2\.0 \(Helm chart, CRDs and example manifests\): copied from .* into /),
      expect.stringMatching(/^The mission's event contract \(JSON Schemas .*\): copied from .* into /),
    ]);
    for (const file of [
      "charts/strimzi-kafka-operator-1.2.0/values.yaml",
      "charts/strimzi-kafka-operator-1.2.0/crds/040-Crd-kafka.yaml",
      "charts/dapr-1.18.3/Chart.yaml",
      "crds/strimzi-1.2.0/043-Crd-kafkatopic.yaml",
      "crds/dapr-1.18.3/subscription.yaml",
      "examples/strimzi-1.2.0/kafka-single-node.yaml",
      "contract/task-event.schema.json",
    ]) {
      expect(existsSync(path.join(upstream.UPSTREAM_DIR, file)), file).toBe(true);
    }

    lines.length = 0;
    const second = await upstream.ensureUpstream((line) => lines.push(line));
    expect(second.map((r) => [r.source, r.fetched])).toEqual([
      ["cache", false],
      ["cache", false],
      ["cache", false],
    ]);
    expect(lines).toEqual([]);
  });

  it("that cannot be had stop with one error naming each product and how to provide it", async () => {
    const upstream = await freshUpstream(tempDir("empty-shared-"));
    const error = await upstream.ensureUpstream().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(upstream.UpstreamUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(
      "Strimzi 1.2.0's Helm chart, CRDs and example manifests are not in EVENT_PLATFORM_SHARED=",
    );
    expect(message).toContain("Dapr 1.18.3's Helm chart and CRDs are not in EVENT_PLATFORM_SHARED=");
    expect(message).toContain("The mission's event contract's JSON Schemas");
    // Nothing half-done is left looking complete.
    expect(existsSync(path.join(upstream.UPSTREAM_DIR, "charts"))).toBe(false);
  });
});

describe("npm test's prepare step", () => {
  it("stops at once with one message when something cannot be had", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "prepare-cache-"));
    const shared = mkdtempSync(path.join(tmpdir(), "prepare-shared-"));
    try {
      const result = await promisify(execFile)(path.join(ROOT, "node_modules/.bin/tsx"), ["test/prepare.ts"], {
        cwd: ROOT,
        // KAFKA_BROKERS: an existing broker needs no jars, so only the upstream files are missing.
        env: {
          ...process.env,
          EVENT_PLATFORM_CACHE: cache,
          EVENT_PLATFORM_SHARED: shared,
          KAFKA_BROKERS: "127.0.0.1:9",
        },
      }).then(
        () => ({ code: 0, stderr: "" }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^\nnpm test cannot start: what the tests need could not be had\.\n\n- Strimzi 1\.2\.0/,
      );
      expect(result.stderr).toContain(`are not in EVENT_PLATFORM_SHARED=${shared}.\n`);
      expect(result.stderr).toContain("Provide them by setting EVENT_PLATFORM_SHARED to a folder laid out like");
    } finally {
      rmSync(cache, { recursive: true, force: true });
      rmSync(shared, { recursive: true, force: true });
    }
  }, 60_000);
});
