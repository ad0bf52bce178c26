// The Pulumi program and its policy pack import big packages by the path of what they use, never by their index: loading them is part of every `pulumi preview` and `pulumi up`.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "../test/support/source-files";

const ROOT = path.resolve(__dirname, "..");
/** The program's own modules (the entry, its components, specs and stack profiles) and the policy pack's. */
const PROGRAM_SOURCES = ["infra", "components", "specs", "stacks", "policy"];

/**
 * Package indexes that load much more than the program uses, with what to import instead. The events package's index
 * also loads the CloudEvent schemas (TypeBox) and compiles their ajv validators, and ts-node type-checks them when
 * checking is on; `@pulumi/kubernetes`' index loads every API group, Helm v3's Chart and the YAML loaders (glob,
 * js-yaml, execa).
 */
const INDEXES: Record<string, string> = {
  "@event-platform/events": "@event-platform/events/src/topics (the topic catalog) or, for types, src/catalog",
  "@pulumi/kubernetes":
    "the API group's module, such as @pulumi/kubernetes/core/v1 or @pulumi/kubernetes/helm/v3/release",
};

/** Every module specifier a file imports or re-exports, statically or with `require`/`import()`. */
function specifiers(source: string): string[] {
  const found = source.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)["']([^"']+)["']/g);
  return [...found].map((match) => match[1] ?? "");
}

describe("the imports of the Pulumi program and its policy pack", () => {
  const files = PROGRAM_SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir)));

  it("cover the program's modules", () => {
    expect(files.map((f) => path.relative(ROOT, f))).toEqual(
      expect.arrayContaining([
        "infra/index.ts",
        "components/event-platform.ts",
        "specs/apps.ts",
        "stacks/index.ts",
        "policy/index.ts",
      ]),
    );
  });

  it.each(Object.entries(INDEXES))("never load %s's index", (pkg, instead) => {
    const importers = files.filter((file) => specifiers(readFileSync(file, "utf8")).includes(pkg));
    expect(
      importers.map((f) => path.relative(ROOT, f)),
      `import ${instead}`,
    ).toEqual([]);
  });
});
