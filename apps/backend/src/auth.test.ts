// Unit tests of bearer-token authentication: HS256 with a secret, a JWKS with issuer and audience, and every rejection.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator } from "./auth";
import { UnauthorizedError } from "./errors";

const SECRET = "0123456789abcdef0123456789abcdef";
const secretKey = new TextEncoder().encode(SECRET);

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
  const auth = createAuthenticator({ mode: "secret", secret: SECRET });

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
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secretKey);
    expect(await rejection(auth.userId(`Bearer ${expired}`))).toContain("exp");
    const hs512 = await new SignJWT({ sub: "a" }).setProtectedHeader({ alg: "HS512" }).sign(secretKey);
    expect(await rejection(auth.userId(`Bearer ${hs512}`))).toContain("alg");
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"a"}').toString("base64url")}.`;
    expect(await rejection(auth.userId(`Bearer ${unsigned}`))).toContain("Invalid token");
  });

  it("rejects a token without a usable sub", async () => {
    expect(await rejection(auth.userId(`Bearer ${await hs256()}`))).toContain("`sub`");
    expect(await rejection(auth.userId(`Bearer ${await hs256({ sub: "" })}`))).toContain("`sub`");
    expect(await rejection(auth.userId(`Bearer ${await hs256({ sub: "x".repeat(256) })}`))).toContain("`sub`");
  });

  it("checks issuer and audience when they are configured", async () => {
    const strict = createAuthenticator({ mode: "secret", secret: SECRET, issuer: "https://id/", audience: "tasks" });
    expect(await strict.userId(`Bearer ${await hs256({ sub: "a", iss: "https://id/", aud: "tasks" })}`)).toBe("a");
    expect(
      await rejection(strict.userId(`Bearer ${await hs256({ sub: "a", iss: "https://id/", aud: "x" })}`)),
    ).toContain("aud");
    expect(await rejection(strict.userId(`Bearer ${await hs256({ sub: "a", aud: "tasks" })}`))).toContain("iss");
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
    new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setExpirationTime("5m").sign(privateKey);

  it("accepts a token signed by a key of the set, with the right issuer and audience", async () => {
    const auth = createAuthenticator({ mode: "jwks", jwksUrl, issuer: "https://id.example/", audience: "tasks" });
    const token = await es256({ sub: "carol", iss: "https://id.example/", aud: "tasks" });
    expect(await auth.userId(`Bearer ${token}`)).toBe("carol");
  });

  it("rejects a wrong audience or issuer, and an HS256 token even when signed with some secret", async () => {
    const auth = createAuthenticator({ mode: "jwks", jwksUrl, issuer: "https://id.example/", audience: "tasks" });
    const wrongAud = await es256({ sub: "carol", iss: "https://id.example/", aud: "other" });
    expect(await rejection(auth.userId(`Bearer ${wrongAud}`))).toContain("aud");
    const wrongIss = await es256({ sub: "carol", iss: "https://evil.example/", aud: "tasks" });
    expect(await rejection(auth.userId(`Bearer ${wrongIss}`))).toContain("iss");
    const symmetric = await hs256({ sub: "carol", iss: "https://id.example/", aud: "tasks" });
    expect(await rejection(auth.userId(`Bearer ${symmetric}`))).toContain("Invalid token");
  });
});
