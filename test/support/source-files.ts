// The repository's own source modules under a folder, for tests that check what the deployed code imports.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Every `.ts` and `.js` module under `dir` (absolute paths), test files and `node_modules` left out. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (entry === "node_modules") return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|js)$/.test(entry) && !/\.test\.ts$/.test(entry) ? [full] : [];
  });
}
