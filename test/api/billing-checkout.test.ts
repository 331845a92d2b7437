// createCheckoutSession over real HTTP, the real Stripe SDK against the local
// fake (its catalog made by stripe:sync): what the Checkout Session carries,
// one Stripe customer per account, promotion codes Stripe alone knows, the plan and
// subscription rules, the account after the customer paid (webhooks through
// the worker), and the errors when Stripe fails or is not configured.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant } from "../helpers/fixtures.ts";
import { adminHeaders } from "../helpers/auth.ts";
import { CHECKOUT, PUBLIC_URL, SUMMARY, sessionIdOf, subscribe, useBillingEnvironment } from "../helpers/billing.ts";
import { startTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const env = useBillingEnvironment(db);

type Checkout = { createCheckoutSession: { url: string } | null };

async function checkout(headers: Record<string, string>, input: Record<string, unknown>) {
  return (await env().server.graphql<Checkout>(CHECKOUT, { input }, headers)).body;
}

async function linkedCustomer(userId: string): Promise<string | undefined> {
  const { rows } = await db().root.query<{ id: string }>(
    "select stripe_customer_id as id from app_private.stripe_customers where user_id = $1",
    [userId],
  );
  return rows[0]?.id;
}

/** The 1st of next month, 00:00 UTC, in seconds. */
function nextFirstOfMonth(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) / 1000;
}

describe("createCheckoutSession", () => {
  it("answers a Checkout URL whose session has the account's customer, its id, the plan's prices, our URLs and the anchor on the 1st", async () => {
    const merchant = await createMerchant(db());
    const body = await checkout(merchant.headers, { plan: "pro", interval: "YEAR" });
    expect(body.errors).toBeUndefined();
    const url = body.data!.createCheckoutSession!.url;
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);

    const customerId = await linkedCustomer(merchant.userId);
    expect(customerId).toMatch(/^cus_/);
    expect(env().fake.get(customerId!)).toMatchObject({ email: merchant.email, metadata: { user_id: merchant.userId } });

    const { session, lineItems, subscriptionData, discounts, allowPromotionCodes } = env().fake.checkoutSession(sessionIdOf(url));
    expect(session).toMatchObject({
      mode: "subscription",
      customer: customerId,
      client_reference_id: merchant.userId,
      success_url: `${PUBLIC_URL}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${PUBLIC_URL}/billing`,
      url,
    });
    const { prices } = env();
    expect(lineItems.map((item) => [(item.price as { id: string }).id, item.quantity])).toEqual([
      [prices.waitify_pro_yearly, 1],
      [prices.waitify_pro_sms_overage, undefined],
    ]);
    expect(subscriptionData).toEqual({
      metadata: { user_id: merchant.userId },
      billing_mode: { type: "flexible" },
      billing_cycle_anchor_config: { day_of_month: "1", hour: "0", minute: "0", second: "0" },
    });
    expect(discounts).toEqual([]);
    expect(allowPromotionCodes).toBe(true);
  });

  it("creates the account's Stripe customer once: two checkouts at once and a third later share it", async () => {
    const merchant = await createMerchant(db());
    const before = env().fake.requests({ method: "POST", path: "/v1/customers" }).length;
    const [first, second] = await Promise.all([
      checkout(merchant.headers, { plan: "basic" }),
      checkout(merchant.headers, { plan: "basic" }),
    ]);
    const third = await checkout(merchant.headers, { plan: "pro" });
    expect([first.errors, second.errors, third.errors]).toEqual([undefined, undefined, undefined]);
    const customers = [first, second, third].map(
      (body) => env().fake.checkoutSession(sessionIdOf(body.data!.createCheckoutSession!.url)).session.customer,
    );
    const linked = await linkedCustomer(merchant.userId);
    expect(customers).toEqual([linked, linked, linked]);
    expect(env().fake.list("customer").filter((customer) => (customer.metadata as Record<string, string>).user_id === merchant.userId)).toHaveLength(1);
    // Each checkout that found no linked customer asked Stripe for one, with the
    // account's key: one or two requests (two when both read the account before
    // either linked it, one when the machine served them one after the other),
    // and Stripe executed exactly one of them (a second is its replay); the third asked none.
    const created = env().fake.requests({ method: "POST", path: "/v1/customers" }).slice(before);
    expect(created.length === 1 || created.length === 2, `${created.length} customer creations`).toBe(true);
    expect(new Set(created.map((request) => request.idempotencyKey))).toEqual(new Set([`waitify-customer-${merchant.userId}`]));
    expect(created.filter((request) => !request.replayed)).toHaveLength(1);
  });

  it("a promotion code only Stripe knows (not made in the back office), or a malformed one, is PROMOTION_CODE_INVALID before any Stripe call", async () => {
    // Codes made by adminCreatePromoCode and applied here: test/api/admin-promo-codes.test.ts.
    const { stripe, fake } = env();
    const coupon = await stripe.coupons.create({ percent_off: 20, duration: "once" });
    await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "BIENVENUE" });
    const merchant = await createMerchant(db());

    const before = fake.requests().length;
    for (const code of ["BIENVENUE", " bienvenue ", "NOPE", "x' or 1=1 --"]) {
      const refused = await checkout(merchant.headers, { plan: "basic", promotionCode: code });
      expect(refused.data?.createCheckoutSession).toBeNull();
      expect(refused.errors?.[0]).toMatchObject({
        message: "Code promotionnel invalide ou expiré.",
        extensions: { code: "PROMOTION_CODE_INVALID" },
      });
    }
    // Refused from our table: Stripe was not asked anything (no customer, no lookup, no session).
    expect(fake.requests().slice(before)).toEqual([]);
  });

  it("refuses a plan too small for the active businesses (PLAN_LIMIT) and an unknown plan, before calling Stripe", async () => {
    const shop = await createBusiness(db(), { plan: "pro" });
    await createBusiness(db(), { merchant: shop.merchant, name: "Boulangerie Paul 2" });
    const before = env().fake.requests().length;
    const small = await checkout(shop.merchant.headers, { plan: "basic" });
    expect(small.errors?.[0]).toMatchObject({
      message: "Le forfait « basic » permet 1 établissement(s) actif(s) ; vous en avez 2. Supprimez-en avant de changer de forfait.",
      extensions: { code: "PLAN_LIMIT" },
    });
    const unknown = await checkout(shop.merchant.headers, { plan: "gold" });
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: "NOT_FOUND" });
    expect(env().fake.requests().length).toBe(before);
    // The same account may take a plan that fits.
    expect((await checkout(shop.merchant.headers, { plan: "pro" })).errors).toBeUndefined();
  });

  it("once the customer paid, the account is active on its plan from the webhooks, and a second subscription is refused", async () => {
    const merchant = await createMerchant(db());
    const { subscription } = await subscribe(env(), db(), merchant, "pro", "MONTH");
    const anchor = nextFirstOfMonth(new Date(Number(subscription.created) * 1000));
    // Stripe anchored the periods on the 1st: the first one ends there.
    expect(subscription.billing_cycle_anchor).toBe(anchor);

    const { rows } = await db().root.query(
      `select u.subscription_status as status, p.name as plan from app_public.users u
         join app_public.subscription_plans p on p.id = u.subscription_plan_id where u.id = $1`,
      [merchant.userId],
    );
    expect(rows[0]).toEqual({ status: "active", plan: "pro" });
    const summary = await env().server.graphql<{ mySubscription: Record<string, unknown> }>(`{ mySubscription { ${SUMMARY} } }`, {}, merchant.headers);
    const mine = summary.body.data!.mySubscription;
    expect(mine).toMatchObject({ planName: "pro", status: "active", billingInterval: "month", cancelAtPeriodEnd: false });
    expect(Date.parse(String(mine.currentPeriodEnd))).toBe(anchor * 1000);

    const again = await checkout(merchant.headers, { plan: "enterprise" });
    expect(again.errors?.[0]).toMatchObject({
      message: "Vous avez déjà un abonnement : changez de forfait plutôt que d'en souscrire un second.",
      extensions: { code: "ALREADY_SUBSCRIBED" },
    });
  });

  it("a failing Stripe answers STRIPE_FAILURE (5002) with our sentence, none of Stripe's", async () => {
    const merchant = await createMerchant(db());
    // The SDK retries a 500 twice: all three attempts fail.
    env().fake.failNext(3, { status: 500, path: "/v1/customers", message: "Internal error on sk_test_secret req_internal" });
    const body = await checkout(merchant.headers, { plan: "basic" });
    expect(body.data?.createCheckoutSession).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toEqual({
      message: "Could not start the checkout: the payment provider is unavailable. Please try again in a few minutes.",
      locations: expect.any(Array),
      path: ["createCheckoutSession"],
      extensions: { code: "STRIPE_FAILURE", number: 5002, retryable: true },
    });
    expect(JSON.stringify(body)).not.toMatch(/sk_test|req_internal|api_error|Internal error|stack/);
    // Nothing was linked: the next try starts afresh and works.
    expect(await linkedCustomer(merchant.userId)).toBeUndefined();
    expect((await checkout(merchant.headers, { plan: "basic" })).errors).toBeUndefined();
  });
});

describe("who sees the billing mutations", () => {
  const names = ["createCheckoutSession", "createBillingPortalSession", "cancelSubscription", "resumeSubscription", "changePlan"];
  const mutationFields = `{ __type(name: "Mutation") { fields { name } } }`;

  it("merchants have them; anonymous and the admin neither see nor call them", async () => {
    const merchant = await createMerchant(db());
    const fieldsOf = async (headers: Record<string, string>) => {
      const { body } = await env().server.graphql<{ __type: { fields: { name: string }[] } }>(mutationFields, {}, headers);
      return body.data!.__type.fields.map((field) => field.name);
    };
    expect(await fieldsOf(merchant.headers)).toEqual(expect.arrayContaining(names));
    for (const headers of [{}, adminHeaders()]) {
      expect((await fieldsOf(headers)).filter((name) => names.includes(name))).toEqual([]);
      const { body } = await env().server.graphql(CHECKOUT, { input: { plan: "basic" } }, headers);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.message).toMatch(/Unknown type "CreateCheckoutSessionInput"|Cannot query field "createCheckoutSession"/);
    }
  });
});

describe("without Stripe", () => {
  it("every billing mutation answers BILLING_NOT_CONFIGURED and nothing is written", async () => {
    const server = await startTestServer(db());
    try {
      const merchant = await createMerchant(db());
      const operations = [
        [CHECKOUT, { input: { plan: "basic" } }],
        ["mutation { createBillingPortalSession { url } }", {}],
        ["mutation { cancelSubscription { subscription { cancelAtPeriodEnd } } }", {}],
        ["mutation { resumeSubscription { subscription { cancelAtPeriodEnd } } }", {}],
        ['mutation { changePlan(input: {plan: "pro"}) { subscription { planName } } }', {}],
      ] as const;
      for (const [query, variables] of operations) {
        const { body } = await server.graphql(query, variables, merchant.headers);
        expect(body.errors?.[0], query).toMatchObject({
          message: "Billing is not available on this server.",
          extensions: { code: "BILLING_NOT_CONFIGURED" },
        });
      }
      expect(await linkedCustomer(merchant.userId)).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
