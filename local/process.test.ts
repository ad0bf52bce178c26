// freePort: ports picked below the kernel's ephemeral range, reserved per process, never handed out twice.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, RESERVATIONS, reservePort } from "./process";

const ephemeralLow = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);

/** Listens on 127.0.0.1:port and closes; rejects when the port is taken. */
function listenOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

describe("freePort", () => {
  it("picks distinct ports below the ephemeral range, each reserved by this process and free to listen on", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralLow);
      expect(readFileSync(join(RESERVATIONS, String(port)), "utf8")).toBe(String(process.pid));
      await listenOnce(port);
    }
  });

  it("never hands out a port this process reserved before", async () => {
    const port = await freePort();
    const again = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(again).not.toContain(port);
  });

  it("reservePort: refuses a port a live process holds, takes over one whose process is gone", async () => {
    mkdirSync(RESERVATIONS, { recursive: true });
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    const dead = child.pid as number;
    const [held, orphaned] = [19_998, 19_999];
    writeFileSync(join(RESERVATIONS, String(held)), String(process.ppid));
    writeFileSync(join(RESERVATIONS, String(orphaned)), String(dead));
    try {
      expect(reservePort(held)).toBe(false);
      expect(reservePort(orphaned)).toBe(true);
      expect(readFileSync(join(RESERVATIONS, String(orphaned)), "utf8")).toBe(String(process.pid));
      expect(reservePort(orphaned)).toBe(false);
    } finally {
      for (const port of [held, orphaned]) rmSync(join(RESERVATIONS, String(port)), { force: true });
    }
  });
});
