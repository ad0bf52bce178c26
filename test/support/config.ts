// For unit tests of a service's configuration: the problems a load reports, without the rest of the test harness.
import { ConfigError } from "@event-platform/service-kit";

/**
 * The problems of the `ConfigError` that `load(env)` throws (one message per bad variable, in the kit's order).
 * Throws when `load` succeeds, and rethrows any other error.
 */
export function configProblems(load: (env: Record<string, string>) => unknown, env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
