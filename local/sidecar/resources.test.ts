// Loading Dapr resources: the platform's own objects from specs/dapr.ts, YAML folders, scoping, and the errors for what the sidecar cannot honour.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEAD_LETTER_TOPIC, TOPICS } from "@event-platform/events";
import { afterEach, describe, expect, it } from "vitest";
import { GATEWAY_PUBSUB, PUBSUB } from "../../specs/apps";
import { daprResources, type KubernetesObject } from "../../specs/dapr";
import { localDaprSettings } from "./local-settings";
import { loadResources } from "./resources";
import { matchRoute, mergeSubscriptions, parseProgrammaticSubscriptions } from "./subscriptions";

const platform = daprResources(localDaprSettings("kafka:9092"));
const identity = (appId: string) => ({ appId, instanceId: `${appId}-pod-1`, namespace: "default" });

function component(metadata: Record<string, unknown>[], extra: Partial<KubernetesObject> = {}): KubernetesObject {
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Component",
    metadata: { name: "pubsub" },
    spec: { type: "pubsub.kafka", version: "v1", metadata },
    ...extra,
  };
}
const plain = [
  { name: "brokers", value: "b:9092" },
  { name: "authType", value: "none" },
];

describe("the platform's resources (specs/dapr.ts)", () => {
  it("gives the gateway its own component, with {podName} as the consumer group, and its subscription", () => {
    const loaded = loadResources(platform, identity("gateway"));
    expect(loaded.components.map((c) => [c.name, c.consumerGroup, c.initialOffset])).toEqual([
      [GATEWAY_PUBSUB, "gateway-pod-1", "newest"],
    ]);
    expect(loaded.subscriptions).toMatchObject([
      {
        pubsubname: GATEWAY_PUBSUB,
        topic: TOPICS.taskUpdates.name,
        rules: [{ match: "", path: "/events/task-updates" }],
        deadLetterTopic: DEAD_LETTER_TOPIC,
        type: "DECLARATIVE",
      },
    ]);
    expect(loaded.resiliency.forComponent(GATEWAY_PUBSUB, "inbound").retry).toMatchObject({
      policy: "exponential",
      maxRetries: 3,
      maxIntervalMs: 2000,
    });
    expect(loaded.skipped.join("\n")).toContain("scoped to recurring");
  });

  it("routes the recurring service's events by type, with the app id as the consumer group", () => {
    const loaded = loadResources(platform, identity("recurring"));
    expect(loaded.components.map((c) => [c.name, c.consumerGroup, c.initialOffset])).toEqual([
      [PUBSUB, "recurring", "oldest"],
    ]);
    const [sub] = loaded.subscriptions;
    expect(matchRoute(sub?.rules ?? [], { type: "com.taskmanager.task.completed" })).toBe("/events/task-completed");
    expect(matchRoute(sub?.rules ?? [], { type: "com.taskmanager.task.created" })).toBe("/events/ignored");
  });

  it("gives the dead-letter desk no dead-letter topic of its own", () => {
    const [sub] = loadResources(platform, identity("dead-letters")).subscriptions;
    expect(sub).toMatchObject({ topic: DEAD_LETTER_TOPIC });
    expect(sub?.deadLetterTopic).toBeUndefined();
  });
});

describe("a folder of YAML resources", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads multi-document files, expands template tags and falls back to consumerID for the group", () => {
    dir = mkdtempSync(path.join(tmpdir(), "sidecar-resources-"));
    writeFileSync(
      path.join(dir, "pubsub.yaml"),
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: tagged }
spec:
  type: pubsub.kafka
  version: v1
  metadata:
    - { name: brokers, value: "b:9092" }
    - { name: authType, value: none }
    - { name: consumerGroup, value: "{appID}-{podName}-{namespace}" }
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: by-consumer-id }
spec:
  type: pubsub.kafka
  version: v1
  metadata:
    - { name: brokers, value: "b:9092" }
    - { name: authType, value: none }
    - { name: consumerID, value: "{appID}-workers" }
    - { name: backOffDuration, value: 50ms }
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: { name: v1 }
spec: { pubsubname: tagged, topic: orders, route: /orders, deadLetterTopic: poison }
`,
    );
    writeFileSync(path.join(dir, "notes.txt"), "not a resource");
    const loaded = loadResources({ dir }, identity("shop"));
    expect(loaded.components.map((c) => c.consumerGroup)).toEqual(["shop-shop-pod-1-default", "shop-workers"]);
    expect(loaded.components[1]?.backOff).toMatchObject({ policy: "constant", durationMs: 50, maxRetries: -1 });
    expect(loaded.subscriptions).toMatchObject([
      { pubsubname: "tagged", topic: "orders", rules: [{ match: "", path: "/orders" }], deadLetterTopic: "poison" },
    ]);
  });
});

describe("what the sidecar cannot honour fails at load, naming it", () => {
  it.each([
    [
      [
        { name: "brokers", value: "b:9092" },
        { name: "authType", value: "password" },
      ],
      'Component "pubsub": authType "password" is not supported by the development sidecar',
    ],
    [[{ name: "brokers", value: "b:9092" }], "'authType' attribute was missing or empty"],
    [
      [...plain, { name: "saslPassword", secretKeyRef: { name: "s", key: "k" } }],
      'metadata "saslPassword" uses a secretKeyRef',
    ],
    [[...plain, { name: "initialOffset", value: "middle" }], "invalid initialOffset"],
  ])("component metadata %#", (metadata, message) => {
    expect(() => loadResources([component(metadata)], identity("app"))).toThrow(message);
  });

  it("a route match that is not valid CEL, naming the expression", () => {
    const sub = {
      apiVersion: "dapr.io/v2alpha1",
      kind: "Subscription",
      metadata: { name: "s" },
      spec: {
        pubsubname: "pubsub",
        topic: "t",
        routes: { rules: [{ match: 'event.type.lowerAscii() == "x"', path: "/big" }] },
      },
    };
    expect(() => loadResources([sub], identity("app"))).toThrow(
      'Route match "event.type.lowerAscii() == \\"x\\"" is not valid CEL',
    );
  });

  it.each([
    [{ retries: { r: { policy: "linear" } } }, "unexpected back off policy type"],
    [{ retries: { r: { policy: "constant", duration: "fast" } } }, 'Invalid duration "fast"'],
    [
      { retries: { r: { policy: "constant", matching: { httpStatusCodes: "500" } } } },
      "retry conditions are not supported",
    ],
  ])("resiliency policies %#", (policies, message) => {
    const resiliency = {
      apiVersion: "dapr.io/v1alpha1",
      kind: "Resiliency",
      metadata: { name: "r" },
      spec: { policies },
    };
    expect(() => loadResources([resiliency], identity("app"))).toThrow(message);
  });
});

describe("scoping and subscriptions", () => {
  it("leaves out a component scoped to other apps, as daprd does", () => {
    const loaded = loadResources([component(plain, { scopes: ["someone-else"] })], identity("app"));
    expect(loaded.components).toEqual([]);
    expect(loaded.skipped).toEqual(['Component "pubsub": scoped to someone-else']);
  });

  it("reads /dapr/subscribe like daprd: routes.default over route, entries without a route dropped", () => {
    const warnings: string[] = [];
    const subs = parseProgrammaticSubscriptions(
      [
        { pubsubname: "p", topic: "a", route: "/old", routes: { default: "/new" } },
        { pubsubname: "p", topic: "b", route: "/b", deadLetterTopic: "dlq", metadata: { rawPayload: "true" } },
        { pubsubname: "p", topic: "c" },
      ],
      (line) => warnings.push(line),
    );
    expect(subs.map((s) => [s.topic, s.rules.map((r) => r.path), s.deadLetterTopic, s.metadata])).toEqual([
      ["a", ["/new"], undefined, {}],
      ["b", ["/b"], "dlq", { rawPayload: "true" }],
    ]);
    expect(warnings).toEqual(["topic c has an empty routes. removing from subscriptions list"]);
  });

  it("keeps the programmatic subscription when a declarative one names the same pubsub and topic", () => {
    const warnings: string[] = [];
    const [programmatic] = parseProgrammaticSubscriptions([{ pubsubname: "p", topic: "t", route: "/p" }], () => {});
    const declarative = { ...(programmatic as NonNullable<typeof programmatic>), type: "DECLARATIVE" as const };
    const merged = mergeSubscriptions([programmatic as NonNullable<typeof programmatic>], [declarative], (l) =>
      warnings.push(l),
    );
    expect(merged.map((s) => s.type)).toEqual(["PROGRAMMATIC"]);
    expect(warnings[0]).toContain("two identical subscriptions found");
  });
});
