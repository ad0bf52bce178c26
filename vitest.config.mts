// Test projects (`npm test` first runs test/prepare.ts, which fetches what they need into the cache): fast unit tests, platform tests on the planned program, and integration tests on a real Kafka broker and PostgreSQL started by the global setups.
import { defineConfig } from "vitest/config";

/** Tests of the whole Pulumi program: they share the standard plans that their global setup computes once. */
const PLATFORM_TESTS = ["infra/plan.test.ts", "policy/policies.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.int.test.ts", ...PLATFORM_TESTS],
          globalSetup: ["test/setup/upstream.ts"],
        },
      },
      {
        test: {
          name: "platform",
          include: PLATFORM_TESTS,
          globalSetup: ["test/setup/upstream.ts", "test/setup/plans.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude: ["**/node_modules/**"],
          globalSetup: ["test/setup/upstream.ts", "test/setup/kafka.ts", "test/setup/postgres.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
