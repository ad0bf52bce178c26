// Publishes stored CloudEvents through the Dapr sidecar's HTTP API.
import type { OutboxRecord } from "./outbox";

export interface SidecarOptions {
  /** Base URL of the sidecar's HTTP API, `http://<DAPR_HOST>:<DAPR_HTTP_PORT>`. */
  url: string;
  pubsubName: string;
  /** Sent as `dapr-api-token` when the sidecar requires one. */
  apiToken?: string;
  /** A publish that takes longer fails, so a hung sidecar cannot stall the relay (or a shutdown) for good. */
  timeoutMs: number;
}

/** A publish the sidecar refused or that did not complete; the relay retries it. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

/**
 * Plain `fetch` rather than @dapr/dapr's DaprClient, though DaprClient would put the same bytes on the wire
 * (`publish(pubsub, topic, event, { contentType: "application/cloudevents+json", metadata: { partitionKey } })`
 * sends JSON.stringify(event) with that content type and `?metadata.partitionKey=`): @dapr/dapr is a root
 * devDependency, not a dependency of this package, so the production image would not have it; its publish takes
 * no timeout or abort signal; and its first call waits up to 60 s for the sidecar (awaitSidecarStarted) with
 * timers of its own, which would defeat the relay's backoff and hold up a shutdown.
 */
export class SidecarPublisher {
  private readonly headers: Record<string, string>;

  constructor(private readonly options: SidecarOptions) {
    this.headers = options.apiToken ? { "dapr-api-token": options.apiToken } : {};
  }

  /**
   * Publishes one event unchanged as `application/cloudevents+json` (Dapr passes its id, type, source and data
   * through), with the record key as the `metadata.partitionKey` query parameter: Dapr reads metadata only there.
   */
  async publish(record: OutboxRecord): Promise<void> {
    const { url, pubsubName, timeoutMs } = this.options;
    const target = `${url}/v1.0/publish/${encodeURIComponent(pubsubName)}/${encodeURIComponent(record.topic)}?${new URLSearchParams({ "metadata.partitionKey": record.partitionKey })}`;
    let response: Response;
    try {
      response = await fetch(target, {
        method: "POST",
        headers: { ...this.headers, "content-type": "application/cloudevents+json" },
        body: JSON.stringify(record.event),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new PublishError(`publish to ${record.topic} failed: ${describe(error)}`);
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) {
      throw new PublishError(
        `sidecar answered ${response.status} to a publish to ${record.topic}: ${text}`,
        response.status,
      );
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports the reason (ECONNREFUSED, a timeout) as the cause of a generic "fetch failed".
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
