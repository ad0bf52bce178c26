// Resolves the Apache Kafka broker's jars from Maven Central with Maven, into the user's cache (local/cache.ts), reused by every clone.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { cachePath } from "../cache";

const run = promisify(execFile);

/**
 * The broker version the local runtime and the tests start: the newest Kafka that Strimzi 1.2.0 supports
 * (its default, 4.3.1), which runs on Java 17.
 */
export const KAFKA_VERSION = "4.3.1";
const SCALA_VERSION = "2.13";
// Kafka logs through SLF4J 1.7; this binding routes it to the log4j-core that the broker already depends on.
const LOG4J_VERSION = "2.25.4";
const DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

export interface ResolvedKafka {
  version: string;
  /** Folder holding every jar the broker needs; the classpath is `${libDir}/*`. */
  libDir: string;
  /** True when the jars came from the cache of an earlier run. */
  cached: boolean;
}

function pom(version: string): string {
  const dependency = (group: string, artifact: string, v: string) =>
    `<dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${v}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.event-platform</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dependency("org.apache.kafka", `kafka_${SCALA_VERSION}`, version)}
    ${dependency("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION)}
  </dependencies>
</project>
`;
}

/**
 * Returns the folder of the broker's jars for `version`, resolving them with Maven on first use. The Maven
 * repository lives in the cache too (`<cache>/m2`), so the user's own `~/.m2` is never written.
 */
export async function resolveKafka(
  version = KAFKA_VERSION,
  log: (line: string) => void = () => {},
): Promise<ResolvedKafka> {
  const home = cachePath("kafka", version);
  const libDir = path.join(home, "libs");
  const marker = path.join(libDir, ".resolved");
  if (existsSync(marker) && (await readFile(marker, "utf8")).trim() === version) {
    return { version, libDir, cached: true };
  }

  log(`Resolving Apache Kafka ${version} from Maven Central into ${home} (first run only)...`);
  await mkdir(home, { recursive: true });
  await writeFile(path.join(home, "pom.xml"), pom(version));
  // Resolve into a temporary folder and rename it into place, so an interrupted run never looks complete.
  const staging = `${libDir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const args = [
    "-B",
    "-q",
    `-Dmaven.repo.local=${cachePath("m2")}`,
    "-f",
    path.join(home, "pom.xml"),
    `${DEPENDENCY_PLUGIN}:copy-dependencies`,
    `-DoutputDirectory=${staging}`,
    "-DincludeScope=runtime",
  ];
  try {
    await run("mvn", args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(
        "Maven (mvn) is needed to resolve the local Kafka broker: install Maven and Java 17 (apt-get install -y maven openjdk-17-jre-headless), or set KAFKA_BROKERS to use an existing cluster.",
      );
    }
    throw new Error(
      `Maven could not resolve Apache Kafka ${version} from Maven Central (set KAFKA_BROKERS=host:port to use an existing broker instead):\n${e.stdout ?? ""}${e.stderr ?? ""}`,
    );
  }
  await writeFile(path.join(staging, ".resolved"), `${version}\n`);
  await rm(libDir, { recursive: true, force: true });
  await rename(staging, libDir);
  return { version, libDir, cached: false };
}
