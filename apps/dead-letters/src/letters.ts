// What a dead letter is, read from its delivery alone: the original topic, key and position, the subscribers that failed it, the identity that makes repeats one entry, and the error the desk can establish.
import { createHash } from "node:crypto";
import { contractViolationsOn, DEAD_LETTER_TOPIC, TOPIC_LIST } from "@event-platform/events";
import type { RawDelivery } from "@event-platform/service-kit";
import { APP_LIST } from "../../../specs/apps";

/** A dead letter as the desk stores it; every text is `storable`. */
export interface DeadLetter {
  /** SHA-256 (hex) of what makes two deliveries one entry: see `identityOf`. */
  identity: string;
  /** The original topic as the catalog names it, or null when neither the headers nor the event say. */
  topic: string | null;
  /**
   * The original record key (`__key`); for an event without one, its `data.user_id` (every source topic's key):
   * `storable` to show, and `exactKey` as given, the key a replay is published under.
   */
  key: string | null;
  exactKey: string | null;
  /** The original record's partition and offset (`__partition`, `__offset`), when given and well-formed. */
  partition: number | null;
  offset: string | null;
  /** App ids of the catalog whose subscription to `topic` dead-letters into `dead-letters`. */
  subscribers: string[];
  /** The CloudEvent's `id`, `source` and `type`, when the body is a JSON object that has them. */
  eventId: string | null;
  eventSource: string | null;
  eventType: string | null;
  /**
   * The body as JSON (`json` parsed, `jsonText` the text as it came, which a replay publishes byte for byte), or
   * its text when it is not JSON the desk reads.
   */
  body: { json: unknown; jsonText: string } | { text: string };
  error: string;
}

/**
 * PostgreSQL text cannot hold U+0000, and an insert that fails on content would be retried for ever (this
 * subscription has no dead-letter topic): NULs become U+FFFD. JSON keeps them, escaped, in `json` columns.
 */
export function storable(text: string): string {
  return text.replaceAll("\u0000", "\uFFFD");
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const nonEmptyText = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/**
 * The topic the event failed on. daprd dead-letters with the original record's metadata as record headers, and
 * those override the dead-letter record's own when the desk's sidecar delivers it (`local/sidecar/delivery.ts`
 * `eventMetadata`, as components-contrib's Kafka consumer): `__topic` is the original topic. Without it (a record
 * produced by hand) the `topic` field Dapr sets on every published CloudEvent says the same.
 */
export function originalTopic(headers: Record<string, string>, json: unknown): string | null {
  const header = nonEmptyText(headers.__topic);
  // The dead-letter topic's own name means the record came without the original's headers.
  if (header !== null && header !== DEAD_LETTER_TOPIC) return header;
  const field = isObject(json) ? nonEmptyText(json.topic) : null;
  return field !== null && field !== DEAD_LETTER_TOPIC ? field : null;
}

/**
 * The apps of the catalog that subscribe to `topic` with `dead-letters` as their dead-letter topic: the only ones
 * whose failures land here. daprd does not say which of them failed (its metadata carries the desk's own pub/sub
 * name, not the failed subscription's), so every one is named; each source topic has one in the catalog.
 */
export function subscribersOf(topic: string | null): string[] {
  if (topic === null) return [];
  return APP_LIST.filter((app) => app.subscriptions.some((s) => s.topic.name === topic && s.deadLetter)).map(
    (app) => app.id,
  );
}

/**
 * What the desk can establish about the failure: a body that is not JSON, or the contract violations of an event
 * on a contract topic (the kit's subscribers DROP those); otherwise only that the subscriber gave up on it.
 */
export function errorOf(topic: string | null, json: unknown, parseError: string | undefined): string {
  if (parseError !== undefined) return `not JSON: ${parseError}`;
  const spec = TOPIC_LIST.find((t) => t.name === topic && t.name !== DEAD_LETTER_TOPIC);
  if (spec) {
    const violations = contractViolationsOn(spec, json);
    if (violations.length > 0) {
      return `breaks the contract of ${spec.name}: ${violations.map((v) => `${v.path || "/"} ${v.message}`).join("; ")}`;
    }
  }
  const id = isObject(json) ? nonEmptyText(json.id) : null;
  return `delivery failed after the subscriber's retries or was dropped by it; see the subscriber's log for event ${id ?? "(no id)"}`;
}

/**
 * What makes deliveries one entry, hashed so the unique index holds whatever the content: a CloudEvent is its
 * topic, `source` and `id` (CloudEvents identify an event by source and id), so one event dead-lettered by
 * several consumer groups (the gateway's pods) is one entry; a raw record is its original topic, partition and
 * offset; failing those, its text.
 */
export function identityOf(
  topic: string | null,
  event: { source: string; id: string } | null,
  position: { partition: number | null; offset: string | null },
  text: string,
): string {
  const parts =
    event !== null
      ? ["event", topic ?? "", event.source, event.id]
      : position.partition !== null && position.offset !== null
        ? ["record", topic ?? "", String(position.partition), position.offset]
        : ["text", topic ?? "", text];
  return createHash("sha256").update(parts.join("\u0000"), "utf8").digest("hex");
}

const PARTITION = /^\d{1,10}$/;
const OFFSET = /^\d{1,19}$/;
const INT32_MAX = 2_147_483_647;
const INT64_MAX = 9_223_372_036_854_775_807n;

/** `__partition` and `__offset` when they fit the columns; anything else is no position, never a failed insert. */
function positionOf(headers: Record<string, string>): { partition: number | null; offset: string | null } {
  const partition = PARTITION.test(headers.__partition ?? "") ? Number(headers.__partition) : null;
  const offset = headers.__offset ?? "";
  return {
    partition: partition !== null && partition <= INT32_MAX ? partition : null,
    offset: OFFSET.test(offset) && BigInt(offset) <= INT64_MAX ? offset : null,
  };
}

/** Reads a dead letter from the desk's delivery of it; never throws, whatever the body and headers hold. */
export function readDeadLetter(delivery: Pick<RawDelivery, "text" | "json" | "parseError" | "headers">): DeadLetter {
  const { text, json, parseError, headers } = delivery;
  const topic = originalTopic(headers, json);
  const object = parseError === undefined && isObject(json) ? json : null;
  const eventId = object ? nonEmptyText(object.id) : null;
  const eventSource = object ? nonEmptyText(object.source) : null;
  const event = eventId !== null && eventSource !== null ? { source: eventSource, id: eventId } : null;
  const position = positionOf(headers);
  const data = object && isObject(object.data) ? object.data : null;
  const key = headers.__key ?? (data ? nonEmptyText(data.user_id) : null);
  const safe = (value: string | null) => (value === null ? null : storable(value));
  return {
    identity: identityOf(topic, event, position, text),
    topic: safe(topic),
    key: safe(key),
    exactKey: key,
    ...position,
    subscribers: subscribersOf(topic),
    eventId: safe(eventId),
    eventSource: safe(eventSource),
    eventType: safe(object ? nonEmptyText(object.type) : null),
    body: parseError === undefined ? { json, jsonText: text } : { text: storable(text) },
    error: storable(errorOf(topic, json, parseError)),
  };
}
