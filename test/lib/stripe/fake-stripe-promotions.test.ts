// The local Stripe's coupons and promotion codes as our promo codes use
// them, through the real SDK: a coupon restricted to products (applies_to,
// returned only when expanded), the limits of a promotion code, redemption
// when a checkout is paid (counted on code and coupon, a Discount on the
// subscription), the discount taken off the first invoice's plan line only,
// and the last redemption refused to a second customer.
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStripe } from "../../../lib/stripe/client.ts";
import { startFakeStripe, type FakeStripe } from "../../helpers/fake-stripe/index.ts";

let fake: FakeStripe;
let stripe: Stripe;
let plan: Stripe.Product;
let sms: Stripe.Product;
let monthly: Stripe.Price;
let overage: Stripe.Price;

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = makeStripe(fake.config, { maxNetworkRetries: 0 })!;
  plan = await stripe.products.create({ name: "Waitify Basic" });
  sms = await stripe.products.create({ name: "Waitify SMS" });
  const meter = await stripe.billing.meters.create({
    display_name: "SMS parts",
    event_name: "waitify_sms_parts_promotions",
    default_aggregation: { formula: "sum" },
    customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" },
  });
  monthly = await stripe.prices.create({ product: plan.id, currency: "eur", unit_amount: 1900, recurring: { interval: "month" } });
  overage = await stripe.prices.create({
    product: sms.id,
    currency: "eur",
    billing_scheme: "tiered",
    tiers_mode: "graduated",
    tiers: [
      { up_to: 10, unit_amount: 0 },
      { up_to: "inf", unit_amount: 3 },
    ],
    recurring: { interval: "month", usage_type: "metered", meter: meter.id },
  });
});
afterAll(async () => {
  await fake.close();
});

async function caught(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error("expected a rejection");
}

async function paidCheckout(promotionCode: string) {
  const customer = await stripe.customers.create({ email: "promo@example.com" });
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    customer: customer.id,
    line_items: [{ price: monthly.id, quantity: 1 }, { price: overage.id }],
    discounts: [{ promotion_code: promotionCode }],
    success_url: "https://waitify.test/ok",
  });
  return fake.completeCheckout(session.id);
}

describe("coupons", () => {
  it("keep applies_to.products, shown only when expanded; refuse what Stripe refuses", async () => {
    const coupon = await stripe.coupons.create({ percent_off: 25, duration: "repeating", duration_in_months: 3, applies_to: { products: [plan.id] } });
    expect(coupon).toMatchObject({ percent_off: 25, duration: "repeating", duration_in_months: 3, valid: true, times_redeemed: 0 });
    expect(coupon.applies_to).toBeUndefined();
    expect((await stripe.coupons.retrieve(coupon.id, { expand: ["applies_to"] })).applies_to).toEqual({ products: [plan.id] });

    const refusals: Array<[Stripe.CouponCreateParams, string]> = [
      [{ percent_off: 0, duration: "once" }, "percent_off"],
      [{ percent_off: 101, duration: "once" }, "percent_off"],
      [{ amount_off: 500, duration: "once" }, "currency"],
      [{ amount_off: -5, currency: "eur", duration: "once" }, "amount_off"],
      [{ percent_off: 10, duration: "repeating" }, "duration_in_months"],
      [{ percent_off: 10, duration: "forever", duration_in_months: 2 }, "duration_in_months"],
      [{ percent_off: 10, duration: "once", applies_to: { products: ["prod_nope"] } }, "applies_to[products]"],
    ];
    for (const [params, param] of refusals) {
      expect(await caught(stripe.coupons.create(params)), JSON.stringify(params)).toMatchObject({ statusCode: 400, param });
    }
  });
});

describe("promotion codes at checkout", () => {
  it("a paid checkout redeems the code: counted on code and coupon, a Discount on the subscription, the plan line discounted, never the SMS line", async () => {
    const coupon = await stripe.coupons.create({ percent_off: 50, duration: "repeating", duration_in_months: 2, applies_to: { products: [plan.id] } });
    const code = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "MOITIE", max_redemptions: 5 });
    const completion = await paidCheckout(code.id);

    expect(await stripe.promotionCodes.retrieve(code.id)).toMatchObject({ times_redeemed: 1, active: true });
    expect(await stripe.coupons.retrieve(coupon.id)).toMatchObject({ times_redeemed: 1 });
    const subscription = await stripe.subscriptions.retrieve(completion.subscription.id, { expand: ["discounts"] });
    expect(subscription.discounts).toHaveLength(1);
    const discount = subscription.discounts[0] as Stripe.Discount;
    expect(discount).toMatchObject({
      object: "discount",
      promotion_code: code.id,
      source: { type: "coupon", coupon: coupon.id },
      subscription: subscription.id,
      customer: completion.customer.id,
      checkout_session: completion.session.id,
    });
    // Two calendar months from the start.
    const start = new Date(discount.start * 1000);
    const end = new Date(discount.end! * 1000);
    expect((end.getUTCFullYear() - start.getUTCFullYear()) * 12 + end.getUTCMonth() - start.getUTCMonth()).toBe(2);
    // Unexpanded, the subscription lists the discount's id.
    expect((await stripe.subscriptions.retrieve(subscription.id)).discounts).toEqual([discount.id]);
    // The listing expands them too.
    const listed = await stripe.subscriptions.list({ customer: completion.customer.id, expand: ["data.discounts"] });
    expect((listed.data[0]!.discounts[0] as Stripe.Discount).promotion_code).toBe(code.id);

    const invoice = await stripe.invoices.retrieve(completion.invoice.id);
    const planLine = invoice.lines.data.find((line) => line.pricing?.price_details?.product === plan.id)!;
    expect(planLine.amount).toBeGreaterThan(0);
    expect(planLine.discount_amounts).toEqual([{ amount: Math.round(planLine.amount / 2), discount: discount.id }]);
    expect(invoice.total_discount_amounts).toEqual([{ amount: Math.round(planLine.amount / 2), discount: discount.id }]);
    expect(invoice.total).toBe(invoice.subtotal - Math.round(planLine.amount / 2));
    expect(invoice.amount_due).toBe(invoice.total);
  });

  it("a fixed amount off once is taken from the first invoice only", async () => {
    const coupon = await stripe.coupons.create({ amount_off: 300, currency: "eur", duration: "once", applies_to: { products: [plan.id] } });
    const code = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "TROIS-EUROS" });
    const completion = await paidCheckout(code.id);
    const first = await stripe.invoices.retrieve(completion.invoice.id);
    expect(first.total).toBe(first.subtotal - Math.min(300, first.subtotal));
    // Used up by the first invoice: the subscription no longer carries it, the renewal is full price.
    expect((await stripe.subscriptions.retrieve(completion.subscription.id)).discounts).toEqual([]);
    const { invoice: renewal } = fake.renewSubscription(completion.subscription.id);
    expect(renewal.total_discount_amounts).toEqual([]);
  });

  it("limits: max_redemptions and expires_at; the last redemption goes to the first customer to pay, the second is refused", async () => {
    const coupon = await stripe.coupons.create({ percent_off: 100, duration: "repeating", duration_in_months: 1, applies_to: { products: [plan.id] } });
    expect(
      await caught(stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "PASSE", expires_at: Math.floor(Date.now() / 1000) - 10 })),
    ).toMatchObject({ statusCode: 400, param: "expires_at" });
    expect(
      await caught(stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "ZERO", max_redemptions: 0 })),
    ).toMatchObject({ statusCode: 400, param: "max_redemptions" });

    const code = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "DERNIER-MOIS", max_redemptions: 1 });
    const sessions: Stripe.Checkout.Session[] = [];
    for (const email of ["a@example.com", "b@example.com"]) {
      const customer = await stripe.customers.create({ email });
      sessions.push(
        await stripe.checkout.sessions.create({
          mode: "subscription",
          customer: customer.id,
          line_items: [{ price: monthly.id, quantity: 1 }],
          discounts: [{ promotion_code: code.id }],
          success_url: "https://waitify.test/ok",
        }),
      );
    }
    fake.completeCheckout(sessions[0]!.id);
    expect(() => fake.completeCheckout(sessions[1]!.id)).toThrow(/can no longer be redeemed/);
    expect(await stripe.promotionCodes.retrieve(code.id)).toMatchObject({ times_redeemed: 1, active: false });
    expect((await stripe.checkout.sessions.retrieve(sessions[1]!.id)).status).toBe("open");
  });

  it("metadata: a key posted empty is removed", async () => {
    const coupon = await stripe.coupons.create({ percent_off: 10, duration: "once" });
    const code = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "META", metadata: { a: "1", b: "2" } });
    const updated = await stripe.promotionCodes.update(code.id, { metadata: { a: "" } });
    expect(updated.metadata).toEqual({ b: "2" });
  });
});
