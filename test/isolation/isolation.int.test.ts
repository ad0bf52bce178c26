// Issue #17, item 3: on the demo's system, every route of every service (as fastify registered it), every MCP tool (as tools/list names it), the WebSocket path and every event path is tried by one user against another's tasks, notifications, preferences and dead letters; none reaches them, and only the operator role opens the dead-letter desk. Subjects that differ in any code point are different users.
import { randomUUID } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskSnapshot } from "../../apps/backend/src/task-snapshot";
import { toolResult } from "../../apps/backend/test/harness";
import { PUBSUB } from "../../specs/apps";
import { apiOf, mcpClientOf, openUpdates, type TestSystem, type UpdatesSocket } from "../e2e/harness";
import { recordTrials, type Trial } from "../support/reliability";
import { Api, type ApiAnswer, Cleanup, DATABASE_KINDS, newUser, waitFor } from "../support/services";
import { accessOf, concretePath, type Route, startSurveyedSystem, unclassified } from "./surface";

type TaskPage = { items: TaskSnapshot[]; total: number };
type NotificationPage = { items: { notification_id: string; task_id: number; read_at: string | null }[] };
type DeskPage = { items: { id: number; event_id: string; key: string | null }[]; total: number };

/** What the attacker sent and what reached them that was the victim's, counted as it happens. */
class Tally {
  tries = 0;
  leaked = 0;
  constructor(private readonly secrets: readonly string[]) {}

  /** Counts one try and, when `received` holds any of the victim's secrets, one leak. */
  saw<T>(received: T): T {
    this.tries += 1;
    const text = JSON.stringify(received) ?? "";
    if (this.secrets.some((secret) => text.includes(secret))) this.leaked += 1;
    return received;
  }
}

/** An isolation trial of `tally`'s tries and leaks: nothing can be lost or duplicated by a refused request. */
function trialOf(name: string, target: string, tally: Tally, outcome: string): Omit<Trial, "file"> {
  return { area: "isolation", name, target, tries: tally.tries, lost: 0, duplicated: 0, leaked: tally.leaked, outcome };
}

/** A request whose answer may be any media type (the board's HTML, say): its status and its text. */
async function plain(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/** A task-update CloudEvent of `userId`'s, as only a sidecar may deliver it. */
function forgedEvent(userId: string, taskId: number): Record<string, unknown> {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: "/forged",
    type: "com.taskmanager.ui.task_list_changed",
    datacontenttype: "application/json",
    data: { user_id: userId, action: "remove", task_id: taskId, task_snapshot: {} },
  };
}

/** What every suite of this file tried, recorded once all have run. */
const trials: Omit<Trial, "file">[] = [];
afterAll(() => recordTrials(__filename, trials));

describe.each(DATABASE_KINDS)("isolation on the demo's system on %s", (kind) => {
  const cleanup = new Cleanup();
  /** Records a trial of this suite, its target naming the database kind. */
  const record = (trial: Omit<Trial, "file">) => trials.push({ ...trial, target: `${trial.target}, on ${kind}` });
  let test: TestSystem;
  let routes: Record<string, Route[]>;
  const alice = newUser("alice");
  const bob = newUser("bob");
  /** Text only Alice's data holds: her tasks' titles, her email address, her dead letter's id. */
  const secret = `secret-${randomUUID()}`;
  const aliceAddress = `${secret}@example.com`;
  const deadEventId = randomUUID();
  let aliceTask: TaskSnapshot;
  let aliceNotification: string;
  let aliceState: () => Promise<unknown>;
  let before: unknown;

  beforeAll(async () => {
    const surveyed = await startSurveyedSystem(kind, "isolation");
    test = cleanup.add(surveyed.test);
    routes = surveyed.routes;
    const { system } = test;
    const tasks = await apiOf(system, "backend", alice);
    const inbox = await apiOf(system, "notification", alice);
    const ops = await apiOf(system, "dead-letters", "ops", { operator: true });
    aliceTask = (
      await tasks.request<TaskSnapshot>("POST", "/api/tasks", {
        title: `${secret} plan`,
        description: secret,
        tags: ["private"],
        recurrence: "daily",
        due_date: "2031-05-01T10:00:00.000Z",
      })
    ).body;
    expect((await inbox.request("PUT", "/api/preferences", { email: true, email_address: aliceAddress })).status).toBe(
      200,
    );
    // A reminder in 5 s gives Alice a notification; a contract-breaking reminder keyed by her, a dead letter.
    const reminded = await tasks.request<TaskSnapshot>("POST", "/api/tasks", {
      title: `${secret} call`,
      due_date: new Date(Date.now() + 65_000).toISOString(),
      remind_before_minutes: 1,
    });
    expect(reminded.status).toBe(201);
    const published = await fetch(
      `${system.apps.backend?.sidecarUrl}/v1.0/publish/${PUBSUB}/reminders?metadata.partitionKey=${encodeURIComponent(alice)}`,
      {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify({
          specversion: "1.0",
          id: deadEventId,
          source: "/tasks/other-team",
          type: "com.taskmanager.reminder.scheduled",
          datacontenttype: "application/json",
          data: { task_id: aliceTask.task_id, user_id: alice, remind_at: secret },
        }),
      },
    );
    expect(published.status).toBe(204);
    aliceNotification = await waitFor(
      async () => (await inbox.request<NotificationPage>("GET", "/api/notifications")).body.items[0]?.notification_id,
      "Alice's notification",
      60_000,
    );
    await waitFor(
      async () =>
        (await ops.request<DeskPage>("GET", "/api/dead-letters?limit=100")).body.items.some(
          (item) => item.event_id === deadEventId,
        ),
      "Alice's dead letter at the desk",
      60_000,
    );
    aliceState = async () => ({
      tasks: (await tasks.request<TaskPage>("GET", "/api/tasks")).body,
      notifications: (await inbox.request("GET", "/api/notifications")).body,
      preferences: (await inbox.request("GET", "/api/preferences")).body,
      desk: (await ops.request<DeskPage>("GET", "/api/dead-letters?limit=100")).body,
    });
    before = await aliceState();
  }, 240_000);

  afterAll(() => cleanup.run(), 120_000);

  it("every route of every service is classified: public, user, operator, sidecar or socket", () => {
    expect(Object.keys(routes).sort()).toEqual(["backend", "dead-letters", "gateway", "notification", "recurring"]);
    expect(unclassified(routes)).toEqual({ missing: [], stale: [] });
  });

  it("each route refuses whoever its class excludes: no token 401, a user on the desk 403, a user on a sidecar route 401", async () => {
    const { system } = test;
    const tally = new Tally([secret, alice]);
    let refused = 0;
    for (const [appId, list] of Object.entries(routes)) {
      const app = system.apps[appId];
      if (!app) throw new Error(`${appId} is not running`);
      const anonymous = new Api(app.url);
      const asBob = new Api(app.url, await system.token(bob));
      for (const route of list) {
        const access = accessOf(appId, route);
        const path = concretePath(
          route,
          route.url.includes(":notification_id") ? aliceNotification : aliceTask.task_id,
        );
        const body = ["POST", "PUT", "PATCH"].includes(route.method) ? {} : undefined;
        const expected: [Api, number][] =
          access === "user" || access === "socket"
            ? [[anonymous, 401]]
            : access === "operator"
              ? [
                  [anonymous, 401],
                  [asBob, 403],
                ]
              : access === "sidecar"
                ? [
                    [anonymous, 401],
                    [asBob, 401],
                  ]
                : [];
        for (const [api, status] of expected) {
          const answer = tally.saw(await api.request(route.method, path, body));
          expect(answer.status, `${appId} ${route.key}`).toBe(status);
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(tally.leaked).toBe(0);
    record(
      trialOf(
        "every route without a token, a user on operator routes, a user on sidecar routes",
        "all services (routes read from fastify)",
        tally,
        "401 without a token or app token, 403 without the operator role",
      ),
    );
  });

  it("Bob, on every route and MCP tool, never reads, changes, completes or deletes Alice's tasks, notifications, preferences or dead letters", async () => {
    const { system } = test;
    const tally = new Tally([secret, alice]);
    // The detector is not blind: Alice's own answers hold her secrets.
    const selfCheck = new Tally([secret, alice]);
    selfCheck.saw(before);
    expect(selfCheck.leaked).toBe(1);
    const ask = async <T = Record<string, unknown>>(
      api: Api,
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => tally.saw(await api.request<T>(method, path, body, headers));
    const backend = await apiOf(system, "backend", bob);
    const notification = await apiOf(system, "notification", bob);
    const desk = await apiOf(system, "dead-letters", bob);
    const id = aliceTask.task_id;
    const expectStatus = (answer: ApiAnswer, status: number, what: string) => expect(answer.status, what).toBe(status);

    // One probe per route, keyed as fastify registered it; HEAD routes are probed beside their GET.
    const probes: Record<string, () => Promise<void>> = {
      "backend POST /api/tasks": async () => {
        expectStatus(await ask(backend, "POST", "/api/tasks", { title: "child", parent_task_id: id }), 400, "parent");
        expectStatus(await ask(backend, "POST", "/api/tasks", { title: "as her", user_id: alice }), 400, "user_id");
      },
      "backend GET /api/tasks": async () => {
        for (const query of ["", `?q=${secret}`, "?tag=private", "?completed=false&limit=100"]) {
          const page = await ask<TaskPage>(backend, "GET", `/api/tasks${query}`);
          expect(page.body.items.map((t) => t.user_id).filter((user) => user !== bob)).toEqual([]);
        }
      },
      "backend GET /api/tasks/:task_id": async () =>
        expectStatus(await ask(backend, "GET", `/api/tasks/${id}`), 404, "get"),
      "backend PATCH /api/tasks/:task_id": async () =>
        expectStatus(await ask(backend, "PATCH", `/api/tasks/${id}`, { title: "mine" }), 404, "patch"),
      "backend DELETE /api/tasks/:task_id": async () =>
        expectStatus(await ask(backend, "DELETE", `/api/tasks/${id}`), 404, "delete"),
      "backend POST /api/tasks/:task_id/complete": async () =>
        expectStatus(await ask(backend, "POST", `/api/tasks/${id}/complete`), 404, "complete"),
      "backend POST /mcp": async () => {
        let client: Client | undefined;
        try {
          client = await mcpClientOf(system, bob);
          const mcp = client;
          const call = async (name: string, args: Record<string, unknown>) =>
            toolResult<Record<string, unknown>>(tally.saw(await mcp.callTool({ name, arguments: args })));
          const toolProbes: Record<string, () => Promise<void>> = {
            add_task: async () =>
              expect(await call("add_task", { title: "child", parent_task_id: id })).toMatchObject({ isError: true }),
            list_tasks: async () => expect((await call("list_tasks", { q: secret })).items).toEqual([]),
            update_task: async () =>
              expect(await call("update_task", { task_id: id, title: "mine" })).toMatchObject({ isError: true }),
            complete_task: async () =>
              expect(await call("complete_task", { task_id: id })).toMatchObject({ isError: true }),
            delete_task: async () =>
              expect(await call("delete_task", { task_id: id })).toMatchObject({ isError: true }),
          };
          const listed = tally.saw(await mcp.listTools()).tools.map((tool) => tool.name);
          expect(listed.sort()).toEqual(Object.keys(toolProbes).sort());
          for (const name of listed) await toolProbes[name]?.();
        } finally {
          await client?.close();
        }
      },
      "backend OPTIONS *": async () => {
        const origin = system.apps.gateway?.url ?? "";
        const preflight = await ask(backend, "OPTIONS", `/api/tasks/${id}`, undefined, {
          origin,
          "access-control-request-method": "PATCH",
        });
        expect(preflight.status, "preflight").toBe(204);
        expect(preflight.body, "preflight").toBeUndefined();
      },
      "backend GET /mcp": async () => expectStatus(await ask(backend, "GET", "/mcp"), 405, "GET /mcp"),
      "backend DELETE /mcp": async () => expectStatus(await ask(backend, "DELETE", "/mcp"), 405, "DELETE /mcp"),
      // The sidecar routes take the app's token, never a user's: a user's bearer naming Alice changes nothing.
      "backend POST /internal/tasks/:task_id/next-occurrence": async () =>
        expectStatus(
          await ask(backend, "POST", `/internal/tasks/${id}/next-occurrence`, {
            event_id: randomUUID(),
            user_id: alice,
          }),
          401,
          "next occurrence",
        ),
      "notification GET /api/notifications": async () => {
        const page = await ask<NotificationPage>(notification, "GET", "/api/notifications?limit=100");
        expect(page.body.items.map((n) => n.notification_id)).not.toContain(aliceNotification);
      },
      "notification POST /api/notifications/:notification_id/read": async () =>
        expectStatus(await ask(notification, "POST", `/api/notifications/${aliceNotification}/read`), 404, "read"),
      "notification GET /api/preferences": async () =>
        expect((await ask(notification, "GET", "/api/preferences")).body).not.toMatchObject({ email: true }),
      "notification PUT /api/preferences": async () => {
        expectStatus(
          await ask(notification, "PUT", "/api/preferences", { email: false, user_id: alice }),
          400,
          "as her",
        );
        expectStatus(await ask(notification, "PUT", "/api/preferences", { in_app: false }), 200, "his own");
      },
      "dead-letters GET /api/dead-letters": async () =>
        expectStatus(await ask(desk, "GET", `/api/dead-letters?limit=100`), 403, "desk list"),
      "dead-letters GET /api/dead-letters/:id": async () => {
        for (const entry of [1, 2, 3]) expectStatus(await ask(desk, "GET", `/api/dead-letters/${entry}`), 403, "entry");
      },
      "dead-letters POST /api/dead-letters/:id/replay": async () => {
        for (const entry of [1, 2, 3]) {
          expectStatus(await ask(desk, "POST", `/api/dead-letters/${entry}/replay`), 403, "replay");
        }
      },
      "gateway GET /ws": () => socketsApart(tally),
    };
    // Public routes (health, the board) and the other sidecar routes answer Bob as anyone: nothing of Alice's.
    const generic = async (appId: string, route: Route) => {
      const app = system.apps[appId];
      if (!app) throw new Error(`${appId} is not running`);
      // On an event path, an event of Alice's forged with Bob's token.
      const body = route.method === "POST" ? forgedEvent(alice, id) : undefined;
      const answer = tally.saw(
        await plain(app.url, await system.token(bob), route.method, concretePath(route, id), body),
      );
      if (accessOf(appId, route) === "sidecar") expect(answer.status, `${appId} ${route.key}`).toBe(401);
      else expect(answer.status, `${appId} ${route.key}`).toBeLessThan(400);
    };

    for (const [appId, list] of Object.entries(routes)) {
      for (const route of list) {
        if (route.method === "HEAD") {
          const app = system.apps[appId];
          const token = await system.token(bob);
          const path = concretePath(route, id);
          const head = tally.saw(await plain(app?.url ?? "", token, "HEAD", path));
          const get = tally.saw(await plain(app?.url ?? "", token, "GET", path));
          expect(head.status, `${appId} ${route.key}`).toBe(get.status);
          continue;
        }
        const probe = probes[`${appId} ${route.key}`];
        const access = accessOf(appId, route);
        if (probe) await probe();
        else if (access === "public" || access === "sidecar") await generic(appId, route);
        else throw new Error(`${appId} ${route.key} (${access}) has no cross-user probe: add one`);
      }
    }
    expect(await aliceState()).toEqual(before);
    expect(tally.leaked).toBe(0);
    record(
      trialOf(
        "one user against another's tasks, notifications, preferences and dead letters, on every route and MCP tool",
        "all services (routes read from fastify, tools from tools/list)",
        tally,
        "404 as for no such item, 400 for her ids in his writes, 403 at the desk; her data unchanged",
      ),
    );
  });

  it("the operator role is the only way into the dead-letter desk", async () => {
    const { system } = test;
    const tally = new Tally([deadEventId]);
    const deskUrl = system.apps["dead-letters"]?.url ?? "";
    // The desk's entry for Alice's event: not even Alice may read it; the operator may.
    const asOps = await apiOf(system, "dead-letters", "ops", { operator: true });
    const page = await asOps.request<DeskPage>("GET", "/api/dead-letters?limit=100");
    const entry = page.body.items.find((item) => item.event_id === deadEventId);
    expect(entry?.key).toBe(alice);
    for (const user of [alice, bob, "operator", "ops"]) {
      const api = new Api(deskUrl, await system.token(user));
      for (const [method, path] of [
        ["GET", "/api/dead-letters"],
        ["GET", `/api/dead-letters/${entry?.id}`],
        ["POST", `/api/dead-letters/${entry?.id}/replay`],
      ] as const) {
        expect(tally.saw(await api.request(method, path)).status, `${user} ${method} ${path}`).toBe(403);
      }
    }
    expect((await asOps.request("GET", `/api/dead-letters/${entry?.id}`)).status).toBe(200);
    expect(tally.leaked).toBe(0);
    record(
      trialOf(
        "users without the operator role (the entry's own user, one named operator) at the dead-letter desk",
        "dead-letters desk",
        tally,
        "403 on every desk route; the operator reads it",
      ),
    );
  });

  /** Two users' sockets while one of them creates, updates, completes and deletes a task: each frame to its user only. */
  async function socketsApart(tally: Tally): Promise<void> {
    const { system } = test;
    const [ana, ben] = [newUser("ws-ana"), newUser("ws-ben")];
    const sockets: UpdatesSocket[] = [];
    try {
      const anaSocket = await openUpdates(system, ana);
      const benSocket = await openUpdates(system, ben);
      sockets.push(anaSocket, benSocket);
      const asAna = await apiOf(system, "backend", ana);
      const asBen = await apiOf(system, "backend", ben);
      const made = (await asAna.request<TaskSnapshot>("POST", "/api/tasks", { title: "Ana's" })).body.task_id;
      expect((await asAna.request("PATCH", `/api/tasks/${made}`, { priority: "low" })).status).toBe(200);
      expect((await asAna.request("POST", `/api/tasks/${made}/complete`)).status).toBe(200);
      expect((await asAna.request("DELETE", `/api/tasks/${made}`)).status).toBe(204);
      // Ben's own write comes after Ana's: once both have arrived, any of Ana's frames for Ben would have too.
      expect((await asBen.request("POST", "/api/tasks", { title: "Ben's" })).status).toBe(201);
      await waitFor(() => anaSocket.frames.some((f) => f.data.action === "remove"), "Ana's last frame");
      await waitFor(() => benSocket.frames.length > 0, "Ben's frame");
      for (const frame of benSocket.frames) {
        tally.saw(frame);
        if (frame.data.user_id !== ben) tally.leaked += 1;
      }
      for (const frame of anaSocket.frames) if (frame.data.user_id !== ana) tally.leaked += 1;
      expect(benSocket.frames.map((f) => f.data.user_id)).not.toContain(ana);
    } finally {
      for (const socket of sockets) socket.close();
    }
  }

  it("subjects that differ in any code point are different users: case, surrounding spaces, NFC and NFD, look-alikes, metacharacters", async () => {
    const { system } = test;
    const base = `zoë-${randomUUID()}`;
    const variants: Record<string, string> = {
      "as signed (NFC)": base,
      "NFD (e + combining diaeresis)": base.normalize("NFD"),
      "first letter upper case": `Z${base.slice(1)}`,
      "all upper case": base.toUpperCase(),
      "trailing space": `${base} `,
      "leading space": ` ${base}`,
      "Cyrillic о for o": base.replace("o", "\u043e"),
      "fullwidth z": `\uff5a${base.slice(1)}`,
      "zero-width joiner inside": base.replace("-", "\u200d-"),
      // Characters that mean something to SQL LIKE, regular expressions, URLs or paths, should any layer read them.
      "a LIKE wildcard suffix": `${base}%`,
      "a LIKE single-character wildcard": base.replace("-", "_"),
      "a quote and OR": `${base}' OR '1'='1`,
      "a URL-encoded form": encodeURIComponent(base),
      "a path": `../${base}`,
    };
    const subjects = Object.values(variants);
    expect(new Set(subjects).size).toBe(subjects.length);
    const markers = subjects.map(() => `mark-${randomUUID()}`);
    const sockets = new Map<string, UpdatesSocket>();
    const tallies = markers.map((_, i) => new Tally(markers.filter((__, j) => j !== i)));
    try {
      for (const [i, subject] of subjects.entries()) {
        sockets.set(subject, await openUpdates(system, subject));
        const tasks = await apiOf(system, "backend", subject);
        const created = await tasks.request<TaskSnapshot>("POST", "/api/tasks", { title: markers[i] });
        expect(created.status, JSON.stringify(subject)).toBe(201);
        expect(created.body.user_id).toBe(subject);
        const inbox = await apiOf(system, "notification", subject);
        const address = `${markers[i]}@example.com`;
        const set = await inbox.request("PUT", "/api/preferences", { email: true, email_address: address });
        expect(set.status, JSON.stringify(subject)).toBe(200);
      }
      for (const [i, subject] of subjects.entries()) {
        const tally = tallies[i] as Tally;
        const tasks = await apiOf(system, "backend", subject);
        const page = tally.saw(await tasks.request<TaskPage>("GET", "/api/tasks"));
        expect(
          page.body.items.map((t) => [t.title, t.user_id]),
          JSON.stringify(subject),
        ).toEqual([[markers[i], subject]]);
        const inbox = await apiOf(system, "notification", subject);
        const preferences = tally.saw(await inbox.request<{ email_address: string }>("GET", "/api/preferences"));
        expect(preferences.body.email_address).toBe(`${markers[i]}@example.com`);
        const socket = sockets.get(subject) as UpdatesSocket;
        await waitFor(() => socket.frames.length > 0, `the frame of ${JSON.stringify(subject)}`);
        for (const frame of socket.frames) {
          tally.saw(frame);
          expect(frame.data.user_id).toBe(subject);
        }
      }
    } finally {
      for (const socket of sockets.values()) socket.close();
    }
    const leaked = tallies.reduce((sum, tally) => sum + tally.leaked, 0);
    expect(leaked).toBe(0);
    record({
      area: "isolation",
      name: `${subjects.length} subjects that differ only by case, surrounding spaces, NFC/NFD, look-alike letters, a zero-width joiner, or SQL, URL and path metacharacters`,
      target: "backend REST, notification preferences, gateway /ws",
      tries: tallies.reduce((sum, tally) => sum + tally.tries, 0),
      lost: 0,
      duplicated: 0,
      leaked,
      outcome: "each its own user: own tasks, own preferences, own frames",
    });
  });
});
