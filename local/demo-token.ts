// `npm run demo:token -- <user id> [--operator] [--data-dir DIR]`: prints a bearer token for any user, signed with the demo's persisted key, for curl, MCP clients and the live board.

import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, demoPaths, signingKey } from "./demo-data";
import { mintToken } from "./demo-tokens";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { operator: { type: "boolean" }, "data-dir": { type: "string" } },
  });
  const [user] = positionals;
  if (!user || positionals.length > 1) {
    console.error("Usage: npm run demo:token -- <user id> [--operator] [--data-dir DIR]");
    process.exit(2);
  }
  const paths = demoPaths(path.resolve(values["data-dir"] ?? DEFAULT_DATA_DIR));
  if (!existsSync(paths.signingKey)) {
    console.error(`No signing key in ${paths.root}: run \`npm run demo\` once first.`);
    process.exit(1);
  }
  console.log(await mintToken(await signingKey(paths), user, { operator: values.operator ?? false }));
}

void main();
