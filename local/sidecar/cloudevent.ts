// CloudEvent envelopes as daprd builds them (components-contrib pubsub/envelope.go): on publish, and for raw payloads on delivery.
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const CLOUDEVENT_CONTENT_TYPE = "application/cloudevents+json";
export const DEFAULT_EVENT_TYPE = "com.dapr.event.sent";
const DEFAULT_SOURCE = "Dapr";
const DEFAULT_DATA_CONTENT_TYPE = "text/plain";

export type CloudEventMap = Record<string, unknown>;

/** The W3C trace context a published event carries. */
export interface TraceContext {
  traceparent: string;
  tracestate: string;
}

/** The body of a `application/cloudevents+json` publish is not a JSON object. */
export class CloudEventCreationError extends Error {
  override name = "CloudEventCreationError";
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function isCloudEventContentType(contentType: string | undefined): boolean {
  return mediaType(contentType) === CLOUDEVENT_CONTENT_TYPE;
}

function isJsonContentType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === "application/json" || type.endsWith("+json");
}

function isBinaryContentType(contentType: string): boolean {
  return mediaType(contentType) === "application/octet-stream";
}

/** Go's `time.RFC3339` in UTC: second precision, `Z`. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The trace context of a publish: a new span in the caller's trace when the request carries a valid
 * `traceparent`, else in a new trace (daprd starts a span for every API call).
 */
export function traceContextOf(headers: IncomingHttpHeaders): TraceContext {
  const incoming = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(String(headers.traceparent ?? ""));
  const traceId = incoming?.[1] ?? randomBytes(16).toString("hex");
  const flags = incoming?.[2] ?? "01";
  const tracestate = headers.tracestate;
  return {
    traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-${flags}`,
    tracestate: Array.isArray(tracestate) ? tracestate.join(",") : (tracestate ?? ""),
  };
}

export interface PublishEnvelopeInput {
  body: Buffer;
  contentType: string | undefined;
  /** `source` of a wrapped event. */
  appId: string;
  topic: string;
  pubsubname: string;
  trace: TraceContext;
  /** `ttlInSeconds` sets `expiration`, as daprd does for components without native message TTL (Kafka). */
  ttlInSeconds?: number;
}

/**
 * The event daprd publishes for a request. A CloudEvent body passes through with `topic` and `pubsubname` set,
 * and `time` and the trace fields filled when missing; any other body is wrapped in a new event
 * (`com.dapr.event.sent`, source = app id, `data` parsed JSON or text, `data_base64` for octet streams).
 */
export function publishEnvelope(input: PublishEnvelopeInput): CloudEventMap {
  const event = isCloudEventContentType(input.contentType) ? passThrough(input) : wrap(input);
  if (input.ttlInSeconds !== undefined) {
    event.expiration = rfc3339(new Date(Date.now() + input.ttlInSeconds * 1000));
  }
  return event;
}

function passThrough(input: PublishEnvelopeInput): CloudEventMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.body.toString("utf8"));
  } catch (error) {
    throw new CloudEventCreationError((error as Error).message);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CloudEventCreationError("a CloudEvent must be a JSON object");
  }
  const event = parsed as CloudEventMap;
  event.traceparent ??= input.trace.traceparent;
  event.traceid ??= event.traceparent;
  event.tracestate ??= input.trace.tracestate;
  event.topic = input.topic;
  event.pubsubname = input.pubsubname;
  event.source ??= DEFAULT_SOURCE;
  event.type ??= DEFAULT_EVENT_TYPE;
  event.specversion ??= "1.0";
  event.time ??= rfc3339(new Date());
  return event;
}

function wrap(input: PublishEnvelopeInput): CloudEventMap {
  const datacontenttype = input.contentType || DEFAULT_DATA_CONTENT_TYPE;
  const text = input.body.toString("utf8");
  const event: CloudEventMap = {
    id: randomUUID(),
    specversion: "1.0",
    datacontenttype,
    source: input.appId,
    type: DEFAULT_EVENT_TYPE,
    topic: input.topic,
    pubsubname: input.pubsubname,
    traceid: input.trace.traceparent,
    traceparent: input.trace.traceparent,
    tracestate: input.trace.tracestate,
    time: rfc3339(new Date()),
  };
  if (isBinaryContentType(datacontenttype)) {
    event.data_base64 = input.body.toString("base64");
  } else if (isJsonContentType(datacontenttype)) {
    try {
      event.data = JSON.parse(text);
    } catch {
      // daprd keeps an unparsable JSON body as a string rather than refusing it.
      event.data = text;
    }
  } else {
    event.data = text;
  }
  return event;
}

/** The event daprd makes on delivery for a subscription with `rawPayload: "true"` (contrib `FromRawPayload`). */
export function rawPayloadEvent(data: Buffer, topic: string, pubsubname: string): CloudEventMap {
  return {
    id: randomUUID(),
    specversion: "1.0",
    datacontenttype: "application/octet-stream",
    source: DEFAULT_SOURCE,
    type: DEFAULT_EVENT_TYPE,
    topic,
    pubsubname,
    data_base64: data.toString("base64"),
  };
}

/** Whether an event's `expiration` (set from `ttlInSeconds`) has passed. */
export function hasExpired(event: CloudEventMap): boolean {
  const expiration = event.expiration;
  if (typeof expiration !== "string" || expiration === "") return false;
  const at = Date.parse(expiration);
  return !Number.isNaN(at) && at < Date.now();
}
