// Task writes: the bare baseline (a fastify route writing one row to the same PostgreSQL) and the backend's REST API (create, complete) on PostgreSQL and PGlite, with the outbox lag from commit to the record on Kafka.
import autocannon from "autocannon";
import fastify from "fastify";
import pg from "pg";
import { waitFor } from "../local/sidecar/test-kit";
import { RecordReader, type StoreKind, startBenchBackend } from "./backend";
import { type PacedRequest, type PacedResult, pacedLoad } from "./http-load";
import { createDatabase } from "./rig";
import { type LatencySummary, summarize } from "./stats";

/** One load phase: paced at a rate (undici), or as fast as the connections go (autocannon). */
export interface LoadPoint {
  /** Offered rate per second; undefined for the as-fast-as-possible phase. */
  rate?: number;
  /** 2xx answers per second over the phase. */
  throughput: number;
  requests: number;
  /** Answers other than 2xx, connection errors and timeouts. */
  failures: number;
  /** Request latency, ms. */
  p50: number;
  p99: number;
}

/** The backend's writes in one phase, with the outbox lag of their events. */
export interface WritePoint extends LoadPoint {
  /** Kafka record timestamp − the write's transaction time (`created_at`, `updated_at`), ms. */
  outboxLag: LatencySummary;
  /** Events of these writes not seen on Kafka within 60 s. */
  eventsMissing: number;
}

export interface WriteSettings {
  rates: readonly number[];
  phaseSeconds: number;
  /** Connections of the as-fast-as-possible phase. */
  connections: number;
  step: (detail: string) => void;
}

function fromPaced(result: PacedResult): LoadPoint {
  return {
    rate: result.rate,
    throughput: result.throughput,
    requests: result.sent,
    failures: result.failures,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

function fromAutocannon(result: autocannon.Result): LoadPoint {
  return {
    throughput: result["2xx"] / result.duration,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/** Request `i` of a load: built as it leaves, with what to do with its answer. */
export type Build = (index: number) => PacedRequest;

/** autocannon on `origin` for `seconds`, as fast as `connections` connections go, request `i` built by `build(i)`. */
export function saturate(
  origin: string,
  build: Build,
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  let counter = 0;
  return autocannon({
    url: origin,
    connections,
    duration: seconds,
    requests: [
      {
        // One request at a time per connection (no pipelining): its context holds the request in flight.
        setupRequest: (request, context: { current?: PacedRequest }) => {
          const next = build(counter++);
          context.current = next;
          return {
            ...request,
            method: next.method,
            path: next.path,
            headers: next.headers ?? {},
            body: next.body ?? "",
          };
        },
        onResponse: (status, body, context: { current?: PacedRequest }) => context.current?.onAnswer?.(status, body),
      },
    ],
  });
}

/** Each rate paced for `phaseSeconds`, then autocannon as fast as `connections` go for as long; `after` follows each phase. */
async function phases<T>(
  origin: string,
  build: Build,
  settings: WriteSettings,
  label: string,
  after: (point: LoadPoint) => Promise<T>,
): Promise<T[]> {
  const points: T[] = [];
  for (const rate of settings.rates) {
    settings.step(`${label} at ${rate}/s`);
    points.push(await after(fromPaced(await pacedLoad(origin, rate, rate * settings.phaseSeconds, build))));
  }
  settings.step(`${label}, as fast as ${settings.connections} connections go`);
  const result = await saturate(origin, build, settings.connections, settings.phaseSeconds);
  points.push(await after(fromAutocannon(result)));
  return points;
}

/**
 * The baseline: a fastify route that inserts one row (`INSERT … VALUES ($1, $2)` through a `pg` pool of 10, the
 * service kit's default pool size) into a fresh database of the same server, paced at each rate and then as fast
 * as `connections` connections go.
 */
export async function bareWrites(postgresUrl: string, settings: WriteSettings): Promise<LoadPoint[]> {
  const pool = new pg.Pool({ connectionString: await createDatabase(postgresUrl), max: 10 });
  await pool.query(
    "CREATE TABLE rows (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id text, payload jsonb)",
  );
  const app = fastify();
  app.post("/rows", async (request, reply) => {
    const body = request.body as { user: string };
    await pool.query("INSERT INTO rows (user_id, payload) VALUES ($1, $2)", [body.user, JSON.stringify(body)]);
    return reply.code(201).send({ ok: true });
  });
  const origin = await app.listen({ host: "127.0.0.1", port: 0 });
  const build: Build = (i) => ({
    method: "POST",
    path: "/rows",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: `user-${i % 100}`, title: "bench task" }),
  });
  try {
    return await phases(origin, build, settings, "bare route", async (point) => point);
  } finally {
    await app.close();
    await pool.end();
  }
}

/**
 * The REST write load, users (one `Authorization` value each) in turn: every other request completes a task created
 * before it (`POST /api/tasks/:id/complete`), the others create one (`POST /api/tasks`). `onCommitted` gets each
 * answered write as `<event type>:<task id>` with its transaction time (`created_at`, `updated_at`), ms.
 */
export function taskWriteRequests(
  authorizations: readonly string[],
  onCommitted: (eventKey: string, at: number) => void = () => undefined,
): Build {
  /** Created tasks waiting for their completion, with their user's authorization. */
  const open: { taskId: number; authorization: string }[] = [];
  return (i): PacedRequest => {
    const task = i % 2 === 1 ? open.shift() : undefined;
    if (task) {
      return {
        method: "POST",
        path: `/api/tasks/${task.taskId}/complete`,
        headers: { authorization: task.authorization },
        onAnswer: (status, body) => {
          if (status !== 200) return;
          const done = JSON.parse(body) as { task_id: number; updated_at: string };
          onCommitted(`com.taskmanager.task.completed:${done.task_id}`, Date.parse(done.updated_at));
        },
      };
    }
    const authorization = authorizations[i % authorizations.length] ?? "";
    return {
      method: "POST",
      path: "/api/tasks",
      headers: { "content-type": "application/json", authorization },
      body: JSON.stringify({ title: "bench task", priority: "medium", tags: ["bench"] }),
      onAnswer: (status, body) => {
        if (status !== 201) return;
        const created = JSON.parse(body) as { task_id: number; created_at: string };
        onCommitted(`com.taskmanager.task.created:${created.task_id}`, Date.parse(created.created_at));
        open.push({ taskId: created.task_id, authorization });
      },
    };
  };
}

/**
 * The backend's REST writes on `store`, 100 users in turn (`taskWriteRequests`). A reader on
 * `task-events` times each write's event from the write's transaction time in its answer to the record's timestamp.
 */
export async function restWrites(
  store: StoreKind,
  rig: { bootstrap: string; postgresUrl: string; prefix: string },
  settings: WriteSettings,
): Promise<WritePoint[]> {
  const backend = await startBenchBackend({ store, ...rig, users: 100 });
  const reader = await RecordReader.start(rig.bootstrap, rig.prefix, ["task-events"]);
  /** `<event type>:<task id>` → the write's transaction time, ms. */
  const committed = new Map<string, number>();
  const build = taskWriteRequests(backend.authorizations, (key, at) => committed.set(key, at));
  const withLag = async (point: LoadPoint): Promise<WritePoint> => {
    const expected = new Map(committed);
    committed.clear();
    const lags: number[] = [];
    const collect = () => {
      lags.length = 0;
      for (const record of reader.records) {
        const at = expected.get(`${record.event.type}:${record.event.data.task_id}`);
        if (at !== undefined) lags.push(record.timestamp - at);
      }
      return lags.length >= expected.size || undefined;
    };
    await waitFor(collect, "every write's event on Kafka", 60_000).catch(() => undefined);
    collect();
    return { ...point, outboxLag: summarize(lags), eventsMissing: expected.size - lags.length };
  };
  try {
    return await phases(backend.url, build, settings, `REST writes on ${store}`, withLag);
  } finally {
    await reader.stop();
    await backend.close();
  }
}
