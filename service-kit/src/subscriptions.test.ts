// Unit tests of the subscription routes: GET /dapr/subscribe as deployed, the app token, the contract check with DROP, handler verdicts, raw dead letters and their body limit, and draining.
import { buildEvent, eventSource } from "@event-platform/events";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { sampleData } from "../../events/test/samples";
import { APPS } from "../../specs/apps";
import { subscriptions } from "../../specs/dapr";
import { programmaticSubscriptions } from "../../specs/subscriptions";
import { createServer } from "./server";
import {
  type Delivery,
  DropEvent,
  EVENT_BODY_LIMIT,
  idBoundViolations,
  ignoreEvent,
  type RawDelivery,
  registerSubscriber,
  type Subscriber,
} from "./subscriptions";

const TOKEN = "subscription-tests-app-token-0123456789abcdef";
const FROM_SIDECAR = { "dapr-api-token": TOKEN, "content-type": "application/cloudevents+json" };

const servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(
  app: (typeof APPS)[keyof typeof APPS],
  handlers: Parameters<typeof registerSubscriber>[1]["handlers"],
  options: { deadLetterBodyLimit?: number } = {},
): Promise<{ server: FastifyInstance; subscriber: Subscriber }> {
  const server = createServer({ logLevel: "silent", http: { requestTimeoutMs: 5_000, connectionTimeoutMs: 5_000 } });
  servers.push(server);
  const subscriber = await registerSubscriber(server, { app, appToken: TOKEN, handlers, ...options });
  await server.ready();
  return { server, subscriber };
}

const completed = () =>
  buildEvent("com.taskmanager.task.completed", sampleData("com.taskmanager.task.completed"), {
    source: eventSource("backend"),
  });

const recurringHandlers = (onCompleted: Parameters<typeof registerSubscriber>[1]["handlers"][string]) => ({
  "/events/task-completed": onCompleted,
  "/events/ignored": ignoreEvent,
});

describe("registerSubscriber", () => {
  it("answers GET /dapr/subscribe with the app's subscriptions exactly as the deployed Subscription specs", async () => {
    const { server } = await serve(
      APPS.recurring,
      recurringHandlers(async () => undefined),
    );
    const answer = await server.inject({ method: "GET", url: "/dapr/subscribe", headers: FROM_SIDECAR });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual(programmaticSubscriptions(APPS.recurring));
    const deployed = subscriptions("apps", [APPS.recurring]).map((s) => s.spec);
    expect(answer.json()).toEqual(deployed);
  });

  it("refuses every route without the app token, before reading the body", async () => {
    let calls = 0;
    const { server } = await serve(
      APPS.recurring,
      recurringHandlers(async () => {
        calls += 1;
        return undefined;
      }),
    );
    for (const headers of [{}, { "dapr-api-token": "wrong" }]) {
      expect((await server.inject({ method: "GET", url: "/dapr/subscribe", headers })).statusCode).toBe(401);
      const post = await server.inject({ method: "POST", url: "/events/task-completed", headers, payload: "{" });
      expect(post.statusCode).toBe(401);
    }
    expect(calls).toBe(0);
  });

  it("takes an event with only the contract's required fields, and gives the handler its data", async () => {
    const seen: unknown[] = [];
    const { server } = await serve(
      APPS.recurring,
      recurringHandlers(async ({ event }: Delivery) => {
        seen.push(event.data);
        return undefined;
      }),
    );
    const minimal = { ...completed(), data: { task_id: 1, user_id: "ann" } };
    const answer = await server.inject({
      method: "POST",
      url: "/events/task-completed",
      headers: FROM_SIDECAR,
      payload: JSON.stringify(minimal),
    });
    expect(answer.json()).toEqual({ status: "SUCCESS" });
    expect(seen).toEqual([{ task_id: 1, user_id: "ann" }]);
  });

  it("answers DROP, without calling the handler, for a body that is not JSON or breaks the contract", async () => {
    let calls = 0;
    const { server } = await serve(
      APPS.recurring,
      recurringHandlers(async () => {
        calls += 1;
        return undefined;
      }),
    );
    const bodies = [
      "not json",
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      JSON.stringify({ ...completed(), data: { task_id: "7", user_id: "ann" } }),
      JSON.stringify({ ...completed(), id: "not-a-uuid" }),
      JSON.stringify({ ...completed(), type: "com.taskmanager.reminder.triggered" }),
      "null",
    ];
    for (const payload of bodies) {
      const answer = await server.inject({
        method: "POST",
        url: "/events/task-completed",
        headers: FROM_SIDECAR,
        payload,
      });
      expect(answer.statusCode, payload).toBe(200);
      expect(answer.json(), payload).toEqual({ status: "DROP" });
    }
    expect(calls).toBe(0);
  });

  it("answers DROP for a task_id out of the catalog's bounds on every contract topic; takes the bounds themselves", async () => {
    let calls = 0;
    const count = async () => {
      calls += 1;
      return undefined;
    };
    const routes = [
      { app: APPS.recurring, path: "/events/task-completed", type: "com.taskmanager.task.completed" },
      { app: APPS.notification, path: "/events/reminder-scheduled", type: "com.taskmanager.reminder.scheduled" },
      { app: APPS.gateway, path: "/events/task-updates", type: "com.taskmanager.ui.task_list_changed" },
    ] as const;
    for (const { app, path, type } of routes) {
      const handlers = Object.fromEntries(
        app.subscriptions.flatMap((sub) => [...sub.routes.map((r) => r.path), sub.defaultPath]).map((p) => [p, count]),
      );
      const { server } = await serve(app, handlers);
      const event = buildEvent(type, sampleData(type), { source: eventSource("backend") });
      const post = async (taskId: number) =>
        (
          await server.inject({
            method: "POST",
            url: path,
            headers: FROM_SIDECAR,
            payload: JSON.stringify({ ...event, data: { ...event.data, task_id: taskId } }),
          })
        ).json();
      for (const taskId of [0, -1, -(2 ** 53), 2 ** 53, 1e300])
        expect(await post(taskId), `${path} ${taskId}`).toEqual({ status: "DROP" });
      calls = 0;
      for (const taskId of [1, Number.MAX_SAFE_INTEGER]) expect(await post(taskId)).toEqual({ status: "SUCCESS" });
      expect(calls, path).toBe(2);
    }
    expect(idBoundViolations({ data: { task_id: 0 } })).toEqual([{ path: "/data/task_id", message: "must be >= 1" }]);
    expect(idBoundViolations({ data: "x" })).toEqual([]);
  });

  it("maps the handler's verdict: DropEvent is DROP, any other error RETRY, a status as given", async () => {
    const verdicts: (() => Promise<"SUCCESS" | "RETRY" | "DROP" | undefined>)[] = [
      async () => {
        throw new DropEvent("unknown task");
      },
      async () => {
        throw new Error("database down");
      },
      async () => "RETRY",
      async () => undefined,
    ];
    let next = 0;
    const { server } = await serve(
      APPS.recurring,
      recurringHandlers(() => (verdicts[next++] as () => Promise<undefined>)()),
    );
    const statuses: unknown[] = [];
    for (let i = 0; i < verdicts.length; i++) {
      const answer = await server.inject({
        method: "POST",
        url: "/events/task-completed",
        headers: FROM_SIDECAR,
        payload: JSON.stringify(completed()),
      });
      statuses.push(answer.json().status);
    }
    expect(statuses).toEqual(["DROP", "RETRY", "RETRY", "SUCCESS"]);
  });

  it("answers DROP for an error PostgreSQL raised because of a value, RETRY for a connection or server failure", async () => {
    const failures = [
      { code: "22021", message: 'invalid byte sequence for encoding "UTF8": 0x00' },
      { code: "54000", message: "index row requires 20536 bytes, maximum size is 8191" },
      { code: "22008", message: "date/time field value out of range" },
      { code: "08006", message: "connection failure" },
      { code: "57P01", message: "terminating connection due to administrator command" },
      { code: "40P01", message: "deadlock detected" },
    ];
    let next = 0;
    const { server } = await serve(
      APPS.recurring,
      recurringHandlers(async () => {
        throw Object.assign(new Error(failures[next]?.message), { code: failures[next++]?.code });
      }),
    );
    const statuses: unknown[] = [];
    for (const _ of failures) {
      const answer = await server.inject({
        method: "POST",
        url: "/events/task-completed",
        headers: FROM_SIDECAR,
        payload: JSON.stringify(completed()),
      });
      statuses.push(answer.json().status);
    }
    expect(statuses).toEqual(["DROP", "DROP", "DROP", "RETRY", "RETRY", "RETRY"]);
  });

  it("answers DROP for an event whose type is not its route's; a default route takes any type of its topic", async () => {
    const seen: string[] = [];
    const { server } = await serve(APPS.recurring, {
      "/events/task-completed": async ({ event }: Delivery) => {
        seen.push(`completed ${event.type}`);
        return undefined;
      },
      "/events/ignored": async ({ event }: Delivery) => {
        seen.push(`ignored ${event.type}`);
        return undefined;
      },
    });
    const created = buildEvent("com.taskmanager.task.created", sampleData("com.taskmanager.task.created"), {
      source: eventSource("backend"),
    });
    const post = (url: string, event: object) =>
      server.inject({ method: "POST", url, headers: FROM_SIDECAR, payload: JSON.stringify(event) });
    expect((await post("/events/task-completed", created)).json()).toEqual({ status: "DROP" });
    expect((await post("/events/ignored", created)).json()).toEqual({ status: "SUCCESS" });
    expect((await post("/events/ignored", completed())).json()).toEqual({ status: "SUCCESS" });
    expect((await post("/events/task-completed", completed())).json()).toEqual({ status: "SUCCESS" });
    expect(seen).toEqual([
      "ignored com.taskmanager.task.created",
      "ignored com.taskmanager.task.completed",
      "completed com.taskmanager.task.completed",
    ]);
  });

  it("takes a contract-valid event of any size up to Kafka's largest record on every route; above it, 413", async () => {
    const sizes: number[] = [];
    const { server } = await serve(
      APPS.recurring,
      recurringHandlers(async ({ event }: Delivery) => {
        sizes.push(JSON.stringify(event).length);
        return undefined;
      }),
    );
    const event = completed();
    const padded = (bytes: number) => {
      const base = JSON.stringify({ ...event, data: { ...event.data, title: "" } }).length;
      return JSON.stringify({ ...event, data: { ...event.data, title: "x".repeat(bytes - base) } });
    };
    for (const bytes of [300_000, EVENT_BODY_LIMIT]) {
      const answer = await server.inject({
        method: "POST",
        url: "/events/task-completed",
        headers: FROM_SIDECAR,
        payload: padded(bytes),
      });
      expect([answer.statusCode, answer.json()]).toEqual([200, { status: "SUCCESS" }]);
    }
    expect(sizes).toEqual([300_000, EVENT_BODY_LIMIT]);
    const above = await server.inject({
      method: "POST",
      url: "/events/task-completed",
      headers: FROM_SIDECAR,
      payload: padded(EVENT_BODY_LIMIT + 1),
    });
    expect(above.statusCode).toBe(413);
  });

  it("gives the dead-letter desk any body raw, with the Kafka metadata headers", async () => {
    const seen: RawDelivery[] = [];
    const { server } = await serve(APPS.deadLetters, {
      "/events/dead-letter": async (delivery: RawDelivery) => {
        seen.push(delivery);
        return undefined;
      },
    });
    const answer = await server.inject({
      method: "POST",
      url: "/events/dead-letter",
      headers: { ...FROM_SIDECAR, "content-type": "application/octet-stream", __topic: "task-events" },
      payload: "\u0000 not json",
    });
    expect(answer.json()).toEqual({ status: "SUCCESS" });
    expect(seen[0]).toMatchObject({ text: "\u0000 not json", headers: { __topic: "task-events" } });
    expect(seen[0]?.json).toBeUndefined();
    expect(seen[0]?.parseError).toBeTypeOf("string");
  });

  it("refuses handlers that do not match the catalog's paths, naming them", async () => {
    await expect(serve(APPS.recurring, { "/events/task-completed": ignoreEvent })).rejects.toThrow(
      "no handler for /events/ignored",
    );
    await expect(
      serve(APPS.recurring, { ...recurringHandlers(ignoreEvent), "/events/other": ignoreEvent }),
    ).rejects.toThrow("not subscribed: /events/other");
  });

  it("while draining, answers new deliveries 503 RETRY and waits for those in flight", async () => {
    let release: () => void = () => {};
    let running!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      running = resolve;
    });
    const { server, subscriber } = await serve(
      APPS.recurring,
      recurringHandlers(
        () =>
          new Promise<undefined>((resolve) => {
            running();
            release = () => resolve(undefined);
          }),
      ),
    );
    const first = server.inject({
      method: "POST",
      url: "/events/task-completed",
      headers: FROM_SIDECAR,
      payload: JSON.stringify(completed()),
    });
    await inHandler;
    expect(subscriber.inFlight).toBe(1);
    let drained = false;
    const draining = subscriber.drain(Date.now() + 5_000).then(() => {
      drained = true;
    });
    const late = await server.inject({
      method: "POST",
      url: "/events/task-completed",
      headers: FROM_SIDECAR,
      payload: JSON.stringify(completed()),
    });
    expect([late.statusCode, late.json()]).toEqual([503, { status: "RETRY" }]);
    expect(drained).toBe(false);
    release();
    expect((await first).json()).toEqual({ status: "SUCCESS" });
    await draining;
    expect(drained).toBe(true);
  });
});

describe("the dead-letter route", () => {
  async function deliverDeadLetter(payload: string, options: { deadLetterBodyLimit?: number } = {}) {
    const received: RawDelivery[] = [];
    const { server } = await serve(
      APPS.deadLetters,
      {
        "/events/dead-letter": async (delivery: RawDelivery) => {
          received.push(delivery);
          return undefined;
        },
      },
      options,
    );
    const answer = await server.inject({ method: "POST", url: "/events/dead-letter", headers: FROM_SIDECAR, payload });
    return { status: answer.statusCode, received };
  }

  /** What daprd delivers for a record on a subscription with `rawPayload: "true"` (contrib `FromRawPayload`). */
  const envelope = (record: string, topic = "dead-letters") =>
    JSON.stringify({
      id: "3f1c1f8e-7c55-4a7b-9d0e-0d5c9b0a6e11",
      specversion: "1.0",
      datacontenttype: "application/octet-stream",
      source: "Dapr",
      type: "com.dapr.event.sent",
      topic,
      pubsubname: "kafka-pubsub",
      data_base64: Buffer.from(record, "utf8").toString("base64"),
    });

  it("takes a dead letter larger than the API's limit, up to Kafka's default largest record", async () => {
    for (const bytes of [600_000, EVENT_BODY_LIMIT]) {
      const { status, received } = await deliverDeadLetter("x".repeat(bytes));
      expect([status, received.map((d) => d.text.length)]).toEqual([200, [bytes]]);
    }
  });

  it("refuses a dead letter above the configured limit", async () => {
    const { status, received } = await deliverDeadLetter("x".repeat(5_000), { deadLetterBodyLimit: 4_096 });
    expect([status, received]).toEqual([413, []]);
  });

  it("hands over the record inside daprd's raw-payload envelope, JSON or not", async () => {
    const notJson = (await deliverDeadLetter(envelope("<not json>"))).received;
    expect(notJson).toEqual([expect.objectContaining({ text: "<not json>", parseError: expect.any(String) })]);
    expect(notJson[0]?.json).toBeUndefined();
    const event = JSON.stringify({ id: "e-1", source: "/tasks/backend", topic: "task-events" });
    const wrapped = (await deliverDeadLetter(envelope(event))).received;
    expect(wrapped).toEqual([expect.objectContaining({ text: event, json: JSON.parse(event) })]);
  });

  it("hands over any other body as delivered, an envelope of another topic included", async () => {
    const other = envelope("<not json>", "task-events");
    const { received } = await deliverDeadLetter(other);
    expect(received).toEqual([expect.objectContaining({ text: other, json: JSON.parse(other) })]);
  });
});
