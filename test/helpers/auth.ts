// Merchant and admin sessions for tests. The key pair is generated once per
// test process; startTestServer (test/helpers/server.ts) verifies with it, so
// any token made here is accepted by the test server, and nothing else is.
import { generateJwtKeys } from "../../lib/auth/keys.ts";
import { signToken, type JwtSettings } from "../../lib/auth/jwt.ts";
import { randomBytes } from "node:crypto";
import type { TestDatabase } from "./db.ts";

export const testJwt: JwtSettings = {
  keys: generateJwtKeys(),
  issuer: "waitify-test",
  audience: "waitify-test-api",
  expiresIn: "15m",
};

export type PlanName = "basic" | "pro" | "enterprise";

export interface TestMerchant {
  userId: string;
  email: string;
  password: string;
  token: string;
  /** Pass to server().graphql(query, variables, headers). */
  headers: Record<string, string>;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A token for a user id, signed like the server's own (merchant by default). */
export function merchantToken(userId: string, settings: JwtSettings = testJwt): string {
  return signToken({ role: "waitify_merchant", user_id: userId, sub: userId }, settings);
}

/**
 * A merchant account created through app_public.register (the real SQL path:
 * trial, basic plan, bcrypt), optionally moved to another plan, with a valid
 * Authorization header for the test server.
 */
export async function createMerchant(
  db: TestDatabase,
  options: { email?: string; password?: string; plan?: PlanName; firstName?: string; lastName?: string } = {},
): Promise<TestMerchant> {
  const email = options.email ?? `merchant-${randomBytes(6).toString("hex")}@example.test`;
  const password = options.password ?? "correct horse battery";
  const { rows } = await db.root.query<{ user_id: string }>(
    "select (app_public.register($1, $2, $3, $4)).user_id",
    [email, password, options.firstName ?? "Test", options.lastName ?? "Merchant"],
  );
  const userId = rows[0]!.user_id;
  if (options.plan && options.plan !== "basic") {
    await db.root.query(
      `update app_public.users set subscription_plan_id = (select id from app_public.subscription_plans where name = $2),
         subscription_status = 'active'
       where id = $1`,
      [userId, options.plan],
    );
  }
  const token = merchantToken(userId);
  return { userId, email, password, token, headers: bearer(token) };
}

/** An admin (back office) session: the admin role, no merchant account. */
export function adminHeaders(settings: JwtSettings = testJwt): Record<string, string> {
  return bearer(signToken({ role: "waitify_admin", user_id: null, sub: null }, settings));
}
