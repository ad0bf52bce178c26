// Small HTTP helpers shared by the sidecar's API handlers: request bodies, JSON answers and daprd's error format.
import type { IncomingMessage, ServerResponse } from "node:http";

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** An error as daprd's HTTP API answers it: `{errorCode, message, details}` with the google.rpc details it attaches. */
export interface DaprError {
  status: number;
  errorCode: string;
  message: string;
  details?: unknown[];
}

export function sendDaprError(res: ServerResponse, error: DaprError): void {
  sendJson(res, error.status, {
    errorCode: error.errorCode,
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
  });
}

export function errorInfo(reason: string, metadata: Record<string, string> = {}): Record<string, unknown> {
  return { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "dapr.io", metadata };
}

export function resourceInfo(type: string, name: string, description: string): Record<string, unknown> {
  return {
    "@type": "type.googleapis.com/google.rpc.ResourceInfo",
    resource_type: type,
    resource_name: name,
    owner: "",
    description,
  };
}
