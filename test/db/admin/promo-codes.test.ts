// db/admin/promo-codes.sql: the admin's halves of creating and disabling a
// promo code — the input checked and normalised before Stripe is called,
// the row recorded with Stripe's ids and audited, the disabling audited once
// — reachable by an enabled admin only; merchants neither read nor write.
import { describe, expect, it } from "vitest";
import { asAdmin, asMerchant, failure, useTestDatabase } from "../../helpers/db.ts";
import { createAdmin, createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

const PREPARE = "select app_hidden.admin_prepare_promo_code($1, $2, $3, $4, $5, $6, $7, $8) as spec";
const CREATE = "select * from app_hidden.admin_create_promo_code($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

async function withPrices(): Promise<void> {
  // What stripe:sync records: a licensed price per plan (its product) and the overage's product apart.
  await db().root.query(
    `insert into app_private.stripe_prices (lookup_key, plan_id, kind, billing_interval, stripe_product_id, stripe_price_id)
     select 'waitify_' || p.name || '_' || k.kind, p.id, k.kind, 'month',
            case k.kind when 'licensed' then 'prod_' || p.name else 'prod_sms' end, 'price_' || p.name || '_' || k.kind
       from app_public.subscription_plans p cross join (values ('licensed'), ('overage')) k (kind)
      where p.is_active
     on conflict do nothing`,
  );
}

describe("admin_prepare_promo_code", () => {
  it("normalises the input and names the plan products only, never the SMS overage product", async () => {
    await withPrices();
    const admin = await createAdmin(db());
    const spec = await asAdmin(db(), async (client) => (await client.query(PREPARE, [" deux-mois ", "free_months", 2, null, null, 50, null, null])).rows[0].spec, { adminId: admin.adminId });
    const { rows } = await db().root.query<{ products: string[] }>(
      "select array_agg('prod_' || name order by 'prod_' || name) as products from app_public.subscription_plans where is_active",
    );
    expect(spec).toMatchObject({ code: "DEUX-MOIS", kind: "free_months", value: 2, currency: null, duration: "repeating", duration_months: 2, max_uses: 50, valid_until: null });
    expect(spec.plan_product_ids).toEqual(rows[0]!.products);
    expect(spec.plan_product_ids).not.toContain("prod_sms");
  });

  it("is BILLING_NOT_CONFIGURED before stripe:sync, and FORBIDDEN to an admin token naming no enabled admin", async () => {
    const admin = await createAdmin(db());
    const values = ["CODE", "percentage", 10, null, null, null, null, null];
    await db().root.query("delete from app_private.stripe_prices");
    expect((await failure(asAdmin(db(), (client) => client.query(PREPARE, values), { adminId: admin.adminId }))).code).toBe("WTBNC");
    await withPrices();
    expect((await failure(asAdmin(db(), (client) => client.query(PREPARE, values)))).code).toBe("WTFRB");
    await db().root.query("update app_private.admins set disabled_at = now() where id = $1", [admin.adminId]);
    expect((await failure(asAdmin(db(), (client) => client.query(PREPARE, values), { adminId: admin.adminId }))).code).toBe("WTFRB");
  });
});

describe("admin_create_promo_code and admin_disable_promo_code", () => {
  it("record the row with Stripe's ids and the admin, then disable it once; one audit row each", async () => {
    const admin = await createAdmin(db());
    const created = await asAdmin(
      db(),
      async (client) =>
        (await client.query(CREATE, ["ete-2026", "fixed_amount", 500, "repeating", 3, 10, null, null, "coupon_ete", "promo_ete"])).rows[0],
      { adminId: admin.adminId, commit: true },
    );
    expect(created).toMatchObject({ code: "ETE-2026", currency: "eur", duration_months: 3, max_uses: 10, active: true, created_by: admin.adminId });
    const disable = () => asAdmin(db(), async (client) => (await client.query("select * from app_hidden.admin_disable_promo_code($1, 'fin')", [created.id])).rows[0], { adminId: admin.adminId, commit: true });
    expect(await disable()).toMatchObject({ active: false, disabled_at: expect.any(Date) });
    await disable();
    const { rows } = await db().root.query("select admin_id, action, before, after ->> 'active' as active, reason from app_public.admin_audit_log where target_id = $1 order by id", [created.id]);
    expect(rows).toEqual([
      { admin_id: admin.adminId, action: "create_promo_code", before: null, active: "true", reason: null },
      { admin_id: admin.adminId, action: "disable_promo_code", before: { active: true, disabled_at: null }, active: "false", reason: "fin" },
    ]);
    const unknown = await failure(asAdmin(db(), (client) => client.query("select app_hidden.admin_promo_code_to_disable(gen_random_uuid())"), { adminId: admin.adminId }));
    expect(unknown).toEqual({ code: "WTNFD", message: "Code promotionnel introuvable." });
  });

  it("a merchant can neither call them nor read the codes", async () => {
    const merchant = await createMerchant(db());
    for (const sql of [
      "select app_hidden.admin_prepare_promo_code('X-1', 'percentage', 10, null, null, null, null, null)",
      "select app_hidden.admin_create_promo_code('X-1', 'percentage', 10, null, null, null, null, null, 'c', 'promo_x')",
      "select app_hidden.admin_disable_promo_code(gen_random_uuid())",
      "select * from app_public.promo_codes",
    ]) {
      expect((await failure(asMerchant(db(), merchant.userId, (client) => client.query(sql)))).code, sql).toBe("42501");
    }
  });
});
