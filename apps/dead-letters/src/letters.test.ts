// Unit tests of reading a dead letter from its delivery: original topic, key and position, subscribers, identity and error, for any content.
import { describe, expect, it } from "vitest";
import { readDeadLetter, storable } from "./letters";

const EVENT = {
  specversion: "1.0",
  id: "0b7e3f0e-8a5b-4a51-9d59-1f0c3c2a7d11",
  source: "/tasks/backend",
  type: "com.taskmanager.task.completed",
  time: "2026-11-30T10:00:00Z",
  datacontenttype: "application/json",
  topic: "task-events",
  pubsubname: "kafka-pubsub",
  data: { task_id: 12, user_id: "user-1", is_recurring: true },
};
/** The headers a dead letter of EVENT arrives with from the desk's sidecar (the original record's metadata). */
const HEADERS = {
  __topic: "task-events",
  __key: "user-1",
  __partition: "2",
  __offset: "41",
  __timestamp: "1764496800000",
  pubsubname: "kafka-pubsub",
};

const deliveryOf = (value: unknown, headers: Record<string, string> = HEADERS) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  try {
    return { text, json: JSON.parse(text) as unknown, headers };
  } catch (error) {
    return { text, parseError: (error as Error).message, headers };
  }
};

describe("readDeadLetter", () => {
  it("takes topic, key and position from the original record's headers", () => {
    const letter = readDeadLetter(deliveryOf(EVENT));
    expect(letter).toMatchObject({
      topic: "task-events",
      key: "user-1",
      partition: 2,
      offset: "41",
      subscribers: ["recurring"],
      eventId: EVENT.id,
      eventSource: "/tasks/backend",
      eventType: "com.taskmanager.task.completed",
      body: { json: EVENT },
      error: `delivery failed after the subscriber's retries or was dropped by it; see the subscriber's log for event ${EVENT.id}`,
    });
    expect(letter.identity).toMatch(/^[0-9a-f]{64}$/);
  });

  it("names the catalog's subscriber of each source topic: the gateway for task-updates", () => {
    const subscribersOn = (topic: string) =>
      readDeadLetter(deliveryOf(EVENT, { ...HEADERS, __topic: topic })).subscribers;
    expect(subscribersOn("task-updates")).toEqual(["gateway"]);
    expect(subscribersOn("reminders")).toEqual(["notification"]);
    expect(subscribersOn("someone-elses-topic")).toEqual([]);
  });

  it("makes one identity of one event from one topic, however it arrived (two gateway pods)", () => {
    const a = readDeadLetter(deliveryOf(EVENT, { ...HEADERS, __timestamp: "1" }));
    const b = readDeadLetter(deliveryOf({ ...EVENT, traceparent: "00-x" }, { ...HEADERS, __timestamp: "2" }));
    const otherTopic = readDeadLetter(deliveryOf(EVENT, { ...HEADERS, __topic: "reminders" }));
    const otherSource = readDeadLetter(deliveryOf({ ...EVENT, source: "/tasks/other" }));
    expect(b.identity).toBe(a.identity);
    expect(new Set([a.identity, otherTopic.identity, otherSource.identity]).size).toBe(3);
  });

  it("falls back to the event's topic field and its data.user_id when the headers lack them", () => {
    const letter = readDeadLetter(deliveryOf(EVENT, { __topic: "dead-letters" }));
    expect(letter).toMatchObject({ topic: "task-events", key: "user-1", partition: null, offset: null });
    expect(readDeadLetter(deliveryOf({ ...EVENT, topic: undefined }, {}))).toMatchObject({
      topic: null,
      subscribers: [],
    });
  });

  it("reports the contract's violations for an event that breaks it", () => {
    const broken = { ...EVENT, data: { task_id: "12", user_id: "user-1" } };
    expect(readDeadLetter(deliveryOf(broken)).error).toBe(
      "breaks the contract of task-events: /data/task_id must be integer",
    );
  });

  it("stores a body that is not JSON as text, NULs made storable, keyed by its original position", () => {
    const letter = readDeadLetter(deliveryOf("not json\u0000 at all"));
    expect(letter).toMatchObject({
      topic: "task-events",
      eventId: null,
      eventType: null,
      body: { text: "not json\uFFFD at all" },
      error: expect.stringMatching(/^not JSON: /),
    });
    const samePosition = readDeadLetter(deliveryOf("other bytes"));
    expect(samePosition.identity).toBe(letter.identity);
  });

  it("keys a raw record without a position by its text", () => {
    const noPosition = { __topic: "task-events" };
    const a = readDeadLetter(deliveryOf("<xml/>", noPosition));
    expect(readDeadLetter(deliveryOf("<xml/>", noPosition)).identity).toBe(a.identity);
    expect(readDeadLetter(deliveryOf("<html/>", noPosition)).identity).not.toBe(a.identity);
  });

  it("ignores positions that fit no column rather than failing the insert", () => {
    const letter = readDeadLetter(
      deliveryOf(EVENT, { ...HEADERS, __partition: "99999999999", __offset: "99999999999999999999" }),
    );
    expect(letter).toMatchObject({ partition: null, offset: null });
    expect(readDeadLetter(deliveryOf(EVENT, { ...HEADERS, __partition: "-1" })).partition).toBeNull();
  });

  it("takes JSON that is no CloudEvent as JSON, with no event identity", () => {
    expect(readDeadLetter(deliveryOf([1, 2, 3]))).toMatchObject({
      body: { json: [1, 2, 3] },
      eventId: null,
      eventSource: null,
      error: expect.stringMatching(/^breaks the contract of task-events: /),
    });
  });
});

describe("storable", () => {
  it("replaces only U+0000, which PostgreSQL text cannot hold", () => {
    expect(storable("a\u0000b\u0001c\uFFFF")).toBe("a\uFFFDb\u0001c\uFFFF");
  });
});
