// Where the project keeps what it fetches or builds outside the repository: one folder per user, shared by every clone.
import { homedir } from "node:os";
import path from "node:path";

/**
 * The cache folder: `$EVENT_PLATFORM_CACHE` when set, else `$XDG_CACHE_HOME/event-platform`, else
 * `~/.cache/event-platform` (the XDG Base Directory default). It survives a fresh clone, so Kafka's jars, the
 * upstream CRDs and charts and the tools built from the Go module proxy are fetched once per machine, not per clone.
 * `scripts/cache-dir.sh` computes the same folder for the shell scripts and `.ci/run`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EVENT_PLATFORM_CACHE) return path.resolve(env.EVENT_PLATFORM_CACHE);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  return path.join(xdg ?? path.join(homedir(), ".cache"), "event-platform");
}

/** A sub-folder of the cache, such as `cachePath("kafka", "4.3.1")`. */
export function cachePath(...parts: string[]): string {
  return path.join(cacheRoot(), ...parts);
}
