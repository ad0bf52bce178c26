// Issue #17, item 2: property-based bad input (fast-check) on the demo's system. Every REST route (its schema as fastify registered it), every MCP tool (tools/list) and every subscription route (GET /dapr/subscribe) gets inputs broken in one field, generated from the JSON Schemas: a 4xx naming the field (MCP: a tool error naming it, or -32602; events: DROP), never a 5xx, and the database unchanged; valid inputs from the same schemas are taken.
import { randomUUID } from "node:crypto";
import { type EventType, TOPIC_LIST } from "@event-platform/events";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TASK_TOOLS } from "../../apps/backend/src/mcp-tools";
import { programmaticSubscriptions } from "../../specs/subscriptions";
import type { TestSystem } from "../e2e/harness";
import { accessOf, type Route, startSurveyedSystem } from "../isolation/surface";
import { recordTrials, type Trial } from "../support/reliability";
import {
  asQuery,
  type Broken,
  brokenObject,
  consumedEventSchema,
  type Schema,
  validObject,
} from "../support/schema-arbitraries";
import { Api, Cleanup, newUser, waitFor } from "../support/services";

/** Generated inputs per target and property: bounded so the file stays within about a minute on two loaded cores. */
const RUNS = { broken: 100, valid: 30 } as const;

/** The apps whose REST routes users, operators or sidecars call with input (the gateway's are a socket and files). */
const REST_APPS = ["backend", "notification", "dead-letters"] as const;

/**
 * The routes with access but without input of their own (the sidecar's subscription list, /mcp's methods without a
 * body), and those whose input the MCP and subscription properties below generate: every other route with access
 * must have a schema (of its params, query and body, or none when it takes no input), so that a new route is covered
 * here or fails this file.
 */
const COVERED_APART = [/^GET \/dapr\/subscribe$/, /^(GET|DELETE|POST) \/mcp$/, /^POST \/events\//];

/**
 * Where a valid input may still be refused with a 400: the rules no JSON Schema can state, each named by the field
 * the answer names (a path id past Number.MAX_SAFE_INTEGER, a range that ends before it starts, an email or webhook
 * channel without its address, an address the policy refuses, a parent task that is not the caller's).
 */
const RULES_BEYOND_SCHEMA = new Set([
  "/params/task_id",
  "/querystring/due_to",
  "/querystring/until",
  "/body/email",
  "/body/email_address",
  "/body/webhook_url",
  "/body/parent_task_id",
]);

type Part = "params" | "querystring" | "body";
type Parts = Partial<Record<Part, Schema>>;

/** Whether a violation at `path` names the field broken at `broken` (under the request part `prefix`). */
const namesField = (path: string, field: string) => path === field || path.startsWith(`${field}/`);

/** The violations of an error body (the kit's `ErrorBody`), or none. */
const violationsIn = (body: unknown): { path: string; message: string }[] =>
  (body as { violations?: { path: string; message: string }[] } | undefined)?.violations ?? [];

/** What every test of this file tried, recorded once all have run. */
const trials: Omit<Trial, "file">[] = [];

/** Records a bad-input trial: a refused input loses, duplicates and leaks nothing (the snapshots prove no write). */
const record = (name: string, target: string, tries: number, outcome: string) =>
  trials.push({ area: "bad input", name, target, tries, lost: 0, duplicated: 0, leaked: 0, outcome });
afterAll(() => recordTrials(__filename, trials));

describe("generated bad input on the demo's system (PostgreSQL)", () => {
  const cleanup = new Cleanup();
  let test: TestSystem;
  let routes: Record<string, Route[]>;
  let db: pg.Client;
  const user = newUser("props");
  const headersFor: Record<string, Record<string, string>> = {};
  /** Ids that exist, by path parameter name: half the broken inputs aim at a real task of the user's. */
  const realParams: Record<string, string> = {};

  /** Every row of every table of every app (a digest per table): a refused input must change none of them. */
  async function snapshot(): Promise<Record<string, string>> {
    const { rows: tables } = await db.query<{ schema: string; table: string }>(
      `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const digests: Record<string, string> = {};
    for (const { schema, table } of tables) {
      const { rows } = await db.query<{ digest: string }>(
        `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest
         FROM "${schema}"."${table}" t`,
      );
      digests[`${schema}.${table}`] = rows[0]?.digest ?? "";
    }
    return digests;
  }

  /** Waits until two snapshots a second apart agree (the outbox published, the consumers done), and returns it. */
  async function settled(): Promise<Record<string, string>> {
    let last = await snapshot();
    return waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const next = await snapshot();
        const same = JSON.stringify(next) === JSON.stringify(last);
        last = next;
        return same ? next : undefined;
      },
      "the database at rest",
      60_000,
    );
  }

  beforeAll(async () => {
    const surveyed = await startSurveyedSystem("postgres", "props");
    test = cleanup.add(surveyed.test);
    routes = surveyed.routes;
    const { system } = test;
    if (system.database.kind !== "postgres") throw new Error("the system runs on PGlite");
    const url = new URL(inject("postgresUrl"));
    // The identity reads `host:port/name`.
    url.pathname = `/${system.database.database.split("/").at(-1)}`;
    db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    cleanup.add({ stop: () => db.end() });
    const userToken = `Bearer ${await system.token(user)}`;
    headersFor.user = { authorization: userToken };
    headersFor.operator = { authorization: `Bearer ${await system.token(newUser("ops"), { operator: true })}` };
    const created = await call(system.apps.backend?.url ?? "", "POST", "/api/tasks", headersFor.user, {
      title: "a task of the user's",
      due_date: new Date(Date.now() + 86_400_000).toISOString(),
      remind_before_minutes: 5,
      recurrence: "daily",
    });
    expect(created.status).toBe(201);
    realParams.task_id = String((created.body as { task_id: number }).task_id);
  }, 180_000);
  afterAll(() => cleanup.run());

  /** A request with a JSON body (when given), the answer's status and JSON (every answer of the kit is JSON). */
  const call = (baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    new Api(baseUrl).request<unknown>(method, path, body, headers);

  /** The request parts a route's registered schema declares. */
  const partsOf = (route: Route): Parts => {
    const schema = (route.schema ?? {}) as Partial<Record<Part, Schema>>;
    return Object.fromEntries(
      (["params", "querystring", "body"] as const).flatMap((part) => (schema[part] ? [[part, schema[part]]] : [])),
    );
  };

  /** Every REST route with input of the REST apps, with its app, headers by access and parts. */
  function restTargets() {
    return REST_APPS.flatMap((appId) =>
      (routes[appId] ?? []).flatMap((route) => {
        const access = accessOf(appId, route);
        const parts = partsOf(route);
        const app = test.system.apps[appId];
        if (route.method === "HEAD" || !app || (access !== "user" && access !== "operator" && access !== "sidecar")) {
          return [];
        }
        if (COVERED_APART.some((pattern) => pattern.test(route.key))) return [];
        if (!route.schema) throw new Error(`${appId} ${route.key} has no schema: its input cannot be generated`);
        // A schema without params, query or body: the route takes no input (GET /api/preferences).
        if (Object.keys(parts).length === 0) return [];
        const headers = access === "sidecar" ? { "dapr-api-token": app.appToken } : (headersFor[access] ?? {});
        return [{ appId, route, parts, headers, baseUrl: app.url }];
      }),
    );
  }

  /** Path parameters as text: generated, or (for a name with a real id) the real one half the time. */
  const paramsArbitrary = (schema: Schema) => {
    const generated = validObject(schema).map(asQuery);
    const real = Object.fromEntries(
      Object.keys(schema.properties ?? {}).flatMap((n) => (realParams[n] ? [[n, realParams[n]]] : [])),
    );
    return Object.keys(real).length > 0 ? fc.oneof(generated, fc.constant(real)) : generated;
  };

  /** The URL of a route with its path parameters filled in and a query string. */
  const urlOf = (route: Route, params: Record<string, unknown>, query?: Record<string, unknown>) => {
    const path = route.url.replaceAll(/:([A-Za-z_]+)/g, (_, name: string) => encodeURIComponent(String(params[name])));
    const search = query ? new URLSearchParams(asQuery(query)).toString() : "";
    return search ? `${path}?${search}` : path;
  };

  it("every REST route: an input broken in one field is a 400 naming it, another Content-Type a 415 naming the header; nothing written", async () => {
    const targets = restTargets();
    // Every user-facing app with input is reached: a route that loses its schema would drop out silently.
    expect(new Set(targets.map((t) => t.appId))).toEqual(new Set(REST_APPS));
    // Every operation with input in each app's published OpenAPI document is a target; the sidecar's route is not in it.
    for (const appId of REST_APPS) {
      const doc = await call(test.system.apps[appId]?.url ?? "", "GET", "/openapi.json", {});
      const paths = (
        doc.body as { paths: Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown }>> }
      ).paths;
      for (const [path, operations] of Object.entries(paths)) {
        expect(path).not.toMatch(/^\/internal\//);
        for (const [method, operation] of Object.entries(operations)) {
          const key = `${method.toUpperCase()} ${path.replaceAll(/\{([^}]+)\}/g, ":$1")}`;
          if ((!operation.requestBody && !operation.parameters?.length) || COVERED_APART.some((p) => p.test(key)))
            continue;
          expect(
            targets.some((t) => t.appId === appId && t.route.key === key),
            `${appId} ${key}`,
          ).toBe(true);
        }
      }
    }
    const before = await settled();
    for (const { appId, route, parts, headers, baseUrl } of targets) {
      let tries = 0;
      const breaks: fc.Arbitrary<{ part: Part; broken: Broken }>[] = [];
      if (parts.params) {
        const params = brokenObject(parts.params, { text: true, fixedKeys: true });
        // An empty path segment is another route, and `.` or `..` (as `%2E` too) a dot segment that URLs resolve
        // away (WHATWG URL): none of them reaches the route as a parameter.
        breaks.push(
          params
            .filter((b) => Object.values(b.value).every((v) => !["", ".", ".."].includes(String(v))))
            .map((broken) => ({ part: "params" as const, broken })),
        );
      }
      if (parts.querystring) {
        breaks.push(
          brokenObject(parts.querystring, { text: true }).map((broken) => ({ part: "querystring" as const, broken })),
        );
      }
      if (parts.body) breaks.push(brokenObject(parts.body).map((broken) => ({ part: "body" as const, broken })));
      const input = fc.record({
        broken: fc.oneof(...breaks),
        params: parts.params ? paramsArbitrary(parts.params) : fc.constant({}),
        query: parts.querystring ? validObject(parts.querystring) : fc.constant(undefined),
        body: parts.body ? validObject(parts.body) : fc.constant(undefined),
      });
      await fc.assert(
        fc.asyncProperty(input, async ({ broken: { part, broken }, params, query, body }) => {
          tries += 1;
          const sent = { params, query, body, [part === "querystring" ? "query" : part]: broken.value };
          const answer = await call(baseUrl, route.method, urlOf(route, sent.params, sent.query), headers, sent.body);
          const field = `/${part}${broken.path}`;
          const why = `${appId} ${route.key}: ${broken.keyword} at ${field} answered ${answer.status} ${JSON.stringify(answer.body)}`;
          expect(answer.status, why).toBe(400);
          expect(
            violationsIn(answer.body).some((v) => namesField(v.path, field)),
            why,
          ).toBe(true);
        }),
        { numRuns: RUNS.broken },
      );
      record(
        "input broken in one field (params, query, body), generated from the route's schema",
        `${appId} ${route.method} ${route.url}`,
        tries,
        "400 naming the field",
      );
      if (!parts.body) continue;
      // The one header a route's input depends on: a body in any media type but JSON.
      let typed = 0;
      const mediaType = fc
        .stringMatching(/^[a-z]{1,12}\/[a-z0-9.+-]{1,20}$/)
        .filter((type) => type !== "application/json");
      await fc.assert(
        fc.asyncProperty(
          mediaType,
          paramsArbitrary(parts.params ?? {}),
          validObject(parts.body),
          async (type, params, body) => {
            typed += 1;
            const response = await fetch(`${baseUrl}${urlOf(route, params)}`, {
              method: route.method,
              headers: { ...headers, "content-type": type },
              body: JSON.stringify(body),
            });
            const answer = (await response.json()) as unknown;
            const why = `${appId} ${route.key} with Content-Type ${type}: ${response.status} ${JSON.stringify(answer)}`;
            expect(response.status, why).toBe(415);
            expect(
              violationsIn(answer).some((v) => v.path === "/headers/content-type"),
              why,
            ).toBe(true);
          },
        ),
        { numRuns: RUNS.valid },
      );
      record(
        "body in another media type than JSON (Content-Type header)",
        `${appId} ${route.method} ${route.url}`,
        typed,
        "415 naming the header",
      );
    }
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  it("every MCP tool: arguments broken in one field are a tool error naming it, malformed params -32602, nothing written", async () => {
    const backend = test.system.apps.backend?.url ?? "";
    const mcpHeaders = { ...headersFor.user, accept: "application/json, text/event-stream" } as Record<string, string>;
    let id = 0;
    const rpc = (method: string, params?: unknown) =>
      call(backend, "POST", "/mcp", mcpHeaders, {
        jsonrpc: "2.0",
        id: ++id,
        method,
        ...(params === undefined ? {} : { params }),
      });
    const listed = await rpc("tools/list");
    const tools = (listed.body as { result: { tools: { name: string; inputSchema: Schema }[] } }).result.tools;
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(TASK_TOOLS).sort());
    const before = await settled();
    for (const tool of tools) {
      let tries = 0;
      await fc.assert(
        fc.asyncProperty(brokenObject(tool.inputSchema), async (broken) => {
          tries += 1;
          const answer = await rpc("tools/call", { name: tool.name, arguments: broken.value });
          const why = `${tool.name}: ${broken.keyword} at ${broken.path} answered ${answer.status} ${JSON.stringify(answer.body)}`;
          if (answer.status === 400) {
            // The kit's JSON parser refuses a prototype-poisoning key anywhere in the body, before MCP reads it.
            const field = `/body/params/arguments${broken.path}`;
            expect(
              violationsIn(answer.body).some((v) => namesField(v.path, field)),
              why,
            ).toBe(true);
            return;
          }
          const result = (answer.body as { result?: { isError?: boolean; structuredContent?: { error?: unknown } } })
            .result;
          const error = result?.structuredContent?.error as
            | { status?: number; violations?: { path: string }[] }
            | undefined;
          expect(answer.status, why).toBe(200);
          expect(result?.isError, why).toBe(true);
          expect(error?.status, why).toBe(400);
          expect(
            (error?.violations ?? []).some((v) => namesField(v.path, broken.path)),
            why,
          ).toBe(true);
        }),
        { numRuns: RUNS.broken },
      );
      record(
        "tool arguments broken in one field, generated from the tool's inputSchema",
        `backend MCP ${tool.name}`,
        tries,
        "tool error (isError) with 400 naming the field",
      );
    }
    // The request's own params, broken as the JSON Schema of tools/call's params allows: -32602 naming the field.
    const paramsSchema: Schema = {
      type: "object",
      properties: {
        params: {
          type: "object",
          properties: { name: { anyOf: tools.map((t) => ({ const: t.name })) }, arguments: { type: "object" } },
          required: ["name"],
        },
      },
      required: ["params"],
    };
    let tries = 0;
    await fc.assert(
      fc.asyncProperty(brokenObject(paramsSchema), async (broken) => {
        tries += 1;
        const answer = await rpc("tools/call", broken.value.params);
        const error = (answer.body as { error?: { code: number; data?: { violations?: { path: string }[] } } }).error;
        const why = `tools/call: ${broken.keyword} at ${broken.path} answered ${answer.status} ${JSON.stringify(answer.body)}`;
        expect(answer.status, why).toBeLessThan(500);
        if (broken.keyword === "const") {
          // A name no tool has: the tool's own error (404), as the MCP spec has a tool report errors in its result.
          expect((answer.body as { result?: { isError?: boolean } }).result?.isError, why).toBe(true);
          return;
        }
        expect(error?.code, why).toBe(-32602);
        expect(
          (error?.data?.violations ?? []).some((v) => namesField(v.path, broken.path)),
          why,
        ).toBe(true);
        // In a JSON-RPC batch the server's transport takes the request (refuseInvalidParams): the same answer.
        // Params that are no object never reach it there: the SDK refuses such a batch as a whole (400, -32700).
        const params = broken.value.params;
        if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) return;
        const batch = await call(backend, "POST", "/mcp", mcpHeaders, [
          { jsonrpc: "2.0", id: ++id, method: "tools/call", ...(params === undefined ? {} : { params }) },
        ]);
        const answered = (Array.isArray(batch.body) ? batch.body[0] : batch.body) as typeof answer.body;
        expect(
          (answered as { error?: { code: number } }).error?.code,
          `batch: ${why} ${JSON.stringify(batch.body)}`,
        ).toBe(-32602);
      }),
      { numRuns: RUNS.broken },
    );
    record(
      "tools/call params broken in one field (missing, wrong type)",
      "backend MCP tools/call",
      tries,
      "JSON-RPC -32602 naming the field",
    );
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  /** Every subscription route of every app, with the event type its rule routes there (none: the topic's default). */
  async function subscriptionTargets() {
    const targets: {
      appId: string;
      path: string;
      topic: (typeof TOPIC_LIST)[number];
      type?: EventType;
      url: string;
      token: string;
    }[] = [];
    for (const [appId, app] of Object.entries(test.system.apps)) {
      const answer = await call(app.url, "GET", "/dapr/subscribe", { "dapr-api-token": app.appToken });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(programmaticSubscriptions(app.spec));
      for (const sub of answer.body as ReturnType<typeof programmaticSubscriptions>) {
        const topic = TOPIC_LIST.find((t) => test.prefix + t.name === sub.topic || t.name === sub.topic);
        if (!topic) throw new Error(`${appId} subscribes to ${sub.topic}, no catalog topic`);
        const rules = sub.routes.rules ?? [];
        for (const rule of rules) {
          const type = /event\.type == "([^"]+)"/.exec(rule.match)?.[1] as EventType | undefined;
          targets.push({ appId, path: rule.path, topic, ...(type ? { type } : {}), url: app.url, token: app.appToken });
        }
        targets.push({ appId, path: sub.routes.default, topic, url: app.url, token: app.appToken });
      }
    }
    return targets;
  }

  it("every subscription route: an event broken in one field is answered DROP and has no effect", async () => {
    const targets = await subscriptionTargets();
    const before = await settled();
    for (const target of targets) {
      // The dead-letter topic has no contract: the desk stores whatever arrives (its own tests), so nothing is invalid.
      if (target.topic.name === "dead-letters") continue;
      const schema = consumedEventSchema(target.topic, target.type);
      let tries = 0;
      await fc.assert(
        fc.asyncProperty(brokenObject(schema), async (broken) => {
          tries += 1;
          const headers = { "dapr-api-token": target.token, "content-type": "application/cloudevents+json" };
          const response = await fetch(`${target.url}${target.path}`, {
            method: "POST",
            headers,
            body: JSON.stringify(broken.value),
          });
          const text = await response.text();
          const why = `${target.appId} ${target.path}: ${broken.keyword} at ${broken.path} answered ${response.status} ${text}`;
          expect(response.status, why).toBe(200);
          expect(JSON.parse(text), why).toEqual({ status: "DROP" });
        }),
        { numRuns: RUNS.broken },
      );
      record(
        "CloudEvent broken in one field (envelope or data), generated from the contract with the catalog's id bounds",
        `${target.appId} ${target.path}`,
        tries,
        "DROP, no effect",
      );
    }
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  it("valid inputs generated from the same schemas are taken: no 5xx, no 400 but by a rule beyond the schema", async () => {
    let tries = 0;
    let taken = 0;
    const takenByApp = new Map<string, number>();
    for (const { appId, route, parts, headers, baseUrl } of restTargets()) {
      const input = fc.record({
        params: parts.params ? paramsArbitrary(parts.params) : fc.constant({}),
        query: parts.querystring ? validObject(parts.querystring) : fc.constant(undefined),
        body: parts.body ? validObject(parts.body) : fc.constant(undefined),
      });
      let routeTaken = 0;
      await fc.assert(
        fc.asyncProperty(input, async ({ params, query, body }) => {
          tries += 1;
          const answer = await call(baseUrl, route.method, urlOf(route, params, query), headers, body);
          const why = `${appId} ${route.key} answered ${answer.status} ${JSON.stringify(answer.body)}`;
          expect(answer.status, why).toBeLessThan(500);
          if (answer.status === 400) {
            expect(
              violationsIn(answer.body).every((v) => RULES_BEYOND_SCHEMA.has(v.path)),
              why,
            ).toBe(true);
          } else if (answer.status >= 400) {
            // A well-formed id of nothing there (404), or a task whose state refuses the change (409).
            expect([404, 409], why).toContain(answer.status);
          } else routeTaken += 1;
        }),
        { numRuns: RUNS.valid },
      );
      takenByApp.set(appId, (takenByApp.get(appId) ?? 0) + routeTaken);
      taken += routeTaken;
    }
    // Each app takes some of the valid input (the rest names a missing id or a rule beyond the schema).
    for (const appId of REST_APPS) expect(takenByApp.get(appId), appId).toBeGreaterThan(0);
    const events = (await subscriptionTargets()).filter((t) => t.topic.name !== "dead-letters");
    for (const target of events) {
      await fc.assert(
        fc.asyncProperty(validObject(consumedEventSchema(target.topic, target.type)), async (event) => {
          tries += 1;
          const headers = { "dapr-api-token": target.token, "content-type": "application/cloudevents+json" };
          const response = await fetch(`${target.url}${target.path}`, {
            method: "POST",
            headers,
            body: JSON.stringify({ ...event, id: randomUUID() }),
          });
          const text = await response.text();
          const why = `${target.appId} ${target.path} answered ${response.status} ${text}`;
          expect(response.status, why).toBe(200);
          // DROP is a handler's verdict on what the event names (a task the backend does not have), not on its shape.
          expect(["SUCCESS", "DROP"], why).toContain((JSON.parse(text) as { status: string }).status);
          if ((JSON.parse(text) as { status: string }).status === "SUCCESS") taken += 1;
        }),
        { numRuns: RUNS.valid },
      );
    }
    expect(taken).toBeGreaterThan(0);
    record(
      "valid input generated from the same schemas (REST routes and events)",
      "backend, notification, dead-letters, recurring, gateway",
      tries,
      `${taken} taken, the rest refused only by rules beyond the schema; no 5xx`,
    );
  }, 180_000);
});
