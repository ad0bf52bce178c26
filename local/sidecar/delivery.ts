// Handles one consumed record as daprd and pubsub.kafka do: route it, deliver it under the inbound Resiliency policy, read the app's answer, dead-letter it, or leave it to the component's own redelivery.
import { type OutgoingHttpHeaders, validateHeaderName, validateHeaderValue } from "node:http";
import type { AppChannel } from "./app-channel";
import { CLOUDEVENT_CONTENT_TYPE, type CloudEventMap, hasExpired, rawPayloadEvent } from "./cloudevent";
import type { KafkaPubsubComponent } from "./component";
import { type ComponentPublisher, errorText, withTimeout } from "./component-publisher";
import type { ComponentPolicies } from "./resiliency";
import { withRetries } from "./retry";
import { RouteMatchError } from "./route-match";
import { matchRoute, type TopicSubscription } from "./subscriptions";

/** A record as the consumer hands it over. */
export interface ConsumedRecord {
  /** The topic as apps name it (no test prefix). */
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key?: Buffer;
  value?: Buffer;
  headers: ReadonlyMap<Buffer, Buffer>;
}

export interface DeliveryTarget {
  component: KafkaPubsubComponent;
  subscription: TopicSubscription;
  inbound: ComponentPolicies;
  channel: AppChannel;
  publisher: ComponentPublisher;
  log: (line: string) => void;
}

/**
 * `done`: the outcome is final and the offset may be committed. `abandoned`: the component gave up without
 * marking the record (its `backOff` budget ran out, or `consumeRetryEnabled` is false); a later record's commit
 * moves past it.
 */
export type RecordOutcome = "done" | "abandoned";

/** The app's answer to one delivery, in daprd's terms. */
type AppVerdict = { kind: "success" } | { kind: "drop"; reason: string } | { kind: "retry"; reason: string };

class DeliveryError extends Error {
  override name = "DeliveryError";
}

/**
 * The metadata pubsub.kafka attaches to a consumed message (`__key`, `__offset`, `__partition`, `__topic`,
 * `__timestamp`, each record header) plus daprd's `pubsubName`. It travels as HTTP headers to the app and,
 * on dead-lettering, as the new record's headers; `__key` keeps the original key.
 */
export function eventMetadata(record: ConsumedRecord, pubsub: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (record.key) metadata.__key = record.key.toString("utf8");
  metadata.__offset = String(record.offset);
  // The topic as the app names it: a test's topic prefix is this sidecar's own device, invisible to apps, as the
  // broker's name is to an app under daprd (the dead-letter desk reads the original topic here).
  metadata.__topic = record.topic;
  metadata.__timestamp = String(record.timestamp);
  metadata.__partition = String(record.partition);
  for (const [name, value] of record.headers) metadata[name.toString("utf8")] = value?.toString("utf8") ?? "";
  metadata.pubsubName = pubsub;
  return metadata;
}

function httpHeaders(metadata: Record<string, string>, event: CloudEventMap): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(metadata)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      headers[name.toLowerCase()] = value;
    } catch {
      // A Kafka header that is not a valid HTTP header cannot be forwarded; the event itself is intact.
    }
  }
  if (typeof event.traceparent === "string") headers.traceparent = event.traceparent;
  if (typeof event.tracestate === "string" && event.tracestate !== "") headers.tracestate = event.tracestate;
  headers["content-type"] = CLOUDEVENT_CONTENT_TYPE;
  return headers;
}

/** daprd's reading of an app's answer (pkg/runtime/subscription/postman/http). */
export function verdictOf(status: number, body: Buffer): AppVerdict {
  if (status >= 200 && status <= 299) {
    const text = body.toString("utf8").trim();
    if (text === "") return { kind: "success" };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // daprd skips the status check when the body does not decode, and takes the delivery as done.
      return { kind: "success" };
    }
    const status = typeof parsed === "object" && parsed !== null ? (parsed as { status?: unknown }).status : undefined;
    if (status === undefined || status === "" || status === "SUCCESS") return { kind: "success" };
    if (typeof status !== "string") return { kind: "success" };
    if (status === "DROP") return { kind: "drop", reason: "DROP status returned from app" };
    if (status === "RETRY") return { kind: "retry", reason: "RETRY status returned from app" };
    return { kind: "retry", reason: `unknown status returned from app: ${status}` };
  }
  if (status === 404) return { kind: "drop", reason: "non-retriable error returned from app: status code 404" };
  return { kind: "retry", reason: `retriable error returned from app: status code ${status}` };
}

function describe(record: ConsumedRecord): string {
  const key = record.key ? record.key.toString("base64") : "";
  return `${record.topic}/${record.partition}/${record.offset} [key=${key}]`;
}

/**
 * Processes one record to a final outcome. The inner loop is daprd's: route, deliver with the inbound retry
 * policy, dead-letter when a dead-letter topic is set. The outer loop is pubsub.kafka's: when the inner one
 * fails (no dead-letter topic, or dead-lettering failed), redeliver after the component `backOff`, by default
 * forever, so the record's partition waits. Rejects only with the signal's AbortError.
 */
export async function processRecord(
  record: ConsumedRecord,
  target: DeliveryTarget,
  signal: AbortSignal,
): Promise<RecordOutcome> {
  const handleOnce = () => handleRecord(record, target, signal);
  if (!target.component.consumeRetryEnabled) {
    try {
      await handleOnce();
      return "done";
    } catch (error) {
      signal.throwIfAborted();
      target.log(`Error processing Kafka message: ${describe(record)}. Error: ${errorText(error)}.`);
      return "abandoned";
    }
  }
  let failed = false;
  try {
    await withRetries(target.component.backOff, handleOnce, {
      signal,
      onRetry: (error) => {
        // pubsub.kafka logs the first failure of a message and its recovery, not every round.
        if (!failed)
          target.log(`Error processing Kafka message: ${describe(record)}. Error: ${errorText(error)}. Retrying...`);
        failed = true;
      },
    });
    if (failed) target.log(`Successfully processed Kafka message after it previously failed: ${describe(record)}`);
    return "done";
  } catch (error) {
    signal.throwIfAborted();
    target.log(
      `Too many failed attempts at processing Kafka message: ${describe(record)}. Error: ${errorText(error)}.`,
    );
    return "abandoned";
  }
}

/** daprd's subscription handler for one message: resolves when handled (delivered, dropped or dead-lettered). */
async function handleRecord(record: ConsumedRecord, target: DeliveryTarget, signal: AbortSignal): Promise<void> {
  const { subscription, component, log } = target;
  const deadLetterTopic = subscription.deadLetterTopic;
  const metadata = eventMetadata(record, component.name);
  const value = record.value ?? Buffer.alloc(0);
  const deadLetter = async () => {
    await target.publisher.publish({ pubsub: component.name, topic: deadLetterTopic as string, data: value, metadata });
    log(`${describe(record)} sent to dead letter topic ${deadLetterTopic}`);
  };
  // When the message cannot even be routed, daprd dead-letters it if it can, else fails it for redelivery.
  const deadLetterOrFail = async (error: Error) => {
    log(`${error.message} (${describe(record)})`);
    if (!deadLetterTopic) throw error;
    await deadLetter();
  };

  let event: CloudEventMap;
  let body = value;
  if (/^(true|1|t)$/i.test(subscription.metadata.rawPayload ?? "")) {
    event = rawPayloadEvent(value, subscription.topic, component.name);
    body = Buffer.from(JSON.stringify(event));
  } else {
    try {
      const parsed: unknown = JSON.parse(value.toString("utf8"));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
      event = parsed as CloudEventMap;
    } catch (error) {
      return deadLetterOrFail(
        new DeliveryError(
          `error deserializing cloud event in pubsub ${component.name} and topic ${subscription.topic}: ${(error as Error).message}`,
        ),
      );
    }
  }

  if (hasExpired(event)) {
    log(`dropping expired pub/sub event ${String(event.id)} as of ${String(event.expiration)}`);
    if (deadLetterTopic) await deadLetter().catch(() => {});
    return;
  }

  let path: string | undefined;
  try {
    path = matchRoute(subscription.rules, event);
  } catch (error) {
    if (!(error instanceof RouteMatchError)) throw error;
    return deadLetterOrFail(
      new DeliveryError(`error finding matching route for event ${String(event.id)}: ${error.message}`),
    );
  }
  if (path === undefined) {
    // No rule matches and there is no default route: daprd skips the event (to the dead-letter topic if set).
    if (deadLetterTopic) await deadLetter().catch(() => {});
    return;
  }

  const headers = httpHeaders(metadata, event);
  const { retry, timeoutMs } = target.inbound;
  try {
    await withRetries(
      retry,
      async () => {
        const attemptSignal =
          timeoutMs === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
        let verdict: AppVerdict;
        try {
          const answer = await withTimeout(target.channel.deliver(path, body, headers, attemptSignal), timeoutMs);
          verdict = verdictOf(answer.status, answer.body);
        } catch (error) {
          signal.throwIfAborted();
          verdict = {
            kind: "retry",
            reason: `error returned from app channel while sending pub/sub event to app: ${errorText(error)}`,
          };
        }
        if (verdict.kind === "success") return;
        if (verdict.kind === "drop") {
          log(`${verdict.reason} while processing pub/sub event ${String(event.id)}`);
          // A drop is final; it reaches the dead-letter topic when one is set. If that publish fails, daprd
          // hands the error back to the retry policy.
          if (deadLetterTopic) await deadLetter();
          return;
        }
        throw new DeliveryError(`${verdict.reason} while processing pub/sub event ${String(event.id)}`);
      },
      {
        signal,
        onRetry: (error, delayMs) =>
          log(`${errorText(error)} (${describe(record)}); retrying in ${Math.round(delayMs)} ms`),
      },
    );
  } catch (error) {
    signal.throwIfAborted();
    if (!deadLetterTopic) throw error;
    await deadLetter();
  }
}
