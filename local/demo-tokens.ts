// Bearer tokens for the demo's users and operator, signed with the demo's persisted key as the services verify them (HS256, `sub` the user id, the operator role in `roles`).
import { SignJWT } from "jose";

/** The sample users the demo prints tokens for: two, so that one can see the other's tasks stay apart. */
export const SAMPLE_USERS = ["alice", "bob"] as const;
/** The sample operator: the dead-letter desk's user. */
export const SAMPLE_OPERATOR = "ops";

/** How long a demo token lives: within the services' JWT_MAX_LIFETIME_SECONDS default (a day). */
export const TOKEN_LIFETIME_SECONDS = 12 * 3600;

/**
 * A token for `userId`, signed with `key` (the services' JWT_SECRET), valid for `TOKEN_LIFETIME_SECONDS`. With
 * `operator`, its `roles` claim holds `operator` (the services' JWT_ROLES_CLAIM and OPERATOR_ROLE defaults).
 */
export function mintToken(key: string, userId: string, options: { operator?: boolean } = {}): Promise<string> {
  return new SignJWT(options.operator ? { roles: ["operator"] } : {})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
    .sign(new TextEncoder().encode(key));
}
