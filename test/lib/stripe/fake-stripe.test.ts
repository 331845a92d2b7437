// The local Stripe (test/helpers/fake-stripe/) speaks the protocol the real
// SDK expects and keeps Stripe's rules that our billing relies on. Other
// tests trust it; these check it, through the real SDK and raw HTTP.
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStripe } from "../../../lib/stripe/client.ts";
import { keySegments, parseForm } from "../../helpers/fake-stripe/forms.ts";
import { startFakeStripe, type FakeStripe, type StripeObject } from "../../helpers/fake-stripe/index.ts";

let fake: FakeStripe;
let stripe: Stripe;
/** A yearly licensed price and a monthly metered overage price, as stripe:sync makes them. */
let catalog: { yearly: Stripe.Price; monthly: Stripe.Price; overage: Stripe.Price; meter: Stripe.Billing.Meter };

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = makeStripe(fake.config, { maxNetworkRetries: 0 })!;
  const product = await stripe.products.create({ name: "Waitify Basic" });
  const meter = await stripe.billing.meters.create({
    display_name: "SMS parts",
    event_name: "waitify_sms_parts",
    default_aggregation: { formula: "sum" },
    customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" },
  });
  const licensed = (interval: "month" | "year", amount: number) =>
    stripe.prices.create({ product: product.id, currency: "eur", unit_amount: amount, recurring: { interval } });
  catalog = {
    meter,
    monthly: await licensed("month", 1900),
    yearly: await licensed("year", 19_000),
    overage: await stripe.prices.create({
      product: product.id,
      currency: "eur",
      billing_scheme: "tiered",
      tiers_mode: "graduated",
      tiers: [
        { up_to: 1000, unit_amount: 0 },
        { up_to: "inf", unit_amount: 3 },
      ],
      recurring: { interval: "month", usage_type: "metered", meter: meter.id },
    }),
  };
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

async function raw(method: string, path: string, options: { body?: string; key?: string | null; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: {
      ...(options.key === null ? {} : { authorization: `Bearer ${options.key ?? fake.apiKey}` }),
      "content-type": "application/x-www-form-urlencoded",
      ...options.headers,
    },
    body: options.body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** A subscribed customer: checkout of the yearly plan plus the monthly overage, completed. */
async function subscribed(options: { trial?: boolean } = {}) {
  const customer = await stripe.customers.create({ email: "merchant@example.com" });
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    customer: customer.id,
    line_items: [{ price: catalog.yearly.id, quantity: 1 }, { price: catalog.overage.id }],
    success_url: "https://waitify.test/billing/success",
    cancel_url: "https://waitify.test/billing",
    subscription_data: { billing_mode: { type: "flexible" }, ...(options.trial ? { trial_period_days: 14 } : {}) },
  });
  return { customer, session, completion: fake.completeCheckout(session.id) };
}

describe("the wire format", () => {
  it("reads bracket notation into nested objects and arrays, and nothing into prototypes", () => {
    expect(keySegments("items[0][price]")).toEqual(["items", "0", "price"]);
    expect(parseForm("items[0][price]=p1&items[1][price]=p2&items[1][deleted]=true&expand[]=a&expand[]=b&metadata[k]=v%20w")).toEqual({
      items: [{ price: "p1" }, { price: "p2", deleted: "true" }],
      expand: ["a", "b"],
      metadata: { k: "v w" },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    parseForm("__proto__[polluted]=1&a[__proto__][polluted]=1");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("answers 401 in Stripe's error shape without a key or with a wrong one", async () => {
    const missing = await raw("GET", "/v1/products", { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ type: "invalid_request_error", message: expect.stringMatching(/did not provide an API key/) });
    const wrong = await raw("GET", "/v1/products", { key: "sk_test_wrong_key_here" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("request-id")).toMatch(/^req_/);
  });

  it("answers lists as Stripe does, and 404 for an unknown URL or object", async () => {
    const list = await raw("GET", "/v1/prices?limit=2");
    expect(list.body).toMatchObject({ object: "list", has_more: true, url: "/v1/prices" });
    expect(list.body.data).toHaveLength(2);
    expect((await raw("GET", "/v1/nothing")).status).toBe(404);
    const missing = await caught(stripe.customers.retrieve("cus_missing"));
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: "resource_missing", message: "No such customer: 'cus_missing'" });
  });

  it("replays a POST with the same Idempotency-Key and refuses the key with other params", async () => {
    const headers = { "idempotency-key": "create-once" };
    const first = await raw("POST", "/v1/customers", { body: "email=a%40example.com", headers });
    const again = await raw("POST", "/v1/customers", { body: "email=a%40example.com", headers });
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const other = await raw("POST", "/v1/customers", { body: "email=b%40example.com", headers });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ type: "idempotency_error" });
  });

  it("pages through lists with starting_after, as the SDK's auto-pagination does", async () => {
    for (let index = 0; index < 12; index++) await stripe.products.create({ name: `Page ${index}` });
    const firstPage = await stripe.products.list({ limit: 5 });
    expect(firstPage.has_more).toBe(true);
    const all = await stripe.products.list({ limit: 5 }).autoPagingToArray({ limit: 1000 });
    expect(new Set(all.map((product) => product.id)).size).toBe(fake.list("product").length);
  });
});

describe("catalog rules", () => {
  it("gives a lookup key to one price, unless it is transferred", async () => {
    const first = await stripe.prices.create({ product: catalog.yearly.product as string, currency: "eur", unit_amount: 100, lookup_key: "waitify_test_key" });
    const refused = await caught(
      stripe.prices.create({ product: catalog.yearly.product as string, currency: "eur", unit_amount: 200, lookup_key: "waitify_test_key" }),
    );
    expect(refused).toMatchObject({ statusCode: 400, param: "lookup_key" });
    const second = await stripe.prices.create({
      product: catalog.yearly.product as string,
      currency: "eur",
      unit_amount: 200,
      lookup_key: "waitify_test_key",
      transfer_lookup_key: true,
    });
    const found = await stripe.prices.list({ lookup_keys: ["waitify_test_key"] });
    expect(found.data.map((price) => price.id)).toEqual([second.id]);
    expect((await stripe.prices.retrieve(first.id)).lookup_key).toBeNull();
  });

  it("requires a meter for a metered price, and shows tiers only when expanded", async () => {
    const refused = await caught(
      stripe.prices.create({ product: catalog.yearly.product as string, currency: "eur", unit_amount: 3, recurring: { interval: "month", usage_type: "metered" } }),
    );
    expect(refused).toMatchObject({ statusCode: 400, param: "recurring[meter]" });
    expect((await stripe.prices.retrieve(catalog.overage.id)).tiers).toBeUndefined();
    const expanded = await stripe.prices.retrieve(catalog.overage.id, { expand: ["tiers"] });
    expect(expanded.tiers?.map((tier) => [tier.up_to, tier.unit_amount])).toEqual([
      [1000, 0],
      [null, 3],
    ]);
  });
});

describe("checkout", () => {
  it("keeps what the session was created with and answers a URL", async () => {
    const customer = await stripe.customers.create({ email: "checkout@example.com" });
    const coupon = await stripe.coupons.create({ amount_off: 500, currency: "eur", duration: "once" });
    const promotion = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "CHECKOUT5" });
    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.id,
      client_reference_id: "user-42",
      line_items: [{ price: catalog.monthly.id, quantity: 1 }, { price: catalog.overage.id }],
      subscription_data: { trial_period_days: 14, metadata: { plan: "basic" } },
      discounts: [{ promotion_code: promotion.id }],
      success_url: "https://waitify.test/ok",
      cancel_url: "https://waitify.test/cancel",
    });
    expect(session).toMatchObject({ id: expect.stringMatching(/^cs_test_/), object: "checkout.session", status: "open", mode: "subscription" });
    expect(session).toMatchObject({ client_reference_id: "user-42", customer: customer.id, success_url: "https://waitify.test/ok", cancel_url: "https://waitify.test/cancel" });
    expect(session.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const recorded = fake.checkoutSession(session.id);
    expect(recorded.subscriptionData).toEqual({ trial_period_days: "14", metadata: { plan: "basic" } });
    expect(recorded.discounts).toEqual([{ promotion_code: promotion.id }]);
    const items = await stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data.map((item) => [item.price?.id, item.quantity])).toEqual([
      [catalog.monthly.id, 1],
      [catalog.overage.id, undefined],
    ]);
  });

  it("refuses what Stripe refuses: a quantity for a metered price, discounts with promotion codes", async () => {
    const base = { mode: "subscription" as const, success_url: "https://waitify.test/ok" };
    const quantity = await caught(stripe.checkout.sessions.create({ ...base, line_items: [{ price: catalog.overage.id, quantity: 1 }] }));
    expect(quantity).toMatchObject({ statusCode: 400, param: "line_items[0][quantity]" });
    const both = await caught(
      stripe.checkout.sessions.create({ ...base, line_items: [{ price: catalog.monthly.id, quantity: 1 }], allow_promotion_codes: true, discounts: [{ coupon: "X" }] }),
    );
    expect(both).toMatchObject({ statusCode: 400, param: "discounts" });
    const classic = await caught(
      stripe.checkout.sessions.create({
        ...base,
        line_items: [{ price: catalog.yearly.id, quantity: 1 }, { price: catalog.overage.id }],
        subscription_data: { billing_mode: { type: "classic" } },
      }),
    );
    expect(classic).toMatchObject({ statusCode: 400, message: expect.stringMatching(/flexible/) });
  });

  it("completing it creates the subscription (mixed intervals, per-item periods) and its paid first invoice", async () => {
    const { customer, session, completion } = await subscribed();
    const subscription = await stripe.subscriptions.retrieve(String(completion.subscription.id));
    expect(subscription).toMatchObject({ status: "active", customer: customer.id, billing_mode: { type: "flexible" } });
    const [yearlyItem, overageItem] = subscription.items.data;
    expect(yearlyItem!.price.id).toBe(catalog.yearly.id);
    expect(overageItem!.price.id).toBe(catalog.overage.id);
    expect(overageItem!.quantity).toBeUndefined();
    expect(yearlyItem!.current_period_end - yearlyItem!.current_period_start).toBeGreaterThan(364 * 86_400);
    expect(overageItem!.current_period_end - overageItem!.current_period_start).toBeLessThan(32 * 86_400);
    const invoice = await stripe.invoices.retrieve(String(subscription.latest_invoice));
    expect(invoice).toMatchObject({ status: "paid", amount_due: 19_000, amount_paid: 19_000, billing_reason: "subscription_create", customer: customer.id });
    expect(invoice.parent?.subscription_details?.subscription).toBe(subscription.id);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: "complete", payment_status: "paid", subscription: subscription.id });
    expect(completion.events.map((event) => event.type)).toEqual(["checkout.session.completed", "customer.subscription.created", "invoice.paid"]);
  });

  it("a trial makes the subscription trialing and its first invoice zero", async () => {
    const { completion } = await subscribed({ trial: true });
    expect(completion.subscription).toMatchObject({ status: "trialing", trial_end: expect.any(Number) });
    expect(completion.invoice).toMatchObject({ status: "paid", amount_due: 0 });
  });

  it("anchored on the 1st (billing_cycle_anchor_config), the first period ends at the next 1st and is prorated", async () => {
    const customer = await stripe.customers.create({ email: "anchor@example.com" });
    fake.setTime(Date.UTC(2027, 2, 16, 12) / 1000);
    try {
      const base = {
        mode: "subscription" as const,
        customer: customer.id,
        line_items: [{ price: catalog.monthly.id, quantity: 1 }, { price: catalog.overage.id }],
        success_url: "https://waitify.test/billing/success",
      };
      const session = await stripe.checkout.sessions.create({
        ...base,
        subscription_data: { billing_mode: { type: "flexible" }, billing_cycle_anchor_config: { day_of_month: 1, hour: 0, minute: 0, second: 0 } },
      });
      const { subscription, invoice } = fake.completeCheckout(session.id);
      const april = Date.UTC(2027, 3, 1) / 1000;
      expect(subscription.billing_cycle_anchor).toBe(april);
      const items = (subscription.items as { data: Array<{ current_period_end: number }> }).data;
      expect(items.map((item) => item.current_period_end)).toEqual([april, april]);
      // 15.5 of March's 31 days of a 19 € month.
      expect(invoice.amount_due).toBe(Math.round((1900 * 15.5) / 31));
      const past = await caught(stripe.checkout.sessions.create({ ...base, subscription_data: { billing_cycle_anchor: Date.UTC(2027, 0, 1) / 1000 } }));
      expect(past).toMatchObject({ statusCode: 400, param: "subscription_data[billing_cycle_anchor]" });
      const bad = await caught(stripe.checkout.sessions.create({ ...base, subscription_data: { billing_cycle_anchor_config: { day_of_month: 32 } } }));
      expect(bad).toMatchObject({ statusCode: 400, param: "subscription_data[billing_cycle_anchor_config][day_of_month]" });
    } finally {
      fake.setTime(Math.floor(Date.now() / 1000));
    }
  });

  it("promotion codes: listed by code in any case, inactive once switched off or expired, refused at checkout when inactive or another customer's", async () => {
    const coupon = await stripe.coupons.create({ percent_off: 10, duration: "once" });
    const mine = await stripe.customers.create({});
    const theirs = await stripe.customers.create({});
    const open = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "Printemps" });
    expect(open).toMatchObject({ object: "promotion_code", active: true, code: "Printemps", promotion: { type: "coupon", coupon: coupon.id } });
    const found = await stripe.promotionCodes.list({ code: "PRINTEMPS", active: true, limit: 1 });
    expect(found.data.map((code) => code.id)).toEqual([open.id]);
    const soon = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "ETE", expires_at: Math.floor(Date.now() / 1000) + 60 });
    const reserved = await stripe.promotionCodes.create({ promotion: { type: "coupon", coupon: coupon.id }, code: "PERSO", customer: theirs.id });
    fake.advance(120);
    try {
      expect((await stripe.promotionCodes.list({ code: "ete", active: true })).data).toEqual([]);
      expect((await stripe.promotionCodes.retrieve(soon.id)).active).toBe(false);
    } finally {
      fake.advance(-120);
    }
    await stripe.promotionCodes.update(open.id, { active: false });
    expect((await stripe.promotionCodes.list({ code: "printemps", active: true })).data).toEqual([]);
    const base = { mode: "subscription" as const, customer: mine.id, line_items: [{ price: catalog.monthly.id, quantity: 1 }], success_url: "https://waitify.test/ok" };
    for (const code of [open, reserved]) {
      const refused = await caught(stripe.checkout.sessions.create({ ...base, discounts: [{ promotion_code: code.id }] }));
      expect(refused).toMatchObject({ statusCode: 400, param: "discounts[0][promotion_code]" });
    }
    const unknown = await caught(stripe.checkout.sessions.create({ ...base, discounts: [{ promotion_code: "promo_nope" }] }));
    expect(unknown).toMatchObject({ statusCode: 400, code: "resource_missing" });
  });

  it("the billing portal answers a URL for a customer", async () => {
    const customer = await stripe.customers.create({});
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: "https://waitify.test/billing" });
    expect(portal).toMatchObject({ object: "billing_portal.session", customer: customer.id, return_url: "https://waitify.test/billing" });
    expect(portal.id).toMatch(/^bps_/);
    expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.com\//);
  });
});

describe("subscriptions and invoices", () => {
  it("cancel_at_period_end resolves to the earliest item's end; max_period_end to the year's", async () => {
    const { completion } = await subscribed();
    const id = String(completion.subscription.id);
    const ends = (completion.subscription.items as { data: StripeObject[] }).data.map((item) => Number(item.current_period_end));
    const atPeriodEnd = await stripe.subscriptions.update(id, { cancel_at_period_end: true });
    expect(atPeriodEnd.cancel_at).toBe(Math.min(...ends));
    const atYearEnd = await stripe.subscriptions.update(id, { cancel_at: "max_period_end" });
    expect(atYearEnd.cancel_at).toBe(Math.max(...ends));
    const resumed = await stripe.subscriptions.update(id, { cancel_at: "" as unknown as number });
    expect(resumed).toMatchObject({ cancel_at: null, cancel_at_period_end: false });
  });

  it("a plan change replaces the item's price and, with always_invoice, bills the proration at once", async () => {
    const { completion } = await subscribed();
    const subscription = await stripe.subscriptions.retrieve(String(completion.subscription.id));
    const pricier = await stripe.prices.create({ product: catalog.yearly.product as string, currency: "eur", unit_amount: 49_000, recurring: { interval: "year" } });
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: subscription.items.data[0]!.id, price: pricier.id }],
      proration_behavior: "always_invoice",
    });
    expect(updated.items.data[0]).toMatchObject({ id: subscription.items.data[0]!.id, price: { id: pricier.id } });
    const invoice = await stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(invoice).toMatchObject({ billing_reason: "subscription_update", status: "paid" });
    expect(invoice.amount_due).toBeGreaterThan(29_000);
    expect(invoice.amount_due).toBeLessThanOrEqual(30_000);
  });

  it("failed attempts count up and make the subscription past_due; a payment makes it active again", async () => {
    const { customer, completion } = await subscribed();
    const subscriptionId = String(completion.subscription.id);
    const invoice = fake.createInvoice(customer.id, { subscription: subscriptionId, amount_due: 750 });
    expect(invoice).toMatchObject({ status: "open", attempt_count: 0, amount_due: 750 });
    fake.failInvoice(invoice.id);
    expect(fake.failInvoice(invoice.id)).toMatchObject({ attempt_count: 2, status: "open" });
    expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe("past_due");
    expect(fake.payInvoice(invoice.id)).toMatchObject({ status: "paid", amount_paid: 750 });
    expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe("active");
    const listed = await stripe.invoices.list({ subscription: subscriptionId });
    expect(listed.data.map((item) => item.id)).toContain(invoice.id);
  });

  it("a deleted subscription is canceled and leaves the default list", async () => {
    const { customer, completion } = await subscribed();
    expect(fake.deleteSubscription(String(completion.subscription.id))).toMatchObject({ status: "canceled", canceled_at: expect.any(Number) });
    expect((await stripe.subscriptions.list({ customer: customer.id })).data).toEqual([]);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: "all" })).data).toHaveLength(1);
  });
});

describe("usage", () => {
  it("meter events count once per identifier and feed the next invoice's overage", async () => {
    const { customer, completion } = await subscribed();
    const now = Math.floor(Date.now() / 1000);
    const report = (identifier: string, value: number) =>
      stripe.billing.meterEvents.create({ event_name: "waitify_sms_parts", identifier, timestamp: now, payload: { stripe_customer_id: customer.id, value: String(value) } });
    await report(`${customer.id}:h1`, 900);
    await report(`${customer.id}:h2`, 350);
    await caught(report(`${customer.id}:h2`, 350));
    expect(fake.meterEvents().filter((event) => event.payload.stripe_customer_id === customer.id).map((event) => event.payload.value)).toEqual(["900", "350"]);
    const extra = await stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: "eur", description: "Adjustment" });
    expect(extra).toMatchObject({ object: "invoiceitem", id: expect.stringMatching(/^ii_/), invoice: null, amount: 500 });

    // The monthly overage item renews first: 1250 parts, 1000 free, 250 × 3 cents; plus the pending item.
    const preview = await stripe.invoices.createPreview({ subscription: String(completion.subscription.id) });
    expect(preview.amount_due).toBe(750 + 500);
    expect(preview.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([500, 750]);
    const { invoice } = fake.renewSubscription(String(completion.subscription.id));
    expect(invoice).toMatchObject({ status: "paid", amount_due: 1250, billing_reason: "subscription_cycle" });
    expect(fake.get(extra.id)!.invoice).toBe(invoice.id);
  });
});

describe("events", () => {
  it("builds Event objects that the SDK can fetch and that verify as webhooks", async () => {
    const customer = await stripe.customers.create({});
    const invoice = fake.createInvoice(customer.id, { amount_due: 1900 });
    const event = fake.event("invoice.payment_failed", invoice, { attempt_count: 0 });
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      object: "event",
      type: "invoice.payment_failed",
      livemode: false,
      api_version: Stripe.API_VERSION,
      created: expect.any(Number),
      data: { object: { id: invoice.id, object: "invoice" }, previous_attributes: { attempt_count: 0 } },
    });
    expect((await stripe.events.retrieve(event.id)).type).toBe("invoice.payment_failed");
    const { payload, header } = fake.signEvent(event, "whsec_test_secret");
    expect(stripe.webhooks.constructEvent(payload, header, "whsec_test_secret").id).toBe(event.id);
    expect(() => stripe.webhooks.constructEvent(payload, header, "whsec_other")).toThrow();
  });
});
