// refresh_session (db/identity/session-refresh.sql): a new token for the same
// session (same account, same auth_time) while the session is younger than
// session_max_hours, the account enabled and its password unchanged since
// sign-in; the same for an administrator. Claims are set as lib/auth/request.ts
// sets them from a verified token.
import { afterEach, describe, expect, it } from "vitest";
import type { RequestRole } from "../../../lib/db/roles.ts";
import { asAnonymous, asRole, failure, useTestDatabase } from "../../helpers/db.ts";
import { createAdmin, createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

interface Token {
  role: string;
  user_id: string | null;
  sub: string;
  admin_id: string | null;
  auth_time: number | null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** refresh_session() as a request with these claims runs it. */
function refresh(role: RequestRole, claims: { userId?: string; adminId?: string; authTime?: number | null }): Promise<Token> {
  return asRole(
    db(),
    role,
    async (client) => {
      if (claims.authTime != null) await client.query("select set_config('jwt.claims.auth_time', $1, true)", [String(claims.authTime)]);
      const { rows } = await client.query<Token>("select (t).* from (select app_public.refresh_session() as t) s");
      return rows[0]!;
    },
    { userId: claims.userId, adminId: claims.adminId, commit: true },
  );
}

/** The account's password as if set `hours` ago (the timestamps trigger would say now). */
async function passwordSetHoursAgo(userId: string, hours: number): Promise<void> {
  const client = await db().root.connect();
  try {
    await client.query("begin");
    await client.query("set local session_replication_role = replica");
    await client.query("update app_private.user_secrets set updated_at = now() - make_interval(hours => $2) where user_id = $1", [userId, hours]);
    await client.query("commit");
  } finally {
    client.release();
  }
}

afterEach(async () => {
  await db().root.query("update app_public.system_configs set value = '12' where key = 'session_max_hours'");
});

describe("refresh_session", () => {
  it("renews a merchant's session for the same account and sign-in time, right after sign-in too", async () => {
    const { rows } = await db().root.query<Token>("select (t).* from (select app_public.authenticate($1, $2) as t) s", [
      (await createMerchant(db(), { email: "refresh@example.test" })).email,
      "correct horse battery",
    ]);
    const signedIn = rows[0]!;
    expect(signedIn.auth_time).toBeGreaterThanOrEqual(nowSeconds() - 5);
    expect(signedIn.auth_time).toBeLessThanOrEqual(nowSeconds());
    // Right after register/authenticate: the password set at sign-up is not a change since.
    const renewed = await refresh("waitify_merchant", { userId: signedIn.user_id!, authTime: signedIn.auth_time });
    expect(renewed).toEqual({ ...signedIn });
    await passwordSetHoursAgo(signedIn.user_id!, 24);
    const older = await refresh("waitify_merchant", { userId: signedIn.user_id!, authTime: nowSeconds() - 11 * 3600 });
    expect(older).toMatchObject({ role: "waitify_merchant", user_id: signedIn.user_id, sub: signedIn.user_id, admin_id: null, auth_time: nowSeconds() - 11 * 3600 });
  });

  it("refuses a session older than session_max_hours, or without a sign-in time", async () => {
    const merchant = await createMerchant(db());
    await passwordSetHoursAgo(merchant.userId, 24);
    const tooOld = await failure(refresh("waitify_merchant", { userId: merchant.userId, authTime: nowSeconds() - 12 * 3600 - 60 }));
    expect(tooOld.code).toBe("WTUNA");
    expect(tooOld.message).toContain("12");
    expect((await failure(refresh("waitify_merchant", { userId: merchant.userId, authTime: null }))).code).toBe("WTUNA");

    await db().root.query("update app_public.system_configs set value = '2' where key = 'session_max_hours'");
    expect((await failure(refresh("waitify_merchant", { userId: merchant.userId, authTime: nowSeconds() - 3 * 3600 }))).code).toBe("WTUNA");
    expect((await refresh("waitify_merchant", { userId: merchant.userId, authTime: nowSeconds() - 3600 })).user_id).toBe(merchant.userId);
  });

  it("refuses once the password changed since sign-in, or the account is disabled", async () => {
    const merchant = await createMerchant(db());
    const signedIn = nowSeconds() - 60;
    await db().root.query("update app_private.user_secrets set password_hash = crypt('another long one', gen_salt('bf', 4)) where user_id = $1", [
      merchant.userId,
    ]);
    const changed = await failure(refresh("waitify_merchant", { userId: merchant.userId, authTime: signedIn }));
    expect(changed).toMatchObject({ code: "WTUNA" });
    expect(changed.message).toMatch(/mot de passe|password/i);
    // A session begun after the change is renewed.
    expect((await refresh("waitify_merchant", { userId: merchant.userId, authTime: nowSeconds() })).user_id).toBe(merchant.userId);

    await db().root.query("update app_public.users set is_active = false where id = $1", [merchant.userId]);
    expect((await failure(refresh("waitify_merchant", { userId: merchant.userId, authTime: nowSeconds() }))).code).toBe("WTFRB");
  });

  it("renews an administrator's session; a role-only admin token or a disabled admin is refused", async () => {
    const admin = await createAdmin(db());
    const authTime = nowSeconds() - 600;
    // create_admin set the password just now: a session that began before it is not renewed…
    expect((await failure(refresh("waitify_admin", { adminId: admin.adminId, authTime }))).code).toBe("WTUNA");
    // …one begun after it is.
    const since = nowSeconds();
    expect(await refresh("waitify_admin", { adminId: admin.adminId, authTime: since })).toEqual({
      role: "waitify_admin",
      user_id: null,
      sub: admin.adminId,
      admin_id: admin.adminId,
      auth_time: since,
    });
    expect((await failure(refresh("waitify_admin", { authTime: since }))).code).toBe("WTFRB");
    await db().root.query("update app_private.admins set disabled_at = now() where id = $1", [admin.adminId]);
    expect((await failure(refresh("waitify_admin", { adminId: admin.adminId, authTime: nowSeconds() }))).code).toBe("WTFRB");
  });

  it("is not there for anonymous callers", async () => {
    const denied = await failure(asAnonymous(db(), (client) => client.query("select app_public.refresh_session()")));
    expect(denied.code).toBe("42501");
  });
});
