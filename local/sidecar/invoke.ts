// Service invocation, `/v1.0/invoke/{app-id}/method/{path}`: any HTTP method, forwarded to the target app by an app-id → address table, its answer passed back as is.
import type { Agent, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { APP_TOKEN_HEADER } from "./app-channel";
import { errorText } from "./component-publisher";
import { httpRequest } from "./http-client";
import { errorInfo, readBody, sendDaprError } from "./http-util";

export interface InvokeApi {
  appId: string;
  /** Base URL of each app that can be invoked, this sidecar's own app included. */
  addresses: ReadonlyMap<string, URL>;
  /**
   * The app API token of each app that has one, this sidecar's own included. In Kubernetes the callee's own sidecar
   * sets it (daprd's http channel sets `dapr-api-token` from its APP_API_TOKEN on every call to its app); here the
   * caller's sidecar reaches the app directly, so it sets it in the callee sidecar's place.
   */
  appTokens: ReadonlyMap<string, string>;
  agent: Agent;
}

// Connection-level headers describe one hop; they are not forwarded (RFC 9110 §7.6.1), and the length is recomputed.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

function forwardable(name: string): boolean {
  return !HOP_BY_HOP.has(name.toLowerCase());
}

function invokeError(res: ServerResponse, targetAppId: string, reason: string): void {
  sendDaprError(res, {
    status: 500,
    errorCode: "ERR_DIRECT_INVOKE",
    message: `failed to invoke, id: ${targetAppId}, err: ${reason}`,
    details: [errorInfo("DAPR_DIRECT_INVOKE", { appID: targetAppId, error: reason })],
  });
}

export async function handleInvoke(
  req: IncomingMessage,
  res: ServerResponse,
  targetAppId: string,
  /** The method path as received (still percent-encoded), with its query string. */
  methodPathAndQuery: string,
  api: InvokeApi,
): Promise<void> {
  const base = api.addresses.get(targetAppId);
  if (!base) return invokeError(res, targetAppId, `couldn't find service: ${targetAppId}`);
  const body = await readBody(req);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && forwardable(name)) headers[name] = value;
  }
  headers["dapr-caller-app-id"] = api.appId;
  headers["dapr-callee-app-id"] = targetAppId;
  const token = api.appTokens.get(targetAppId);
  if (token !== undefined) headers[APP_TOKEN_HEADER] = token;
  const target = new URL(`${base.pathname.replace(/\/$/, "")}/${methodPathAndQuery}`, base);
  let answer: Awaited<ReturnType<typeof httpRequest>>;
  try {
    answer = await httpRequest(target, {
      method: req.method ?? "GET",
      headers,
      ...(body.length > 0 ? { body } : {}),
      agent: api.agent,
    });
  } catch (error) {
    return invokeError(res, targetAppId, errorText(error));
  }
  const responseHeaders: [string, string][] = [];
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
    const name = answer.rawHeaders[i] as string;
    if (forwardable(name)) responseHeaders.push([name, answer.rawHeaders[i + 1] as string]);
  }
  responseHeaders.push(["content-length", String(answer.body.length)]);
  res.writeHead(answer.status, responseHeaders.flat());
  res.end(answer.body);
}
