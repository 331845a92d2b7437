// The billing mutations on an existing subscription, over real HTTP with the
// real Stripe SDK against the local fake: the billing portal, cancelling and
// resuming (monthly and yearly plans), changing plan, and what one merchant
// can see of another's billing (nothing).
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, type TestMerchant } from "../helpers/fixtures.ts";
import { CHECKOUT, PUBLIC_URL, SUMMARY, deliver, subscribe, useBillingEnvironment } from "../helpers/billing.ts";
import type { StripeObject } from "../helpers/fake-stripe/index.ts";

const db = useTestDatabase();
const env = useBillingEnvironment(db);

type Summary = Record<string, unknown> & { cancelAtPeriodEnd: boolean; currentPeriodEnd: string | null };
type Change = { subscription: Summary | null } | null;

const PORTAL = "mutation { createBillingPortalSession { url } }";
const CANCEL = `mutation { cancelSubscription { subscription { ${SUMMARY} } } }`;
const RESUME = `mutation { resumeSubscription { subscription { ${SUMMARY} } } }`;
const CHANGE = `mutation ($input: ChangePlanInput!) { changePlan(input: $input) { subscription { ${SUMMARY} } } }`;

async function mutate(query: string, merchant: TestMerchant, variables: Record<string, unknown> = {}) {
  return (await env().server.graphql<Record<string, Change & { url?: string }>>(query, variables, merchant.headers)).body;
}

async function mySubscription(merchant: TestMerchant): Promise<Summary> {
  const { body } = await env().server.graphql<{ mySubscription: Summary }>(`{ mySubscription { ${SUMMARY} } }`, {}, merchant.headers);
  return body.data!.mySubscription;
}

async function feed(merchant: TestMerchant): Promise<Array<{ eventType: string; actor: string; userId: string }>> {
  const { body } = await env().server.graphql<{ allAccountEvents: { nodes: Array<{ eventType: string; actor: string; userId: string }> } }>(
    "{ allAccountEvents(orderBy: ROW_ID_ASC) { nodes { eventType actor userId } } }",
    {},
    merchant.headers,
  );
  return body.data!.allAccountEvents.nodes;
}

const updatesOf = (subscriptionId: string) => env().fake.requests({ method: "POST", path: `/v1/subscriptions/${subscriptionId}` });
const stripeSubscription = (id: string) => env().fake.get(id, ["items.data.price"])!;
const itemPrices = (subscription: StripeObject) =>
  (subscription.items as { data: Array<{ price: { id: string } }> }).data.map((item) => item.price.id);

describe("createBillingPortalSession", () => {
  it("is NO_SUBSCRIPTION before any checkout; then opens the portal of the account's customer, back to PUBLIC_URL/billing", async () => {
    const merchant = await createMerchant(db());
    const none = await mutate(PORTAL, merchant);
    expect(none.errors?.[0]).toMatchObject({
      message: "Aucun abonnement pour ce compte : souscrivez d'abord.",
      extensions: { code: "NO_SUBSCRIPTION" },
    });
    const { customer } = await subscribe(env(), db(), merchant);
    const body = await mutate(PORTAL, merchant);
    expect(body.errors).toBeUndefined();
    const url = body.data!.createBillingPortalSession!.url!;
    expect(url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    const portal = env().fake.list("billing_portal.session").find((session) => session.url === url);
    expect(portal).toMatchObject({ customer: customer.id, return_url: `${PUBLIC_URL}/billing` });
  });
});

describe("cancelSubscription and resumeSubscription", () => {
  it("a monthly plan: cancel at period end, noted once in the feed, then resumed; the webhook that follows changes nothing", async () => {
    const merchant = await createMerchant(db());
    const { subscription } = await subscribe(env(), db(), merchant, "basic", "MONTH");
    const periodEnd = (subscription.items as { data: Array<{ current_period_end: number }> }).data[0]!.current_period_end;

    const cancelled = await mutate(CANCEL, merchant);
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelSubscription!.subscription).toMatchObject({ planName: "basic", cancelAtPeriodEnd: true });
    expect(Date.parse(String(cancelled.data!.cancelSubscription!.subscription!.currentPeriodEnd))).toBe(periodEnd * 1000);
    expect(stripeSubscription(subscription.id)).toMatchObject({ cancel_at_period_end: true, cancel_at: periodEnd, status: "active" });
    expect(updatesOf(subscription.id).map((request) => request.params)).toEqual([{ cancel_at_period_end: "true" }]);
    expect((await mySubscription(merchant)).cancelAtPeriodEnd).toBe(true);

    // Again: already scheduled, so nothing is sent and nothing noted twice.
    expect((await mutate(CANCEL, merchant)).data!.cancelSubscription!.subscription!.cancelAtPeriodEnd).toBe(true);
    expect(updatesOf(subscription.id)).toHaveLength(1);
    expect((await feed(merchant)).filter((event) => event.eventType === "subscription_cancel_scheduled")).toEqual([
      { eventType: "subscription_cancel_scheduled", actor: "merchant", userId: merchant.userId },
    ]);

    const resumed = await mutate(RESUME, merchant);
    expect(resumed.errors).toBeUndefined();
    expect(resumed.data!.resumeSubscription!.subscription!.cancelAtPeriodEnd).toBe(false);
    expect(stripeSubscription(subscription.id)).toMatchObject({ cancel_at_period_end: false, cancel_at: null });
    expect(updatesOf(subscription.id).at(-1)!.params).toEqual({ cancel_at_period_end: "false" });
    expect((await mySubscription(merchant)).cancelAtPeriodEnd).toBe(false);

    // Nothing to resume now: no call, no event.
    await mutate(RESUME, merchant);
    expect(updatesOf(subscription.id)).toHaveLength(2);
    const events = await feed(merchant);
    expect(events.filter((event) => event.eventType === "subscription_resumed")).toHaveLength(1);

    // Stripe's own webhook about the same change arrives later: applied again, harmlessly.
    await deliver(env(), db(), [env().fake.event("customer.subscription.updated", stripeSubscription(subscription.id))]);
    expect(await feed(merchant)).toEqual(events);
    expect((await mySubscription(merchant)).cancelAtPeriodEnd).toBe(false);
  });

  it("a yearly plan ends with its year (cancel_at = max_period_end), not with its monthly overage item", async () => {
    const merchant = await createMerchant(db());
    const { subscription } = await subscribe(env(), db(), merchant, "pro", "YEAR");
    // Past the first, short period: the plan item now runs a year, the overage item a month.
    const { fake } = env();
    fake.setTime(Number(subscription.billing_cycle_anchor));
    try {
      const renewed = fake.renewSubscription(subscription.id).subscription;
      const ends = (renewed.items as { data: Array<{ current_period_end: number }> }).data.map((item) => item.current_period_end);
      const yearEnd = Math.max(...ends);
      expect(Math.min(...ends)).toBeLessThan(yearEnd);

      const cancelled = await mutate(CANCEL, merchant);
      expect(cancelled.errors).toBeUndefined();
      expect(updatesOf(subscription.id).map((request) => request.params)).toEqual([{ cancel_at: "max_period_end" }]);
      expect(stripeSubscription(subscription.id)).toMatchObject({ cancel_at: yearEnd, cancel_at_period_end: false });
      const summary = cancelled.data!.cancelSubscription!.subscription!;
      expect(summary).toMatchObject({ planName: "pro", billingInterval: "year", cancelAtPeriodEnd: true });
      expect(Date.parse(String(summary.currentPeriodEnd))).toBe(yearEnd * 1000);

      const resumed = await mutate(RESUME, merchant);
      expect(resumed.data!.resumeSubscription!.subscription!.cancelAtPeriodEnd).toBe(false);
      expect(updatesOf(subscription.id).at(-1)!.params).toEqual({ cancel_at: "" });
      expect(stripeSubscription(subscription.id)).toMatchObject({ cancel_at: null, cancel_at_period_end: false });
    } finally {
      fake.setTime(Math.floor(Date.now() / 1000));
    }
  });
});

describe("changePlan", () => {
  it("refuses a plan too small for the active businesses (PLAN_LIMIT) without touching Stripe", async () => {
    const shop = await createBusiness(db(), { plan: "pro" });
    await createBusiness(db(), { merchant: shop.merchant, name: "Boulangerie Paul 2" });
    const { subscription } = await subscribe(env(), db(), shop.merchant, "pro", "MONTH");
    const body = await mutate(CHANGE, shop.merchant, { input: { plan: "basic" } });
    expect(body.data?.changePlan).toBeNull();
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: "PLAN_LIMIT" } });
    expect(updatesOf(subscription.id)).toHaveLength(0);
    expect(itemPrices(stripeSubscription(subscription.id))).toEqual([env().prices.waitify_pro_monthly, env().prices.waitify_pro_sms_overage]);
    expect((await mySubscription(shop.merchant)).planName).toBe("pro");
  });

  it("moves both items to the new plan's prices, prorated, and the account to the plan; then to yearly billing", async () => {
    const shop = await createBusiness(db(), { plan: "basic" });
    const { subscription, customer } = await subscribe(env(), db(), shop.merchant, "basic", "MONTH");
    const { prices, fake } = env();

    const body = await mutate(CHANGE, shop.merchant, { input: { plan: "pro" } });
    expect(body.errors).toBeUndefined();
    expect(body.data!.changePlan!.subscription).toMatchObject({ planName: "pro", billingInterval: "month", status: "active" });
    expect(updatesOf(subscription.id)[0]!.params).toMatchObject({ proration_behavior: "create_prorations" });
    expect(itemPrices(stripeSubscription(subscription.id))).toEqual([prices.waitify_pro_monthly, prices.waitify_pro_sms_overage]);
    const prorations = fake.list("invoiceitem").filter((item) => item.customer === customer.id && item.proration === true);
    expect(prorations.length).toBeGreaterThan(0);
    expect(prorations.reduce((sum, item) => sum + Number(item.amount), 0)).toBeGreaterThan(0);
    expect(await feed(shop.merchant)).toContainEqual({ eventType: "plan_changed", actor: "merchant", userId: shop.userId });
    // The account itself is on the new plan (its limits and quota follow).
    const { rows } = await db().root.query(
      "select p.name from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id where u.id = $1",
      [shop.userId],
    );
    expect(rows[0].name).toBe("pro");

    const yearly = await mutate(CHANGE, shop.merchant, { input: { plan: "pro", interval: "YEAR" } });
    expect(yearly.data!.changePlan!.subscription).toMatchObject({ planName: "pro", billingInterval: "year" });
    expect(itemPrices(stripeSubscription(subscription.id))).toEqual([prices.waitify_pro_yearly, prices.waitify_pro_sms_overage]);
  });
});

describe("no subscription, and another merchant's billing", () => {
  it("cancel, resume and change of plan are NO_SUBSCRIPTION without a live subscription, also after an unfinished checkout", async () => {
    const merchant = await createMerchant(db());
    const check = async () => {
      for (const [query, variables] of [[CANCEL, {}], [RESUME, {}], [CHANGE, { input: { plan: "pro" } }]] as const) {
        const body = await mutate(query, merchant, variables);
        expect(body.errors?.[0]?.extensions, query).toEqual({ code: "NO_SUBSCRIPTION" });
      }
    };
    await check();
    // A checkout started but never paid: a Stripe customer, no subscription.
    await env().server.graphql(CHECKOUT, { input: { plan: "basic" } }, merchant.headers);
    await check();
  });

  it("a merchant never sees nor changes another's subscription, invoices or feed", async () => {
    const owner = await createMerchant(db());
    const other = await createMerchant(db());
    const { subscription } = await subscribe(env(), db(), owner, "pro", "MONTH");
    await mutate(CANCEL, owner);

    expect(await mySubscription(other)).toMatchObject({ planName: "basic", status: "trial", billingInterval: null, cancelAtPeriodEnd: false });
    const invoices = async (merchant: TestMerchant) =>
      (await env().server.graphql<{ myInvoices: { nodes: unknown[] } }>("{ myInvoices { nodes { number } } }", {}, merchant.headers)).body.data!
        .myInvoices.nodes;
    expect(await invoices(owner)).toHaveLength(1);
    expect(await invoices(other)).toEqual([]);
    expect((await feed(other)).every((event) => event.userId === other.userId)).toBe(true);
    expect((await feed(owner)).length).toBeGreaterThan(0);

    // The other merchant's mutations act on their own (absent) subscription only.
    expect((await mutate(RESUME, other)).errors?.[0]?.extensions).toEqual({ code: "NO_SUBSCRIPTION" });
    expect((await mutate(PORTAL, other)).errors?.[0]?.extensions).toEqual({ code: "NO_SUBSCRIPTION" });
    expect(stripeSubscription(subscription.id)).toMatchObject({ cancel_at_period_end: true });
    expect((await mySubscription(owner)).cancelAtPeriodEnd).toBe(true);
  });
});
