// The Dapr sidecar's HTTP API as the services use it: publish a CloudEvent with its partition key, invoke another app's method, and ask whether the sidecar is up.

/** How to reach the sidecar. */
export interface SidecarOptions {
  /** Base URL of the sidecar's HTTP API, `http://<DAPR_HOST>:<DAPR_HTTP_PORT>`. */
  url: string;
  /** Sent as `dapr-api-token` when the sidecar requires one (DAPR_API_TOKEN). */
  apiToken?: string;
  /** A call that takes longer fails, so a hung sidecar cannot stall a caller (or a shutdown) for good. */
  timeoutMs: number;
}

/**
 * One CloudEvent to publish: where, under which Kafka record key, and the event: a value (sent as
 * `JSON.stringify` writes it), or `eventJson`, its JSON text sent byte for byte (an outbox row as stored).
 */
export type PublishRequest = {
  pubsubName: string;
  topic: string;
  /** Becomes the Kafka record key (`metadata.partitionKey`), so one key's events stay in order. */
  partitionKey: string;
} & (
  | {
      /** The whole CloudEvent (any JSON object): Dapr passes its fields through. */
      event: unknown;
    }
  | { eventJson: string }
);

/** A publish the sidecar refused or that did not complete; callers retry it. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

/** An invocation that got no HTTP answer at all (connection refused, timeout): the callee may or may not have acted. */
export class InvocationError extends Error {
  override name = "InvocationError";
}

/** The callee's answer to an invocation, passed through by the sidecars: its status and body (JSON when it is). */
export interface InvocationAnswer {
  status: number;
  body: unknown;
}

/**
 * Plain `fetch` rather than @dapr/dapr's DaprClient, though DaprClient would put the same bytes on the wire
 * (`publish(pubsub, topic, event, { contentType: "application/cloudevents+json", metadata: { partitionKey } })`
 * sends JSON.stringify(event) with that content type and `?metadata.partitionKey=`): its publish and invoke take no
 * timeout or abort signal, and its first call waits up to 60 s for the sidecar (awaitSidecarStarted) with timers
 * of its own, which would defeat a caller's backoff and hold up a shutdown.
 */
export class SidecarClient {
  private readonly headers: Record<string, string>;

  constructor(private readonly options: SidecarOptions) {
    this.headers = options.apiToken ? { "dapr-api-token": options.apiToken } : {};
  }

  /**
   * Publishes one event unchanged (`eventJson` as given) as `application/cloudevents+json` (Dapr passes its id, type, source and data
   * through), with the key as the `metadata.partitionKey` query parameter: Dapr reads metadata only there (FACTS).
   * Throws a `PublishError` unless the sidecar accepted it.
   */
  async publish(request: PublishRequest): Promise<void> {
    const { url, timeoutMs } = this.options;
    const target = `${url}/v1.0/publish/${encodeURIComponent(request.pubsubName)}/${encodeURIComponent(request.topic)}?${new URLSearchParams({ "metadata.partitionKey": request.partitionKey })}`;
    let response: Response;
    try {
      response = await fetch(target, {
        method: "POST",
        headers: { ...this.headers, "content-type": "application/cloudevents+json" },
        body: "eventJson" in request ? request.eventJson : JSON.stringify(request.event),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new PublishError(`publish to ${request.topic} failed: ${describe(error)}`);
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) {
      throw new PublishError(
        `sidecar answered ${response.status} to a publish to ${request.topic}: ${text}`,
        response.status,
      );
    }
  }

  /**
   * Whether the sidecar is up for calls from the app: `GET /v1.0/healthz/outbound` answers 2xx (daprd: 204 once its
   * components are initialized, without waiting for the app channel; Dapr docs, "Sidecar health"). The request
   * carries `dapr-api-token` like every other call. false on any other answer, or none within `timeoutMs`.
   */
  async outboundHealthy(): Promise<boolean> {
    const { url, timeoutMs } = this.options;
    try {
      const response = await fetch(`${url}/v1.0/healthz/outbound`, {
        headers: this.headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok;
    } catch {
      return false;
    }
  }

  /**
   * Calls `method` `path` on app `appId` through Dapr service invocation (`/v1.0/invoke/<appId>/method/<path>`),
   * with a JSON body when `body` is given. Resolves with whatever status the callee answered (a 4xx is an answer,
   * not an error); throws an `InvocationError` when there was no answer.
   */
  async invoke(appId: string, method: string, path: string, body?: unknown): Promise<InvocationAnswer> {
    const { url, timeoutMs } = this.options;
    const target = `${url}/v1.0/invoke/${encodeURIComponent(appId)}/method/${path.replace(/^\//, "")}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(target, {
        method,
        headers: { ...this.headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new InvocationError(`${method} ${path} on ${appId} got no answer: ${describe(error)}`);
    }
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: the text as it came.
    }
    return { status: response.status, body: parsed };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports the reason (ECONNREFUSED, a timeout) as the cause of a generic "fetch failed".
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
