// Unit tests of the OpenAPI document (what it lists and hides, the error body it names) and of 405 for a method a path lacks.
import Type from "typebox";
import { describe, expect, it } from "vitest";
import {
  BEARER_SCHEME,
  bearerRoute,
  danglingLinks,
  linksTo,
  OPENAPI_PATH,
  registerOpenApi,
  responses,
} from "./openapi";
import { createServer } from "./server";

const config = { logLevel: "silent", http: { requestTimeoutMs: 5_000, connectionTimeoutMs: 5_000 } } as const;

async function serverWithRoutes() {
  const server = createServer(config);
  await registerOpenApi(server, { title: "test-app", version: "1.2.3" });
  const Thing = Type.Object({ name: Type.String() }, { additionalProperties: false });
  const schema = { ...bearerRoute, params: Type.Object({ id: Type.String() }), response: responses({ 200: Thing }) };
  // The handler answers what the schema does not allow: schemas document, they do not reshape answers.
  server.get("/things/:id", { schema }, async (request) => ({ name: (request.params as { id: string }).id, x: 1 }));
  server.post("/sidecar-only", async () => ({}));
  await server.ready();
  return server;
}

describe("registerOpenApi", () => {
  it("serves an OpenAPI 3.1 document of the routes with a schema, without a token", async () => {
    const server = await serverWithRoutes();
    const answer = await server.inject({ method: "GET", url: OPENAPI_PATH });
    expect(answer.statusCode).toBe(200);
    const doc = answer.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "test-app", version: "1.2.3" });
    expect(Object.keys(doc.paths)).toEqual(["/things/{id}"]);
    const get = doc.paths["/things/{id}"].get;
    expect(get.security).toEqual([{ [BEARER_SCHEME]: [] }]);
    expect(Object.keys(get.responses)).toEqual(["200", "4XX"]);
    expect(get.responses["4XX"].content["application/json"].schema.required).toEqual([
      "statusCode",
      "error",
      "message",
    ]);
    expect(doc.components.securitySchemes[BEARER_SCHEME]).toEqual({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    await server.close();
  });

  it("leaves validation to requestInput and answers as the handler built the body", async () => {
    const server = await serverWithRoutes();
    expect((await server.inject({ method: "GET", url: "/things/a" })).json()).toEqual({ name: "a", x: 1 });
    await server.close();
  });
});

describe("links", () => {
  const Thing = Type.Object({ id: Type.Integer() }, { additionalProperties: false });
  const params = Type.Object({ id: Type.String() }, { additionalProperties: false });

  async function serverWithLinks(target: { operationId: string; parameter: string }) {
    const server = createServer(config);
    await registerOpenApi(server, { title: "test-app", version: "1.2.3" });
    const create = { operationId: "createThing", response: responses({ 201: Thing }) };
    const links = { 201: linksTo([target.operationId], { [target.parameter]: "$response.body#/id" }) };
    server.post("/things", { schema: create, links }, async (_request, reply) => reply.code(201).send({ id: 1 }));
    const read = { operationId: "getThing", params, response: responses({ 200: Thing }) };
    server.get("/things/:id", { schema: read }, async () => ({ id: 1 }));
    return server;
  }

  it("puts a route's links on its responses as OpenAPI Link Objects", async () => {
    const server = await serverWithLinks({ operationId: "getThing", parameter: "id" });
    await server.ready();
    const doc = (await server.inject({ method: "GET", url: OPENAPI_PATH })).json();
    expect(doc.paths["/things"].post.responses["201"].links).toEqual({
      getThing: { operationId: "getThing", parameters: { id: "$response.body#/id" } },
    });
    expect(doc.paths["/things/{id}"].get.operationId).toBe("getThing");
    expect(danglingLinks(doc)).toEqual([]);
    await server.close();
  });

  it("fails the start on a link to an operation or a parameter the document lacks", async () => {
    const missing = await serverWithLinks({ operationId: "getThng", parameter: "id" });
    await expect(missing.ready()).rejects.toThrow("POST /things 201 getThng -> getThng: no such operation");
    const wrong = await serverWithLinks({ operationId: "getThing", parameter: "thing_id" });
    await expect(wrong.ready()).rejects.toThrow("POST /things 201 getThing -> getThing: no parameter thing_id");
  });

  it("linksTo names each link after its operation and gives each the same parameters and body", () => {
    expect(linksTo(["a", "b"], { id: "$request.path.id" }, "$response.body")).toEqual({
      a: { operationId: "a", parameters: { id: "$request.path.id" }, requestBody: "$response.body" },
      b: { operationId: "b", parameters: { id: "$request.path.id" }, requestBody: "$response.body" },
    });
    expect(linksTo(["a"])).toEqual({ a: { operationId: "a" } });
  });
});

describe("405 for a method the path lacks", () => {
  it("lists the path's methods in Allow, in the error body, also for a QUERY without Content-Type", async () => {
    const server = await serverWithRoutes();
    for (const method of ["POST", "DELETE", "QUERY"] as const) {
      const answer = await server.inject({ method, url: "/things/7?x=1" });
      expect(answer.statusCode).toBe(405);
      expect(answer.headers.allow).toBe("GET, HEAD");
      expect(answer.json()).toEqual({
        statusCode: 405,
        error: "Method Not Allowed",
        message: `${method} is not allowed on /things/7; allowed: GET, HEAD`,
      });
    }
    expect((await server.inject({ method: "GET", url: "/nothing" })).statusCode).toBe(404);
    await server.close();
  });
});
