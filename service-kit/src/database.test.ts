// Unit tests of opening the embedded database (a data directory of another PostgreSQL major is named as such) and of writing a Date as node-postgres does.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, postgresTimestamp } from "./database";

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as FastifyBaseLogger;

describe("openDatabase on PGlite", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("names the PostgreSQL major of a data directory it cannot open, and what to do", async () => {
    const dir = await mkdtemp(join(tmpdir(), "backend-pglite-major-"));
    dirs.push(dir);
    await writeFile(join(dir, "PG_VERSION"), "17\n");
    await expect(
      openDatabase({ poolSize: 1, dataDir: dir }, { appId: "kit-test", schema: "kit_test", migrations: {} }, silent),
    ).rejects.toThrow(
      new RegExp(`could not open DATA_DIR ${dir}, a PostgreSQL 17 data directory .*pg_dump.*remove it to start empty`),
    );
  });
});

describe("postgresTimestamp", () => {
  it("writes a Date as node-postgres's dateToStringUTC: UTC, four-digit years, ... BC before the year 1", () => {
    const at = (iso: string) => postgresTimestamp(new Date(iso));
    expect(at("2030-01-01T10:00:00.5Z")).toBe("2030-01-01T10:00:00.500+00:00");
    expect(at("0001-01-01T00:00:00Z")).toBe("0001-01-01T00:00:00.000+00:00");
    expect(at("0099-06-01T00:00:00Z")).toBe("0099-06-01T00:00:00.000+00:00");
    expect(at("0000-01-01T00:00:00Z")).toBe("0001-01-01T00:00:00.000+00:00 BC");
    expect(at("-000001-12-31T23:59:59.999Z")).toBe("0002-12-31T23:59:59.999+00:00 BC");
    expect(at("9999-12-31T23:59:59.999Z")).toBe("9999-12-31T23:59:59.999+00:00");
  });
});
