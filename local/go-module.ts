// Go modules from the Go module proxy, for what the project builds or takes from it: the go command, `go mod download`, writable copies.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

/** Go's environment for working on a module outside any workspace, resolving missing go.sum lines from the proxy. */
export function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOWORK: "off", GOFLAGS: "-mod=mod", ...extra };
}

/** The Go command: `go` on PATH, else Go's default install location (as scripts/actionlint.sh looks for it). */
export function goCommand(): string {
  const onPath = (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, "go")));
  return !onPath && existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
}

/**
 * `go mod download -json module@version` run in `cwd`: the module's checksum-verified, read-only folder in Go's
 * module cache. Throws with Go's own reason (the module or version unknown to the proxy, no network), or "Go is not
 * installed".
 */
export async function goModDownload(moduleAtVersion: string, cwd: string): Promise<string> {
  const { stdout } = await promisify(execFile)(goCommand(), ["mod", "download", "-json", moduleAtVersion], {
    cwd,
    env: goEnv(),
    maxBuffer: 4 * 1024 * 1024,
  }).catch((error: NodeJS.ErrnoException & { stdout?: string; stderr?: string }) => {
    if (error.code === "ENOENT") throw new Error("Go is not installed (https://go.dev/doc/install)");
    // With -json, go reports the module's error in the JSON it prints.
    const reported = error.stdout ? ((JSON.parse(error.stdout) as { Error?: string }).Error ?? "") : "";
    throw new Error(reported || (error.stderr ?? String(error)).trim());
  });
  const dir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download gave no folder for ${moduleAtVersion}`);
  return dir;
}

/** Adds the owner's write bit to `dir` and everything below it: Go's module cache (and a read-only copy) has none. */
export async function makeWritable(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, entry);
    await chmod(file, (await stat(file)).mode | 0o200);
  }
  await chmod(dir, (await stat(dir)).mode | 0o200);
}
