// The per-environment profiles by name.
import { dev } from "./dev";
import { prod } from "./prod";
import type { Environment, PlatformProfile } from "./profile";

export const PROFILES: Record<Environment, PlatformProfile> = { dev, prod };
export type * from "./profile";
