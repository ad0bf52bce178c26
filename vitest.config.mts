// Test projects (`npm test` first runs test/prepare.ts, which fetches and builds what they need into the cache): fast unit tests, platform tests on the planned program, cluster tests that apply it to a real Kubernetes API server, and integration tests on a real Kafka broker and PostgreSQL started by the global setups, and fault tests that kill and restart the real pieces.
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
          exclude: [
            "**/node_modules/**",
            "**/*.int.test.ts",
            "**/*.cluster.test.ts",
            "**/*.fault.test.ts",
            ...PLATFORM_TESTS,
          ],
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
          name: "cluster",
          include: ["test/cluster/**/*.cluster.test.ts"],
          // One API server for the run (test/setup/cluster.ts), started after the standard plans are computed.
          globalSetup: ["test/setup/upstream.ts", "test/setup/plans.ts", "test/setup/cluster.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
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
      {
        test: {
          name: "faults",
          include: ["test/faults/**/*.fault.test.ts"],
          // The shared broker and server serve the files that do not break them; a file that kills or restarts
          // Kafka or PostgreSQL starts its own.
          globalSetup: ["test/setup/kafka.ts", "test/setup/postgres.ts"],
          testTimeout: 300_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
