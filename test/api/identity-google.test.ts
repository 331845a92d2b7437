// Google sign-in against a key set served locally (no network): the ID
// token's signature, audience, issuer and expiry are checked, then SQL
// creates or links the account and the server returns a Waitify session.
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createMerchant } from "../helpers/fixtures.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const CLIENT_ID = "waitify-test.apps.googleusercontent.com";
const db = useTestDatabase();

let googleKey: CryptoKey;
let strangerKey: CryptoKey;
let jwks: Server;
let server: TestServer;

beforeAll(async () => {
  const google = await generateKeyPair("RS256");
  const rotated = await generateKeyPair("RS256");
  googleKey = google.privateKey;
  ({ privateKey: strangerKey } = await generateKeyPair("RS256"));
  // Two keys published, like Google during a rotation; the signing one is "google-1".
  const body = JSON.stringify({
    keys: [
      { ...(await exportJWK(google.publicKey)), kid: "google-1", alg: "RS256", use: "sig" },
      { ...(await exportJWK(rotated.publicKey)), kid: "google-2", alg: "RS256", use: "sig" },
    ],
  });
  jwks = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(body);
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  const address = jwks.address();
  const port = typeof address === "object" && address ? address.port : 0;
  server = await startTestServer(db(), { google: { clientId: CLIENT_ID, jwksUrl: `http://127.0.0.1:${port}/oauth2/v3/certs` } });
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

async function idToken(claims: JWTPayload, options: { key?: CryptoKey; kid?: string; expiresIn?: string | number } = {}) {
  return new SignJWT({ email_verified: true, given_name: "Gaëlle", family_name: "Diop", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? "google-1" })
    .setIssuedAt()
    .setIssuer((claims.iss as string | undefined) ?? "https://accounts.google.com")
    .setAudience((claims.aud as string | undefined) ?? CLIENT_ID)
    .setExpirationTime(options.expiresIn ?? "5m")
    .sign(options.key ?? googleKey);
}

const SIGN_IN = "mutation($token: String!) { authenticateGoogle(input: { idToken: $token }) { jwtToken } }";
const signIn = (token: string) => server.graphql<{ authenticateGoogle: { jwtToken: string } }>(SIGN_IN, { token });

describe("authenticateGoogle", () => {
  it("creates an account on first sign-in and returns a working session", async () => {
    const { body } = await signIn(await idToken({ sub: "g-100", email: "gaelle@example.test" }));
    expect(body.errors).toBeUndefined();
    const me = await server.graphql<{ currentUser: { email: string; firstName: string; authProvider: string; subscriptionStatus: string } }>(
      "{ currentUser { email firstName authProvider subscriptionStatus } }",
      {},
      bearer(body.data!.authenticateGoogle.jwtToken),
    );
    expect(me.body.data!.currentUser).toEqual({ email: "gaelle@example.test", firstName: "Gaëlle", authProvider: "google", subscriptionStatus: "trial" });
    // The session says when it began (a JSON number), so it can be renewed like a password session.
    const claims = JSON.parse(Buffer.from(body.data!.authenticateGoogle.jwtToken.split(".")[1]!, "base64url").toString()) as { auth_time: unknown };
    expect(typeof claims.auth_time).toBe("number");
    const renewed = await server.graphql<{ refreshSession: { jwtToken: string } }>(
      "mutation { refreshSession(input: {}) { jwtToken } }",
      {},
      bearer(body.data!.authenticateGoogle.jwtToken),
    );
    expect(renewed.body.errors).toBeUndefined();
    expect(renewed.body.data!.refreshSession.jwtToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("links an existing password account with the same verified email", async () => {
    const merchant = await createMerchant(db(), { email: "linked@example.test" });
    const { body } = await signIn(await idToken({ sub: "g-200", email: "linked@example.test", iss: "accounts.google.com" }));
    expect(body.errors).toBeUndefined();
    const me = await server.graphql<{ currentUser: { rowId: string } }>(
      "{ currentUser { rowId } }",
      {},
      bearer(body.data!.authenticateGoogle.jwtToken),
    );
    expect(me.body.data!.currentUser.rowId).toBe(merchant.userId);
  });

  it("refuses tokens with a wrong audience, issuer, signature, key id, or that expired, as UNAUTHENTICATED", async () => {
    const bad = [
      await idToken({ sub: "g-300", email: "x@example.test", aud: "someone-else.apps.googleusercontent.com" }),
      await idToken({ sub: "g-300", email: "x@example.test", iss: "https://evil.example" }),
      await idToken({ sub: "g-300", email: "x@example.test" }, { key: strangerKey }),
      await idToken({ sub: "g-300", email: "x@example.test" }, { kid: "unknown" }),
      await idToken({ sub: "g-300", email: "x@example.test" }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }),
      "not a token",
    ];
    for (const token of bad) {
      const { body } = await signIn(token);
      expect(body.data?.authenticateGoogle ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    const count = await db().root.query("select count(*)::int as n from app_public.users where email = 'x@example.test'");
    expect(count.rows[0].n).toBe(0);
  });

  it("refuses to link an account by an unverified email", async () => {
    await createMerchant(db(), { email: "unverified@example.test" });
    const { body } = await signIn(await idToken({ sub: "g-400", email: "unverified@example.test", email_verified: false }));
    expect(body.errors?.[0]?.extensions?.code).toBe("INVALID_CREDENTIALS");
  });

  it("is offered to anonymous callers only when configured", async () => {
    const { body } = await server.graphql<{ __type: { fields: { name: string }[] } }>('{ __type(name: "Mutation") { fields { name } } }');
    expect(body.data!.__type.fields.map((f) => f.name)).toContain("authenticateGoogle");
  });
});
