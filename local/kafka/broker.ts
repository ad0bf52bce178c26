// Starts a real Apache Kafka broker in KRaft mode (one combined broker+controller on 127.0.0.1), or uses KAFKA_BROKERS.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Admin, FindCoordinatorKeyTypes } from "@platformatic/kafka";
import { freePort, ServiceProcess } from "../process";
import { KAFKA_VERSION, resolveKafka } from "./resolve";

const run = promisify(execFile);

export interface KafkaBroker {
  /** `host:port` list, comma-separated, as Kafka clients and Dapr's `brokers` metadata take it. */
  bootstrap: string;
  /** The broker's Kafka version, or "external" for a KAFKA_BROKERS cluster. */
  version: string;
  /** True when the broker came from KAFKA_BROKERS and is not ours to stop. */
  external: boolean;
  /** Stops the broker (not an external one); its data is deleted unless it lives in `StartKafkaOptions.dataDir`. */
  stop(): Promise<void>;
  /**
   * Kills the broker as `kill -9` does (SIGKILL: no controlled shutdown, unflushed pages left to the OS) and keeps its
   * data; a later `startKafka` on the same `dataDir` and `port` brings it back at the same address. A no-op for an
   * external cluster.
   */
  kill(): Promise<void>;
}

export interface StartKafkaOptions {
  version?: string;
  /** Lifecycle lines (resolution, start, address). */
  log?: (line: string) => void;
  /** JVM heap in MiB. */
  heapMb?: number;
  startTimeoutMs?: number;
  /**
   * A folder that keeps the broker's data across starts: its log dirs (`logs/`, with the cluster id in
   * `logs/meta.properties` and the KRaft metadata log) are formatted on first use, reused by every later start and
   * never deleted. Without it the data lives in a temporary folder deleted on stop.
   */
  dataDir?: string;
  /**
   * The client listener's port (default: a free one). Clients keep the bootstrap address they were given (daprd's
   * `brokers` metadata is read once), so a broker restarted on its `dataDir` for them must listen where it did.
   */
  port?: number;
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  const settings: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": path.join(dataDir, "logs"),
    // One node: replication 1 for the internal topics, as the Strimzi dev cluster has.
    "offsets.topic.replication.factor": 1,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "share.coordinator.state.topic.replication.factor": 1,
    "share.coordinator.state.topic.min.isr": 1,
    "group.initial.rebalance.delay.ms": 0,
    // Like Redpanda Serverless and a well-run Strimzi cluster: every topic, dead letters included, is declared.
    "auto.create.topics.enable": false,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n")}\n`;
}

const LOG4J_CONFIG = `rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.started.name=kafka.server.KafkaRaftServer
logger.started.level=INFO
`;

/** Kafka's cluster id format: 16 random bytes, URL-safe base64 without padding. */
function clusterId(): string {
  return randomBytes(16).toString("base64url");
}

async function javaBinary(): Promise<string> {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
  try {
    const { stderr } = await run(java, ["-version"]);
    const major = Number(/version "(\d+)/.exec(stderr)?.[1] ?? 0);
    if (major < 17) throw new Error(`Kafka ${KAFKA_VERSION} needs Java 17 or newer; ${java} is Java ${major}.`);
    return java;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        "Java 17 is needed to run the local Kafka broker: install it (apt-get install -y openjdk-17-jre-headless), or set KAFKA_BROKERS to use an existing cluster.",
      );
    }
    throw error;
  }
}

/**
 * Resolves once the broker answers a metadata request and names a group coordinator. On a first start the
 * coordinator waits for `__consumer_offsets` (50 partitions, created on the first FindCoordinator): until then a
 * consumer joining a group gets COORDINATOR_NOT_AVAILABLE, and on a loaded machine for longer than a client retries.
 */
async function waitUntilServing(bootstrap: string, deadline: number, proc: ServiceProcess): Promise<void> {
  const admin = new Admin({ clientId: "local-kafka-readiness", bootstrapBrokers: [bootstrap], retries: 0 });
  try {
    for (;;) {
      if (!proc.running) throw new Error(`the broker exited:\n${await proc.logTail()}`);
      try {
        await admin.metadata({ topics: [] });
        await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: ["local-kafka-readiness"] });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`not serving yet: ${(error as Error).message}`);
        await sleep(200);
      }
    }
  } finally {
    await admin.close();
  }
}

/**
 * Starts a single-node KRaft broker on free ports (or the client listener on `options.port`): a throwaway one whose data is deleted on stop, or one that keeps
 * its data in `options.dataDir`. The ports may differ from one start to the next: the listeners are configuration,
 * not data (`controller.quorum.voters` names the controller by id and address on every start, and the broker
 * registers its new endpoints with the controller as it starts).
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  const startedAt = Date.now();
  const { version, libDir, cached } = await resolveKafka(options.version, log);
  log(`Apache Kafka ${version} jars ${cached ? "reused from the cache" : "resolved"}: ${libDir}`);
  const java = await javaBinary();

  const kept = options.dataDir !== undefined;
  const dir = options.dataDir ? path.resolve(options.dataDir) : await mkdtemp(path.join(tmpdir(), "kafka-"));
  await mkdir(dir, { recursive: true });
  const removeData = () => (kept ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  const [port, controllerPort] = [options.port ?? (await freePort()), await freePort()];
  const config = path.join(dir, "server.properties");
  await writeFile(config, serverProperties(dir, port, controllerPort));
  await writeFile(path.join(dir, "log4j2.properties"), LOG4J_CONFIG);
  const jvm = [
    `-Xms${Math.min(256, options.heapMb ?? 512)}m`,
    `-Xmx${options.heapMb ?? 512}m`,
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${path.join(dir, "log4j2.properties")}`,
    "-cp",
    `${libDir}/*`,
  ];
  // A formatted log dir holds meta.properties (its cluster id); formatting it again would refuse or start over.
  const formatted = existsSync(path.join(dir, "logs", "meta.properties"));
  try {
    if (!formatted) {
      await run(java, [...jvm, "kafka.tools.StorageTool", "format", `--cluster-id=${clusterId()}`, "--config", config]);
    }
  } catch (error) {
    await removeData();
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Formatting the Kafka storage failed: ${e.stderr || e.stdout || e.message}`);
  }

  const proc = ServiceProcess.start({
    name: "kafka",
    command: java,
    args: [...jvm, "kafka.Kafka", config],
    logFile: path.join(dir, "broker.log"),
    stopTimeoutMs: 20_000,
  });
  const bootstrap = `127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop();
    await removeData();
  };
  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
    await waitUntilServing(bootstrap, deadline, proc);
  } catch (error) {
    const tail = await proc.logTail();
    await stop();
    throw new Error(`Kafka ${version} did not start on ${bootstrap}: ${(error as Error).message}\n${tail}`);
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  log(`Apache Kafka ${version} (KRaft, combined broker+controller) serving at ${bootstrap}, started in ${seconds} s`);
  return { bootstrap, version, external: false, stop, kill: () => proc.kill() };
}

/** The cluster in KAFKA_BROKERS when set (never stopped by us), else a broker started with `startKafka`. */
export async function kafkaFromEnv(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const brokers = process.env.KAFKA_BROKERS?.trim();
  if (brokers) {
    options.log?.(`Using the Kafka cluster in KAFKA_BROKERS: ${brokers}`);
    return { bootstrap: brokers, version: "external", external: true, stop: async () => {}, kill: async () => {} };
  }
  return startKafka(options);
}
