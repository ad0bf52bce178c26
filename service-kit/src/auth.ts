// Bearer-token authentication: verifies the JWT (HS256 with JWT_SECRET, or a JWKS with issuer and audience), its times and bounded lifetime, and yields `sub`; a verified token is remembered until it would expire.
import { schemas } from "@event-platform/events";
import { createRemoteJWKSet, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from "jose";
import { LRUCache } from "lru-cache";
import type { AuthConfig } from "./config";
import { UnauthorizedError } from "./errors";
import { textProblems, violationsOf } from "./validation";

/** Asymmetric algorithms only for a JWKS: accepting HS* there would let a public key be used as an HMAC secret. */
const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/**
 * How many verified tokens are remembered (least recently used dropped first): a client sends its token with every
 * request, so its signature is checked once, not once per request (an HMAC or RSA verification through WebCrypto
 * costs more CPU than the rest of authenticating).
 */
const VERIFIED_TOKENS = 10_000;

/** Who a valid token speaks for: its user id (`sub`), whether it carries the operator role, and until when. */
export interface Caller {
  /**
   * The token's `sub` exactly as signed. Two subjects are the same user only when they are the same sequence of
   * code points: no case folding, trimming or Unicode normalization (RFC 7519 §2: StringOrURI values are compared
   * case-sensitively with no transformations or canonicalizations; OpenID Connect Core 1.0 §2: `sub` is case
   * sensitive). So `alice`, `Alice`, `alice ` and the NFC and NFD forms of `zoë` are five users.
   */
  userId: string;
  operator: boolean;
  /** The token's `exp` in epoch milliseconds: a connection that outlives the request (a WebSocket) ends then. */
  expiresAt: number;
}

export interface Authenticator {
  /** The caller of a valid bearer token in an `Authorization` header; throws `UnauthorizedError`. */
  caller(authorization: string | undefined): Promise<Caller>;
  /** The user id (`sub`) of a valid bearer token in an `Authorization` header; throws `UnauthorizedError`. */
  userId(authorization: string | undefined): Promise<string>;
}

/**
 * Verifies bearer tokens with jose. Beyond the signature: `exp` and `iat` are required, so no token lives for ever;
 * `exp`, `nbf` and `iat` are checked with `clockSkewSeconds` of tolerance (an `iat` in the future is refused, as is
 * one older than `maxLifetimeSeconds`: jose's `maxTokenAge`); and a token whose `exp − iat` is longer than
 * `maxLifetimeSeconds` is refused outright, whatever its age. A caller is an operator when the claim `rolesClaim`
 * (an array of strings, or one string) holds `operatorRole`.
 *
 * A token that passed is remembered by its exact text until the earlier of its `exp` and `iat` +
 * `maxLifetimeSeconds` (wall clock, without the skew tolerance: after that it is verified again and refused or not
 * as before); only a token that passed every check is remembered, so a refusal is always verified anew. With a
 * JWKS, a token verified before its key left the set is taken until that time too (bounded by the lifetime limit).
 */
export function createAuthenticator(config: AuthConfig): Authenticator {
  const clock: JWTVerifyOptions = {
    clockTolerance: config.clockSkewSeconds,
    maxTokenAge: config.maxLifetimeSeconds,
    requiredClaims: ["exp", "iat"],
  };
  let key: Uint8Array | JWTVerifyGetKey;
  let options: JWTVerifyOptions;
  if (config.mode === "jwks") {
    key = createRemoteJWKSet(new URL(config.jwksUrl));
    options = { ...clock, algorithms: JWKS_ALGORITHMS, issuer: config.issuer, audience: config.audience };
  } else {
    key = new TextEncoder().encode(config.secret);
    options = {
      ...clock,
      algorithms: ["HS256"],
      ...(config.issuer ? { issuer: config.issuer } : {}),
      ...(config.audience ? { audience: config.audience } : {}),
    };
  }

  const verified = new LRUCache<string, { caller: Caller; validUntil: number }>({ max: VERIFIED_TOKENS });

  const caller = async (authorization: string | undefined): Promise<Caller> => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
    if (!token) throw new UnauthorizedError("A bearer token is required (Authorization: Bearer <JWT>)");
    const known = verified.get(token);
    if (known && Date.now() < known.validUntil) return known.caller;
    if (known) verified.delete(token);
    let subject: unknown;
    let validUntil: number;
    let roles: unknown;
    let expiresAt: number;
    try {
      // The union of key kinds has no common overload; each branch is a documented form of jwtVerify.
      const verified =
        typeof key === "function" ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      const { exp, iat } = verified.payload as { exp: number; iat: number };
      if (exp - iat > config.maxLifetimeSeconds) {
        throw new Error(
          `"exp" claim lifetime check failed: exp − iat is ${exp - iat} s, more than the ${config.maxLifetimeSeconds} s allowed`,
        );
      }
      subject = verified.payload.sub;
      roles = verified.payload[config.rolesClaim];
      expiresAt = exp * 1000;
      validUntil = Math.min(exp, iat + config.maxLifetimeSeconds) * 1000;
    } catch (error) {
      throw new UnauthorizedError(`Invalid token: ${error instanceof Error ? error.message : String(error)}`);
    }
    // The user id is stored and keys every event: it must be text PostgreSQL keeps as it is.
    if (violationsOf(schemas.UserId, subject).length > 0 || textProblems(subject as string, "line").length > 0) {
      throw new UnauthorizedError(
        "Invalid token: `sub` must be a user id of 1 to 255 characters, well-formed, without control characters",
      );
    }
    const roleList = Array.isArray(roles) ? roles : [roles];
    const who: Caller = { userId: subject as string, operator: roleList.includes(config.operatorRole), expiresAt };
    verified.set(token, { caller: who, validUntil });
    return who;
  };
  return { caller, userId: async (authorization) => (await caller(authorization)).userId };
}
