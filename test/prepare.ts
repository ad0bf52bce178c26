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

/**
 * A tool that one of the scripts/ wrappers installs into the cache (`<script> --install`): logs only the script's own
 * lines (what it installs and from where, not the installer's per-package lines); true when it installed it now, which
 * it says with "(once".
 */
function scriptTool(title: string, script: string, failure: string): Need {
  const name = path.basename(script);
  return {
    title,
    async ensure(log) {
      const { stderr } = await promisify(execFile)(path.join(ROOT, script), ["--install"]).catch(
        (error: { stderr?: string; message: string }) => {
          throw new Error(`${title} ${failure}: ${(error.stderr || error.message).trim()}`);
        },
      );
      for (const line of stderr.split("\n").filter((l) => l.startsWith(`${name}:`))) log(line);
      return stderr.includes("(once");
    },
  };
}

/**
 * What the tests need, in phases run one after another; the needs of one phase run at once. The upstream files come
 * first: they fail fastest (a missing ../shared, an unreachable host), so a run that cannot start says so in seconds,
 * before minutes of Maven resolution or Go builds begin.
 */
const PHASES: Need[][] = [
  [
    {
      title: "upstream Strimzi and Dapr charts, CRDs and examples, and the event contract",
      ensure: async (log) => (await ensureUpstream(log)).some((result) => result.fetched),
    },
  ],
  [
    {
      title: "Apache Kafka jars",
      async ensure(log) {
        if (process.env.KAFKA_BROKERS) return false;
        return !(await resolveKafka(undefined, log)).cached;
      },
    },
    scriptTool("actionlint", "scripts/actionlint.sh", "could not be built"),
    scriptTool("hadolint", "scripts/hadolint.sh", "could not be installed"),
    // etcd, kube-apiserver with kubectl, and Helm for the cluster tests, built from the Go module proxy (minutes, once).
    ...CLUSTER_BUILDS,
  ],
];

async function main(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => console.log(`[prepare] ${line}`);
  const fetched: string[] = [];
  for (const phase of PHASES) {
    const settled = await Promise.allSettled(phase.map((need) => need.ensure(log)));
    const failures = settled.flatMap((s) => (s.status === "rejected" ? [(s.reason as Error).message] : []));
    if (failures.length > 0) {
      console.error(`\nnpm test cannot start: what the tests need could not be had.\n\n${failures.join("\n\n")}\n`);
      process.exit(1);
    }
    phase.forEach((need, i) => {
      if ((settled[i] as PromiseFulfilledResult<boolean>).value) fetched.push(need.title);
    });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(
    fetched.length > 0
      ? `fetched or built ${fetched.join(", ")} into ${cacheRoot()} in ${seconds} s`
      : `nothing to fetch: everything is in ${cacheRoot()}`,
  );
}

void main();
