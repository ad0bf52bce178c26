// One HTTP request with a buffered answer, over the sidecar's own keep-alive agent (destroyed on stop, so no socket outlives it).
import { type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from "node:http";

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names and values as received, for a faithful pass-through. */
  rawHeaders: string[];
  body: Buffer;
}

export interface HttpRequestOptions {
  method: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer;
  agent: Agent;
  signal?: AbortSignal;
}

export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method, headers: options.headers, agent: options.agent, signal: options.signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
