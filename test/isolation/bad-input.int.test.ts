// Issue #17, item 2 (JWT and WebSocket lines), on the demo's system: bad, expired, wrongly signed, `alg: none`, other-algorithm and odd-subject tokens and roles-claim tricks on every authenticated route of every service (read from fastify), MCP and the gateway's upgrade; garbage, oversized, fragmented, binary and flooding WebSocket clients closed with their documented codes while other users' sockets keep getting their updates.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { refusedUpgrade, TestClient } from "../../apps/gateway/test/harness";
import { signingKey } from "../../local/demo-data";
import { apiOf, openUpdates, type TestSystem } from "../e2e/harness";
import { recordTrials, type Trial } from "../support/reliability";
import { Cleanup, newUser, waitFor } from "../support/services";
import { accessOf, concretePath, type Route, startSurveyedSystem, unclassified } from "./surface";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A compact JWS of `header` and `payload` signed with HMAC-SHA256 under `secret`, whatever `header.alg` says. */
function hmacSigned(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** The answer's status to a request with these headers: `fetch` cannot send some (a 20 kB one), so node:http. */
function statusOf(url: string, method: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    req.on("error", (error) => reject(new Error(`${method} ${url}: ${error.message}`, { cause: error })));
    req.end(["POST", "PUT", "PATCH"].includes(method) ? "{}" : undefined);
  });
}

/**
 * The frame parser and framer `ws` exports beside its WebSocket (ws/index.js: `WebSocket.Receiver`,
 * `WebSocket.Sender`), which @types/ws does not declare: the same code that parses and frames for the gateway.
 */
const { Receiver, Sender } = WebSocket as unknown as {
  Receiver: new (options: { isServer: boolean }) => Writable;
  Sender: {
    frame(
      data: Buffer,
      options: { fin: boolean; mask: boolean; opcode: number; readOnly: boolean; rsv1: boolean },
    ): Buffer[];
  };
};

/** How the server ended a hand-made socket: the code and reason of its close frame, or `cut` without one. */
type Ending = { code: number; reason: string } | "cut";

/** A WebSocket opened by hand, to send what the `ws` client never would; the server's frames are read by `ws`'s own Receiver. */
interface RawSocket {
  send(bytes: Buffer): void;
  /** Resolves with the server's close frame, or `cut` when the connection ends without one. */
  ended: Promise<Ending>;
  /** The data messages the server sent to it. */
  messages: string[];
  pongs: number;
  destroy(): void;
}

/** Opens `/ws` on `gatewayUrl` over node:http with the board's subprotocols and `token`. */
function openRaw(gatewayUrl: string, token: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const req = request(`${gatewayUrl}/ws`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"),
        "sec-websocket-protocol": `task-updates.v1, bearer.${token}`,
      },
    });
    req.on("response", (response) => reject(new Error(`the upgrade was refused: ${response.statusCode}`)));
    req.on("error", reject);
    req.on("upgrade", (_response, socket: Socket, head: Buffer) => {
      const receiver = new Receiver({ isServer: false });
      const raw: RawSocket = {
        send: (bytes) => socket.write(bytes),
        ended: new Promise((done) => {
          receiver.on("conclude", (code: number, reason: Buffer) => done({ code, reason: reason.toString() }));
          receiver.on("error", () => done("cut"));
          socket.on("close", () => done("cut"));
        }),
        messages: [],
        pongs: 0,
        destroy: () => socket.destroy(),
      };
      receiver.on("message", (data: Buffer) => raw.messages.push(data.toString()));
      receiver.on("pong", () => {
        raw.pongs += 1;
      });
      socket.on("error", () => undefined);
      socket.on("data", (chunk: Buffer) => receiver.write(chunk));
      if (head.length > 0) receiver.write(head);
      resolve(raw);
    });
    req.end();
  });
}

/** One client frame as RFC 6455 frames it (masked unless asked not to), by `ws`'s own Sender. */
function frame(
  opcode: number,
  data: string | Buffer,
  options: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {},
): Buffer {
  return Buffer.concat(
    Sender.frame(Buffer.from(data), {
      fin: options.fin ?? true,
      mask: options.mask ?? true,
      opcode,
      readOnly: false,
      rsv1: options.rsv1 ?? false,
    }),
  );
}

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;

/** One kind of bad token or header, with the Authorization header values it is tried with. */
interface BadCredential {
  trial: string;
  /** Name → the whole `Authorization` header value (undefined: no header at all). */
  headers: Record<string, string | undefined>;
}

/** Every bad credential kind, signed where it needs signing with the system's own key. */
async function badCredentials(secret: string, user: string): Promise<BadCredential[]> {
  const key = new TextEncoder().encode(secret);
  const now = nowSeconds();
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: "HS256" }) =>
    new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
  const fresh = { sub: user, iat: now, exp: now + 600 };
  const bearer = (token: string) => `Bearer ${token}`;
  const valid = await sign(fresh);
  const [header = "", , signature = ""] = valid.split(".");
  const rsa = await generateKeyPair("RS256");
  const ec = await generateKeyPair("ES256");
  const publicJwk = await exportJWK(rsa.publicKey);
  return [
    {
      trial:
        "wrongly signed or unsigned JWTs: another secret, alg none, HS384/HS512/RS256/ES256, key confusion, tampered",
      headers: {
        "another secret": bearer(await new SignJWT(fresh).setProtectedHeader({ alg: "HS256" }).sign(randomBytes(32))),
        "alg none": bearer(`${base64url({ alg: "none", typ: "JWT" })}.${base64url(fresh)}.`),
        "alg None": bearer(`${base64url({ alg: "None" })}.${base64url(fresh)}.`),
        "alg none, HS256 signature kept": bearer(`${base64url({ alg: "none" })}.${base64url(fresh)}.${signature}`),
        "signature stripped": bearer(`${header}.${base64url(fresh)}.`),
        "payload swapped, signature kept": bearer(
          `${header}.${base64url({ ...fresh, sub: "someone-else" })}.${signature}`,
        ),
        HS384: bearer(await sign(fresh, { alg: "HS384" })),
        HS512: bearer(await sign(fresh, { alg: "HS512" })),
        "RS256, own key": bearer(await new SignJWT(fresh).setProtectedHeader({ alg: "RS256" }).sign(rsa.privateKey)),
        "ES256, own key": bearer(await new SignJWT(fresh).setProtectedHeader({ alg: "ES256" }).sign(ec.privateKey)),
        "RS256 header, HMAC with the secret (key confusion)": bearer(hmacSigned({ alg: "RS256" }, fresh, secret)),
        "RS256 with an embedded jwk": bearer(
          await new SignJWT(fresh).setProtectedHeader({ alg: "RS256", jwk: publicJwk }).sign(rsa.privateKey),
        ),
        "unknown crit header": bearer(hmacSigned({ alg: "HS256", crit: ["x-trick"], "x-trick": true }, fresh, secret)),
      },
    },
    {
      trial: "JWTs outside their time: expired, not yet valid, issued in the future, no exp, no iat, too long-lived",
      headers: {
        expired: bearer(await sign({ sub: user, iat: now - 3_600, exp: now - 120 })),
        "not yet valid (nbf)": bearer(await sign({ ...fresh, nbf: now + 600 })),
        "issued in the future (iat)": bearer(await sign({ sub: user, iat: now + 600, exp: now + 1_200 })),
        "no exp": bearer(await sign({ sub: user, iat: now })),
        "no iat": bearer(await sign({ sub: user, exp: now + 600 })),
        "lifetime over a day": bearer(await sign({ sub: user, iat: now, exp: now + 2 * 86_400 })),
        "exp as text": bearer(await sign({ sub: user, iat: now, exp: String(now + 600) })),
      },
    },
    {
      trial: "JWTs with an odd sub: missing, empty, blank, too long, not text, control, bidi or ill-formed characters",
      headers: Object.fromEntries(
        (
          [
            ["missing", undefined],
            ["empty", ""],
            ["a space", " "],
            ["a tab", "\t"],
            ["256 characters", "x".repeat(256)],
            ["5000 characters", "x".repeat(5_000)],
            ["a number", 123],
            ["zero", 0],
            ["true", true],
            ["null", null],
            ["an array", [user]],
            ["an object", { id: user }],
            ["a NUL inside", `${user}\u0000`],
            ["a line feed inside", `${user}\nadmin`],
            ["a C1 control (NEL)", `${user}\u0085`],
            ["a right-to-left override", `\u202e${user}`],
            ["a lone surrogate", `${user}\ud800`],
          ] as const
        ).map(([name, sub]) => [
          name,
          `Bearer ${hmacSigned({ alg: "HS256" }, { ...(sub === undefined ? {} : { sub }), iat: now, exp: now + 600 }, secret)}`,
        ]),
      ),
    },
    {
      trial: "malformed Authorization headers: none, another scheme, no token, two tokens, garbage, 20 kB",
      headers: {
        none: undefined,
        Basic: `Basic ${Buffer.from(`${user}:x`).toString("base64")}`,
        "Bearer alone": "Bearer",
        "two tokens": `Bearer ${valid} ${valid}`,
        "two Bearer values": `Bearer ${valid}, Bearer ${valid}`,
        "token without scheme": valid,
        garbage: "Bearer not.a.jwt",
        "five parts (JWE shape)": `Bearer ${valid}.x.y`,
        "20 kB token": `Bearer ${"a".repeat(20_000)}`,
      },
    },
  ];
}

describe("bad input on the demo's system", () => {
  const cleanup = new Cleanup();
  const trials: Omit<Trial, "file">[] = [];
  let test: TestSystem;
  let routes: Record<string, Route[]>;
  let secret: string;

  beforeAll(async () => {
    const surveyed = await startSurveyedSystem("postgres", "bad-input");
    test = cleanup.add(surveyed.test);
    routes = surveyed.routes;
    secret = await signingKey(test.system.paths);
  }, 240_000);

  afterAll(async () => {
    recordTrials(__filename, trials);
    await cleanup.run();
  }, 120_000);

  it("bad tokens and headers are refused on every authenticated route of every service, MCP and the gateway's upgrade", async () => {
    const { system } = test;
    const user = newUser("victim");
    // The victim has a task, so that an accepted bad token would have something to read.
    expect((await (await apiOf(system, "backend", user)).request("POST", "/api/tasks", { title: "x" })).status).toBe(
      201,
    );
    expect(unclassified(routes)).toEqual({ missing: [], stale: [] });
    const authenticated = Object.entries(routes).flatMap(([appId, list]) =>
      list
        .filter((route) => ["user", "operator", "socket"].includes(accessOf(appId, route) ?? ""))
        .map((route) => ({ appId, route })),
    );
    expect(authenticated.length).toBeGreaterThan(10);
    const gateway = system.apps.gateway;
    if (!gateway) throw new Error("the gateway is not running");
    for (const { trial, headers } of await badCredentials(secret, user)) {
      let tries = 0;
      let accepted = 0;
      const statuses = new Set<number>();
      for (const [name, authorization] of Object.entries(headers)) {
        for (const { appId, route } of authenticated) {
          // fastify answers a header over Node's limit (431) before it knows the method, with a body: a HEAD client
          // cannot parse that answer (fastify.js defaultClientErrorHandler), so the 20 kB header goes on the others.
          if (route.method === "HEAD" && (authorization?.length ?? 0) > 16_384) continue;
          const url = `${system.apps[appId]?.url}${concretePath(route)}`;
          const status = await statusOf(url, route.method, {
            ...(authorization === undefined ? {} : { authorization }),
            ...(["POST", "PUT", "PATCH"].includes(route.method) ? { "content-type": "application/json" } : {}),
            // MCP's transport wants both; authentication comes first regardless.
            ...(route.url === "/mcp" ? { accept: "application/json, text/event-stream" } : {}),
          });
          tries += 1;
          statuses.add(status);
          if (status < 400) accepted += 1;
          // A header over Node's 16 KiB limit is refused before any route runs: 431.
          expect([401, 431], `${trial}: ${name} on ${appId} ${route.key}`).toContain(status);
        }
        // The board's way (the token in the bearer subprotocol) where the value can be one, and as Authorization.
        const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
        const asProtocol = token !== undefined && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(token) && token.length < 8_000;
        const upgrades = [
          await refusedUpgrade(gateway, authorization === undefined ? {} : { authorization }),
          ...(asProtocol ? [await refusedUpgrade(gateway, { token })] : []),
        ];
        for (const upgrade of upgrades) {
          tries += 1;
          if (upgrade.opened) accepted += 1;
          statuses.add(upgrade.status ?? 0);
          expect(upgrade.opened, `${trial}: ${name} on the gateway's upgrade`).toBe(false);
          expect([401, 431], `${trial}: ${name} on the gateway's upgrade`).toContain(upgrade.status);
        }
      }
      trials.push({
        area: "bad input",
        name: trial,
        target: "every authenticated route of every service (MCP included), the gateway's upgrade",
        tries,
        lost: 0,
        duplicated: 0,
        leaked: accepted,
        outcome: `refused: ${[...statuses].sort().join(", ")}${statuses.has(431) ? " (431: over Node's header limit)" : ""}; no socket opened`,
      });
    }
  });
  it("roles-claim tricks never open the dead-letter desk; the operator role in `roles` does", async () => {
    const { system } = test;
    const desk = system.apps["dead-letters"];
    if (!desk) throw new Error("the desk is not running");
    const deskRoutes = (routes["dead-letters"] ?? []).filter((route) => accessOf("dead-letters", route) === "operator");
    const now = nowSeconds();
    const signed = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: "HS256" }) =>
      hmacSigned(header, { sub: newUser("tricky"), iat: now, exp: now + 600, ...claims }, secret);
    const tricks: Record<string, string> = {
      "roles [Operator]": signed({ roles: ["Operator"] }),
      "roles [OPERATOR]": signed({ roles: ["OPERATOR"] }),
      "roles [operator ] (trailing space)": signed({ roles: ["operator "] }),
      "roles [opеrator] (Cyrillic е)": signed({ roles: ["op\u0435rator"] }),
      "roles 'operator,admin'": signed({ roles: "operator,admin" }),
      "roles [[operator]]": signed({ roles: [["operator"]] }),
      "roles {operator: true}": signed({ roles: { operator: true } }),
      "roles [{name: operator}]": signed({ roles: [{ name: "operator" }] }),
      "role: operator (another claim)": signed({ role: "operator" }),
      "Roles: [operator] (case of the claim)": signed({ Roles: ["operator"] }),
      "realm_access.roles [operator]": signed({ realm_access: { roles: ["operator"] } }),
      "scope: operator": signed({ scope: "operator" }),
      "groups [operator]": signed({ groups: ["operator"] }),
      "roles in the protected header": signed({}, { alg: "HS256", roles: ["operator"] }),
      "sub operator, no roles": hmacSigned({ alg: "HS256" }, { sub: "operator", iat: now, exp: now + 600 }, secret),
      "roles [operator] with alg none": `${base64url({ alg: "none" })}.${base64url({ sub: "x", iat: now, exp: now + 600, roles: ["operator"] })}.`,
    };
    let tries = 0;
    let accepted = 0;
    for (const [name, token] of Object.entries(tricks)) {
      for (const route of deskRoutes) {
        const status = await statusOf(`${desk.url}${concretePath(route)}`, route.method, {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
        });
        tries += 1;
        if (status < 400) accepted += 1;
        expect(status, `${name} on ${route.key}`).toBe(name.includes("alg none") ? 401 : 403);
      }
    }
    // The rule: the claim `roles` holding exactly `operator`, as an array of strings or one string.
    for (const roles of [["operator"], "operator", ["viewer", "operator"]]) {
      const status = await statusOf(`${desk.url}/api/dead-letters`, "GET", {
        authorization: `Bearer ${signed({ roles })}`,
      });
      expect(status, JSON.stringify(roles)).toBe(200);
    }
    trials.push({
      area: "bad input",
      name: "roles-claim tricks: case, spaces, look-alikes, lists in text, nested, other claims, the header, alg none",
      target: "every dead-letter desk route",
      tries,
      lost: 0,
      duplicated: 0,
      leaked: accepted,
      outcome: "403 (401 for alg none); only `roles` holding exactly `operator` opens the desk",
    });
  });

  it("garbage, oversized, fragmented, binary and flooding WebSocket clients are closed with their documented codes; other users keep getting their updates", async () => {
    const { system } = test;
    const gateway = system.apps.gateway;
    if (!gateway) throw new Error("the gateway is not running");
    const bystander = newUser("bystander");
    const watching = await openUpdates(system, bystander);
    const bystanderApi = await apiOf(system, "backend", bystander);
    const bystanderGets = async (title: string) => {
      expect((await bystanderApi.request("POST", "/api/tasks", { title })).status).toBe(201);
      await waitFor(
        () =>
          watching.frames.some(
            (f) => (f.data as { task_snapshot?: { title?: string } }).task_snapshot?.title === title,
          ),
        `the bystander's update "${title}"`,
      );
    };
    const hugeLength = Buffer.from([0x81, 0xff, 0, 0x20, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    const cases: { name: string; bytes: () => Buffer[]; code: number }[] = [
      { name: "unknown opcode 0x3", bytes: () => [frame(0x3, "x")], code: 1002 },
      { name: "RSV1 set without an extension", bytes: () => [frame(TEXT, "x", { rsv1: true })], code: 1002 },
      { name: "unmasked client frame", bytes: () => [frame(TEXT, "x", { mask: false })], code: 1002 },
      { name: "continuation without a start", bytes: () => [frame(CONTINUATION, "x")], code: 1002 },
      {
        name: "a new message inside a fragmented one",
        bytes: () => [frame(TEXT, "a", { fin: false }), frame(TEXT, "b")],
        code: 1002,
      },
      { name: "fragmented ping", bytes: () => [frame(PING, "x", { fin: false })], code: 1002 },
      { name: "ping over 125 bytes", bytes: () => [frame(PING, "x".repeat(126))], code: 1002 },
      { name: "close with the invalid code 999", bytes: () => [frame(CLOSE, Buffer.from([0x03, 0xe7]))], code: 1002 },
      { name: "an HTTP request instead of a frame", bytes: () => [Buffer.from("GET / HTTP/1.1\r\n\r\n")], code: 1002 },
      { name: "text that is not UTF-8", bytes: () => [frame(TEXT, Buffer.from([0xff, 0xfe, 0xfd]))], code: 1007 },
      { name: "one frame over 4 KiB", bytes: () => [frame(TEXT, "x".repeat(4_097))], code: 1009 },
      {
        name: "a message over 4 KiB in three fragments",
        bytes: () => [
          frame(TEXT, "x".repeat(2_000), { fin: false }),
          frame(CONTINUATION, "x".repeat(2_000), { fin: false }),
          frame(CONTINUATION, "x".repeat(2_000)),
        ],
        code: 1009,
      },
      { name: "a frame header claiming 2^53 bytes", bytes: () => [hugeLength], code: 1009 },
      {
        name: "20 000 empty fragments that never end",
        bytes: () => [
          frame(TEXT, "", { fin: false }),
          ...Array.from({ length: 20_000 }, () => frame(CONTINUATION, "", { fin: false })),
        ],
        code: 1008,
      },
      { name: "a text message", bytes: () => [frame(TEXT, '{"subscribe":"*"}')], code: 1003 },
      { name: "a binary message", bytes: () => [frame(BINARY, randomBytes(32))], code: 1003 },
      {
        name: "a text message in three fragments",
        bytes: () => [
          frame(TEXT, "a", { fin: false }),
          frame(CONTINUATION, "b", { fin: false }),
          frame(CONTINUATION, "c"),
        ],
        code: 1003,
      },
      {
        name: "a flood of 10 000 text messages",
        bytes: () => Array.from({ length: 10_000 }, (_, i) => frame(TEXT, `{"n":${i}}`)),
        code: 1003,
      },
    ];
    let tries = 0;
    let framesSent = 0;
    let wrong = 0;
    const outcomes = new Map<number | "cut", number>();
    for (const abuse of cases) {
      const abuser = newUser("abuser");
      const raw = await openRaw(gateway.url, await system.token(abuser));
      try {
        const sent = abuse.bytes();
        for (const bytes of sent) raw.send(bytes);
        tries += 1;
        framesSent += sent.length;
        const ending = await raw.ended;
        const code = ending === "cut" ? "cut" : ending.code;
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        expect(code, abuse.name).toBe(abuse.code);
        wrong += raw.messages.filter((message) => !message.includes(abuser)).length;
      } finally {
        raw.destroy();
      }
    }
    await bystanderGets(`after the bad frames ${randomUUID()}`);

    // A ping flood: `ws` answers pings (RFC 6455 §5.5.2) but cuts a peer with more than 60 pongs not yet written
    // (its maxPendingAutoPongs, ws 8.23 lib/websocket.js receiverOnPing): no close frame, the client sees 1006.
    const pinger = await openRaw(gateway.url, await system.token(newUser("pinger")));
    for (let i = 0; i < 2_000; i++) pinger.send(frame(PING, String(i)));
    tries += 1;
    framesSent += 2_000;
    expect(await pinger.ended).toBe("cut");
    expect(pinger.pongs).toBeLessThan(2_000);
    outcomes.set("cut", (outcomes.get("cut") ?? 0) + 1);
    pinger.destroy();
    await bystanderGets(`after the ping flood ${randomUUID()}`);

    // Many sockets of one user: the cap (WS_MAX_SOCKETS_PER_USER, 8) holds, the rest close with 4029.
    const crowd = newUser("crowd");
    const token = await system.token(crowd);
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.open(gateway, { token })));
    tries += clients.length;
    const capped = await waitFor(() => {
      const closed = clients.filter((client) => client.closedWith);
      return closed.length === 12 && closed;
    }, "12 sockets over the cap closed");
    expect(new Set(capped.map((client) => client.closedWith?.code))).toEqual(new Set([4029]));
    await bystanderGets(`after the crowd ${randomUUID()}`);
    for (const client of clients) client.close();
    wrong += watching.frames.filter((f) => f.data.user_id !== bystander).length;
    expect(wrong).toBe(0);
    expect(watching.frames.length).toBeGreaterThanOrEqual(3);
    watching.close();
    trials.push({
      area: "bad input",
      name: `${cases.length} kinds of bad WebSocket frames and floods (garbage, oversized, fragmented, binary, 10 000 messages, 20 000 fragments), a 2000-ping flood, 20 sockets of one user`,
      target: "gateway /ws",
      tries,
      lost: 0,
      duplicated: 0,
      leaked: wrong,
      outcome: `${tries} sockets, ${framesSent} frames; closed: ${[...outcomes].map(([code, n]) => `${code} ×${n}`).join(", ")}; the ping flood cut (no close frame) before all were answered; 4029 over the cap; the bystander's updates kept coming`,
    });
  }, 120_000);
});
