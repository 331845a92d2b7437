// db/billing/statements.sql and merchant.sql: a month's statement from our
// own ledger (plan price + SMS parts over the quota × 3 cents), what the
// merchant reads of it, and the source's billing defects not repeated.
import { beforeAll, describe, expect, it } from "vitest";
import { merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness } from "../../helpers/fixtures.ts";
import { invoice, linkCustomer, seedStripePrices, subscription } from "../../helpers/stripe-objects.ts";

const db = useTestDatabase();
beforeAll(async () => {
  await seedStripePrices(db());
});

/** Writes SMS log rows as the worker leaves them (no queue entry needed for billing). */
async function smsSent(
  businessId: string,
  userId: string,
  parts: number[],
  options: { status?: string; sentAt?: string } = {},
): Promise<void> {
  for (const count of parts) {
    await db().root.query(
      `insert into app_public.sms_logs (business_id, user_id, phone, message_type, message_content, status, provider_message_id,
         parts, sent_at, delivered_at, error_code)
       values ($1, $2, '+33612345678', 'confirmation', 'Bonjour', $3, case when $3 in ('sent', 'delivered') then 'msg' end,
         case when $3 in ('sent', 'delivered') then $4::integer end, $5::timestamptz,
         case when $3 = 'delivered' then $5::timestamptz end, case when $3 = 'failed' then 5001 end)`,
      [businessId, userId, options.status ?? "sent", count, options.sentAt ?? "2026-11-15T10:00:00Z"],
    );
  }
}

async function subscribe(userId: string, plan: "basic" | "pro", interval: "monthly" | "yearly" = "monthly") {
  const customer = await linkCustomer(db(), userId);
  // As the stripe_event task does: Stripe's word on the plan is recorded as it is.
  await db().root.query(
    "select set_config('waitify.actor', 'stripe', false), app_private.apply_stripe_subscription($1), set_config('waitify.actor', '', false)",
    [JSON.stringify(subscription({ customer, status: "active", plan, interval, created: new Date(Date.UTC(2026, 9, 1)) }))],
  );
  return customer;
}

describe("monthly statements", () => {
  it("plan price + parts over the quota × 3 cents; sent and delivered count, failed and other months do not", async () => {
    const shop = await createBusiness(db(), { plan: "pro", name: "A shop" });
    const other = await createBusiness(db(), { merchant: shop.merchant, name: "B shop" });
    const silent = await createBusiness(db(), { merchant: shop.merchant, name: "C shop" });
    await subscribe(shop.userId, "basic");
    // 2,400 parts in A (1,200 messages of 2 parts), 150 in B (delivered), quota 1,000 (basic).
    await smsSent(shop.businessId, shop.userId, Array<number>(1200).fill(2));
    await smsSent(other.businessId, other.userId, Array<number>(50).fill(3), { status: "delivered" });
    await smsSent(other.businessId, other.userId, [1, 1], { status: "failed" });
    await smsSent(other.businessId, other.userId, [4], { sentAt: "2026-12-01T00:00:00Z" });

    const { rows } = await db().root.query("select (app_private.compute_statement($1, '2026-11-15')).*", [shop.userId]);
    const statement = rows[0];
    expect(statement).toMatchObject({
      plan_price_cents: 1900,
      active_businesses: 3,
      sms_included: 1000,
      sms_used: 2550,
      sms_overage: 1550,
      overage_cost_cents: 4650,
      total_cents: 6550,
      status: "pending",
    });
    expect(statement.period_start.toISOString().slice(0, 10)).toBe("2026-11-01");
    expect(statement.usage_by_business).toEqual([
      { businessId: shop.businessId, name: "A shop", parts: 2400 },
      { businessId: other.businessId, name: "B shop", parts: 150 },
      { businessId: silent.businessId, name: "C shop", parts: 0 },
    ]);

    // Idempotent: the same month again gives the same row; an invoiced statement is left alone.
    await db().root.query("select app_private.compute_statements('2026-11-01')");
    const again = await db().root.query("select count(*)::int as n, max(total_cents) as total from app_public.billing_statements where user_id = $1", [
      shop.userId,
    ]);
    expect(again.rows[0]).toEqual({ n: 1, total: 6550 });
    await db().root.query("update app_public.billing_statements set status = 'invoiced' where user_id = $1", [shop.userId]);
    await smsSent(shop.businessId, shop.userId, [10]);
    await db().root.query("select app_private.compute_statement($1, '2026-11-01')", [shop.userId]);
    const frozen = await db().root.query("select sms_used from app_public.billing_statements where user_id = $1", [shop.userId]);
    expect(frozen.rows[0].sms_used).toBe(2550);

    // The merchant reads their own statement, nobody else's.
    const mine = await merchantQuery(db(), shop.userId, "select total_cents from app_public.billing_statements");
    expect(mine).toEqual([{ total_cents: 6550 }]);
    const stranger = await createBusiness(db());
    expect(await merchantQuery(db(), stranger.userId, "select * from app_public.billing_statements")).toEqual([]);
  });

  it("the month a subscription began: plan prorated by the second, SMS counted from its start, quota whole", async () => {
    const shop = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), shop.userId);
    await db().root.query(
      "select set_config('waitify.actor', 'stripe', false), app_private.apply_stripe_subscription($1), set_config('waitify.actor', '', false)",
      [JSON.stringify(subscription({ customer, status: "active", plan: "basic", created: new Date(Date.UTC(2026, 10, 16)) }))],
    );
    // During the trial (not billed), then after subscribing on the 16th.
    await smsSent(shop.businessId, shop.userId, [500], { sentAt: "2026-11-10T10:00:00Z" });
    await smsSent(shop.businessId, shop.userId, [1200], { sentAt: "2026-11-20T10:00:00Z" });
    const { rows } = await db().root.query("select (app_private.compute_statement($1, '2026-11-01')).*", [shop.userId]);
    // 15 of November's 30 days: 19 € × 15/30; 1,200 parts against the whole 1,000 quota.
    expect(rows[0]).toMatchObject({ plan_price_cents: 950, sms_included: 1000, sms_used: 1200, sms_overage: 200, total_cents: 1550 });
    const december = await db().root.query("select (app_private.compute_statement($1, '2026-12-01')).*", [shop.userId]);
    expect(december.rows[0]).toMatchObject({ plan_price_cents: 1900, sms_used: 0 });
  });

  it("a yearly plan is charged in the month its year starts (10 months' price), its overage every month", async () => {
    const shop = await createBusiness(db(), { plan: "pro" });
    await subscribe(shop.userId, "pro", "yearly");
    await smsSent(shop.businessId, shop.userId, [2600], { sentAt: "2026-12-10T10:00:00Z" });
    const december = await db().root.query("select (app_private.compute_statement($1, '2026-12-01')).*", [shop.userId]);
    expect(december.rows[0]).toMatchObject({ plan_price_cents: 49000, sms_overage: 100, total_cents: 49300 });
    const january = await db().root.query("select (app_private.compute_statement($1, '2027-01-01')).*", [shop.userId]);
    expect(january.rows[0]).toMatchObject({ plan_price_cents: 0, sms_overage: 0, total_cents: 0 });
  });
});

describe("what the merchant reads", () => {
  it("subscription, invoices, payment stats and this month's quota, their own only", async () => {
    const shop = await createBusiness(db(), { plan: "basic" });
    const customer = await subscribe(shop.userId, "basic");
    await db().root.query("select app_private.apply_stripe_invoice($1)", [
      JSON.stringify(invoice({ customer, status: "paid", amountDue: 1900, number: "WAIT-0001" })),
    ]);
    await db().root.query("select app_private.apply_stripe_invoice($1)", [
      JSON.stringify(invoice({ customer, status: "open", amountDue: 1900, attemptCount: 1, number: "WAIT-0002" })),
    ]);
    const now = new Date().toISOString();
    await smsSent(shop.businessId, shop.userId, [1200], { sentAt: now });

    const [summary] = await merchantQuery(db(), shop.userId, "select * from app_public.my_subscription()");
    expect(summary).toMatchObject({ plan_name: "basic", status: "past_due", billing_interval: "month", sms_quota: 1000 });
    const invoices = await merchantQuery(db(), shop.userId, "select number, status, amount_paid_cents from app_public.my_invoices() order by number");
    expect(invoices).toEqual([
      { number: "WAIT-0001", status: "paid", amount_paid_cents: 1900 },
      { number: "WAIT-0002", status: "open", amount_paid_cents: 0 },
    ]);
    const [quota] = await merchantQuery(db(), shop.userId, "select * from app_public.my_sms_quota()");
    expect(quota).toMatchObject({ sms_quota: 1000, parts_used: 1200, parts_over_quota: 200, overage_cost_cents: 600 });
    const [stats] = await merchantQuery(db(), shop.userId, "select * from app_public.my_payment_stats()");
    expect(stats).toMatchObject({ total_paid_cents: "1900", failed_payments: 1, estimated_next_amount_cents: 2500 });

    const stranger = await createBusiness(db());
    expect(await merchantQuery(db(), stranger.userId, "select * from app_public.my_invoices()")).toEqual([]);
    const [theirs] = await merchantQuery(db(), stranger.userId, "select * from app_public.my_sms_quota()");
    expect(theirs).toMatchObject({ parts_used: 0 });
  });
});
