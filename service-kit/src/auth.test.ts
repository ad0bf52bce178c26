// Unit tests of bearer-token authentication: HS256 with a secret, a JWKS with issuer and audience, and every rejection.
import { createPublicKey, type JsonWebKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuthenticator } from "./auth";
import { UnauthorizedError } from "./errors";

const SECRET = "0123456789abcdef0123456789abcdef";
const secretKey = new TextEncoder().encode(SECRET);
/** Tokens live an hour at most here; clocks may be 30 s apart. */
const LIFETIME = { maxLifetimeSeconds: 3600, clockSkewSeconds: 30, rolesClaim: "roles", operatorRole: "operator" };
const nowSeconds = () => Math.floor(Date.now() / 1000);

const hs256 = (claims: Record<string, unknown> = {}, key: Uint8Array = secretKey) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("5m").sign(key);

async function rejection(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  expect((error as UnauthorizedError).statusCode).toBe(401);
  return (error as Error).message;
}

describe("HS256 with JWT_SECRET", () => {
  const auth = createAuthenticator({ mode: "secret", secret: SECRET, ...LIFETIME });

  it("returns sub as the user id", async () => {
    expect(await auth.userId(`Bearer ${await hs256({ sub: "auth0|alice" })}`)).toBe("auth0|alice");
    expect(await auth.userId(`bearer   ${await hs256({ sub: "bob" })}`)).toBe("bob");
  });

  it("rejects a missing header, another scheme and an empty token", async () => {
    for (const header of [undefined, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"]) {
      expect(await rejection(auth.userId(header))).toContain("A bearer token is required");
    }
  });

  it("rejects a wrong signature, garbage, an expired token and another algorithm", async () => {
    const other = new TextEncoder().encode("another-secret-another-secret-xx");
    expect(await rejection(auth.userId(`Bearer ${await hs256({ sub: "a" }, other)}`))).toContain("signature");
    expect(await rejection(auth.userId("Bearer not.a.jwt"))).toContain("Invalid token");
    const expired = await new SignJWT({ sub: "a" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(nowSeconds() - 600)
      .setExpirationTime(nowSeconds() - 60)
      .sign(secretKey);
    expect(await rejection(auth.userId(`Bearer ${expired}`))).toContain("exp");
    const hs512 = await new SignJWT({ sub: "a" })
      .setProtectedHeader({ alg: "HS512" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(secretKey);
    expect(await rejection(auth.userId(`Bearer ${hs512}`))).toContain("alg");
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"a"}').toString("base64url")}.`;
    expect(await rejection(auth.userId(`Bearer ${unsigned}`))).toContain("Invalid token");
  });

  it("rejects a token without a usable sub", async () => {
    expect(await rejection(auth.userId(`Bearer ${await hs256()}`))).toContain("`sub`");
    expect(await rejection(auth.userId(`Bearer ${await hs256({ sub: "" })}`))).toContain("`sub`");
    expect(await rejection(auth.userId(`Bearer ${await hs256({ sub: "x".repeat(256) })}`))).toContain("`sub`");
    for (const sub of ["\ud800alice", "al\u0000ice", "   "]) {
      expect(await rejection(auth.userId(`Bearer ${await hs256({ sub })}`)), JSON.stringify(sub)).toContain("`sub`");
    }
  });

  it("keeps sub exactly as signed: case, surrounding spaces, NFC and NFD, look-alikes are each a user of their own", async () => {
    const subjects = ["zoë", "zoë".normalize("NFD"), "Zoë", "ZOË", "zoë ", " zoë", "z\u043eë", "\uff5aoë", "zo\u200dë"];
    const ids = await Promise.all(subjects.map(async (sub) => auth.userId(`Bearer ${await hs256({ sub })}`)));
    expect(ids).toEqual(subjects);
    expect(new Set(ids).size).toBe(subjects.length);
  });

  it("checks issuer and audience when they are configured", async () => {
    const strict = createAuthenticator({
      mode: "secret",
      secret: SECRET,
      issuer: "https://id/",
      audience: "tasks",
      ...LIFETIME,
    });
    expect(await strict.userId(`Bearer ${await hs256({ sub: "a", iss: "https://id/", aud: "tasks" })}`)).toBe("a");
    expect(
      await rejection(strict.userId(`Bearer ${await hs256({ sub: "a", iss: "https://id/", aud: "x" })}`)),
    ).toContain("aud");
    expect(await rejection(strict.userId(`Bearer ${await hs256({ sub: "a", aud: "tasks" })}`))).toContain("iss");
  });
});

describe("token times: exp required, a bounded lifetime, iat and nbf within the clock skew", () => {
  const auth = createAuthenticator({ mode: "secret", secret: SECRET, ...LIFETIME });
  /** A token with exactly these claims (times in seconds since the epoch), signed with the secret. */
  const signed = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: "alice", ...claims }).setProtectedHeader({ alg: "HS256" }).sign(secretKey);
  const now = nowSeconds();

  it("accepts a token issued now for an hour", async () => {
    expect(await auth.userId(`Bearer ${await signed({ iat: now, exp: now + 3600 })}`)).toBe("alice");
  });

  it("refuses a token without exp, which would never expire, and one without iat", async () => {
    expect(await rejection(auth.userId(`Bearer ${await signed({ iat: now })}`))).toContain('missing required "exp"');
    expect(await rejection(auth.userId(`Bearer ${await signed({ exp: now + 60 })}`))).toContain(
      'missing required "iat"',
    );
  });

  it("refuses an iat in the future beyond the clock skew: ten years ahead, or two minutes", async () => {
    const tenYears = 10 * 365 * 86_400;
    const future = await signed({ iat: now + tenYears, exp: now + tenYears + 60 });
    expect(await rejection(auth.userId(`Bearer ${future}`))).toContain('"iat" claim timestamp check failed');
    const early = await signed({ iat: now + 120, exp: now + 180 });
    expect(await rejection(auth.userId(`Bearer ${early}`))).toContain('"iat" claim timestamp check failed');
  });

  it("accepts an iat, nbf or exp off by less than the clock skew", async () => {
    expect(await auth.userId(`Bearer ${await signed({ iat: now + 10, exp: now + 600 })}`)).toBe("alice");
    expect(await auth.userId(`Bearer ${await signed({ iat: now, nbf: now + 10, exp: now + 600 })}`)).toBe("alice");
    expect(await auth.userId(`Bearer ${await signed({ iat: now - 600, exp: now - 10 })}`)).toBe("alice");
  });

  it("refuses an nbf in the future beyond the clock skew", async () => {
    const notYet = await signed({ iat: now, nbf: now + 120, exp: now + 600 });
    expect(await rejection(auth.userId(`Bearer ${notYet}`))).toContain('"nbf" claim timestamp check failed');
  });

  it("refuses a token that claims to live longer than the maximum lifetime, and one older than it", async () => {
    const forAYear = await signed({ iat: now, exp: now + 365 * 86_400 });
    expect(await rejection(auth.userId(`Bearer ${forAYear}`))).toContain("more than the 3600 s allowed");
    const old = await signed({ iat: now - 7200, exp: now + 60 });
    expect(await rejection(auth.userId(`Bearer ${old}`))).toContain('"iat" claim timestamp check failed');
  });
});

describe("verified tokens remembered until they expire", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const signed = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: "alice", ...claims }).setProtectedHeader({ alg: "HS256" }).sign(secretKey);

  it("answers a token it verified with the same caller until its exp, and verifies it anew after, refusing it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const auth = createAuthenticator({ mode: "secret", secret: SECRET, ...LIFETIME });
    const now = nowSeconds();
    const token = `Bearer ${await signed({ iat: now, exp: now + 60 })}`;
    const first = await auth.caller(token);
    vi.setSystemTime((now + 59) * 1000);
    expect(await auth.caller(token)).toBe(first);
    // Past exp but within the clock skew: verified again, and taken as before.
    vi.setSystemTime((now + 61) * 1000);
    const again = await auth.caller(token);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    vi.setSystemTime((now + 60 + LIFETIME.clockSkewSeconds + 1) * 1000);
    expect(await rejection(auth.caller(token))).toContain('"exp" claim timestamp check failed');
  });

  it("remembers no refusal: a token refused before its nbf is taken once it is valid", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const auth = createAuthenticator({ mode: "secret", secret: SECRET, ...LIFETIME });
    const now = nowSeconds();
    const token = `Bearer ${await signed({ iat: now, nbf: now + 120, exp: now + 600 })}`;
    expect(await rejection(auth.userId(token))).toContain('"nbf" claim timestamp check failed');
    vi.setSystemTime((now + 121) * 1000);
    expect(await auth.userId(token)).toBe("alice");
  });

  it("keeps each token apart: another signature, or the same claims under another secret, is verified on its own", async () => {
    const auth = createAuthenticator({ mode: "secret", secret: SECRET, ...LIFETIME });
    const now = nowSeconds();
    const claims = { iat: now, exp: now + 600 };
    const good = await signed(claims);
    expect(await auth.userId(`Bearer ${good}`)).toBe("alice");
    const [header, payload] = good.split(".");
    const forged = `${header}.${payload}.${Buffer.alloc(32).toString("base64url")}`;
    expect(await rejection(auth.userId(`Bearer ${forged}`))).toContain("signature verification failed");
    const otherSecret = new TextEncoder().encode("another-secret-another-secret-xx");
    const foreign = await new SignJWT({ sub: "alice", ...claims })
      .setProtectedHeader({ alg: "HS256" })
      .sign(otherSecret);
    expect(await rejection(auth.userId(`Bearer ${foreign}`))).toContain("signature verification failed");
  });
});

describe("JWKS with JWT_ISSUER and JWT_AUDIENCE", () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const es256 = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
  const jwks = () =>
    createAuthenticator({ mode: "jwks", jwksUrl, issuer: "https://id.example/", audience: "tasks", ...LIFETIME });

  it("accepts a token signed by a key of the set, with the right issuer and audience", async () => {
    const auth = jwks();
    const token = await es256({ sub: "carol", iss: "https://id.example/", aud: "tasks" });
    expect(await auth.userId(`Bearer ${token}`)).toBe("carol");
  });

  it("rejects a wrong audience or issuer, and an HS256 token even when signed with some secret", async () => {
    const auth = jwks();
    const wrongAud = await es256({ sub: "carol", iss: "https://id.example/", aud: "other" });
    expect(await rejection(auth.userId(`Bearer ${wrongAud}`))).toContain("aud");
    const wrongIss = await es256({ sub: "carol", iss: "https://evil.example/", aud: "tasks" });
    expect(await rejection(auth.userId(`Bearer ${wrongIss}`))).toContain("iss");
    const symmetric = await hs256({ sub: "carol", iss: "https://id.example/", aud: "tasks" });
    expect(await rejection(auth.userId(`Bearer ${symmetric}`))).toContain("Invalid token");
  });

  it("rejects HS256 signed with the set's public key, as JWK JSON or as PEM (key confusion)", async () => {
    const auth = jwks();
    const served = (await (await fetch(jwksUrl)).json()) as { keys: Record<string, unknown>[] };
    const publicKey = createPublicKey({ key: served.keys[0] as JsonWebKey, format: "jwk" });
    const claims = { sub: "carol", iss: "https://id.example/", aud: "tasks" };
    for (const secret of [
      JSON.stringify(served.keys[0]),
      publicKey.export({ type: "spki", format: "pem" }).toString(),
    ]) {
      const confused = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", kid: "k1" })
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(secret));
      expect(await rejection(auth.userId(`Bearer ${confused}`))).toContain("Invalid token");
    }
  });
});

describe("the caller's expiry", () => {
  const auth = createAuthenticator({ mode: "secret", secret: SECRET, ...LIFETIME });

  it("is the token's exp in epoch milliseconds", async () => {
    const exp = nowSeconds() + 123;
    const token = await new SignJWT({ sub: "ann" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(secretKey);
    expect(await auth.caller(`Bearer ${token}`)).toEqual({ userId: "ann", operator: false, expiresAt: exp * 1000 });
  });
});

describe("the operator role", () => {
  const auth = createAuthenticator({ mode: "secret", secret: SECRET, ...LIFETIME });

  it("is held by a token whose roles claim lists it, as an array or as one string", async () => {
    expect(await auth.caller(`Bearer ${await hs256({ sub: "ops", roles: ["reader", "operator"] })}`)).toMatchObject({
      userId: "ops",
      operator: true,
    });
    expect((await auth.caller(`Bearer ${await hs256({ sub: "ops", roles: "operator" })}`)).operator).toBe(true);
  });

  it("is not held without the claim, with another role, or with the role under another claim", async () => {
    for (const claims of [
      {},
      { roles: ["reader"] },
      { roles: "operators" },
      { role: "operator" },
      { roles: { operator: true } },
    ]) {
      expect(
        (await auth.caller(`Bearer ${await hs256({ sub: "ann", ...claims })}`)).operator,
        JSON.stringify(claims),
      ).toBe(false);
    }
  });

  it("is read from the configured claim with the configured name", async () => {
    const custom = createAuthenticator({
      mode: "secret",
      secret: SECRET,
      ...LIFETIME,
      rolesClaim: "groups",
      operatorRole: "sre",
    });
    expect((await custom.caller(`Bearer ${await hs256({ sub: "ops", groups: ["sre"] })}`)).operator).toBe(true);
    expect((await custom.caller(`Bearer ${await hs256({ sub: "ops", roles: ["operator"] })}`)).operator).toBe(false);
  });
});
