// The GitHub Actions workflows pass actionlint (scripts/actionlint.sh), the linter catches a broken copy of one, and the release workflow publishes every app of the catalog with pinned actions and least privilege.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { APP_LIST } from "../specs/apps";

const ROOT = path.resolve(__dirname, "..");
const SCRIPT = path.join(ROOT, "scripts/actionlint.sh");
/** The first run builds actionlint from source (scripts/actionlint.sh), which takes a minute or more. */
const BUILD_TIMEOUT = 240_000;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs scripts/actionlint.sh in `cwd` on `files` (relative to `cwd`, as actionlint prints them), or on the repository's workflows. */
async function actionlint(cwd: string, ...files: string[]): Promise<{ code: number; output: string }> {
  return promisify(execFile)(SCRIPT, files, { cwd, maxBuffer: 8 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  );
}

describe("GitHub Actions workflows", () => {
  it(
    "pass actionlint",
    async () => {
      const result = await actionlint(tmpdir());
      expect(result.output).toContain(
        "actionlint v1.7.12 on .github/workflows/deploy.yml .github/workflows/preview.yml .github/workflows/release.yml .github/workflows/test.yml",
      );
      expect(result.code, result.output).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  const workflow = readFileSync(path.join(ROOT, ".github/workflows/test.yml"), "utf8");
  it.each([
    [
      "an unknown runner label",
      "runs-on: ubuntu-24.04",
      "runs-on: ubuntu-24.04-xlarge",
      'label "ubuntu-24.04-xlarge" is unknown. available labels are "windows-latest",',
    ],
    [
      "an unknown job key",
      "timeout-minutes: 45",
      "timeout_minutes: 45",
      'unexpected key "timeout_minutes" for "job" section.',
    ],
    [
      "an invalid expression",
      "- run: npm test",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template literal
      "- run: echo ${{ foo.bar( }}",
      'parser did not reach end of input after parsing the expression. 1 remaining token(s) in the input: "(" [expression]',
    ],
    [
      "a job that needs an unknown job",
      "timeout-minutes: 45",
      "timeout-minutes: 45\n    needs: build",
      'job "test" needs job "build" which does not exist in this workflow [job-needs]',
    ],
  ])(
    "fail with %s",
    async (_, from, to, message) => {
      expect(workflow).toContain(from);
      const dir = mkdtempSync(path.join(tmpdir(), "actionlint-"));
      writeFileSync(path.join(dir, "test.yml"), workflow.replace(from, to));
      const result = await actionlint(dir, "test.yml");
      expect(result.code, result.output).toBe(1);
      // actionlint reports `<file>:<line>:<column>: <message>`.
      expect(result.output).toMatch(new RegExp(`^test\\.yml:\\d+:\\d+: ${escapeRegExp(message)}`, "m"));
    },
    BUILD_TIMEOUT,
  );
});

/** The parts of a workflow the release rules read. */
interface Workflow {
  on: { push?: { tags?: string[] } };
  permissions: Record<string, string>;
  jobs: Record<
    string,
    {
      permissions?: Record<string, string>;
      strategy?: { matrix: { app: string[] } };
      steps: { uses?: string; with?: Record<string, unknown> }[];
    }
  >;
}

describe("the release workflow", () => {
  const text = readFileSync(path.join(ROOT, ".github/workflows/release.yml"), "utf8");
  const release = YAML.parse(text) as Workflow;
  const job = release.jobs.image;
  const step = (action: string) => job?.steps.find((s) => s.uses?.startsWith(`${action}@`));

  it("runs on version tags, with no permission by default and only what pushing packages needs", () => {
    expect(release.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(release.permissions).toEqual({});
    expect(Object.keys(release.jobs)).toEqual(["image"]);
    expect(job?.permissions).toEqual({ contents: "read", packages: "write" });
  });

  it("builds one image per app of the catalog, in catalog order", () => {
    expect(job?.strategy?.matrix.app).toEqual(APP_LIST.map((app) => app.id));
  });

  it("pins every action to a full commit SHA with its release in a comment, the same pins as the other workflows", () => {
    const uses = [...text.matchAll(/^\s*(?:- )?uses: (\S+)(.*)$/gm)].map(([, ref = "", comment = ""]) => ({
      ref,
      comment,
    }));
    expect(uses.length).toBe(6);
    for (const { ref, comment } of uses) {
      expect(ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
    const checkout = uses.find((u) => u.ref.startsWith("actions/checkout@"));
    const elsewhere = readFileSync(path.join(ROOT, ".github/workflows/test.yml"), "utf8");
    expect(elsewhere).toContain(`uses: ${checkout?.ref}${checkout?.comment}`);
  });

  it("pushes ghcr.io/<owner>/<app id> for amd64 and arm64 from apps/Dockerfile, with SBOM and provenance", () => {
    expect(step("docker/login-action")?.with).toMatchObject({ registry: "ghcr.io" });
    expect(step("docker/metadata-action")?.with?.images).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template literal
      "ghcr.io/${{ github.repository_owner }}/${{ matrix.app }}",
    );
    expect(step("docker/build-push-action")?.with).toMatchObject({
      context: ".",
      file: "apps/Dockerfile",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template literal
      "build-args": "APP=${{ matrix.app }}",
      platforms: "linux/amd64,linux/arm64",
      push: true,
      sbom: true,
      provenance: "mode=max",
    });
    expect(step("docker/setup-qemu-action")).toBeDefined();
    expect(step("docker/setup-buildx-action")).toBeDefined();
  });
});
