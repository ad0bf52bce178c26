// Unit tests of the OpenAPI document (what it lists and hides, the error body it names) and of 405 for a method a path lacks.
import Type from "typebox";
import { describe, expect, it } from "vitest";
import { BEARER_SCHEME, bearerRoute, OPENAPI_PATH, registerOpenApi, responses } from "./openapi";
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
