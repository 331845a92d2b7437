// db/billing/checkout.sql: the rules behind the merchant's billing operations,
// reached only on the authenticator's own connection with the merchant's id.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, failure, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness } from "../../helpers/fixtures.ts";
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
      "WTDUP",
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
    expect(await codeOf(server.query("select * from app_private.subscription_context($1)", [none.userId]))).toBe("WTNFD");
  });
});
