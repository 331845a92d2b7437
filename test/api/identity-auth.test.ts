// Sessions over HTTP: register / authenticate return RS256 tokens with the
// expected claims; the server accepts only tokens it signed, for the right
// issuer and audience, unexpired, and answers anything else with a coded
// UNAUTHENTICATED error (never anonymous access); each role introspects only
// what it may call.
import { generateKeyPairSync } from "node:crypto";
import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { generateJwtKeys } from "../../lib/auth/keys.ts";
import { signToken } from "../../lib/auth/jwt.ts";
import { adminHeaders, bearer, merchantToken, testJwt } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createMerchant } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

const REGISTER = `mutation Register($email: String!, $password: String!) {
  register(input: { email: $email, password: $password, firstName: "Eve", lastName: "Durand" }) { jwtToken }
}`;
const AUTHENTICATE = `mutation Authenticate($email: String!, $password: String!) {
  authenticate(input: { email: $email, password: $password }) { jwtToken }
}`;
const CURRENT_USER = "{ currentUser { rowId email firstName subscriptionStatus } }";

interface TokenData {
  register?: { jwtToken: string };
  authenticate?: { jwtToken: string };
}

describe("register and authenticate over HTTP", () => {
  it("register returns an RS256 session with sub/user_id, role, iss, aud and a short exp", async () => {
    const { body } = await server().graphql<TokenData>(REGISTER, { email: "eve@example.test", password: "eve's password" });
    expect(body.errors).toBeUndefined();
    const token = body.data!.register!.jwtToken;
    const decoded = jwt.decode(token, { complete: true })!;
    expect(decoded.header.alg).toBe("RS256");
    const claims = decoded.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({ role: "waitify_merchant", iss: testJwt.issuer, aud: testJwt.audience });
    expect(claims.sub).toBe(claims.user_id);
    expect(claims.exp! - claims.iat!).toBe(15 * 60);
    // Signed with the server's key: verifies with the public key.
    expect(() => jwt.verify(token, testJwt.keys.publicKey, { algorithms: ["RS256"] })).not.toThrow();

    const me = await server().graphql<{ currentUser: { rowId: string; email: string; subscriptionStatus: string } }>(
      CURRENT_USER,
      {},
      bearer(token),
    );
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data!.currentUser).toMatchObject({ rowId: claims.user_id, email: "eve@example.test", subscriptionStatus: "trial" });
  });

  it("authenticate signs in, whatever the case of the address", async () => {
    await createMerchant(db(), { email: "frank@example.test", password: "frank's password" });
    const { body } = await server().graphql<TokenData>(AUTHENTICATE, { email: "Frank@Example.test", password: "frank's password" });
    expect(body.errors).toBeUndefined();
    const me = await server().graphql<{ currentUser: { email: string } }>(CURRENT_USER, {}, bearer(body.data!.authenticate!.jwtToken));
    expect(me.body.data!.currentUser.email).toBe("frank@example.test");
  });

  it("a wrong password and an unknown email get the same INVALID_CREDENTIALS error", async () => {
    await createMerchant(db(), { email: "gina@example.test", password: "gina's password" });
    const wrong = await server().graphql(AUTHENTICATE, { email: "gina@example.test", password: "nope nope" });
    const unknown = await server().graphql(AUTHENTICATE, { email: "nobody@example.test", password: "gina's password" });
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe("INVALID_CREDENTIALS");
    expect(unknown.body.errors).toEqual(wrong.body.errors);
    expect(wrong.body.errors?.[0]?.message).toBe("Adresse e-mail ou mot de passe incorrect.");
  });

  it("bad registrations get coded, readable errors", async () => {
    await createMerchant(db(), { email: "henri@example.test" });
    const short = await server().graphql(REGISTER, { email: "x@example.test", password: "short" });
    expect(short.body.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    expect(short.body.errors?.[0]?.message).toMatch(/8 caractères/);
    const email = await server().graphql(REGISTER, { email: "not an email", password: "long enough" });
    expect(email.body.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    const duplicate = await server().graphql(REGISTER, { email: "HENRI@example.test", password: "long enough" });
    expect(duplicate.body.errors?.[0]?.extensions?.code).toBe("ALREADY_EXISTS");
  });
});

describe("tokens the server refuses", () => {
  const expectUnauthenticated = async (headers: Record<string, string>) => {
    const { status, body } = await server().graphql(CURRENT_USER, {}, headers);
    expect(status).toBe(401);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions?.code).toBe("UNAUTHENTICATED");
    return body.errors![0]!.message;
  };

  it("accepts its own merchant token (control)", async () => {
    const merchant = await createMerchant(db());
    const { status, body } = await server().graphql(CURRENT_USER, {}, merchant.headers);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it("refuses garbage, a malformed header and an empty bearer", async () => {
    await expectUnauthenticated({ authorization: "Bearer not-a-token" });
    await expectUnauthenticated({ authorization: "Bearer a.b.c" });
    await expectUnauthenticated({ authorization: "Token abc" });
    await expectUnauthenticated({ authorization: "Bearer " });
  });

  it("refuses a tampered token", async () => {
    const merchant = await createMerchant(db());
    const other = await createMerchant(db());
    const [header, , signature] = merchant.token.split(".");
    const payload = Buffer.from(
      JSON.stringify({ ...(jwt.decode(merchant.token) as object), user_id: other.userId, sub: other.userId }),
    ).toString("base64url");
    await expectUnauthenticated(bearer(`${header}.${payload}.${signature}`));
  });

  it("refuses an expired token with a message that says so", async () => {
    const merchant = await createMerchant(db());
    const expired = jwt.sign(
      { role: "waitify_merchant", user_id: merchant.userId, sub: merchant.userId, exp: Math.floor(Date.now() / 1000) - 60 },
      testJwt.keys.privateKey,
      { algorithm: "RS256", issuer: testJwt.issuer, audience: testJwt.audience },
    );
    expect(await expectUnauthenticated(bearer(expired))).toMatch(/expirée/);
  });

  it("refuses another key, another issuer, another audience, and no expiry", async () => {
    const merchant = await createMerchant(db());
    await expectUnauthenticated(bearer(merchantToken(merchant.userId, { ...testJwt, keys: generateJwtKeys() })));
    await expectUnauthenticated(bearer(merchantToken(merchant.userId, { ...testJwt, issuer: "someone-else" })));
    await expectUnauthenticated(bearer(merchantToken(merchant.userId, { ...testJwt, audience: "another-api" })));
    const noExp = jwt.sign({ role: "waitify_merchant", user_id: merchant.userId }, testJwt.keys.privateKey, {
      algorithm: "RS256",
      issuer: testJwt.issuer,
      audience: testJwt.audience,
    });
    await expectUnauthenticated(bearer(noExp));
  });

  it("refuses algorithm confusion: none, and HS256 keyed with the public key", async () => {
    const merchant = await createMerchant(db());
    const claims = { role: "waitify_merchant", user_id: merchant.userId, iss: testJwt.issuer, aud: testJwt.audience, exp: Math.floor(Date.now() / 1000) + 600 };
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
    await expectUnauthenticated(bearer(none));
    const { createHmac } = await import("node:crypto");
    const head = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const mac = createHmac("sha256", testJwt.keys.publicKey).update(`${head}.${body}`).digest("base64url");
    await expectUnauthenticated(bearer(`${head}.${body}.${mac}`));
    // And another RSA key pair entirely, with a valid-looking token.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await expectUnauthenticated(
      bearer(jwt.sign(claims, privateKey.export({ type: "pkcs8", format: "pem" }), { algorithm: "RS256" })),
    );
  });

  it("refuses roles a token may not carry, and a merchant token without a user", async () => {
    const merchant = await createMerchant(db());
    for (const role of ["postgres", "waitify_authenticator", "waitify_anonymous", "waitify_owner"]) {
      await expectUnauthenticated(bearer(signToken({ role, user_id: merchant.userId, sub: merchant.userId }, testJwt)));
    }
    await expectUnauthenticated(bearer(signToken({ role: "waitify_merchant", user_id: null, sub: null }, testJwt)));
    await expectUnauthenticated(bearer(signToken({ role: "waitify_merchant", user_id: "not-a-uuid", sub: null }, testJwt)));
  });

  it("a token for an account that no longer exists sees nothing", async () => {
    const { body } = await server().graphql<{ currentUser: unknown }>(
      CURRENT_USER,
      {},
      bearer(merchantToken("00000000-0000-4000-8000-000000000000")),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.currentUser).toBeNull();
  });
});

describe("one schema per role", () => {
  const SCHEMA = "{ __schema { queryType { fields { name } } mutationType { fields { name } } types { name } } }";
  interface SchemaData {
    __schema: { queryType: { fields: { name: string }[] }; mutationType: { fields: { name: string }[] } | null; types: { name: string }[] };
  }
  const schemaFor = async (headers: Record<string, string>) => {
    const { body } = await server().graphql<SchemaData>(SCHEMA, {}, headers);
    expect(body.errors).toBeUndefined();
    const s = body.data!.__schema;
    return {
      queries: s.queryType.fields.map((f) => f.name),
      mutations: (s.mutationType?.fields ?? []).map((f) => f.name),
      types: s.types.map((t) => t.name),
    };
  };

  it("anonymous sees only what anonymous may call: no tenant table, no tenant mutation", async () => {
    const anonymous = await schemaFor({});
    expect(anonymous.mutations).toEqual(expect.arrayContaining(["register", "authenticate"]));
    for (const name of ["currentUser", "allUsers", "allQueues", "myBusinesses", "businessByRowId", "queueByRowId", "queueByQrCodeToken", "userByEmail"]) {
      expect(anonymous.queries).not.toContain(name);
    }
    for (const name of ["createBusiness", "updateBusiness", "updateQueue", "regenerateQrToken", "deleteBusiness", "updateUser", "createQueue"]) {
      expect(anonymous.mutations).not.toContain(name);
    }
    for (const type of ["User", "Business", "Queue", "UserSecret"]) expect(anonymous.types).not.toContain(type);
    expect(anonymous.queries).toContain("allSubscriptionPlans");
    expect(anonymous.queries).not.toContain("currentUserId");
  });

  it("a merchant sees its CRUD; soft-deleted businesses are listed only by myBusinesses", async () => {
    const merchant = await createMerchant(db());
    const schema = await schemaFor(merchant.headers);
    expect(schema.mutations).toEqual(
      expect.arrayContaining(["createBusiness", "updateBusiness", "deleteBusiness", "restoreBusiness", "createQueue", "updateQueue", "regenerateQrToken", "updateUser"]),
    );
    expect(schema.queries).toEqual(expect.arrayContaining(["currentUser", "myBusinesses", "business", "queue", "allQueues"]));
    expect(schema.queries).not.toContain("allBusinesses");
    // Never generated: hard deletes, user creation, token or flag writes.
    for (const name of ["deleteQueue", "deleteUser", "createUser", "updateQueueByQrCodeToken", "createSubscriptionPlan", "updateSystemConfig"]) {
      expect(schema.mutations).not.toContain(name);
    }
  });

  it("the generated inputs contain only the columns a merchant may write", async () => {
    const merchant = await createMerchant(db());
    const fields = async (type: string) => {
      const { body } = await server().graphql<{ __type: { inputFields: { name: string }[] } }>(
        `{ __type(name: "${type}") { inputFields { name } } }`,
        {},
        merchant.headers,
      );
      return body.data!.__type.inputFields.map((f) => f.name).sort();
    };
    expect(await fields("QueuePatch")).toEqual(["autoAdvanceEnabled", "averageServiceTime", "clientTimeoutMinutes", "maxQueueSize", "name"]);
    expect(await fields("BusinessPatch")).not.toContain("isActive");
    expect(await fields("BusinessPatch")).not.toContain("userId");
    expect(await fields("UserPatch")).toEqual(["firstName", "lastName", "phoneNumber", "profilePicture"]);
  });

  it("the admin reads every account", async () => {
    const a = await createMerchant(db());
    const b = await createMerchant(db());
    const { body } = await server().graphql<{ allUsers: { nodes: { rowId: string }[] } }>(
      "{ allUsers(first: 1000) { nodes { rowId } } }",
      {},
      adminHeaders(),
    );
    expect(body.errors).toBeUndefined();
    const ids = body.data!.allUsers.nodes.map((n) => n.rowId);
    expect(ids).toEqual(expect.arrayContaining([a.userId, b.userId]));
    const schema = await schemaFor(adminHeaders());
    expect(schema.mutations).not.toContain("createBusiness");
  });
});
