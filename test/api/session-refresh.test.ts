// refreshSession over HTTP (db/identity/session-refresh.sql): a signed-in
// merchant or administrator swaps its token for a new one of the same session
// — same account, same auth_time, a later expiry — that the API accepts; a
// token without auth_time (issued before it existed) is refused with
// UNAUTHENTICATED; anonymous callers have no such mutation.
import { describe, expect, it } from "vitest";
import { verifyToken } from "../../lib/auth/jwt.ts";
import { bearer, merchantToken, testJwt } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createAdmin, createMerchant } from "../helpers/fixtures.ts";
import { useTestServer, type GraphQLErrorBody } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

const AUTHENTICATE = `mutation ($email: String!, $password: String!) { authenticate(input: { email: $email, password: $password }) { jwtToken } }`;
const REFRESH = "mutation { refreshSession(input: {}) { jwtToken } }";

async function signIn(email: string, password: string): Promise<string> {
  const { body } = await server().graphql<{ authenticate: { jwtToken: string } }>(AUTHENTICATE, { email, password });
  expect(body.errors).toBeUndefined();
  return body.data!.authenticate.jwtToken;
}

async function refresh(token?: string): Promise<{ token?: string; errors?: GraphQLErrorBody[] }> {
  const { body } = await server().graphql<{ refreshSession: { jwtToken: string } }>(REFRESH, {}, token ? bearer(token) : {});
  return { token: body.data?.refreshSession?.jwtToken, errors: body.errors };
}

describe("refreshSession", () => {
  it("gives a merchant a new token of the same session, with a later expiry, that the API accepts", async () => {
    const merchant = await createMerchant(db(), { email: "counter@example.test" });
    const first = await signIn(merchant.email, merchant.password);
    const before = verifyToken(first, testJwt);
    expect(before.authTime).toBeGreaterThan(0);
    // Tokens are stamped to the second: let one pass so the new expiry is later.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { token, errors } = await refresh(first);
    expect(errors).toBeUndefined();
    const after = verifyToken(token!, testJwt);
    expect(after).toMatchObject({ role: "waitify_merchant", userId: merchant.userId, adminId: null, authTime: before.authTime });
    expect(after.expiresAt).toBeGreaterThan(before.expiresAt);

    const me = await server().graphql<{ currentUser: { rowId: string } }>("{ currentUser { rowId } }", {}, bearer(token!));
    expect(me.body.data!.currentUser.rowId).toBe(merchant.userId);
    // And again, from the renewed token: the sign-in time never moves.
    const again = await refresh(token);
    expect(verifyToken(again.token!, testJwt).authTime).toBe(before.authTime);
  });

  it("renews an administrator's session as an administrator's", async () => {
    const admin = await createAdmin(db());
    const { token, errors } = await refresh(await signIn(admin.email, admin.password));
    expect(errors).toBeUndefined();
    expect(verifyToken(token!, testJwt)).toMatchObject({ role: "waitify_admin", userId: null, adminId: admin.adminId });
  });

  it("refuses a token without a sign-in time with UNAUTHENTICATED; anonymous callers have no such mutation", async () => {
    const merchant = await createMerchant(db());
    const old = await refresh(merchantToken(merchant.userId));
    expect(old.token).toBeUndefined();
    expect(old.errors![0]!.extensions).toMatchObject({ code: "UNAUTHENTICATED" });

    const anonymous = await refresh();
    expect(anonymous.token).toBeUndefined();
    expect(anonymous.errors![0]!.extensions).toMatchObject({ code: "GRAPHQL_VALIDATION_FAILED" });
  });
});
