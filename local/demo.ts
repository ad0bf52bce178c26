// `npm run demo`: the event system on this machine. Today it starts the event backbone (a real Kafka broker with the catalog's topics); the services join as their issues land.
import { TOPIC_LIST } from "@event-platform/events";
import { kafkaFromEnv } from "./kafka/broker";
import { ensureTopics } from "./kafka/topics";

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const broker = await kafkaFromEnv({ log });
  const topics = await ensureTopics(broker.bootstrap, TOPIC_LIST);
  log(`Topics ready: ${topics.join(", ")}`);
  log(`Kafka bootstrap: ${broker.bootstrap}   (press Ctrl-C to stop)`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log("Stopping...");
    await broker.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // Keep the process alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
