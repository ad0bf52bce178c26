// The sidecar's HTTP API server: routes daprd's paths (publish, invoke, health, metadata) to their handlers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { errorText } from "./component-publisher";
import { sendDaprError, sendEmpty, sendJson } from "./http-util";
import { handleInvoke, type InvokeApi } from "./invoke";
import { handlePublish, type PublishApi } from "./publish";

export interface SidecarApi {
  publish: PublishApi;
  invoke: InvokeApi;
  /** `ready`: the sidecar is fully started (app channel and subscriptions); `outbound`: its components are loaded. */
  health(): { ready: boolean; outbound: boolean };
  metadata(): Record<string, unknown>;
  log: (line: string) => void;
}

const PUBLISH = /^\/v1\.0\/publish\/([^/]*)\/(.*)$/;
const INVOKE = /^\/v1\.0\/invoke\/([^/]+)\/method\/(.*)$/;

async function route(req: IncomingMessage, res: ServerResponse, api: SidecarApi): Promise<void> {
  const raw = req.url ?? "/";
  const queryAt = raw.indexOf("?");
  const rawPath = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? "" : raw.slice(queryAt);
  const method = req.method ?? "GET";

  const invoke = INVOKE.exec(rawPath);
  if (invoke) {
    const methodPath = (invoke[2] as string).replace(/^\/+/, "");
    return handleInvoke(req, res, decodeURIComponent(invoke[1] as string), `${methodPath}${rawQuery}`, api.invoke);
  }
  const publish = PUBLISH.exec(rawPath);
  if (publish && !rawPath.startsWith("/v1.0/publish/bulk/")) {
    if (method !== "POST") return sendMethodNotAllowed(res, "POST");
    const query = new URLSearchParams(rawQuery);
    const pubsub = decodeURIComponent(publish[1] as string);
    return handlePublish(req, res, pubsub, decodeURIComponent(publish[2] as string), query, api.publish);
  }
  if (rawPath === "/v1.0/healthz" || rawPath === "/v1.0/healthz/outbound") {
    if (method !== "GET") return sendMethodNotAllowed(res, "GET");
    const health = api.health();
    const outbound = rawPath.endsWith("/outbound");
    if (outbound ? health.outbound : health.ready) return sendEmpty(res, 204);
    return sendDaprError(res, {
      status: 500,
      errorCode: outbound ? "ERR_OUTBOUND_HEALTH_NOT_READY" : "ERR_HEALTH_NOT_READY",
      message: "dapr is not ready",
    });
  }
  if (rawPath === "/v1.0/metadata") {
    if (method !== "GET") return sendMethodNotAllowed(res, "GET");
    return sendJson(res, 200, api.metadata());
  }
  res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
  res.end("404 page not found\n");
}

function sendMethodNotAllowed(res: ServerResponse, allowed: string): void {
  res.writeHead(405, { allow: allowed });
  res.end();
}

export function createApiServer(api: SidecarApi): Server {
  return createServer((req, res) => {
    route(req, res, api).catch((error: unknown) => {
      api.log(`${req.method} ${req.url} failed: ${errorText(error)}`);
      if (!res.headersSent) sendDaprError(res, { status: 500, errorCode: "ERR_INTERNAL", message: errorText(error) });
      else res.destroy();
    });
  });
}
