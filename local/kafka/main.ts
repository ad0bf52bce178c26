// `npm run kafka`: a local Kafka broker with the catalog's topics for running one service by hand (apps/*/README.md).
import { TOPIC_LIST } from "@event-platform/events";
import { kafkaFromEnv } from "./broker";
import { ensureTopics } from "./topics";

/**
 * Starts a throwaway single-node KRaft broker (its data is deleted on stop), or takes the cluster in `KAFKA_BROKERS`,
 * creates the catalog's topics that are missing, prints `Kafka bootstrap: <host:port>` and runs until SIGINT or
 * SIGTERM. `npm run demo` starts the whole system instead; this is for a service and its sidecar started by hand.
 */
async function main(): Promise<void> {
  const broker = await kafkaFromEnv({ log: (line) => console.log(line) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("Stopping Kafka…");
    await broker.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    const topics = await ensureTopics(broker.bootstrap, TOPIC_LIST);
    console.log(`Topics: ${topics.join(", ")}`);
  } catch (error) {
    await broker.stop();
    throw error;
  }
  console.log(
    `Kafka bootstrap: ${broker.bootstrap}${broker.external ? "" : "   (Ctrl-C stops the broker and deletes its data)"}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
