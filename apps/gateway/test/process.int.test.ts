// The gateway as its image runs it (src/main.ts in a process of its own): logging at trace level never writes a token (the subprotocol header carries one), and SIGTERM closes every socket with 1001 and exits 0.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceProcess, waitForPort } from "../../../local/process";
import { gatewayEnv, newUser, refusedUpgrade, TestClient, tokenFor, tokenWith } from "./harness";

const MAIN = join(__dirname, "..", "src", "main.ts");

describe("the gateway process", () => {
  let dir = "";
  let child: ServiceProcess;
  let url = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gateway-process-"));
    const env = await gatewayEnv({ LOG_LEVEL: "trace" });
    url = `http://127.0.0.1:${env.PORT}`;
    child = ServiceProcess.start({
      name: "gateway",
      command: process.execPath,
      args: ["--import", "tsx", MAIN],
      env: { ...process.env, ...env },
      logFile: join(dir, "gateway.log"),
      stopTimeoutMs: 15_000,
    });
    await waitForPort("127.0.0.1", Number(env.PORT), 30_000);
  }, 60_000);

  afterAll(async () => {
    await child.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("logs no token at trace level, and on SIGTERM closes every socket with 1001 and exits 0", async () => {
    const user = newUser("process");
    const token = await tokenFor(user);
    const viaSubprotocol = await TestClient.open({ url }, { token });
    const viaHeader = await TestClient.open({ url }, { token, via: "header" });
    const expired = await tokenWith(user, { issuedAt: Math.floor(Date.now() / 1000) - 600, expiresAt: 1 });
    expect(await refusedUpgrade({ url }, { token: expired })).toEqual({ status: 401, opened: false });
    expect(await refusedUpgrade({ url }, { token: "not.a-jwt.at-all" })).toEqual({ status: 401, opened: false });

    await child.stop();
    expect(await child.exited).toBe(0);
    for (const client of [viaSubprotocol, viaHeader]) {
      expect(await client.closed).toEqual({ code: 1001, reason: "going away" });
    }

    const log = await readFile(join(dir, "gateway.log"), "utf8");
    // The log has the upgrades and the shutdown: it is the log of this run.
    expect(log).toContain('"url":"/ws"');
    expect(log).toContain("service stopped");
    for (const secret of [token, expired, "not.a-jwt.at-all"]) {
      // Each signature alone would do: no part of a token may be written.
      expect(log).not.toContain(secret.split(".")[2]);
    }
  }, 60_000);
});
