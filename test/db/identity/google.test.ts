// Google sign-in's SQL side (db/identity/google.sql): app_private.google_sign_in
// creates an account or links one by verified email, and only the
// authenticator's own connection may call it (the token itself is verified in
// lib/auth/google.ts: test/api/identity-google.test.ts).
import pg from "pg";
import { describe, expect, it } from "vitest";
import { asAnonymous, asMerchant, codeOf, useTestDatabase } from "../../helpers/db.ts";
import { createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

describe("google_sign_in", () => {
  const signIn = "select (app_private.google_sign_in($1, $2, $3, 'Gil', 'Bert', null)).*";

  it("creates an account on first use, then finds it by google id", async () => {
    const first = await db().root.query(signIn, ["google-1", "gil@example.test", true]);
    const again = await db().root.query(signIn, ["google-1", "changed@example.test", true]);
    expect(again.rows[0].user_id).toBe(first.rows[0].user_id);
    const account = await db().root.query("select auth_provider, subscription_status from app_public.users where id = $1", [
      first.rows[0].user_id,
    ]);
    expect(account.rows[0]).toEqual({ auth_provider: "google", subscription_status: "trial" });
  });

  it("links an existing account by verified email, never by an unverified one", async () => {
    const merchant = await createMerchant(db(), { email: "dana@example.test" });
    expect(await codeOf(db().root.query(signIn, ["google-dana", "dana@example.test", false]))).toBe("WTCRD");
    const linked = await db().root.query(signIn, ["google-dana", "DANA@example.test", true]);
    expect(linked.rows[0].user_id).toBe(merchant.userId);
    // A second Google account cannot take it over.
    expect(await codeOf(db().root.query(signIn, ["google-other", "dana@example.test", true]))).toBe("WTCRD");
  });

  it("cannot be called from a request role", async () => {
    const merchant = await createMerchant(db());
    expect(await codeOf(asAnonymous(db(), (c) => c.query(signIn, ["google-x", "x@example.test", true])))).toBe("42501");
    expect(await codeOf(asMerchant(db(), merchant.userId, (c) => c.query(signIn, ["google-x", "x@example.test", true])))).toBe(
      "42501",
    );
    // Even with EXECUTE, the function refuses a connection that switched to a request role.
    const client = await db().root.connect();
    try {
      await client.query("begin");
      await client.query("set local role waitify_anonymous");
      await client.query("reset role");
      await client.query("select set_config('role', 'waitify_anonymous', true)");
      expect(await codeOf(client.query(signIn, ["google-x", "x@example.test", true]))).toBe("42501");
    } finally {
      await client.query("rollback");
      client.release();
    }
  });

  it("is callable by the authenticator's own connection", async () => {
    const client = new pg.Client({ connectionString: db().authUrl });
    await client.connect();
    try {
      const { rows } = await client.query(signIn, ["google-auth", "auth@example.test", true]);
      expect(rows[0].role).toBe("waitify_merchant");
      await client.query("begin");
      await client.query("select set_config('role', 'waitify_anonymous', true)");
      expect(await codeOf(client.query(signIn, ["google-auth", "auth@example.test", true]))).toBe("42501");
      await client.query("rollback");
      await client.query("begin");
      await client.query("select set_config('jwt.claims.user_id', gen_random_uuid()::text, true)");
      expect(await codeOf(client.query(signIn, ["google-auth", "auth@example.test", true]))).toBe("WTFRB");
      await client.query("rollback");
    } finally {
      await client.end();
    }
  });
});
