// Unit tests of opening the embedded database: a data directory of another PostgreSQL major is named as such.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./database";

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
