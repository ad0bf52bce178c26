// The standard plans of this test run, as test/setup/plans.ts wrote them.
import { readFileSync } from "node:fs";
import { inject } from "vitest";
import type { Plan, StandardPlanName } from "./plan";

/** A standard plan from the run's global setup (the file it wrote). */
export function standardPlan(name: StandardPlanName): Plan {
  const file = inject("standardPlans")[name];
  return JSON.parse(readFileSync(file, "utf8")) as Plan;
}
