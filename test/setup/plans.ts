// Vitest global setup: plans the standard stacks once (they take seconds each), for every platform test file of the run.
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

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), "standard-plans-"));
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
  project.provide("standardPlans", Object.fromEntries(entries) as Record<StandardPlanName, string>);
  return () => rmSync(dir, { recursive: true, force: true });
}
