// The bundled services and their event wiring: app ids, ports, what each publishes, subscribes to and invokes.
import type { EventType } from "@event-platform/events/src/catalog";
import { TOPIC_LIST, TOPICS, type TopicSpec } from "@event-platform/events/src/topics";

/** The Dapr pub/sub component shared by the apps: one consumer group per app id. */
export const PUBSUB = "kafka-pubsub";
/** The gateway's own pub/sub component: one consumer group per pod, so every replica sees every update. */
export const GATEWAY_PUBSUB = "gateway-pubsub";
export type PubsubName = typeof PUBSUB | typeof GATEWAY_PUBSUB;

/** One route of a subscription: events of `type` go to `path` on the app. */
export interface EventRoute {
  type: EventType;
  path: string;
}

/** An app's subscription to one topic. */
export interface AppSubscription {
  pubsub: PubsubName;
  topic: TopicSpec;
  /** Rules in order; the first whose event type matches wins. */
  routes: readonly EventRoute[];
  /** Where events that match no rule go. */
  defaultPath: string;
  /**
   * Whether failed deliveries go to the dead-letter topic. Only the dead-letter desk's own subscription to
   * that topic has none: dead-lettering it to itself would loop.
   */
  deadLetter: boolean;
  /**
   * Whether daprd hands each record over wrapped as it came (subscription metadata `rawPayload: "true"`: a
   * `com.dapr.event.sent` CloudEvent with the bytes in `data_base64`) instead of reading it as a CloudEvent first.
   * Only the dead-letter desk's: a dead letter may be any bytes, and a record daprd cannot read as a CloudEvent on a
   * subscription without a dead-letter topic is redelivered for ever, stalling its partition.
   */
  rawPayload?: boolean;
}

export interface AppSpec {
  /** Dapr app id, Kubernetes name and consumer group. */
  id: string;
  description: string;
  /** The HTTP port the app listens on; the sidecar delivers events and invocations there. */
  port: number;
  /** Topics the app publishes to through its sidecar. */
  publishes: readonly TopicSpec[];
  subscriptions: readonly AppSubscription[];
  /** App ids this app calls with Dapr service invocation. */
  invokes: readonly string[];
  /** Whether the app has a PostgreSQL database of its own. */
  database: boolean;
  /**
   * Whether users (or operators) reach the app directly (REST and MCP, WebSocket, the preferences and dead-letter
   * APIs): it authenticates them by bearer JWT, and its port is open to where stack config `network.ingressFrom` says
   * users come from.
   */
  userFacing: boolean;
}

const deadLettered = { deadLetter: true } as const;

/** The bundled services, keyed by a stable identifier used in code. */
export const APPS = {
  backend: {
    id: "backend",
    description:
      "Owns tasks (REST and MCP); publishes task events, reminder schedules and UI updates through an outbox.",
    port: 3000,
    publishes: [TOPICS.taskEvents, TOPICS.reminders, TOPICS.taskUpdates],
    subscriptions: [],
    invokes: [],
    database: true,
    userFacing: true,
  },
  recurring: {
    id: "recurring",
    description: "Creates the next occurrence of a completed recurring task.",
    port: 3001,
    publishes: [],
    subscriptions: [
      {
        pubsub: PUBSUB,
        topic: TOPICS.taskEvents,
        routes: [{ type: "com.taskmanager.task.completed", path: "/events/task-completed" }],
        defaultPath: "/events/ignored",
        ...deadLettered,
      },
    ],
    invokes: ["backend"],
    database: true,
    userFacing: false,
  },
  notification: {
    id: "notification",
    description:
      "Keeps the reminder schedule, triggers reminders and delivers them in-app, by email or webhook; users read their notifications and set their delivery preferences over REST.",
    port: 3002,
    publishes: [TOPICS.reminders],
    subscriptions: [
      {
        pubsub: PUBSUB,
        topic: TOPICS.reminders,
        routes: [
          { type: "com.taskmanager.reminder.scheduled", path: "/events/reminder-scheduled" },
          { type: "com.taskmanager.reminder.cancelled", path: "/events/reminder-cancelled" },
          { type: "com.taskmanager.reminder.triggered", path: "/events/reminder-triggered" },
        ],
        defaultPath: "/events/ignored",
        ...deadLettered,
      },
    ],
    invokes: [],
    database: true,
    userFacing: true,
  },
  gateway: {
    id: "gateway",
    description: "Pushes each user's task updates to that user's WebSocket connections.",
    port: 3003,
    publishes: [],
    subscriptions: [
      {
        pubsub: GATEWAY_PUBSUB,
        topic: TOPICS.taskUpdates,
        routes: [],
        defaultPath: "/events/task-updates",
        ...deadLettered,
      },
    ],
    invokes: [],
    database: false,
    userFacing: true,
  },
  deadLetters: {
    id: "dead-letters",
    description:
      "Stores dead letters and alerts on them; operators list them and replay an event to its original topic after a fix, over REST.",
    port: 3004,
    publishes: [TOPICS.taskEvents, TOPICS.reminders, TOPICS.taskUpdates],
    subscriptions: [
      {
        pubsub: PUBSUB,
        topic: TOPICS.deadLetters,
        routes: [],
        defaultPath: "/events/dead-letter",
        deadLetter: false,
        rawPayload: true,
      },
    ],
    invokes: [],
    database: true,
    userFacing: true,
  },
} as const satisfies Record<string, AppSpec>;

export type AppKey = keyof typeof APPS;
export type AppId = (typeof APPS)[AppKey]["id"];

/** Every app, in catalog order. */
export const APP_LIST: readonly AppSpec[] = Object.values(APPS);

/** What the Pulumi program deploys besides the stack's config: the apps and the topics they use. */
export interface Catalog {
  readonly apps: readonly AppSpec[];
  readonly topics: readonly TopicSpec[];
}

/** The bundled apps and the topic catalog: what every stack deploys. */
export const CATALOG: Catalog = { apps: APP_LIST, topics: TOPIC_LIST };

/** The apps that use a pub/sub component (publish or subscribe through it): the component's scopes. */
export function appsUsing(pubsub: PubsubName, apps: readonly AppSpec[] = APP_LIST): string[] {
  return apps
    .filter(
      (app) => app.subscriptions.some((s) => s.pubsub === pubsub) || (pubsub === PUBSUB && app.publishes.length > 0),
    )
    .map((app) => app.id);
}

/** The apps that call `app` with Dapr service invocation. */
export function invokersOf(app: AppSpec, apps: readonly AppSpec[] = APP_LIST): AppSpec[] {
  return apps.filter((other) => other.invokes.includes(app.id));
}

/**
 * Whether the app has routes that only its sidecar calls: event deliveries (it subscribes) or service invocations
 * (another app invokes it). Such an app must check Dapr's app API token on them, so its pods need the token.
 */
export function hasSidecarRoutes(app: AppSpec, apps: readonly AppSpec[] = APP_LIST): boolean {
  return app.subscriptions.length > 0 || invokersOf(app, apps).length > 0;
}

/** Looks an app up by its id; throws with the known ids when there is none. */
export function appById(id: string): AppSpec {
  const app = APP_LIST.find((a) => a.id === id);
  if (!app) throw new Error(`Unknown app id "${id}". Known app ids: ${APP_LIST.map((a) => a.id).join(", ")}.`);
  return app;
}
