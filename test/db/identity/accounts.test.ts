// Accounts, plans and businesses in SQL: registration and sign-in rules,
// the trial, plan limits (including two creations at once), soft delete,
// validation and the queue each business is born with.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { asAnonymous, asMerchant, enterRole, useTestDatabase } from "../../helpers/db.ts";
import { createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

/** Runs fn and returns the SQLSTATE it failed with (or "ok"). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return String((error as { code?: string }).code);
  }
}

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

describe("businesses and plans", () => {
  /** As the merchant, in a transaction that is rolled back afterwards. */
  const createBusiness = (userId: string, name: string) =>
    asMerchant(db(), userId, (c) => c.query("insert into app_public.businesses (name) values ($1) returning *", [name]));

  it("are created with one queue whose service time comes from the business type", async () => {
    const merchant = await createMerchant(db());
    const { rows } = await db().root.query(
      "insert into app_public.businesses (user_id, name, business_type) values ($1, 'Coiffure', 'hairdresser') returning id",
      [merchant.userId],
    );
    const queues = await db().root.query(
      "select user_id, average_service_time, max_queue_size, client_timeout_minutes, auto_advance_enabled, is_queue_active, qr_code_token from app_public.queues where business_id = $1",
      [rows[0].id],
    );
    expect(queues.rows).toHaveLength(1);
    expect(queues.rows[0]).toMatchObject({
      user_id: merchant.userId,
      average_service_time: 2700,
      max_queue_size: 50,
      client_timeout_minutes: 5,
      auto_advance_enabled: true,
      is_queue_active: false,
    });
    // 192 random bits, URL-safe.
    expect(queues.rows[0].qr_code_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("basic allows one active business, pro five, enterprise any number", async () => {
    const basic = await createMerchant(db());
    expect(await codeOf(createBusiness(basic.userId, "One"))).toBe("ok");
    await db().root.query("insert into app_public.businesses (user_id, name) values ($1, 'One')", [basic.userId]);
    expect(await codeOf(createBusiness(basic.userId, "Two"))).toBe("WTPLN");

    const pro = await createMerchant(db(), { plan: "pro" });
    for (let i = 0; i < 5; i++) await db().root.query("insert into app_public.businesses (user_id, name) values ($1, $2)", [pro.userId, `P${i}`]);
    expect(await codeOf(createBusiness(pro.userId, "Sixth"))).toBe("WTPLN");

    const enterprise = await createMerchant(db(), { plan: "enterprise" });
    for (let i = 0; i < 7; i++) await db().root.query("insert into app_public.businesses (user_id, name) values ($1, $2)", [enterprise.userId, `E${i}`]);
    const count = await db().root.query("select count(*)::int as n from app_public.businesses where user_id = $1", [enterprise.userId]);
    expect(count.rows[0].n).toBe(7);
  });

  it("two creations at the same moment cannot both pass the limit", async () => {
    const merchant = await createMerchant(db());
    const clients = await Promise.all([db().root.connect(), db().root.connect()]);
    try {
      for (const client of clients) {
        await client.query("begin");
        await enterRole(client, "waitify_merchant", { userId: merchant.userId });
      }
      // The first insert holds the account row lock until it commits.
      await clients[0]!.query("insert into app_public.businesses (name) values ('First')");
      const second = codeOf(clients[1]!.query("insert into app_public.businesses (name) values ('Second')"));
      // The second waits for the lock (not on a timer: on the lock it reports).
      for (;;) {
        const waiting = await db().root.query(
          "select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into app_public.businesses%'",
        );
        if (waiting.rowCount) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await clients[0]!.query("commit");
      expect(await second).toBe("WTPLN");
    } finally {
      for (const client of clients) {
        await client.query("rollback").catch(() => {});
        client.release();
      }
    }
    const count = await db().root.query("select count(*)::int as n from app_public.businesses where user_id = $1", [merchant.userId]);
    expect(count.rows[0].n).toBe(1);
  });

  it("a plan smaller than the active businesses is refused; deleted businesses do not count", async () => {
    const merchant = await createMerchant(db(), { plan: "pro" });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { rows } = await db().root.query("insert into app_public.businesses (user_id, name) values ($1, $2) returning id", [merchant.userId, `B${i}`]);
      ids.push(rows[0].id);
    }
    const downgrade = () =>
      db().root.query(
        "update app_public.users set subscription_plan_id = (select id from app_public.subscription_plans where name = 'basic') where id = $1",
        [merchant.userId],
      );
    expect(await codeOf(downgrade())).toBe("WTPLN");
    await asMerchant(db(), merchant.userId, (c) => c.query("select app_public.delete_business($1)", [ids[1]]));
    await db().root.query("update app_public.businesses set is_active = false where id = $1", [ids[1]]);
    expect(await codeOf(downgrade())).toBe("ok");
    // Restoring counts as creating: the basic plan allows one.
    expect(
      await codeOf(asMerchant(db(), merchant.userId, (c) => c.query("select app_public.restore_business($1)", [ids[1]]))),
    ).toBe("WTPLN");
  });

  it("soft delete hides a business from my_businesses, closes its queues, and can be undone", async () => {
    const merchant = await createMerchant(db());
    const { rows } = await db().root.query("insert into app_public.businesses (user_id, name) values ($1, 'Kiosk') returning id", [merchant.userId]);
    const id = rows[0].id as string;
    await db().root.query("update app_public.queues set is_queue_active = true where business_id = $1", [id]);
    await asMerchant(db(), merchant.userId, async (c) => {
      const deleted = await c.query("select (app_public.delete_business($1)).is_active", [id]);
      expect(deleted.rows[0].is_active).toBe(false);
      expect((await c.query("select * from app_public.my_businesses()")).rowCount).toBe(0);
      expect((await c.query("select * from app_public.my_businesses(include_deleted => true)")).rowCount).toBe(1);
      const queue = await c.query("select is_queue_active from app_public.queues where business_id = $1", [id]);
      expect(queue.rows[0].is_queue_active).toBe(false);
      // No new queue on a deleted business.
      await c.query("savepoint before_queue");
      expect(await codeOf(c.query("insert into app_public.queues (business_id) values ($1)", [id]))).toBe("WTVAL");
      await c.query("rollback to savepoint before_queue");
      await c.query("select app_public.restore_business($1)", [id]);
      expect((await c.query("select * from app_public.my_businesses()")).rowCount).toBe(1);
    });
  });

  it("normalises phone numbers to E.164 for the business's country and refuses the rest", async () => {
    const merchant = await createMerchant(db(), { plan: "enterprise" });
    const phone = async (raw: string, country = "FR") => {
      try {
        const { rows } = await asMerchant(db(), merchant.userId, (c) =>
          c.query("insert into app_public.businesses (name, phone_number, country) values ('P', $1, $2) returning phone_number", [raw, country]),
        );
        return rows[0].phone_number as string | null;
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(await phone("06 12 34 56 78")).toBe("+33612345678");
    expect(await phone("+33 (0)6 12 34 56 78")).toBe("+33612345678");
    expect(await phone("0033612345678")).toBe("+33612345678");
    expect(await phone("77 123 45 67", "SN")).toBe("+221771234567");
    expect(await phone("+221 77 123 45 67", "FR")).toBe("+221771234567");
    expect(await phone("")).toBeNull();
    expect(await phone("12345")).toBe("WTPHN");
    expect(await phone("+33 6 12")).toBe("WTPHN");
    expect(await phone("06 12 34 56 78", "SN")).toBe("WTPHN");
    expect(await phone("call me")).toBe("WTPHN");
  });

  it("validates opening hours", async () => {
    const merchant = await createMerchant(db(), { plan: "enterprise" });
    const hours = (value: unknown) =>
      codeOf(
        asMerchant(db(), merchant.userId, (c) =>
          c.query("insert into app_public.businesses (name, opening_hours) values ('H', $1)", [JSON.stringify(value)]),
        ),
      );
    expect(
      await hours({
        monday: { open: "08:00", close: "18:00", closed: false },
        saturday: { open: "08:00", close: "24:00" },
        sunday: { closed: true },
      }),
    ).toBe("ok");
    expect(await hours({ funday: { closed: true } })).toBe("WTVAL");
    expect(await hours({ monday: { open: "8h", close: "18:00" } })).toBe("WTVAL");
    expect(await hours({ monday: { open: "18:00", close: "08:00" } })).toBe("WTVAL");
    expect(await hours({ monday: { closed: "yes" } })).toBe("WTVAL");
    expect(await hours({ monday: { open: "08:00", close: "18:00", lunch: true } })).toBe("WTVAL");
    expect(await hours(["monday"])).toBe("WTVAL");
    expect(await hours({ monday: "08:00-18:00" })).toBe("WTVAL");
  });

  it("a queue created later defaults its service time from the business type", async () => {
    const merchant = await createMerchant(db());
    await asMerchant(db(), merchant.userId, async (c) => {
      const business = await c.query("insert into app_public.businesses (name, business_type) values ('Pharma', 'pharmacy') returning id");
      const queue = await c.query("insert into app_public.queues (business_id, name) values ($1, 'Ordonnances') returning average_service_time, user_id", [
        business.rows[0].id,
      ]);
      expect(queue.rows[0]).toEqual({ average_service_time: 180, user_id: merchant.userId });
    });
  });

  it("regenerate_qr_token replaces the token with a new unguessable one", async () => {
    const merchant = await createMerchant(db());
    const { rows } = await db().root.query(
      "insert into app_public.businesses (user_id, name) values ($1, 'QR') returning (select 1)",
      [merchant.userId],
    );
    expect(rows).toHaveLength(1);
    const before = await db().root.query("select id, qr_code_token from app_public.queues where user_id = $1", [merchant.userId]);
    const after = await asMerchant(db(), merchant.userId, (c) =>
      c.query("select qr_code_token from app_public.regenerate_qr_token($1)", [before.rows[0].id]),
    );
    expect(after.rows[0].qr_code_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(after.rows[0].qr_code_token).not.toBe(before.rows[0].qr_code_token);
  });
});
