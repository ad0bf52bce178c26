// The per-environment profiles by name.
import { dev } from "./dev";
import type { Environment, PlatformProfile } from "./profile";
import { prod } from "./prod";

export const PROFILES: Record<Environment, PlatformProfile> = { dev, prod };
export type * from "./profile";
