// Vitest global setup: one real Kafka broker (or KAFKA_BROKERS) for every integration test file of the run.
import type { TestProject } from "vitest/node";
import { kafkaFromEnv } from "../../local/kafka/broker";

declare module "vitest" {
  export interface ProvidedContext {
    /** Bootstrap servers of the broker the tests use. */
    kafkaBrokers: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const broker = await kafkaFromEnv({ log: (line) => console.log(`[kafka] ${line}`) });
  project.provide("kafkaBrokers", broker.bootstrap);
  return async () => {
    await broker.stop();
    if (!broker.external) console.log(`[kafka] broker at ${broker.bootstrap} stopped`);
  };
}
