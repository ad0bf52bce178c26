// Vitest global setup: plans the standard stacks once per run (they take seconds each), for every platform and cluster test file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { plan, STANDARD_PLANS, type StandardPlanName } from "../support/plan";

declare module "vitest" {
  export interface ProvidedContext {
    /** Files holding each standard plan as JSON. */
    standardPlans: Record<StandardPlanName, string>;
  }
}

interface SharedPlans {
  files: Promise<Record<StandardPlanName, string>>;
  dir: string;
  /** Projects whose teardown has not run yet. */
  users: number;
}

/**
 * The platform and cluster projects both list this setup, and vitest runs each project's global setups in the same
 * process: the first computes the plans, the others reuse its files, and the last teardown removes them.
 */
const SHARED = Symbol.for("event-platform.standardPlans");
type WithShared = typeof globalThis & { [SHARED]?: SharedPlans };

async function planAll(dir: string): Promise<Record<StandardPlanName, string>> {
  const started = Date.now();
  const entries = await Promise.all(
    Object.entries(STANDARD_PLANS).map(async ([name, { stack, ...options }]) => {
      const result = await plan(stack, options);
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(result));
      return [name, file] as const;
    }),
  );
  console.log(
    `[plans] ${entries.map(([name]) => name).join(", ")} planned in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return Object.fromEntries(entries) as Record<StandardPlanName, string>;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const global = globalThis as WithShared;
  if (!global[SHARED]) {
    const dir = mkdtempSync(path.join(tmpdir(), "standard-plans-"));
    global[SHARED] = { dir, files: planAll(dir), users: 0 };
  }
  const shared = global[SHARED];
  shared.users += 1;
  project.provide("standardPlans", await shared.files);
  return () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    rmSync(shared.dir, { recursive: true, force: true });
    delete global[SHARED];
  };
}
