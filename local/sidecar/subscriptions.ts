// Topic subscriptions: declarative `Subscription` resources (v2alpha1, v1alpha1) and the app's programmatic `/dapr/subscribe` answer, with daprd's routing rules.
import { asRecord } from "./resiliency";
import { compileRouteMatch, type RouteMatch } from "./route-match";

export interface RouteRule {
  /** The CEL text; "" for the default route, which always matches. */
  match: string;
  path: string;
  matcher?: RouteMatch;
}

export interface TopicSubscription {
  pubsubname: string;
  topic: string;
  /** In order; the default route, if any, is the last rule with an empty match (as daprd builds it). */
  rules: RouteRule[];
  deadLetterTopic?: string;
  metadata: Record<string, string>;
  type: "DECLARATIVE" | "PROGRAMMATIC";
}

function rule(match: unknown, path: unknown, where: string): RouteRule {
  if (typeof path !== "string") throw new Error(`${where}: a route rule has no path.`);
  const text = typeof match === "string" ? match.trim() : "";
  return text === "" ? { match: "", path } : { match: text, path, matcher: compileRouteMatch(text) };
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  return Object.fromEntries(Object.entries(asRecord(value, where)).map(([k, v]) => [k, String(v)]));
}

function rejectBulk(bulk: unknown, where: string): void {
  if (bulk && typeof bulk === "object" && (bulk as { enabled?: unknown }).enabled === true) {
    throw new Error(`${where}: bulkSubscribe is not supported by the development sidecar; disable it.`);
  }
}

/** A declarative Subscription (its `scopes` are applied by the loader). */
export function parseSubscriptionResource(resource: {
  apiVersion: string;
  metadata: { name: string };
  spec?: unknown;
}): TopicSubscription {
  const where = `Subscription "${resource.metadata.name}"`;
  const spec = asRecord(resource.spec, `${where}: spec`);
  if (typeof spec.pubsubname !== "string" || typeof spec.topic !== "string") {
    throw new Error(`${where}: spec.pubsubname and spec.topic are required.`);
  }
  rejectBulk(spec.bulkSubscribe, where);
  let rules: RouteRule[];
  if (resource.apiVersion === "dapr.io/v2alpha1") {
    const routes = asRecord(spec.routes ?? {}, `${where}: spec.routes`);
    const listed = routes.rules ?? [];
    if (!Array.isArray(listed)) throw new Error(`${where}: spec.routes.rules must be a list.`);
    rules = listed.map((r) => {
      const entry = asRecord(r, `${where}: spec.routes.rules item`);
      return rule(entry.match, entry.path, where);
    });
    if (typeof routes.default === "string" && routes.default !== "") rules.push({ match: "", path: routes.default });
  } else {
    // daprd reads anything that is not v2alpha1 as v1alpha1: one route.
    rules = [{ match: "", path: typeof spec.route === "string" ? spec.route : "" }];
  }
  return {
    pubsubname: spec.pubsubname,
    topic: spec.topic,
    rules,
    ...(typeof spec.deadLetterTopic === "string" && spec.deadLetterTopic !== ""
      ? { deadLetterTopic: spec.deadLetterTopic }
      : {}),
    metadata: stringMap(spec.metadata, `${where}: spec.metadata`),
    type: "DECLARATIVE",
  };
}

/**
 * The app's `/dapr/subscribe` answer: `[{pubsubname, topic, route | routes: {rules, default}, deadLetterTopic, metadata}]`.
 * As daprd does, `routes.default` wins over `route`, and an entry with no route at all is dropped with a warning.
 */
export function parseProgrammaticSubscriptions(body: unknown, warn: (line: string) => void): TopicSubscription[] {
  if (!Array.isArray(body)) throw new Error("GET /dapr/subscribe must answer a JSON array of subscriptions.");
  const subscriptions: TopicSubscription[] = [];
  for (const [index, item] of body.entries()) {
    const where = `/dapr/subscribe entry ${index}`;
    const entry = asRecord(item, where);
    if (typeof entry.pubsubname !== "string" || typeof entry.topic !== "string") {
      throw new Error(`${where}: pubsubname and topic are required strings.`);
    }
    rejectBulk(entry.bulkSubscribe, where);
    const routes = asRecord(entry.routes ?? {}, `${where}: routes`);
    const listed = routes.rules ?? [];
    if (!Array.isArray(listed)) throw new Error(`${where}: routes.rules must be a list.`);
    const rules = listed.map((r) => {
      const e = asRecord(r, `${where}: routes.rules item`);
      return rule(e.match, e.path, where);
    });
    if (typeof routes.default === "string" && routes.default !== "") rules.push({ match: "", path: routes.default });
    else if (typeof entry.route === "string" && entry.route !== "") rules.push({ match: "", path: entry.route });
    if (rules.length === 0) {
      warn(`topic ${entry.topic} has an empty routes. removing from subscriptions list`);
      continue;
    }
    subscriptions.push({
      pubsubname: entry.pubsubname,
      topic: entry.topic,
      rules,
      ...(typeof entry.deadLetterTopic === "string" && entry.deadLetterTopic !== ""
        ? { deadLetterTopic: entry.deadLetterTopic }
        : {}),
      metadata: stringMap(entry.metadata, `${where}: metadata`),
      type: "PROGRAMMATIC",
    });
  }
  return subscriptions;
}

/** Programmatic first, then declarative; a declarative duplicate of a pubsub+topic is skipped, as daprd does. */
export function mergeSubscriptions(
  programmatic: readonly TopicSubscription[],
  declarative: readonly TopicSubscription[],
  warn: (line: string) => void,
): TopicSubscription[] {
  const merged = [...programmatic];
  for (const sub of declarative) {
    if (merged.some((s) => s.pubsubname === sub.pubsubname && s.topic === sub.topic)) {
      warn(
        `two identical subscriptions found (sources: declarative, app endpoint). pubsubname: ${sub.pubsubname}, topic: ${sub.topic}`,
      );
      continue;
    }
    merged.push(sub);
  }
  return merged;
}

/** The path of the first rule that matches the event; `undefined` when none does. Throws `RouteMatchError`. */
export function matchRoute(rules: readonly RouteRule[], event: Readonly<Record<string, unknown>>): string | undefined {
  return rules.find((r) => !r.matcher || r.matcher.matches(event))?.path;
}
