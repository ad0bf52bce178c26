// Helpers of the gateway's integration suites: a gateway with or without its development sidecar, WebSocket clients (the `ws` package) that record frames and the close, refused upgrades, and tokens of every kind.
import { SignJWT } from "jose";
import WebSocket from "ws";
import { freePort } from "../../../local/process";
import type { Sidecar } from "../../../local/sidecar/sidecar";
import { fromSidecar, startAppSidecar, TEST_JWT_SECRET, testAppToken, waitFor } from "../../../test/support/services";
import { type Gateway, type GatewayOptions, startGateway } from "../src/app";
import { loadConfig } from "../src/config";
import { SUBPROTOCOL } from "../src/socket-route";

export {
  Api,
  Cleanup,
  createTopics,
  fromSidecar,
  newUser,
  TopicReader,
  tokenFor,
  uniqueTag,
  waitFor,
} from "../../../test/support/services";

/** The gateway's app id: its Dapr app id and the scope of its pub/sub component and subscription. */
export const GATEWAY = "gateway";
/** The subscription route of `task-updates` (specs/apps.ts). */
export const UPDATES_PATH = "/events/task-updates";

/** The variables every test gateway gets; `env` of each start adds or overrides. */
export async function gatewayEnv(env: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.GATEWAY_TEST_LOG ? "info" : "silent",
    JWT_SECRET: TEST_JWT_SECRET,
    APP_API_TOKEN: testAppToken(GATEWAY),
    SHUTDOWN_TIMEOUT_MS: "10000",
    ...env,
  };
}

/** Starts a gateway on 127.0.0.1 and a free port (no sidecar: deliveries come from the test). */
export async function startTestGateway(
  env: Record<string, string> = {},
  options: GatewayOptions = {},
): Promise<Gateway> {
  return startGateway(loadConfig(await gatewayEnv(env)), options);
}

/** A gateway and its development sidecar; `instanceId` is what `{podName}`, its consumer group, expands to. */
export interface GatewayPod {
  gateway: Gateway;
  sidecar: Sidecar;
  stop(): Promise<void>;
}

/**
 * Starts a gateway with its own development sidecar on the platform's Dapr resources, under a topic prefix: like a
 * gateway pod, with its own consumer group (`consumerGroup: "{podName}"`), which starts at the newest record.
 */
export async function startGatewayPod(options: {
  topicPrefix: string;
  instanceId: string;
  env?: Record<string, string>;
}): Promise<GatewayPod> {
  const daprPort = await freePort();
  const gateway = await startTestGateway({ ...options.env, DAPR_HTTP_PORT: String(daprPort) });
  try {
    const sidecar = await startAppSidecar({
      appId: GATEWAY,
      appPort: gateway.port,
      httpPort: daprPort,
      topicPrefix: options.topicPrefix,
      instanceId: options.instanceId,
    });
    return {
      gateway,
      sidecar,
      stop: async () => {
        await gateway.close();
        await sidecar.stop();
      },
    };
  } catch (error) {
    await gateway.close();
    throw error;
  }
}

/** The `ws://` URL of a gateway's socket endpoint. */
export const socketUrl = (gateway: { url: string }, query = "") => `${gateway.url.replace(/^http/, "ws")}/ws${query}`;

/** How a client offers its token: as the board does (subprotocol), as a non-browser client may (header), or not. */
export interface ClientOptions {
  token?: string;
  /** `subprotocol` by default. */
  via?: "subprotocol" | "header";
  /** An `Authorization` header sent as it is (a malformed one, say), beside whatever `token` adds. */
  authorization?: string;
  /** The subprotocols offered; `task-updates.v1` (and the token's) by default. */
  protocols?: string[];
  origin?: string;
  /** `false`: the client does not answer pings (a dead peer). */
  autoPong?: boolean;
  query?: string;
}

function clientArguments(options: ClientOptions): { protocols: string[]; headers: Record<string, string> } {
  const via = options.via ?? "subprotocol";
  const token = options.token;
  const protocols = options.protocols ?? [
    SUBPROTOCOL,
    ...(token !== undefined && via === "subprotocol" ? [`bearer.${token}`] : []),
  ];
  const headers: Record<string, string> = {
    ...(token !== undefined && via === "header" ? { authorization: `Bearer ${token}` } : {}),
    ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
    ...(options.origin ? { origin: options.origin } : {}),
  };
  return { protocols, headers };
}

/** How a socket ended: its close code and reason as the client saw them (1006: cut without a close frame). */
export interface Closed {
  code: number;
  reason: string;
}

/** An open WebSocket client that keeps every frame (parsed) and how the socket closed. */
export class TestClient {
  readonly frames: Record<string, unknown>[] = [];
  readonly closed: Promise<Closed>;
  private closedAs: Closed | undefined;

  private constructor(readonly socket: WebSocket) {
    // A socket cut by the server (1006) may also report the reset; the close is what the tests look at.
    socket.on("error", () => undefined);
    socket.on("message", (data) => this.frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    this.closed = new Promise((resolve) =>
      socket.once("close", (code, reason) => {
        this.closedAs = { code, reason: String(reason) };
        resolve(this.closedAs);
      }),
    );
  }

  /** Opens a socket to the gateway; rejects when the upgrade is refused. */
  static open(gateway: { url: string }, options: ClientOptions): Promise<TestClient> {
    const { protocols, headers } = clientArguments(options);
    const socket = new WebSocket(socketUrl(gateway, options.query), protocols, {
      headers,
      ...(options.autoPong === false ? { autoPong: false } : {}),
    });
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(client));
      socket.once("error", reject);
    });
  }

  /** The `id` of every frame, in the order they came. */
  ids(): string[] {
    return this.frames.map((frame) => String(frame.id));
  }

  /** How the socket closed, once it has. */
  get closedWith(): Closed | undefined {
    return this.closedAs;
  }

  /**
   * Waits until at least `count` frames came. `count` must be fixed before the frames can arrive (from what was
   * published): one read from `frames` after publishing may already include the frame awaited, and then the wait
   * is for one that never comes. `waitForEvent` needs no count.
   */
  async waitForFrames(count: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      () => this.frames.length >= count,
      `${count} frames (${this.frames.length} when the wait began)`,
      timeoutMs,
    );
  }

  /** Waits until the frame of the event `id` came, whenever it came. */
  async waitForEvent(id: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      () => this.ids().includes(id),
      `the frame of event ${id} (${this.frames.length} frames when the wait began)`,
      timeoutMs,
    );
  }

  close(): void {
    this.socket.close();
  }

  /** Ends the client at once (no close handshake). */
  terminate(): void {
    this.socket.terminate();
  }
}

/**
 * The answer to an upgrade the gateway refuses: its HTTP status, and whether a socket opened after all (it must
 * not). Resolves once the client gave up.
 */
export function refusedUpgrade(
  gateway: { url: string },
  options: ClientOptions,
): Promise<{ status?: number; opened: boolean }> {
  const { protocols, headers } = clientArguments(options);
  const socket = new WebSocket(socketUrl(gateway, options.query), protocols, { headers });
  return new Promise((resolve) => {
    let status: number | undefined;
    socket.once("unexpected-response", (_request, response) => {
      status = response.statusCode;
      response.resume();
      socket.terminate();
    });
    socket.once("open", () => {
      socket.terminate();
      resolve({ status: 101, opened: true });
    });
    socket.once("close", () => resolve({ ...(status === undefined ? {} : { status }), opened: false }));
    socket.once("error", () => undefined);
  });
}

/** A token for `userId` signed with the tests' JWT_SECRET (or `secret`), issued and expiring when asked (epoch s). */
export function tokenWith(
  userId: string,
  times: { issuedAt?: number; expiresAt: number },
  secret = TEST_JWT_SECRET,
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuedAt(times.issuedAt ?? Math.floor(Date.now() / 1000))
    .setExpirationTime(times.expiresAt)
    .sign(new TextEncoder().encode(secret));
}

/** Posts a body to the gateway's task-updates route as its sidecar does; resolves the status and the answer. */
export async function deliver(gateway: { url: string }, body: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${gateway.url}${UPDATES_PATH}`, {
    method: "POST",
    headers: { ...fromSidecar(GATEWAY), "content-type": "application/cloudevents+json" },
    body,
  });
  return { status: response.status, body: await response.json() };
}
