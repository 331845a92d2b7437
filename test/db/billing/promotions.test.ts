// db/billing/promotions.sql: a promo code typed at checkout checked against
// our table (each refusal with its code), and the use of a code counted once
// per account from the subscriptions Stripe returns — never past max_uses,
// even when two accounts take the last use at the same moment.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { withDatabase } from "../../../lib/db/urls.ts";
import { asRole, failure, useTestDatabase } from "../../helpers/db.ts";
import { createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

interface CodeRow {
  code: string;
  kind?: string;
  value?: number;
  duration?: string;
  duration_months?: number | null;
  max_uses?: number | null;
  valid_from?: string;
  valid_until?: string | null;
  active?: boolean;
}

let sequence = 0;

/** A promo code row as adminCreatePromoCode leaves it (Stripe ids made up). */
async function insertCode(row: CodeRow): Promise<{ id: string; stripe_promotion_code_id: string }> {
  sequence += 1;
  const { rows } = await db().root.query<{ id: string; stripe_promotion_code_id: string }>(
    `insert into app_public.promo_codes (code, kind, value, duration, duration_months, max_uses, valid_from, valid_until,
                                         active, disabled_at, stripe_coupon_id, stripe_promotion_code_id)
     values ($1, $2, $3, $4, $5, $6, coalesce($7::timestamptz, now() - interval '1 day'), $8, $9,
             case when $9 then null else now() end, $10, $11)
     returning id, stripe_promotion_code_id`,
    [
      row.code,
      row.kind ?? "percentage",
      row.value ?? 20,
      row.duration ?? "once",
      row.duration_months ?? null,
      row.max_uses ?? null,
      row.valid_from ?? null,
      row.valid_until ?? null,
      row.active ?? true,
      `coupon_test_${sequence}`,
      `promo_test${sequence}`,
    ],
  );
  return rows[0]!;
}

/** app_private.checkout_promo_code as the server's own connection calls it. */
const check = (userId: string, code: string, interval = "month") =>
  db().root.query("select * from app_private.checkout_promo_code($1, $2, $3)", [userId, code, interval]);

/** A subscription as Stripe returns it with its discounts expanded (only what the count reads). */
const subscriptionWith = (id: string, status: string, promotionCodes: string[]) => ({
  id,
  object: "subscription",
  status,
  discounts: promotionCodes.map((code, index) => ({ id: `di_${id}_${index}`, object: "discount", promotion_code: code })),
});

const record = (userId: string, subscription: unknown) =>
  db().root.query("select app_private.record_promo_redemptions($1, $2)", [userId, JSON.stringify(subscription)]);

const timesUsed = async (id: string) =>
  (await db().root.query<{ times_used: number }>("select times_used from app_public.promo_codes where id = $1", [id])).rows[0]!.times_used;

describe("app_private.checkout_promo_code", () => {
  it("gives our code's Stripe promotion code, whatever the case and spaces typed", async () => {
    const merchant = await createMerchant(db());
    const code = await insertCode({ code: "BIENVENUE-20" });
    const { rows } = await check(merchant.userId, "  bienvenue-20 ");
    expect(rows).toEqual([{ promo_code_id: code.id, stripe_promotion_code_id: code.stripe_promotion_code_id }]);
  });

  it("refuses each way a code cannot be used, with its own code and message", async () => {
    const merchant = await createMerchant(db());
    const now = Date.now();
    const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
    await insertCode({ code: "RETIRE", active: false });
    await insertCode({ code: "BIENTOT", valid_from: iso(86_400_000) });
    await insertCode({ code: "FINI", valid_from: iso(-2 * 86_400_000), valid_until: iso(-1000) });
    await insertCode({ code: "EPUISE", max_uses: 1 });
    await db().root.query("update app_public.promo_codes set times_used = 1 where code = 'EPUISE'");
    await insertCode({ code: "DEUX-MOIS", kind: "free_months", value: 2, duration: "repeating", duration_months: 2 });

    const cases: Array<[string, string, string, string]> = [
      ["INCONNU", "month", "WTPRM", "Code promotionnel invalide ou expiré."],
      ["RETIRE", "month", "WTPRM", "Code promotionnel invalide ou expiré."],
      ["x' or 1=1 --", "month", "WTPRM", "Code promotionnel invalide ou expiré."],
      ["BIENTOT", "month", "WTPRX", "Ce code promotionnel n'est pas valable à cette date."],
      ["FINI", "month", "WTPRX", "Ce code promotionnel n'est pas valable à cette date."],
      ["EPUISE", "month", "WTPRE", "Ce code promotionnel a atteint son nombre maximal d'utilisations."],
      ["DEUX-MOIS", "year", "WTPRM", "Ce code offre des mois gratuits : il ne s'applique qu'à un abonnement mensuel."],
    ];
    for (const [code, interval, sqlstate, message] of cases) {
      expect(await failure(check(merchant.userId, code, interval)), code).toEqual({ code: sqlstate, message });
    }
    // Free months on a monthly plan are fine.
    expect((await check(merchant.userId, "deux-mois", "month")).rows).toHaveLength(1);
  });

  it("refuses a code the account already started a subscription with", async () => {
    const merchant = await createMerchant(db());
    const code = await insertCode({ code: "UNE-FOIS" });
    await record(merchant.userId, subscriptionWith("sub_once", "active", [code.stripe_promotion_code_id]));
    expect(await failure(check(merchant.userId, "UNE-FOIS"))).toEqual({
      code: "WTPRM",
      message: "Ce code promotionnel a déjà été utilisé par votre compte.",
    });
  });

  it("is the server's alone: no request role may call it", async () => {
    const merchant = await createMerchant(db());
    await insertCode({ code: "SERVEUR" });
    for (const role of ["waitify_merchant", "waitify_admin", "waitify_anonymous"] as const) {
      const refused = await asRole(db(), role, (client) => failure(client.query("select * from app_private.checkout_promo_code($1, 'SERVEUR', 'month')", [merchant.userId])), { userId: merchant.userId });
      expect(refused.code, role).toBe("42501");
    }
  });
});

describe("app_private.record_promo_redemptions", () => {
  it("counts a started subscription's code once per account, whatever the number of webhooks", async () => {
    const [first, second] = [await createMerchant(db()), await createMerchant(db())];
    const code = await insertCode({ code: "COMPTE", max_uses: 5 });
    const other = await insertCode({ code: "AUTRE" });
    // Not started (first payment failed): nothing counted yet.
    await record(first.userId, subscriptionWith("sub_a", "incomplete", [code.stripe_promotion_code_id]));
    expect(await timesUsed(code.id)).toBe(0);
    // Started: counted once, however often Stripe's events show it; a code not ours is ignored.
    for (const status of ["active", "active", "past_due"]) {
      await record(first.userId, subscriptionWith("sub_a", status, [code.stripe_promotion_code_id, "promo_not_ours"]));
    }
    // Discounts as ids only (not expanded) say nothing about the code.
    await record(second.userId, { id: "sub_b", object: "subscription", status: "active", discounts: ["di_x"] });
    expect(await timesUsed(code.id)).toBe(1);
    await record(second.userId, subscriptionWith("sub_b", "trialing", [code.stripe_promotion_code_id, other.stripe_promotion_code_id]));
    expect([await timesUsed(code.id), await timesUsed(other.id)]).toEqual([2, 1]);
    const { rows } = await db().root.query(
      "select user_id, stripe_subscription_id, counted from app_private.promo_code_redemptions where promo_code_id = $1 order by stripe_subscription_id",
      [code.id],
    );
    expect(rows).toEqual([
      { user_id: first.userId, stripe_subscription_id: "sub_a", counted: true },
      { user_id: second.userId, stripe_subscription_id: "sub_b", counted: true },
    ]);
  });

  it("two accounts taking the last use at once: one is counted, times_used stays at max_uses", async () => {
    const [first, second] = [await createMerchant(db()), await createMerchant(db())];
    const code = await insertCode({ code: "DERNIER", max_uses: 1 });
    const connect = async () => {
      const client = new pg.Client({ connectionString: withDatabase(db().rootUrl, db().name) });
      await client.connect();
      return client;
    };
    const [gate, a, b] = await Promise.all([connect(), connect(), connect()]);
    try {
      // Both redemptions start while the code's row is locked, so they contend for it at the same moment.
      await gate.query("begin");
      await gate.query("select 1 from app_public.promo_codes where id = $1 for update", [code.id]);
      const calls = [
        a.query("select app_private.record_promo_redemptions($1, $2)", [first.userId, JSON.stringify(subscriptionWith("sub_1", "active", [code.stripe_promotion_code_id]))]),
        b.query("select app_private.record_promo_redemptions($1, $2)", [second.userId, JSON.stringify(subscriptionWith("sub_2", "active", [code.stripe_promotion_code_id]))]),
      ];
      const pids = [(a as unknown as { processID: number }).processID, (b as unknown as { processID: number }).processID];
      for (let attempt = 0; ; attempt++) {
        const { rows } = await gate.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where pid = any($1) and wait_event_type = 'Lock'", [pids]);
        if (rows[0]!.n === 2) break;
        if (attempt > 500) throw new Error("the redemptions did not reach the lock");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await gate.query("commit");
      await Promise.all(calls);
    } finally {
      await Promise.all([gate.end(), a.end(), b.end()]);
    }
    expect(await timesUsed(code.id)).toBe(1);
    const { rows } = await db().root.query<{ counted: boolean }>(
      "select counted from app_private.promo_code_redemptions where promo_code_id = $1 order by counted desc",
      [code.id],
    );
    expect(rows.map((row) => row.counted)).toEqual([true, false]);
  });

  it("a completed and paid checkout session counts its codes (a once discount has left the subscription by then); an unpaid one does not", async () => {
    const [paid, unpaid] = [await createMerchant(db()), await createMerchant(db())];
    const code = await insertCode({ code: "SESSION" });
    for (const [merchant, customer] of [[paid, "cus_paid"], [unpaid, "cus_unpaid"]] as const) {
      await db().root.query("insert into app_private.stripe_customers (user_id, stripe_customer_id) values ($1, $2)", [merchant.userId, customer]);
    }
    const session = (customer: string, paymentStatus: string) => ({
      id: `cs_${customer}`,
      object: "checkout.session",
      mode: "subscription",
      status: "complete",
      payment_status: paymentStatus,
      customer,
      subscription: `sub_${customer}`,
      discounts: [{ coupon: null, promotion_code: code.stripe_promotion_code_id }],
    });
    const apply = (objects: unknown[]) =>
      db().root.query<{ user_id: string | null }>("select app_private.apply_stripe_objects($1) as user_id", [JSON.stringify(objects)]);
    expect((await apply([session("cus_unpaid", "unpaid")])).rows[0]!.user_id).toBe(unpaid.userId);
    expect(await timesUsed(code.id)).toBe(0);
    for (let i = 0; i < 2; i++) expect((await apply([session("cus_paid", "paid")])).rows[0]!.user_id).toBe(paid.userId);
    expect(await timesUsed(code.id)).toBe(1);
    // A customer we do not know counts nothing.
    expect((await apply([session("cus_stranger", "paid")])).rows[0]!.user_id).toBeNull();
    expect(await timesUsed(code.id)).toBe(1);
  });

  it("the table itself refuses times_used above max_uses", async () => {
    const code = await insertCode({ code: "PLAFOND", max_uses: 2 });
    expect((await failure(db().root.query("update app_public.promo_codes set times_used = 3 where id = $1", [code.id]))).code).toBe("23514");
  });
});
