// Unit tests of the task-updates handler: the frame is the event as delivered, to its user only; an update without a user or an id is dropped.

import { TOPICS } from "@event-platform/events";
import { DropEvent } from "@event-platform/service-kit";
import type { FastifyBaseLogger } from "fastify";
import { describe, expect, it } from "vitest";
import { type ClientSocket, Connections } from "./connections";
import { recipientOf, taskUpdatesHandler } from "./updates";

const silent = { info: () => {}, warn: () => {}, debug: () => {} } as unknown as FastifyBaseLogger;

function socket(frames: string[]): ClientSocket {
  return {
    readyState: 1,
    bufferedAmount: 0,
    send: (data) => frames.push(data),
    close: () => {},
    terminate: () => {},
    ping: () => {},
  };
}

const deliver = (connections: Connections, event: Record<string, unknown>) =>
  taskUpdatesHandler(connections)({ event, topic: TOPICS.taskUpdates, log: silent });

describe("recipientOf", () => {
  it("is data.user_id when it is a non-empty string", () => {
    expect(recipientOf({ data: { user_id: "ann" } })).toBe("ann");
    for (const data of [undefined, null, "ann", ["ann"], {}, { user_id: "" }, { user_id: 7 }]) {
      expect(recipientOf({ data }), JSON.stringify(data)).toBeUndefined();
    }
  });
});

describe("taskUpdatesHandler", () => {
  it("sends the event as delivered to its user's sockets and answers SUCCESS, with or without sockets here", async () => {
    const connections = new Connections({ maxBufferedBytes: 1_048_576, maxSocketsPerUser: 8 }, silent);
    const ann: string[] = [];
    const bob: string[] = [];
    connections.add("ann", socket(ann), Date.now() + 60_000);
    connections.add("bob", socket(bob), Date.now() + 60_000);
    const event = {
      specversion: "1.0",
      id: "6f1c1a43-6b43-4a53-9c2c-1b4f7b0bb3e2",
      type: "com.taskmanager.ui.task_list_changed",
      topic: "task-updates",
      pubsubname: "gateway-pubsub",
      data: { user_id: "ann", action: "add", task_id: 3, task_snapshot: { title: "Tea" } },
    };
    expect(await deliver(connections, event)).toBe("SUCCESS");
    expect(ann.map((frame) => JSON.parse(frame))).toEqual([event]);
    expect(bob).toEqual([]);
    expect(await deliver(connections, { ...event, data: { ...event.data, user_id: "carol" } })).toBe("SUCCESS");
  });

  it("drops an update that names no user, or has no id", async () => {
    const connections = new Connections({ maxBufferedBytes: 1_048_576, maxSocketsPerUser: 8 }, silent);
    await expect(deliver(connections, { id: "e1", data: { action: "refresh" } })).rejects.toThrow(
      new DropEvent('update "e1" has no data.user_id: it can be delivered to nobody'),
    );
    await expect(deliver(connections, { data: { user_id: "ann" } })).rejects.toThrow(DropEvent);
  });
});
