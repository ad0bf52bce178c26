// The Pulumi program on a synthetic catalog of BENCH_CATALOG_SIZE apps and as many topics, for the planning benchmark (`node infra/plan.js --program bench/synthetic-program.ts`).
import type { TopicSpec } from "@event-platform/events/src/topics";
import { loadConfig } from "../infra/config";
import { platformProgram } from "../infra/program";
import { type AppSpec, type Catalog, PUBSUB } from "../specs/apps";

/**
 * `size` topics and `size` apps; app `i` subscribes to topic `i` and publishes to topic `i + 1` (mod `size`), as the
 * bundled apps each subscribe to one or two topics and publish to others, so every app has a sidecar, a
 * subscription, scopes, ACLs and NetworkPolicies of its own.
 */
function syntheticCatalog(size: number): Catalog {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`BENCH_CATALOG_SIZE must be a positive integer, not ${size}`);
  const topics: TopicSpec[] = Array.from({ length: size }, (_, i) => ({
    name: `synthetic-${i}`,
    purpose: "A synthetic topic for the planning benchmark.",
    partitions: 3,
    retentionMs: 24 * 60 * 60 * 1000,
    cleanupPolicy: "delete",
    key: "user_id",
  }));
  const apps: AppSpec[] = topics.map((topic, i) => ({
    id: `synthetic-app-${i}`,
    description: "A synthetic app for the planning benchmark.",
    port: 8080,
    publishes: [topics[(i + 1) % size] as TopicSpec],
    subscriptions: [{ pubsub: PUBSUB, topic, routes: [], defaultPath: "/events", deadLetter: false }],
    invokes: [],
    database: false,
    userFacing: false,
  }));
  return { apps, topics };
}

export const outputs = platformProgram(loadConfig(), syntheticCatalog(Number(process.env.BENCH_CATALOG_SIZE)));
