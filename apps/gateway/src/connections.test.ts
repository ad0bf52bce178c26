// Unit tests of the socket registry on stand-in sockets: the per-user cap, frames to the user's open sockets only and in order, 4008 instead of buffering past the limit, 4001 at the token's expiry, and the heartbeat.
import type { FastifyBaseLogger } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ClientSocket, Connections } from "./connections";
import { Heartbeat } from "./heartbeat";

const silent = { info: () => {}, warn: () => {}, debug: () => {} } as unknown as FastifyBaseLogger;

/** A socket that records what the registry does to it; `bufferedAmount` is set by the test. */
class RecordingSocket implements ClientSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: string[] = [];
  readonly events: string[] = [];

  send(data: string): void {
    this.frames.push(data);
  }
  close(code: number, reason: string): void {
    this.readyState = 2;
    this.events.push(`close ${code} ${reason}`);
  }
  terminate(): void {
    this.readyState = 3;
    this.events.push("terminate");
  }
  ping(): void {
    this.events.push("ping");
  }
}

const LATER = () => Date.now() + 3_600_000;

afterEach(() => {
  vi.useRealTimers();
});

describe("Connections", () => {
  it("holds up to maxSocketsPerUser sockets per user and frees a slot when one is removed", () => {
    const connections = new Connections({ maxBufferedBytes: 1_024, maxSocketsPerUser: 2 }, silent);
    const first = connections.add("ann", new RecordingSocket(), LATER());
    expect(connections.add("ann", new RecordingSocket(), LATER())).toBeDefined();
    expect(connections.add("ann", new RecordingSocket(), LATER())).toBeUndefined();
    expect(connections.add("bob", new RecordingSocket(), LATER())).toBeDefined();
    expect(connections.count("ann")).toBe(2);
    if (!first) throw new Error("the first socket was refused");
    connections.remove(first);
    expect(connections.count("ann")).toBe(1);
    expect(connections.add("ann", new RecordingSocket(), LATER())).toBeDefined();
    expect([...connections].map((c) => c.userId).sort()).toEqual(["ann", "ann", "bob"]);
  });

  it("sends a user's frames in order to that user's open sockets only", () => {
    const connections = new Connections({ maxBufferedBytes: 1_024, maxSocketsPerUser: 8 }, silent);
    const [ann1, ann2, closing, bob] = [
      new RecordingSocket(),
      new RecordingSocket(),
      new RecordingSocket(),
      new RecordingSocket(),
    ];
    closing.readyState = 2;
    connections.add("ann", ann1, LATER());
    connections.add("ann", ann2, LATER());
    connections.add("ann", closing, LATER());
    connections.add("bob", bob, LATER());
    expect(connections.send("ann", "1")).toBe(2);
    expect(connections.send("ann", "2")).toBe(2);
    expect(connections.send("nobody", "3")).toBe(0);
    expect(ann1.frames).toEqual(["1", "2"]);
    expect(ann2.frames).toEqual(["1", "2"]);
    expect(closing.frames).toEqual([]);
    expect(bob.frames).toEqual([]);
  });

  it("closes with 4008, sending nothing, a socket whose buffer plus the frame would pass the limit; the others keep receiving", () => {
    const connections = new Connections({ maxBufferedBytes: 100, maxSocketsPerUser: 8 }, silent);
    const slow = new RecordingSocket();
    const fast = new RecordingSocket();
    connections.add("ann", slow, LATER());
    connections.add("ann", fast, LATER());
    slow.bufferedAmount = 60;
    connections.send("ann", "x".repeat(40));
    expect(slow.frames).toHaveLength(1);
    slow.bufferedAmount = 61;
    // Bytes, not characters: "é" is two.
    connections.send("ann", "é".repeat(20));
    expect(slow.frames).toHaveLength(1);
    expect(slow.events).toEqual(["close 4008 too slow"]);
    connections.send("ann", "after");
    expect(slow.frames).toHaveLength(1);
    expect(fast.frames).toEqual(["x".repeat(40), "é".repeat(20), "after"]);
  });

  it("closes a socket with 4001 when its token expires, and not after it was removed", () => {
    vi.useFakeTimers();
    const connections = new Connections({ maxBufferedBytes: 1_024, maxSocketsPerUser: 8 }, silent);
    const expiring = new RecordingSocket();
    const removed = new RecordingSocket();
    connections.add("ann", expiring, Date.now() + 5_000);
    const gone = connections.add("ann", removed, Date.now() + 5_000);
    if (!gone) throw new Error("refused");
    connections.remove(gone);
    vi.advanceTimersByTime(4_999);
    expect(expiring.events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expiring.events).toEqual(["close 4001 token expired"]);
    expect(removed.events).toEqual([]);
  });

  it("closes at once a socket whose token expired before it registered, and waits out expiries longer than a timer takes", () => {
    vi.useFakeTimers();
    const connections = new Connections({ maxBufferedBytes: 1_024, maxSocketsPerUser: 8 }, silent);
    const late = new RecordingSocket();
    connections.add("ann", late, Date.now() - 1);
    expect(late.events).toEqual(["close 4001 token expired"]);
    const month = 30 * 86_400_000;
    const long = new RecordingSocket();
    connections.add("ann", long, Date.now() + month);
    vi.advanceTimersByTime(month - 1);
    expect(long.events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(long.events).toEqual(["close 4001 token expired"]);
  });
});

describe("Heartbeat", () => {
  it("pings every socket each beat and terminates one that has not answered the previous ping", () => {
    const connections = new Connections({ maxBufferedBytes: 1_024, maxSocketsPerUser: 8 }, silent);
    const answering = new RecordingSocket();
    const dead = new RecordingSocket();
    const live = connections.add("ann", answering, LATER());
    connections.add("bob", dead, LATER());
    if (!live) throw new Error("refused");
    const heartbeat = new Heartbeat(connections, 1_000, silent);
    heartbeat.beat();
    live.alive = true;
    heartbeat.beat();
    expect(answering.events).toEqual(["ping", "ping"]);
    expect(dead.events).toEqual(["ping", "terminate"]);
  });

  it("beats every interval between start and stop", async () => {
    vi.useFakeTimers();
    const connections = new Connections({ maxBufferedBytes: 1_024, maxSocketsPerUser: 8 }, silent);
    const socket = new RecordingSocket();
    connections.add("ann", socket, LATER());
    const heartbeat = new Heartbeat(connections, 1_000, silent);
    heartbeat.start();
    vi.advanceTimersByTime(1_000);
    expect(socket.events).toEqual(["ping"]);
    vi.advanceTimersByTime(1_000);
    expect(socket.events).toEqual(["ping", "terminate"]);
    await heartbeat.stop();
    vi.advanceTimersByTime(5_000);
    expect(socket.events).toHaveLength(2);
  });
});
