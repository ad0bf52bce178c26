// Dapr subscriptions from the app catalog, in the shape both the declarative Subscription's `spec` and an app's programmatic `GET /dapr/subscribe` answer take; shared by the Pulumi program and the services.
import { DEAD_LETTER_TOPIC } from "@event-platform/events/src/topics";
import type { AppSpec, AppSubscription } from "./apps";

/** CEL rule that matches one CloudEvent type. */
export function matchEventType(type: string): string {
  return `event.type == "${type}"`;
}

/**
 * One subscription as Dapr reads it, in the shape the declarative Subscription's `spec` and the programmatic
 * `GET /dapr/subscribe` answer share (Dapr's subscription methods: `pubsubname`, `topic`, `routes.rules[{match,
 * path}]`, `routes.default`, `deadLetterTopic`).
 */
export interface SubscriptionSpec {
  pubsubname: string;
  topic: string;
  routes: { rules?: { match: string; path: string }[]; default: string };
  deadLetterTopic?: string;
  /** Subscription metadata: `rawPayload: "true"` for a subscription that takes records as they came. */
  metadata?: Record<string, string>;
}

/** The subscription of one app to one topic, from the catalog. */
export function subscriptionSpec(sub: AppSubscription): SubscriptionSpec {
  return {
    pubsubname: sub.pubsub,
    topic: sub.topic.name,
    routes: {
      ...(sub.routes.length > 0
        ? { rules: sub.routes.map((r) => ({ match: matchEventType(r.type), path: r.path })) }
        : {}),
      default: sub.defaultPath,
    },
    ...(sub.deadLetter ? { deadLetterTopic: DEAD_LETTER_TOPIC } : {}),
    ...(sub.rawPayload ? { metadata: { rawPayload: "true" } } : {}),
  };
}

/**
 * What an app answers to daprd's `GET /dapr/subscribe`: the same subscriptions, field for field, as the
 * Subscription objects the Pulumi program deploys for it, so either way of subscribing gives the same routes.
 */
export function programmaticSubscriptions(app: AppSpec): SubscriptionSpec[] {
  return app.subscriptions.map(subscriptionSpec);
}
