// Merchant accounts in SQL (db/identity/accounts.sql): registration and its
// rules, the trial taken from system_configs, sign-in with one error for a
// wrong password and an unknown email, and current_user.
import { describe, expect, it } from "vitest";
import { asAnonymous, asMerchant, codeOf, useTestDatabase } from "../../helpers/db.ts";
import { createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

describe("register", () => {
  it("creates a trial account on the basic plan with a bcrypt hash, and returns a merchant session", async () => {
    const token = await asAnonymous(db(), async (client) => {
      const { rows } = await client.query(
        "select (t).* from (select app_public.register('Alice@Example.TEST', 'long enough', 'Alice', 'Martin') as t) s",
      );
      return rows[0] as { role: string; user_id: string; sub: string };
    });
    expect(token.role).toBe("waitify_merchant");
    expect(token.sub).toBe(token.user_id);
    // The anonymous transaction was rolled back: register again for real.
    const { rows } = await db().root.query<{ user_id: string }>(
      "select (app_public.register('Alice@Example.TEST', 'long enough', 'Alice', 'Martin')).user_id",
    );
    const userId = rows[0]!.user_id;
    const account = await db().root.query(
      `select u.email, u.subscription_status, p.name as plan, u.trial_ends_at - u.created_at as trial, u.last_login is not null as logged,
              s.password_hash like '$2_$10$%' as bcrypt, s.password_hash <> 'long enough' as hashed
       from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id
       join app_private.user_secrets s on s.user_id = u.id where u.id = $1`,
      [userId],
    );
    expect(account.rows[0]).toMatchObject({
      email: "alice@example.test",
      subscription_status: "trial",
      plan: "basic",
      logged: true,
      bcrypt: true,
      hashed: true,
    });
    expect(account.rows[0].trial).toMatchObject({ days: 14 });
  });

  it("takes the trial length from system_configs", async () => {
    await db().root.query("update app_public.system_configs set value = '30' where key = 'trial_duration_days'");
    try {
      await db().root.query("select app_public.register('thirty@example.test', 'long enough')");
      const { rows } = await db().root.query(
        "select u.trial_ends_at - u.created_at as trial from app_public.users u where u.email = 'thirty@example.test'",
      );
      expect(rows[0].trial).toMatchObject({ days: 30 });
    } finally {
      await db().root.query("update app_public.system_configs set value = '14' where key = 'trial_duration_days'");
    }
  });

  it("refuses short passwords, malformed emails and an address already used in any case", async () => {
    await createMerchant(db(), { email: "taken@example.test" });
    const register = (email: string, password: string) =>
      codeOf(asAnonymous(db(), (c) => c.query("select app_public.register($1, $2)", [email, password])));
    expect(await register("short@example.test", "1234567")).toBe("WTVAL");
    expect(await register("short@example.test", "x".repeat(73))).toBe("WTVAL");
    expect(await register("not-an-email", "long enough")).toBe("WTVAL");
    expect(await register("a@b", "long enough")).toBe("WTVAL");
    expect(await register("TAKEN@Example.test", "long enough")).toBe("WTDUP");
    expect(await register("ok@example.test", "12345678")).toBe("ok");
  });

  it("is refused to a signed-in merchant", async () => {
    const merchant = await createMerchant(db());
    expect(
      await codeOf(asMerchant(db(), merchant.userId, (c) => c.query("select app_public.register('again@example.test', 'long enough')"))),
    ).toBe("WTFRB");
  });
});

describe("authenticate", () => {
  it("returns a session for the right password and updates last_login", async () => {
    const merchant = await createMerchant(db(), { email: "bob@example.test", password: "bob's password" });
    await db().root.query("update app_public.users set last_login = null where id = $1", [merchant.userId]);
    const { rows } = await db().root.query("select (app_public.authenticate('BOB@example.test', $1)).*", ["bob's password"]);
    expect(rows[0]).toMatchObject({ role: "waitify_merchant", user_id: merchant.userId });
    const login = await db().root.query("select last_login from app_public.users where id = $1", [merchant.userId]);
    expect(login.rows[0].last_login).not.toBeNull();
  });

  it("gives the same coded error for a wrong password and an unknown email", async () => {
    await createMerchant(db(), { email: "carol@example.test", password: "carol's password" });
    const attempt = async (email: string, password: string) => {
      try {
        await asAnonymous(db(), (c) => c.query("select app_public.authenticate($1, $2)", [email, password]));
        return "ok";
      } catch (error) {
        const { code, message } = error as { code: string; message: string };
        return `${code} ${message}`;
      }
    };
    const wrongPassword = await attempt("carol@example.test", "not her password");
    const unknownEmail = await attempt("nobody@example.test", "carol's password");
    expect(wrongPassword).toMatch(/^WTCRD /);
    expect(unknownEmail).toBe(wrongPassword);
    expect(await attempt("carol@example.test", "")).toBe(wrongPassword);
  });

  it("refuses a deactivated account", async () => {
    const merchant = await createMerchant(db(), { password: "right password" });
    await db().root.query("update app_public.users set is_active = false where id = $1", [merchant.userId]);
    expect(await codeOf(db().root.query("select app_public.authenticate($1, 'right password')", [merchant.email]))).toBe("WTFRB");
  });
});

describe("current_user", () => {
  it("is the caller's account, and nobody's for a merchant id that does not exist", async () => {
    const merchant = await createMerchant(db());
    const me = await asMerchant(db(), merchant.userId, (c) => c.query('select id from app_public."current_user"()'));
    expect(me.rows[0].id).toBe(merchant.userId);
    const ghost = await asMerchant(db(), "00000000-0000-4000-8000-000000000000", (c) =>
      c.query('select id from app_public."current_user"()'),
    );
    expect(ghost.rows[0].id).toBeNull();
  });
});
