// Runs the Pulumi program as `npm run plan` does (Pulumi's mock runtime, loaded like the language host) and reads what it wrote.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import YAML from "yaml";
import type { PlanResource } from "../../local/cluster/plan-apply";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");

/** One entry of the plan's resources.json: the cluster harness's type, with the Kubernetes metadata the tests read. */
export type PlannedResource = PlanResource & {
  inputs: Record<string, unknown> & { metadata?: { name?: string; namespace?: string } };
};

export interface Plan {
  code: number;
  stdout: string;
  stderr: string;
  resources: PlannedResource[];
  manifests: Record<string, unknown>[];
}

/** Stack config of a prod stack on Redpanda Cloud (SASL SCRAM-SHA-256 over TLS). */
export const REDPANDA_CONFIG = `config:
  event-platform:profile: prod
  event-platform:kafka:
    mode: redpanda-cloud
    bootstrapServers: ["seed-0.cluster.redpanda.example:9092"]
    username: event-platform
    saslMechanism: SHA-256
  event-platform:kafkaPassword:
    secure: v1:placeholder
  event-platform:databaseUrl:
    secure: v1:placeholder
`;

/** Stack config of a dev stack on an existing Kafka cluster, without SASL. */
export const EXTERNAL_CONFIG = `config:
  event-platform:profile: dev
  event-platform:kafka:
    mode: external
    bootstrapServers: ["kafka-0.example:9092", "kafka-1.example:9092"]
`;

/**
 * Runs `node infra/plan.js` as `npm run plan` does. The dev stack is planned with type checking, as `deploy.yml`'s
 * `pulumi up` runs (PULUMI_NODEJS_TRANSPILE_ONLY=false, a real Pulumi switch); the variants transpile only, as a local
 * `pulumi up` does by default (tsconfig.json), since `npm run typecheck` covers them.
 */
export async function plan(stack: string, options: { config?: string; typeCheck?: boolean } = {}): Promise<Plan> {
  const out = mkdtempSync(path.join(tmpdir(), `plan-${stack}-`));
  const args = ["infra/plan.js", "--stack", stack, "--out", out];
  if (options.config) {
    const file = path.join(out, `Pulumi.${stack}.yaml`);
    writeFileSync(file, options.config);
    args.push("--config-file", file);
  }
  const env = { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: options.typeCheck ? "false" : "true" };
  const result = await run("node", args, { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
  if (result.code !== 0) return { ...result, resources: [], manifests: [] };
  return {
    ...result,
    resources: JSON.parse(readFileSync(path.join(out, "resources.json"), "utf8")) as PlannedResource[],
    manifests: YAML.parseAllDocuments(readFileSync(path.join(out, "manifests.yaml"), "utf8")).map(
      (d) => d.toJS() as Record<string, unknown>,
    ),
  };
}

/** The four plans most platform tests look at, computed once per run by test/setup/plans.ts. */
export const STANDARD_PLANS = {
  dev: { stack: "dev", typeCheck: true },
  prod: { stack: "prod" },
  redpanda: { stack: "prod-redpanda", config: REDPANDA_CONFIG },
  external: { stack: "dev-external", config: EXTERNAL_CONFIG },
} as const satisfies Record<string, { stack: string; config?: string; typeCheck?: boolean }>;
export type StandardPlanName = keyof typeof STANDARD_PLANS;
