// A service's side of Dapr pub/sub: `GET /dapr/subscribe` from the catalog, one route per subscribed path behind the app API token, events checked against the contract, and daprd's answers (SUCCESS, RETRY, DROP).
import {
  type ContractEventOn,
  contractViolationsOn,
  type EventType,
  schemas,
  TOPICS,
  type TopicSpec,
} from "@event-platform/events";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { AppSpec, AppSubscription } from "../../specs/apps";
import { programmaticSubscriptions } from "../../specs/subscriptions";
import { requireAppToken } from "./app-token";
import { storageRefusal } from "./data-errors";
import type { Violation } from "./errors";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "./json-body";
import { violationsOf } from "./validation";

/**
 * The status an app answers a delivery with (FACTS, "Dapr pub/sub"): `SUCCESS` done; `RETRY` try again under the
 * inbound Resiliency policy, then the dead-letter topic; `DROP` never again, to the dead-letter topic at once.
 */
export type DeliveryStatus = "SUCCESS" | "RETRY" | "DROP";

/** Thrown by a handler for an event that can never succeed (an unknown task, say): answered `DROP`. */
export class DropEvent extends Error {
  override name = "DropEvent";
}

/** What a handler of a contract topic receives: the event, valid under the mission's contract for its topic. */
export interface Delivery<T extends TopicSpec = TopicSpec> {
  event: ContractEventOn<T>;
  topic: T;
  log: FastifyBaseLogger;
}

/**
 * What a handler of the dead-letter topic receives: the dead-lettered record's body (any bytes as UTF-8 text, taken
 * out of daprd's raw-payload envelope when the subscription has `rawPayload: "true"`), its JSON reading when it has
 * one, and the Kafka metadata daprd passes as headers (`__topic`, `__key`, `pubsubname`...).
 */
export interface RawDelivery {
  text: string;
  json?: unknown;
  /** Why `json` is absent: the body is not JSON, or nests deeper than the kit allows. */
  parseError?: string;
  headers: Record<string, string>;
  log: FastifyBaseLogger;
}

/**
 * A handler's verdict: nothing (or `SUCCESS`) when done; throw `DropEvent` for DROP; an error PostgreSQL raised
 * because of a value (`storageRefusal`) is a DROP too; any other error is a RETRY.
 */
export type EventHandler = (delivery: Delivery) => Promise<DeliveryStatus | undefined>;
export type RawEventHandler = (delivery: RawDelivery) => Promise<DeliveryStatus | undefined>;

/** Takes an event routed to a path the app does not act on (its subscription's default route): SUCCESS. */
export const ignoreEvent: EventHandler = async () => "SUCCESS";

export interface SubscriberOptions {
  /** The app in the catalog: its subscriptions name the paths and topics. */
  app: AppSpec;
  /** The app API token; every route here refuses a call without it (`requireAppToken`). */
  appToken: string;
  /** A handler for each path of the app's subscriptions (route rules and defaults), and for no other path. */
  handlers: Record<string, EventHandler | RawEventHandler>;
  /** The largest body, in bytes, a route of the dead-letter topic takes; `EVENT_BODY_LIMIT` by default. */
  deadLetterBodyLimit?: number;
}

/**
 * The largest body, in bytes, every subscription route takes: Kafka's default largest record (`message.max.bytes`,
 * 1 MiB plus 12 bytes of overhead). The contract sets no length on any field, so any event the broker holds may be
 * valid; a body the route refused (413) would be retried, then dead-lettered without ever reaching its handler (and
 * on the dead-letter topic, which has no dead-letter topic of its own, redelivered for ever, stalling its
 * partition): the routes take what the broker takes, not the REST API's limit.
 */
export const EVENT_BODY_LIMIT = 1_048_588;

/** The subscription routes of a running service. */
export interface Subscriber {
  /** Deliveries being handled now. */
  readonly inFlight: number;
  /**
   * Stops taking deliveries (each new one is answered 503 `RETRY`, so daprd keeps it for later) and resolves when
   * those in flight have finished, or at `deadline` (epoch ms).
   */
  drain(deadline: number): Promise<void>;
}

/**
 * The catalog's bounds on the ids a consumer looks things up by, by property of `data`, checked beside the contract
 * (which types `task_id` as any JSON integer): a `task_id` of 0, -1 or beyond Number.MAX_SAFE_INTEGER names no task
 * there can be (`schemas.TaskId`), so no handler could ever do anything right with it.
 */
export const CONSUMED_ID_BOUNDS = { task_id: schemas.TaskId } as const;

/** How an event's `data` breaks `CONSUMED_ID_BOUNDS`, each violation at `/data/<property>`. */
export function idBoundViolations(event: unknown): Violation[] {
  const data = typeof event === "object" && event !== null ? (event as { data?: unknown }).data : undefined;
  if (typeof data !== "object" || data === null) return [];
  return Object.entries(CONSUMED_ID_BOUNDS).flatMap(([name, schema]) =>
    Object.hasOwn(data, name) ? violationsOf(schema, (data as Record<string, unknown>)[name], `/data/${name}`) : [],
  );
}

/** Where a path's deliveries come from: its subscription, and the event type of its route rule (none: the default). */
interface SubscribedPath {
  sub: AppSubscription;
  type?: EventType;
}

/** Every path the app's subscriptions deliver to, with the subscription and the route rule it belongs to. */
function subscribedPaths(app: AppSpec): Map<string, SubscribedPath> {
  const paths = new Map<string, SubscribedPath>();
  for (const sub of app.subscriptions) {
    for (const route of sub.routes) paths.set(route.path, { sub, type: route.type });
    paths.set(sub.defaultPath, { sub });
  }
  return paths;
}

const answer = (status: DeliveryStatus) => ({ status });

/**
 * Registers `GET /dapr/subscribe` (the app's subscriptions exactly as the deployed Subscription objects have them,
 * `programmaticSubscriptions`) and a `POST` route per subscribed path, all behind the app API token.
 *
 * A delivery to a contract topic is parsed (any content type, as text; JSON nested deeper than MAX_JSON_DEPTH is
 * refused) and checked against the contract's schema for its topic (`contractViolationsOn`): one that is not JSON
 * or breaks the contract is answered DROP, logged with its violations, since no retry can make it valid; so is one
 * whose `data` has an id out of the catalog's bounds (`CONSUMED_ID_BOUNDS`). Only what the contract requires is
 * required: an event with just the contract's fields reaches the handler. An event whose `type` is not its route
 * rule's (a task.created posted to the task.completed path) is answered DROP too; a default path takes any type of
 * its topic. The dead-letter topic has no contract: its handler gets the body raw
 * and must never fail because of it. Every route takes bodies up to `EVENT_BODY_LIMIT` (the dead-letter topic's,
 * `deadLetterBodyLimit`). A handler's error that PostgreSQL raised because of a value (`storageRefusal`) is
 * answered DROP, logged with PostgreSQL's reason, since storing it again can never succeed.
 *
 * Throws at registration when a subscribed path has no handler or a handler has no subscribed path.
 */
export async function registerSubscriber(server: FastifyInstance, options: SubscriberOptions): Promise<Subscriber> {
  const paths = subscribedPaths(options.app);
  const missing = [...paths.keys()].filter((path) => !Object.hasOwn(options.handlers, path));
  const extra = Object.keys(options.handlers).filter((path) => !paths.has(path));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `The handlers of ${options.app.id} must match its subscribed paths in specs/apps.ts: ` +
        `${missing.length > 0 ? `no handler for ${missing.join(", ")}` : ""}${missing.length > 0 && extra.length > 0 ? "; " : ""}` +
        `${extra.length > 0 ? `not subscribed: ${extra.join(", ")}` : ""}`,
    );
  }

  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  await server.register(async (scope) => {
    requireAppToken(scope, options.appToken);
    // daprd sends `application/cloudevents+json`; a raw subscription may carry anything. Every body is taken as
    // text here, and each route reads it: a body that does not parse is the event's fault, not a 400 to retry.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));

    scope.get("/dapr/subscribe", async () => programmaticSubscriptions(options.app));

    for (const [path, { sub, type }] of paths) {
      const handler = options.handlers[path] as EventHandler | RawEventHandler;
      const deadLetters = sub.topic.name === TOPICS.deadLetters.name;
      const bodyLimit = deadLetters ? (options.deadLetterBodyLimit ?? EVENT_BODY_LIMIT) : EVENT_BODY_LIMIT;
      scope.post(path, { bodyLimit }, async (request, reply) => {
        if (draining) return reply.code(503).send(answer("RETRY"));
        inFlight += 1;
        try {
          const text = typeof request.body === "string" ? request.body : "";
          const status = deadLetters
            ? await (handler as RawEventHandler)(rawDelivery(text, request.headers, request.log))
            : await deliverContractEvent(handler as EventHandler, { path, topic: sub.topic, type }, text, request.log);
          return reply.send(answer(status ?? "SUCCESS"));
        } catch (error) {
          if (error instanceof DropEvent) {
            request.log.warn({ reason: error.message }, "event dropped: it can never succeed");
            return reply.send(answer("DROP"));
          }
          const refusal = storageRefusal(error);
          if (refusal !== undefined) {
            request.log.warn({ refusal }, `event dropped: a value could not be stored: ${refusal.message}`);
            return reply.send(answer("DROP"));
          }
          request.log.error({ err: error }, "event not handled; daprd will retry it");
          return reply.send(answer("RETRY"));
        } finally {
          inFlight -= 1;
          if (inFlight === 0) idle?.();
        }
      });
    }
  });

  return {
    get inFlight() {
      return inFlight;
    },
    async drain(deadline) {
      draining = true;
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(deadline - Date.now(), 0));
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

async function deliverContractEvent(
  handler: EventHandler,
  { path, topic, type }: { path: string; topic: TopicSpec; type?: EventType },
  text: string,
  log: FastifyBaseLogger,
): Promise<DeliveryStatus | undefined> {
  const { json, parseError } = parse(text);
  if (parseError !== undefined) throw new DropEvent(`the body is not a CloudEvent: ${parseError}`);
  const violations = [...contractViolationsOn(topic, json), ...idBoundViolations(json)];
  if (violations.length > 0) {
    const id = typeof json === "object" && json !== null ? (json as { id?: unknown }).id : undefined;
    throw new DropEvent(
      `event ${JSON.stringify(id ?? null)} breaks the contract of ${topic.name}: ${violations.map((v) => `${v.path || "/"} ${v.message}`).join("; ")}`,
    );
  }
  const event = json as ContractEventOn<TopicSpec>;
  const { id, type: eventType } = event as { id?: unknown; type?: unknown };
  if (type !== undefined && eventType !== type) {
    throw new DropEvent(
      `event ${JSON.stringify(id ?? null)} is routed to ${path} but is of type ${JSON.stringify(eventType)}`,
    );
  }
  return handler({ event, topic, log: log.child({ eventId: id, eventType }) });
}

function rawDelivery(text: string, headers: Record<string, unknown>, log: FastifyBaseLogger): RawDelivery {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string") flat[name] = value;
    else if (Array.isArray(value)) flat[name] = value.join(", ");
  }
  const delivered = parse(text);
  const record = rawPayloadOf(delivered.json);
  return record === undefined
    ? { text, ...delivered, headers: flat, log }
    : { text: record, ...parse(record), headers: flat, log };
}

/**
 * The record inside daprd's raw-payload envelope, or undefined for any other body. A subscription with metadata
 * `rawPayload: "true"` gets every record wrapped so (components-contrib `FromRawPayload`: `source` "Dapr", `type`
 * "com.dapr.event.sent", `datacontenttype` "application/octet-stream", the subscribed topic, the bytes in
 * `data_base64`); without it daprd hands over only records that read as a JSON object, and one that does not is
 * redelivered for ever on a subscription with no dead-letter topic (`local/sidecar/delivery.ts` `handleRecord`).
 */
function rawPayloadOf(json: unknown): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const envelope = json as Record<string, unknown>;
  const wrapped =
    envelope.source === "Dapr" &&
    envelope.type === "com.dapr.event.sent" &&
    envelope.datacontenttype === "application/octet-stream" &&
    envelope.topic === TOPICS.deadLetters.name &&
    typeof envelope.data_base64 === "string";
  return wrapped ? Buffer.from(envelope.data_base64 as string, "base64").toString("utf8") : undefined;
}

function parse(text: string): { json?: unknown; parseError?: string } {
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) return { parseError: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (error) {
    return { parseError: error instanceof Error ? error.message : String(error) };
  }
}
