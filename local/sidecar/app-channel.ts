// The channel to the app on 127.0.0.1:<app port>: waiting for it to listen, asking it for subscriptions, delivering events, each call with the app API token when one is set.
import type { Agent, OutgoingHttpHeaders } from "node:http";
import { createConnection } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type HttpAnswer, httpRequest } from "./http-client";

/** The header daprd puts the app API token in, on every call to its app (dapr/dapr `securityConsts.APITokenHeader`). */
export const APP_TOKEN_HEADER = "dapr-api-token";

export class AppChannel {
  readonly baseUrl: URL;
  /** What every call to the app carries: daprd's http channel sets `dapr-api-token` when APP_API_TOKEN is set. */
  private readonly tokenHeader: OutgoingHttpHeaders;

  constructor(
    readonly appPort: number,
    private readonly agent: Agent,
    appToken?: string,
  ) {
    this.baseUrl = new URL(`http://127.0.0.1:${appPort}`);
    this.tokenHeader = appToken ? { [APP_TOKEN_HEADER]: appToken } : {};
  }

  /** Resolves once the app accepts TCP connections on its port; daprd probes the same way before subscribing. */
  async waitUntilListening(signal: AbortSignal): Promise<void> {
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = createConnection({ host: "127.0.0.1", port: this.appPort });
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
      if (open) return;
      await sleep(50, undefined, { signal });
    }
  }

  /**
   * The app's `GET /dapr/subscribe` answer: the parsed body on 200, `undefined` on 404 (no programmatic
   * subscriptions). Any other status is logged and means none, as daprd treats it.
   */
  async programmaticSubscriptions(log: (line: string) => void, signal: AbortSignal): Promise<unknown> {
    let answer: HttpAnswer | undefined;
    // daprd's built-in initialization retries: a few quick attempts while the app finishes starting.
    for (let attempt = 1; !answer; attempt++) {
      try {
        answer = await httpRequest(new URL("/dapr/subscribe", this.baseUrl), {
          method: "GET",
          headers: { "content-type": "application/json", ...this.tokenHeader },
          agent: this.agent,
          signal,
        });
      } catch (error) {
        if (attempt >= 4) throw new Error(`GET /dapr/subscribe on the app failed: ${(error as Error).message}`);
        await sleep(500, undefined, { signal });
      }
    }
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) {
      log(`app returned http status code ${answer.status} from subscription endpoint`);
      return undefined;
    }
    const text = answer.body.toString("utf8").trim();
    if (text === "") return [];
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`error getting topics from app: ${(error as Error).message}`);
    }
  }

  /** POSTs an event to a route of the app. Rejects on connection errors (a retriable failure for the caller). */
  deliver(path: string, body: Buffer, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<HttpAnswer> {
    const target = new URL(`/${path.replace(/^\/+/, "")}`, this.baseUrl);
    return httpRequest(target, {
      method: "POST",
      headers: { ...headers, ...this.tokenHeader },
      body,
      agent: this.agent,
      signal,
    });
  }
}
