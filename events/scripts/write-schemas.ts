// `npm run schemas`: writes the project's JSON Schemas (events/schemas/<type>.schema.json) from events/, and removes files of types no longer in the catalog.
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { EVENT_TYPE_NAMES } from "../src/catalog";
import { JSON_SCHEMA_DIR, jsonSchemaFileName, jsonSchemaText } from "../src/json-schemas";

async function main(): Promise<void> {
  await mkdir(JSON_SCHEMA_DIR, { recursive: true });
  const wanted = new Set(EVENT_TYPE_NAMES.map(jsonSchemaFileName));
  for (const file of await readdir(JSON_SCHEMA_DIR)) {
    if (!wanted.has(file)) {
      await rm(path.join(JSON_SCHEMA_DIR, file));
      console.log(`removed ${file}`);
    }
  }
  for (const type of EVENT_TYPE_NAMES) {
    await writeFile(path.join(JSON_SCHEMA_DIR, jsonSchemaFileName(type)), jsonSchemaText(type));
  }
  console.log(`wrote ${EVENT_TYPE_NAMES.length} schemas to ${path.relative(process.cwd(), JSON_SCHEMA_DIR) || "."}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
