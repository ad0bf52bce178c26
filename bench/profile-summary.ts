// Where the CPU time of a profiled task-write load goes: a V8 CPU profile summed by source (package or repository file) and by concern (JWT, validation, database, relay, ...).
import type { CpuProfile } from "./planning";

/** Where a frame's code comes from: a package (`jose`, `@platformatic/kafka`), a repository file, or the runtime. */
export function sourceOf(url: string, functionName: string): string {
  const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage?.[1]) return inPackage[1];
  const inRepo = /\/((?:apps\/[^/]+|service-kit|events|local|bench)\/.+)$/.exec(url);
  if (inRepo?.[1]) return inRepo[1];
  // Node's own modules by name (`node:net`, `node:inspector`); V8's pseudo-frames as they are named.
  if (url.startsWith("node:")) return url;
  if (/^\(.+\)$/.test(functionName)) return functionName;
  return url === "" ? "native code (C++ builtins)" : url;
}

/**
 * The concerns of a task write by the sources of their code, first match wins. A frame whose source matches none
 * (Node's internals, native builtins) counts for the nearest caller that matches one.
 */
const CONCERNS: readonly [concern: string, sources: RegExp][] = [
  ["JWT verification (jose, service-kit auth)", /^(jose|service-kit\/src\/(auth|http-auth)\.ts)$/],
  [
    "input validation (ajv, service-kit validation)",
    /^(ajv|ajv-formats|service-kit\/src\/(validation|request-input)\.ts)$/,
  ],
  ["logging (pino)", /^(pino|pino-std-serializers|sonic-boom|thread-stream)$/],
  [
    "outbox relay and development sidecar",
    /^(@platformatic\/kafka|service-kit\/src\/(outbox-relay|sidecar-client|periodic|backoff)\.ts|local\/.+)$/,
  ],
  ["database client (pg, Kysely)", /^(pg|pg-pool|pg-protocol|pg-types|postgres-.+|kysely)$/],
  ["load generator (autocannon)", /^(autocannon|hdr-histogram-js|hdr-histogram-percentiles-obj|bench\/.+)$/],
  [
    "HTTP server (fastify, body parser, error answers)",
    /^(fastify|find-my-way|avvio|light-my-request|@fastify\/.+|secure-json-parse|fast-json-stringify|service-kit\/src\/(server|json-body|http-errors)\.ts)$/,
  ],
  [
    "the backend's task code (task service, events, outbox rows)",
    /^(apps\/backend\/.+|events\/.+|service-kit\/src\/.+)$/,
  ],
  ["the profiler itself (collecting the profile)", /^node:inspector/],
  ["garbage collection", /^\(garbage collector\)$/],
  ["V8 outside JavaScript (program)", /^\(program\)$/],
  ["idle", /^\(idle\)$/],
];

/** A profile node's concern, or undefined when its code serves whoever calls it. */
function ownConcern(source: string): string | undefined {
  return CONCERNS.find(([, sources]) => sources.test(source))?.[0];
}

/** What a CPU profile says, summed: self time per source, and time per concern with shared code charged to its caller. */
export interface ProfileSummary {
  /** Milliseconds of self time per `sourceOf`. */
  bySource: Record<string, number>;
  /** Milliseconds per concern; frames without one (Node's internals) count for the nearest caller that has one. */
  byConcern: Record<string, number>;
}

/** Sums a V8 CPU profile's samples by source and by concern. */
export function summarizeWrites(profile: CpuProfile): ProfileSummary {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const source = new Map(profile.nodes.map((n) => [n.id, sourceOf(n.callFrame.url, n.callFrame.functionName)]));
  const concern = new Map<number, string>();
  const concernOf = (id: number): string => {
    const known = concern.get(id);
    if (known) return known;
    const own = ownConcern(source.get(id) ?? "");
    const up = parent.get(id);
    const found =
      own ??
      (up === undefined || !byId.has(up) ? "Node.js runtime (I/O callbacks, HTTP parser, timers)" : concernOf(up));
    concern.set(id, found);
    return found;
  };
  const bySource: Record<string, number> = {};
  const byConcern: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const from = source.get(id) ?? "(program)";
    bySource[from] = (bySource[from] ?? 0) + ms;
    const to = concernOf(id);
    byConcern[to] = (byConcern[to] ?? 0) + ms;
  });
  return { bySource, byConcern };
}
