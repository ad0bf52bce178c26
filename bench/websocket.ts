// REST task creation to the WebSocket frame at a connected client: the demo's whole topology (local/system.ts) on PostgreSQL, timed from the request to the gateway's frame.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../local/sidecar/test-kit";
import { startSystem } from "../local/system";
import { pacedLoad } from "./http-load";
import { createDatabase, nowMs } from "./rig";
import { type LatencySummary, summarize } from "./stats";

/** Frames at one rate of task creations. */
export interface FramePoint {
  rate: number;
  created: number;
  /** Creations whose frame reached the client within 60 s. */
  framed: number;
  /** Request built → the `task-updates` frame about that task at the user's WebSocket, ms. */
  latency: LatencySummary;
}

/** Users creating tasks, each with one WebSocket open at the gateway. */
const USERS = 10;
/** The title carries the time its request was built. */
const TITLE = /bench-ws (\d+(?:\.\d+)?)/;

/**
 * Starts the whole system (every app with its sidecar, `startSystem`, as `npm run demo` does) on the run's broker
 * and a fresh PostgreSQL database, opens one WebSocket per user at the gateway (`task-updates.v1` with the bearer
 * subprotocol), then creates tasks through the backend's REST API, paced at each rate (undici).
 */
export async function restToWebSocket(
  rig: { bootstrap: string; postgresUrl: string; prefix: string },
  settings: { rates: readonly number[]; phaseSeconds: number; step: (detail: string) => void },
): Promise<FramePoint[]> {
  settings.step("starting the whole system");
  const dataDir = await mkdtemp(join(tmpdir(), "bench-system-"));
  const system = await startSystem({
    dataDir,
    kafka: { bootstrap: rig.bootstrap, topicPrefix: rig.prefix },
    databaseUrl: await createDatabase(rig.postgresUrl),
    ports: "free",
    env: { LOG_LEVEL: "error" },
  });
  const sockets: WebSocket[] = [];
  try {
    const gateway = system.apps.gateway?.url ?? "";
    const backend = system.apps.backend?.url ?? "";
    const users = Array.from({ length: USERS }, (_, i) => `bench-ws-user-${i}`);
    const tokens = await Promise.all(users.map((user) => system.token(user)));
    const seen = new Map<string, number>();
    for (const token of tokens) {
      const socket = new WebSocket(`${gateway.replace("http", "ws")}/ws`, ["task-updates.v1", `bearer.${token}`]);
      socket.addEventListener("message", (message) => {
        const at = nowMs();
        const sentAt = TITLE.exec(String(message.data))?.[1];
        if (sentAt && !seen.has(sentAt)) seen.set(sentAt, at - Number(sentAt));
      });
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener("open", () => resolve());
        socket.addEventListener("error", () => reject(new Error("The gateway refused the bench's WebSocket")));
      });
      sockets.push(socket);
    }
    const points: FramePoint[] = [];
    for (const rate of settings.rates) {
      settings.step(`REST → WebSocket at ${rate}/s`);
      seen.clear();
      const result = await pacedLoad(backend, rate, rate * settings.phaseSeconds, (i) => ({
        method: "POST",
        path: "/api/tasks",
        headers: { "content-type": "application/json", authorization: `Bearer ${tokens[i % USERS]}` },
        body: JSON.stringify({ title: `bench-ws ${nowMs()}` }),
      }));
      const created = result.ok;
      await waitFor(() => seen.size >= created || undefined, "every frame", 60_000).catch(() => undefined);
      points.push({ rate, created, framed: seen.size, latency: summarize([...seen.values()]) });
    }
    return points;
  } finally {
    for (const socket of sockets) socket.close();
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
