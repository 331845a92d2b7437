// db/billing/checkout.sql: the rules behind the merchant's billing operations,
// reached only on the authenticator's own connection with the merchant's id.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, failure, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant } from "../../helpers/fixtures.ts";
import { linkCustomer, seedStripePrices, subscription } from "../../helpers/stripe-objects.ts";

const db = useTestDatabase();
let server: pg.Client;
beforeAll(async () => {
  server = new pg.Client({ connectionString: db().authUrl });
  await server.connect();
});
afterAll(async () => {
  await server.end();
});

describe("checkout and subscription rules", () => {
  it("without stripe:sync's prices, a checkout is BILLING_NOT_CONFIGURED", async () => {
    const shop = await createBusiness(db(), { plan: "basic" });
    const error = await failure(server.query("select * from app_private.checkout_context($1, 'pro', 'month')", [shop.userId]));
    expect(error.code).toBe("WTBNC");
  });

  it("gives the prices and the customer; refuses a plan too small, an unknown plan and a second subscription", async () => {
    const prices = await seedStripePrices(db());
    const shop = await createBusiness(db(), { plan: "pro" });
    await createBusiness(db(), { merchant: shop.merchant });
    const first = await server.query("select * from app_private.checkout_context($1, 'pro', 'year')", [shop.userId]);
    expect(first.rows[0]).toEqual({
      email: shop.merchant.email,
      stripe_customer_id: null,
      licensed_price_id: prices.waitify_pro_yearly,
      overage_price_id: prices.waitify_pro_sms_overage,
    });
    expect((await failure(server.query("select * from app_private.checkout_context($1, 'basic', 'month')", [shop.userId]))).code).toBe(
      "WTPLN",
    );
    expect(await codeOf(server.query("select * from app_private.checkout_context($1, 'gold', 'month')", [shop.userId]))).toBe(
      "WTNFD",
    );
    const customer = await linkCustomer(db(), shop.userId);
    await db().root.query("select app_private.apply_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "active", plan: "pro" })),
    ]);
    expect(await codeOf(server.query("select * from app_private.checkout_context($1, 'pro', 'month')", [shop.userId]))).toBe(
      "WTSUB",
    );
  });

  it("a request role cannot call them, and one merchant cannot apply another's subscription", async () => {
    await seedStripePrices(db());
    const mine = await createBusiness(db(), { plan: "basic" });
    const theirs = await createBusiness(db(), { plan: "basic" });
    const theirCustomer = await linkCustomer(db(), theirs.userId);
    await server.query("begin");
    await server.query("set local role waitify_merchant");
    await server.query("select set_config('jwt.claims.user_id', $1, true)", [mine.userId]);
    expect(await codeOf(server.query("select * from app_private.checkout_context($1, 'pro', 'month')", [mine.userId]))).toBe(
      "42501",
    );
    await server.query("rollback");
    const stolen = subscription({ customer: theirCustomer, status: "canceled" });
    expect(
      await codeOf(
        server.query("select app_private.apply_own_subscription($1, $2, 'subscription_cancel_scheduled')", [
          mine.userId,
          JSON.stringify(stolen),
        ]),
      ),
    ).toBe("WTFRB");
    const untouched = await db().root.query("select count(*)::int as n from app_private.subscriptions where user_id = $1", [
      theirs.userId,
    ]);
    expect(untouched.rows[0].n).toBe(0);
  });

  it("cancelling at period end is applied at once and noted in the feed", async () => {
    await seedStripePrices(db());
    const shop = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), shop.userId);
    const sub = subscription({ customer, status: "active", plan: "basic" });
    await db().root.query("select app_private.apply_stripe_subscription($1)", [JSON.stringify(sub)]);
    const context = await server.query("select * from app_private.subscription_context($1)", [shop.userId]);
    expect(context.rows[0]).toEqual({ stripe_customer_id: customer, stripe_subscription_id: sub.id, cancel_at_period_end: false });
    await server.query("select app_private.apply_own_subscription($1, $2, 'subscription_cancel_scheduled')", [
      shop.userId,
      JSON.stringify({ ...sub, cancel_at_period_end: true }),
    ]);
    const after = await server.query("select * from app_private.subscription_context($1)", [shop.userId]);
    expect(after.rows[0].cancel_at_period_end).toBe(true);
    const feed = await db().root.query("select event_type, actor from app_public.account_events where user_id = $1", [
      shop.userId,
    ]);
    expect(feed.rows).toContainEqual({ event_type: "subscription_cancel_scheduled", actor: "merchant" });
    // The period ends with the plan's (licensed) item, as mirrored.
    const noted = await db().root.query(
      "select detail ->> 'currentPeriodEnd' as ends from app_public.account_events where user_id = $1 and event_type = 'subscription_cancel_scheduled'",
      [shop.userId],
    );
    expect(new Date(noted.rows[0].ends).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    const none = await createBusiness(db(), { plan: "basic" });
    expect(await codeOf(server.query("select * from app_private.subscription_context($1)", [none.userId]))).toBe("WTNSB");
  });

  it("a yearly plan cancelled with cancel_at counts as cancelling at period end, with the plan item's period", async () => {
    const prices = await seedStripePrices(db());
    const shop = await createBusiness(db(), { plan: "pro" });
    const customer = await linkCustomer(db(), shop.userId);
    const yearEnd = Date.UTC(2027, 11, 1) / 1000;
    const monthEnd = Date.UTC(2027, 0, 1) / 1000;
    const base = subscription({ customer, status: "active", plan: "pro", interval: "yearly" });
    const item = (price: string, end: number) => ({ id: `si_${end}`, object: "subscription_item", price: { id: price }, current_period_start: Date.UTC(2026, 11, 1) / 1000, current_period_end: end });
    // The overage item first: the period read is still the plan's.
    const items = { object: "list", data: [item(prices.waitify_pro_sms_overage!, monthEnd), item(prices.waitify_pro_yearly!, yearEnd)] };
    await server.query("select app_private.apply_own_subscription($1, $2, 'subscription_cancel_scheduled')", [
      shop.userId,
      JSON.stringify({ ...base, items, cancel_at_period_end: false, cancel_at: yearEnd }),
    ]);
    const { rows } = await db().root.query(
      "select billing_interval, cancel_at_period_end, current_period_end from app_private.subscriptions where user_id = $1",
      [shop.userId],
    );
    expect(rows[0]).toEqual({ billing_interval: "year", cancel_at_period_end: true, current_period_end: new Date(yearEnd * 1000) });
    const feed = await db().root.query("select detail from app_public.account_events where user_id = $1 and event_type = 'subscription_cancel_scheduled'", [
      shop.userId,
    ]);
    expect(feed.rows[0].detail.cancelAt).toBe(new Date(yearEnd * 1000).toISOString().replace(".000Z", "+00:00"));
    // Resumed: no cancel_at any more.
    await server.query("select app_private.apply_own_subscription($1, $2, 'subscription_resumed')", [
      shop.userId,
      JSON.stringify({ ...base, items, cancel_at_period_end: false, cancel_at: null }),
    ]);
    const after = await db().root.query("select cancel_at_period_end from app_private.subscriptions where user_id = $1", [shop.userId]);
    expect(after.rows[0].cancel_at_period_end).toBe(false);
  });

  it("gives a plan's overage price, and raises only the refusals the server decides from Stripe's answers", async () => {
    const prices = await seedStripePrices(db());
    const price = await server.query("select app_private.plan_overage_price('enterprise') as price");
    expect(price.rows[0].price).toBe(prices.waitify_enterprise_sms_overage);
    expect(await codeOf(server.query("select app_private.plan_overage_price('gold')"))).toBe("WTBNC");
    const promo = await failure(server.query("select app_private.raise_billing_error('PROMOTION_CODE_INVALID')"));
    expect(promo).toEqual({ code: "WTPRM", message: "Code promotionnel invalide ou expiré." });
    expect(await codeOf(server.query("select app_private.raise_billing_error('NO_SUBSCRIPTION')"))).toBe("WTNSB");
    // Not a way to raise any code at all.
    expect(await codeOf(server.query("select app_private.raise_billing_error('QUEUE_FULL')"))).toBe("WTFRB");
    // Nor callable as a request role.
    await server.query("begin");
    await server.query("set local role waitify_merchant");
    expect(await codeOf(server.query("select app_private.raise_billing_error('NO_SUBSCRIPTION')"))).toBe("42501");
    await server.query("rollback");
  });

  it("links an account's customer once when two checkouts link it at the same moment: never a unique-violation error", async () => {
    // Two first checkouts of one account (two tabs) both link the customer
    // Stripe replayed for them. With only the primary key as the conflict
    // target, the loser could hit the customer id's unique index first and
    // fail (CI saw it once); every unique index must be an arbiter.
    const merchants = await Promise.all(Array.from({ length: 40 }, () => createMerchant(db())));
    const pool = new pg.Pool({ connectionString: db().authUrl, max: 8 });
    try {
      const outcomes = await Promise.all(
        merchants.flatMap((merchant, index) => {
          const customer = `cus_race${String(index).padStart(4, "0")}`;
          const link = () => codeOf(pool.query("select app_private.link_stripe_customer($1, $2)", [merchant.userId, customer]));
          return [link(), link(), link()];
        }),
      );
      expect(outcomes.filter((outcome) => outcome !== "ok")).toEqual([]);
    } finally {
      await pool.end();
    }
    const { rows } = await db().root.query<{ n: number }>(
      "select count(*)::int as n from app_private.stripe_customers where user_id = any($1::uuid[])",
      [merchants.map((merchant) => merchant.userId)],
    );
    expect(rows[0]!.n).toBe(40);
  });

  it("a customer already linked to another account is never linked to a second one", async () => {
    const [first, second] = [await createMerchant(db()), await createMerchant(db())];
    await server.query("select app_private.link_stripe_customer($1, 'cus_shared0001')", [first.userId]);
    expect(await codeOf(server.query("select app_private.link_stripe_customer($1, 'cus_shared0001')", [second.userId]))).not.toBe("ok");
    const { rows } = await db().root.query("select user_id from app_private.stripe_customers where stripe_customer_id = 'cus_shared0001'");
    expect(rows).toEqual([{ user_id: first.userId }]);
  });
});

