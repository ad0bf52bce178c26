// Fetches or builds, once per machine, everything `npm test` needs that is not in the repository (`npm test` runs it first), or stops with one message saying what is missing and how to provide it.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "../local/cache";
import { CLUSTER_BUILDS } from "../local/cluster/build";
import { resolveKafka } from "../local/kafka/resolve";
import { ensureUpstream } from "./support/upstream";

const ROOT = path.resolve(__dirname, "..");

interface Need {
  /** What it is, for the summary line. */
  title: string;
  /** Resolves to true when it was fetched or built now, false when the cache had it. */
  ensure(log: (line: string) => void): Promise<boolean>;
}

const NEEDS: Need[] = [
  {
    title: "upstream Strimzi and Dapr charts, CRDs and examples",
    ensure: async (log) => (await ensureUpstream(log)).some((result) => result.fetched),
  },
  {
    title: "Apache Kafka jars",
    async ensure(log) {
      if (process.env.KAFKA_BROKERS) return false;
      return !(await resolveKafka(undefined, log)).cached;
    },
  },
  {
    title: "actionlint",
    async ensure(log) {
      const { stderr } = await promisify(execFile)(path.join(ROOT, "scripts/actionlint.sh"), ["--install"]).catch(
        (error: { stderr?: string; message: string }) => {
          throw new Error(`actionlint could not be built: ${(error.stderr || error.message).trim()}`);
        },
      );
      // Only the script's own lines: what it builds and from where (not Go's per-module download lines).
      for (const line of stderr.split("\n").filter((l) => l.startsWith("actionlint.sh:"))) log(line);
      return stderr.includes("building");
    },
  },
  // etcd, kube-apiserver with kubectl, and Helm for the cluster tests, built from the Go module proxy (minutes, once).
  ...CLUSTER_BUILDS,
];

/** After the first failure, how long to wait for other failures to report before stopping. */
const FAILURE_GRACE_MS = 2_000;

async function main(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => console.log(`[prepare] ${line}`);
  const failures: string[] = [];
  const stop = () => {
    console.error(`\nnpm test cannot start: what the tests need could not be had.\n\n${failures.join("\n\n")}\n`);
    // Stops at once: builds still running are abandoned (each stages its output, so nothing half-done looks complete).
    process.exit(1);
  };
  const fetched = await Promise.all(
    NEEDS.map((need) =>
      need.ensure(log).then(
        (now) => (now ? [need.title] : []),
        (error: Error) => {
          failures.push(error.message);
          if (failures.length === 1) setTimeout(stop, FAILURE_GRACE_MS);
          return [];
        },
      ),
    ),
  );
  if (failures.length > 0) return;
  const titles = fetched.flat();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(
    titles.length > 0
      ? `fetched or built ${titles.join(", ")} into ${cacheRoot()} in ${seconds} s`
      : `nothing to fetch: everything is in ${cacheRoot()}`,
  );
}

void main();
