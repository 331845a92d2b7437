// Merchant and admin sessions for tests. The key pair is generated once per
// test process; startTestServer (test/helpers/server.ts) verifies with it, so
// any token made here is accepted by the test server, and nothing else is.
// (Merchant accounts themselves: createMerchant in fixtures.ts.)
import { generateJwtKeys } from "../../lib/auth/keys.ts";
import { signToken, type JwtSettings } from "../../lib/auth/jwt.ts";

export const testJwt: JwtSettings = {
  keys: generateJwtKeys(),
  issuer: "waitify-test",
  audience: "waitify-test-api",
  expiresIn: "15m",
};

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A token for a user id, signed like the server's own (merchant by default). */
export function merchantToken(userId: string, settings: JwtSettings = testJwt): string {
  return signToken({ role: "waitify_merchant", user_id: userId, sub: userId }, settings);
}

/** An administrator's token, signed like the one authenticate() gives (admins: createAdmin in fixtures.ts). */
export function adminToken(adminId: string, settings: JwtSettings = testJwt): string {
  return signToken({ role: "waitify_admin", user_id: null, sub: adminId, admin_id: adminId }, settings);
}

/**
 * An admin-role session that names no administrator: it reads what the admin
 * role reads, and every admin write refuses it (FORBIDDEN). Writes: createAdmin.
 */
export function adminHeaders(settings: JwtSettings = testJwt): Record<string, string> {
  return bearer(signToken({ role: "waitify_admin", user_id: null, sub: null }, settings));
}
