// The development sidecar stays local: no Pulumi module imports it and no app image copies it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "./support/source-files";

const ROOT = path.resolve(__dirname, "..");
const DEPLOYED_SOURCES = ["infra", "components", "specs", "stacks", "events/src", "policy"];

describe("the development sidecar", () => {
  it("is imported by no module of the Pulumi program, its specs or the policy pack", () => {
    const files = DEPLOYED_SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(20);
    const importers = files.filter((file) => /from "[./]*local\//.test(readFileSync(file, "utf8")));
    expect(importers.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it("is copied into no app image", () => {
    // One Dockerfile builds every app (apps/Dockerfile, --build-arg APP); none of its own may appear either.
    const dockerfiles = [path.join(ROOT, "apps", "Dockerfile")];
    const ownDockerfiles = readdirSync(path.join(ROOT, "apps")).filter((app) => {
      try {
        return statSync(path.join(ROOT, "apps", app, "Dockerfile")).isFile();
      } catch {
        return false;
      }
    });
    expect(ownDockerfiles).toEqual([]);
    for (const file of dockerfiles) {
      const copies = readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => /^\s*(COPY|ADD)\b/i.test(line));
      expect(copies.length, file).toBeGreaterThan(0);
      expect(
        copies.filter((line) => /\blocal\b/.test(line)),
        file,
      ).toEqual([]);
    }
  });
});
