// Unit tests of the board's routes on a board folder of its own: the files and config.json with the security headers, and a 404 saying why while BACKEND_PUBLIC_URL is unset.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "@event-platform/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOARD_DIR, boardHeaders, registerBoardRoutes } from "./board";

let boardDir = "";
beforeAll(async () => {
  boardDir = await mkdtemp(join(tmpdir(), "gateway-board-"));
  await writeFile(join(boardDir, "index.html"), "<!doctype html><title>board</title>");
  await writeFile(join(boardDir, "board.css"), "body { margin: 0 }");
  await writeFile(join(boardDir, "board.js"), "export {};");
  await writeFile(join(boardDir, "secret.txt"), "not served");
});
afterAll(() => rm(boardDir, { recursive: true, force: true }));

async function boardServer(backendPublicUrl?: string) {
  const server = createServer({ logLevel: "silent", http: { requestTimeoutMs: 5_000, connectionTimeoutMs: 5_000 } });
  await registerBoardRoutes(server, { boardDir, ...(backendPublicUrl ? { backendPublicUrl } : {}) });
  return server;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self' http://localhost:3000; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

describe("the board's routes", () => {
  it("serve index.html at /, board.css, board.js and config.json, each with the CSP, nosniff and no referrer", async () => {
    const server = await boardServer("http://localhost:3000/api-root");
    try {
      const expected = [
        ["/", "text/html", "<!doctype html><title>board</title>"],
        ["/board.css", "text/css", "body { margin: 0 }"],
        ["/board.js", "javascript", "export {};"],
        ["/board/config.json", "application/json", '{"backendUrl":"http://localhost:3000/api-root","wsPath":"/ws"}'],
      ];
      for (const [url, type, body] of expected) {
        const answer = await server.inject({ method: "GET", url: url as string });
        expect(answer.statusCode, url).toBe(200);
        expect(answer.headers["content-type"], url).toContain(type);
        expect(answer.body, url).toBe(body);
        expect(answer.headers["content-security-policy"], url).toBe(CSP);
        expect(answer.headers["x-content-type-options"], url).toBe("nosniff");
        expect(answer.headers["referrer-policy"], url).toBe("no-referrer");
      }
      expect((await server.inject({ method: "HEAD", url: "/board.js" })).statusCode).toBe(200);
      expect((await server.inject({ method: "GET", url: "/secret.txt" })).statusCode).toBe(404);
      expect((await server.inject({ method: "GET", url: "/index.html" })).statusCode).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("answer 404 saying the board is not configured while BACKEND_PUBLIC_URL is unset", async () => {
    const server = await boardServer();
    try {
      for (const url of ["/", "/board.css", "/board.js", "/board/config.json"]) {
        const answer = await server.inject({ method: "GET", url });
        expect(answer.statusCode, url).toBe(404);
        expect(answer.json(), url).toMatchObject({ message: expect.stringContaining("BACKEND_PUBLIC_URL") });
        expect(answer.headers["content-security-policy"], url).toBe(boardHeaders(undefined)["content-security-policy"]);
      }
    } finally {
      await server.close();
    }
  });

  it("default to the board folder beside src/", () => {
    expect(BOARD_DIR).toBe(join(__dirname, "..", "board"));
  });
});
