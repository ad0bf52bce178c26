// Open-loop HTTP load at a fixed rate with undici: every request leaves on its schedule whatever the answers do, and each one's latency is recorded (autocannon's own rate limit sends each second's requests in a burst at the second's start, which would time queueing, not the path).
import { Pool } from "undici";
import { nowMs, paced } from "./rig";
import { type LatencySummary, summarize } from "./stats";

/** One request of a paced load. */
export interface PacedRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called with the answer's status and body text. */
  onAnswer?: (status: number, body: string) => void;
}

/** What a paced load measured. */
export interface PacedResult {
  rate: number;
  sent: number;
  /** 2xx answers. */
  ok: number;
  /** Other answers and transport errors. */
  failures: number;
  /** 2xx answers per second, from the first send to the last answer. */
  throughput: number;
  /** Send to answer of the 2xx answers, ms. */
  latency: LatencySummary;
}

/**
 * Sends `count` requests to `origin` at `rate` per second (request `i` built by `build(i)` as it leaves), over a
 * keep-alive pool of `connections`, and resolves once every answer is in.
 */
export async function pacedLoad(
  origin: string,
  rate: number,
  count: number,
  build: (index: number) => PacedRequest,
  connections = Math.max(8, Math.ceil(rate / 20)),
): Promise<PacedResult> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let failures = 0;
  let lastAnswer = 0;
  const inFlight: Promise<void>[] = [];
  const startedAt = nowMs();
  try {
    await paced(rate, count, (index) => {
      const request = build(index);
      const sentAt = nowMs();
      inFlight.push(
        pool
          .request({
            method: request.method,
            path: request.path,
            headers: request.headers ?? {},
            ...(request.body === undefined ? {} : { body: request.body }),
          })
          .then(async (answer) => {
            const text = await answer.body.text();
            lastAnswer = nowMs();
            if (answer.statusCode >= 200 && answer.statusCode < 300) latencies.push(lastAnswer - sentAt);
            else failures++;
            request.onAnswer?.(answer.statusCode, text);
          })
          .catch(() => {
            failures++;
          }),
      );
    });
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
  return {
    rate,
    sent: count,
    ok: latencies.length,
    failures,
    throughput: lastAnswer > startedAt ? (latencies.length * 1000) / (lastAnswer - startedAt) : 0,
    latency: summarize(latencies),
  };
}
