// Unit tests of storageRefusal and its answers: PostgreSQL's refusals of a value are a 400 on REST routes, never a 500; other database errors stay 500.
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { storageRefusal } from "./data-errors";
import { createServer } from "./server";

const pgError = (code: string, message: string, fields: Record<string, string> = {}) =>
  Object.assign(new Error(message), { code, ...fields });

describe("storageRefusal", () => {
  it("recognises SQLSTATE class 22 and 54000, with what PostgreSQL names", () => {
    expect(storageRefusal(pgError("22021", 'invalid byte sequence for encoding "UTF8": 0x00'))).toEqual({
      code: "22021",
      message: 'invalid byte sequence for encoding "UTF8": 0x00',
    });
    expect(storageRefusal(pgError("22001", "value too long", { table: "t", column: "c" }))).toEqual({
      code: "22001",
      message: "value too long",
      table: "t",
      column: "c",
    });
    for (const code of ["22008", "22003", "22P02", "54000"])
      expect(storageRefusal(pgError(code, "x"))?.code).toBe(code);
  });

  it("leaves every other error alone: connections, shutdowns, deadlocks, constraint races, plain errors", () => {
    for (const error of [
      pgError("08006", "connection failure"),
      pgError("57P01", "terminating connection"),
      pgError("40P01", "deadlock detected"),
      pgError("23505", "duplicate key"),
      pgError("54001", "statement too complex"),
      new Error("socket hang up"),
      "22021",
      null,
    ]) {
      expect(storageRefusal(error)).toBeUndefined();
    }
  });
});

describe("a REST route whose write PostgreSQL refuses", () => {
  let server: FastifyInstance | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("answers 400 with PostgreSQL's reason, and 500 for any other database error", async () => {
    server = createServer({ logLevel: "silent", http: { requestTimeoutMs: 5_000, connectionTimeoutMs: 5_000 } });
    server.get("/nul", async () => {
      throw pgError("22021", 'invalid byte sequence for encoding "UTF8": 0x00');
    });
    server.get("/down", async () => {
      throw pgError("08006", "connection failure");
    });
    const refused = await server.inject({ method: "GET", url: "/nul" });
    expect([refused.statusCode, refused.json()]).toEqual([
      400,
      {
        statusCode: 400,
        error: "Bad Request",
        message: 'A value could not be stored: invalid byte sequence for encoding "UTF8": 0x00',
      },
    ]);
    const down = await server.inject({ method: "GET", url: "/down" });
    expect([down.statusCode, down.json().message]).toEqual([500, "Internal server error"]);
  });
});
