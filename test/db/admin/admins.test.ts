// Administrators in SQL: created only by the DBA's function, signed in at the
// merchants' door, checked by assert_admin before any admin write, recorded
// in an append-only audit log; MRR's one definition.
import { describe, expect, it } from "vitest";
import {
  asAdmin,
  asMerchant,
  failure,
  useTestDatabase,
} from "../../helpers/db.ts";
import { createAdmin, createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

async function signIn(email: string, password: string) {
  const { rows } = await db().root.query<{
    role: string;
    user_id: string | null;
    sub: string;
    admin_id: string | null;
  }>(
    "select (t).role, (t).user_id, (t).sub, (t).admin_id from (select app_public.authenticate($1, $2) as t) s",
    [email, password],
  );
  return rows[0]!;
}

describe("administrators", () => {
  it("create_admin makes an admin who signs in at the merchants' door with an admin token", async () => {
    const admin = await createAdmin(db(), {
      email: "Ops.Team@Example.test",
      password: "a long enough secret",
    });
    const token = await signIn(
      " ops.team@example.TEST ",
      "a long enough secret",
    );
    expect(token).toEqual({
      role: "waitify_admin",
      user_id: null,
      sub: admin.adminId,
      admin_id: admin.adminId,
    });
    expect(
      (await failure(signIn("ops.team@example.test", "a wrong secret!!"))).code,
    ).toBe("WTCRD");
  });

  it("running it again replaces the password (the DBA's recovery path) and keeps one admin", async () => {
    const first = await db().root.query(
      "select * from app_private.create_admin('again@example.test', 'first password 1')",
    );
    const second = await db().root.query(
      "select * from app_private.create_admin('AGAIN@example.test', 'second password 2')",
    );
    expect(first.rows[0]).toMatchObject({ created: true });
    expect(second.rows[0]).toEqual({
      admin_id: first.rows[0].admin_id,
      created: false,
    });
    expect(
      (await failure(signIn("again@example.test", "first password 1"))).code,
    ).toBe("WTCRD");
    expect(
      (await signIn("again@example.test", "second password 2")).admin_id,
    ).toBe(first.rows[0].admin_id);
  });

  it("refuses a bad address, a short password and a merchant's address; a merchant cannot register an admin's address", async () => {
    const merchant = await createMerchant(db());
    const create = (email: string, password: string) =>
      db().root.query("select * from app_private.create_admin($1, $2)", [
        email,
        password,
      ]);
    expect(
      await failure(create("not-an-address", "long enough password")),
    ).toMatchObject({ code: "WTVAL", message: "Invalid email address." });
    expect(
      await failure(create("short@example.test", "eleven char")),
    ).toMatchObject({ code: "WTVAL" });
    expect(
      await failure(create(merchant.email, "long enough password")),
    ).toMatchObject({ code: "WTDUP" });
    const admin = await createAdmin(db());
    expect(
      (
        await failure(
          db().root.query("select app_public.register($1, 'password123')", [
            admin.email,
          ]),
        )
      ).code,
    ).toBe("WTDUP");
    const { rows } = await db().root.query(
      "select count(*)::int as n from app_private.admins where email = $1",
      [merchant.email],
    );
    expect(rows[0].n).toBe(0);
  });

  it("a disabled admin cannot sign in", async () => {
    const admin = await createAdmin(db());
    await db().root.query(
      "update app_private.admins set disabled_at = now() where id = $1",
      [admin.adminId],
    );
    expect((await failure(signIn(admin.email, admin.password))).code).toBe(
      "WTFRB",
    );
  });
});

// Request roles cannot reach app_private: an admin operation is a SECURITY
// DEFINER function granted to the admin role. A probe of that shape, created
// for these tests and dropped after, runs the checks as a request would.
async function withProbe<T>(body: string, work: () => Promise<T>): Promise<T> {
  await db().root
    .query(`create or replace function app_private.probe() returns text language plpgsql volatile security definer
    set search_path to pg_catalog, public, pg_temp as $$ begin ${body} end $$`);
  await db().root.query(
    "grant usage on schema app_private to waitify_admin, waitify_merchant",
  );
  await db().root.query(
    "grant execute on function app_private.probe() to waitify_admin, waitify_merchant",
  );
  try {
    return await work();
  } finally {
    await db().root.query("drop function app_private.probe()");
    await db().root.query(
      "revoke usage on schema app_private from waitify_admin, waitify_merchant",
    );
  }
}

const probeAsAdmin = (adminId?: string) =>
  asAdmin(
    db(),
    async (client) =>
      (await client.query<{ probe: string }>("select app_private.probe()"))
        .rows[0]!.probe,
    { adminId, commit: true },
  );

describe("assert_admin", () => {
  it("answers the acting admin's id only for the admin role naming an enabled admin", async () => {
    const admin = await createAdmin(db());
    const merchant = await createMerchant(db());
    await withProbe("return app_private.assert_admin()::text;", async () => {
      expect(await probeAsAdmin(admin.adminId)).toBe(admin.adminId);
      expect((await failure(probeAsAdmin())).code).toBe("WTFRB");
      expect(
        (await failure(probeAsAdmin("00000000-0000-4000-8000-000000000000")))
          .code,
      ).toBe("WTFRB");
      const asTheMerchant = asMerchant(db(), merchant.userId, (client) =>
        client.query("select app_private.probe()"),
      );
      expect((await failure(asTheMerchant)).code).toBe("WTFRB");
      await db().root.query(
        "update app_private.admins set disabled_at = now() where id = $1",
        [admin.adminId],
      );
      expect((await failure(probeAsAdmin(admin.adminId))).code).toBe("WTFRB");
    });
  });
});

describe("the audit log", () => {
  it("records the acting admin, what, on what, why, before and after; admins read it, merchants cannot", async () => {
    const admin = await createAdmin(db());
    const merchant = await createMerchant(db());
    const id = await withProbe(
      `return app_private.record_admin_action('suspend_account', 'account', '${merchant.userId}',
         '{"status": "active"}', '{"status": "suspended"}', '  unpaid since March  ')::text;`,
      () => probeAsAdmin(admin.adminId),
    );
    const rows = await asAdmin(
      db(),
      async (client) =>
        (
          await client.query(
            "select * from app_public.admin_audit_log where id = $1",
            [id],
          )
        ).rows,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        admin_id: admin.adminId,
        admin_email: admin.email,
        action: "suspend_account",
        target_type: "account",
        target_id: merchant.userId,
        reason: "unpaid since March",
        before: { status: "active" },
        after: { status: "suspended" },
      }),
    ]);
    const asTheMerchant = asMerchant(db(), merchant.userId, (client) =>
      client.query("select * from app_public.admin_audit_log"),
    );
    expect((await failure(asTheMerchant)).code).toBe("42501");
  });

  it("nobody changes it: update, delete and truncate are refused even to the superuser", async () => {
    const admin = await createAdmin(db());
    await withProbe(
      "return app_private.record_admin_action('test_action', 'account', 'x', null, '{}')::text;",
      () => probeAsAdmin(admin.adminId),
    );
    for (const statement of [
      "update app_public.admin_audit_log set reason = 'rewritten'",
      "delete from app_public.admin_audit_log",
      "truncate app_public.admin_audit_log",
    ]) {
      expect(await failure(db().root.query(statement))).toMatchObject({
        code: "WTFRB",
        message: "The audit log can be neither changed nor erased.",
      });
    }
    const { rows } = await db().root.query(
      "select count(*)::int as n from app_public.admin_audit_log where admin_id = $1",
      [admin.adminId],
    );
    expect(rows[0].n).toBe(1);
  });

  it("an admin-role session naming no admin cannot record anything", async () => {
    await withProbe(
      "return app_private.record_admin_action('test_action', 'account', 'x', null, '{}')::text;",
      async () => {
        expect((await failure(probeAsAdmin())).code).toBe("WTFRB");
      },
    );
  });
});

describe("MRR (db/admin/mrr.sql)", () => {
  async function subscribe(
    plan: string,
    interval: "month" | "year",
    status: string,
  ): Promise<string> {
    const merchant = await createMerchant(db());
    await db().root.query(
      `insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval, stripe_created)
       select $1::uuid, 'sub_' || replace($1::text, '-', ''), $4, p.id, $3, now() from app_public.subscription_plans p where p.name = $2`,
      [merchant.userId, plan, interval, status],
    );
    return merchant.userId;
  }
  const mrr = async (userId: string) =>
    (
      await db().root.query<{ mrr: number }>(
        "select app_private.account_mrr_cents($1) as mrr",
        [userId],
      )
    ).rows[0]!.mrr;
  const price = async (plan: string) =>
    (
      await db().root.query<{ price_cents: number }>(
        "select price_cents from app_public.subscription_plans where name = $1",
        [plan],
      )
    ).rows[0]!.price_cents;

  it("is the monthly price, a yearly price spread over 12 months, counted while active or past_due only", async () => {
    const basic = await price("basic");
    const pro = await price("pro");
    const months = Number(
      (
        await db().root.query(
          "select coalesce(app_private.config_value('yearly_price_months'), '10') as v",
        )
      ).rows[0].v,
    );
    expect(await mrr(await subscribe("basic", "month", "active"))).toBe(basic);
    expect(await mrr(await subscribe("pro", "year", "active"))).toBe(
      Math.round((pro * months) / 12),
    );
    expect(await mrr(await subscribe("pro", "month", "past_due"))).toBe(pro);
    for (const status of [
      "trialing",
      "canceled",
      "unpaid",
      "incomplete",
      "paused",
    ]) {
      expect(await mrr(await subscribe("pro", "month", status))).toBe(0);
    }
    expect(await mrr((await createMerchant(db())).userId)).toBe(0);
  });
});
