// Vitest global setup: the upstream charts, CRDs and examples are in the cache before any test file reads them (a no-op after `npm test`'s prepare step).
import { ensureUpstream } from "../support/upstream";

export default async function setup(): Promise<void> {
  await ensureUpstream((line) => console.log(`[upstream] ${line}`));
}
