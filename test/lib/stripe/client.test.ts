// The Stripe client (lib/stripe/client.ts) and what its failures become for
// a client (lib/stripe/errors.ts): the real SDK against the local fake.
import { GraphQLError } from "postgraphile/graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { STRIPE_API_VERSION, makeStripe, stripeEndpoint } from "../../../lib/stripe/client.ts";
import {
  billingNotConfigured,
  classifyStripeError,
  isDuplicateMeterEvent,
  isResourceMissing,
  redactStripeSecrets,
  stripeFailure,
} from "../../../lib/stripe/errors.ts";
import { startFakeStripe, type FakeStripe } from "../../helpers/fake-stripe/index.ts";

let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("makeStripe", () => {
  it("is undefined without STRIPE_SECRET_KEY: billing is not configured", () => {
    expect(makeStripe({})).toBeUndefined();
    expect(makeStripe({ STRIPE_API_URL: fake.url })).toBeUndefined();
  });

  it("reads host, port and protocol from STRIPE_API_URL", () => {
    expect(stripeEndpoint("http://127.0.0.1:12111")).toEqual({ host: "127.0.0.1", port: 12111, protocol: "http" });
    expect(stripeEndpoint("https://stripe.internal")).toEqual({ host: "stripe.internal", port: 443, protocol: "https" });
  });

  it("sends its calls to STRIPE_API_URL with the key and the pinned API version", async () => {
    const stripe = makeStripe(fake.config)!;
    const product = await stripe.products.create({ name: "Pinned" });
    expect(product.id).toMatch(/^prod_/);
    const [request] = fake.requests({ method: "POST", path: "/v1/products" });
    expect(request).toMatchObject({ status: 200, stripeVersion: STRIPE_API_VERSION, params: { name: "Pinned" } });
    // The SDK adds an Idempotency-Key to every POST: retries cannot create twice.
    expect(request!.idempotencyKey).toBeTruthy();
  });

  it("retries a 500 with the same Idempotency-Key, then succeeds", async () => {
    const stripe = makeStripe(fake.config)!;
    fake.failNext(1, { status: 500, method: "POST", path: "/v1/customers" });
    const customer = await stripe.customers.create({ email: "retry@example.com" });
    const attempts = fake.requests({ method: "POST", path: "/v1/customers" });
    expect(attempts.map((attempt) => attempt.status)).toEqual([500, 200]);
    expect(attempts[1]!.idempotencyKey).toBe(attempts[0]!.idempotencyKey);
    expect(fake.list("customer").filter((item) => item.email === "retry@example.com")).toEqual([expect.objectContaining({ id: customer.id })]);
  });

  it("gives up after two retries", async () => {
    const stripe = makeStripe(fake.config)!;
    fake.failNext(3, { status: 503, method: "GET", path: "/v1/balance" });
    const error = await caught(stripe.balance.retrieve());
    expect(fake.requests({ path: "/v1/balance" })).toHaveLength(3);
    expect(classifyStripeError(error)).toMatchObject({ kind: "unavailable", retryable: true, statusCode: 503 });
  });

  it("does not retry a 429 unless Stripe says so (Stripe-Should-Retry)", async () => {
    const stripe = makeStripe(fake.config)!;
    fake.failNext(1, { status: 429, method: "GET", path: "/v1/balance" });
    expect(classifyStripeError(await caught(stripe.balance.retrieve()))).toMatchObject({ kind: "rate_limited", retryable: true });
    expect(fake.requests({ path: "/v1/balance" })).toHaveLength(1);

    fake.reset();
    fake.failNext(1, { status: 429, method: "GET", path: "/v1/balance", shouldRetry: true });
    await stripe.balance.retrieve();
    expect(fake.requests({ path: "/v1/balance" }).map((request) => request.status)).toEqual([429, 200]);
  });
});

describe("stripeFailure", () => {
  it("turns a Stripe refusal into STRIPE_FAILURE (5002) without Stripe's wording", async () => {
    const stripe = makeStripe(fake.config)!;
    const error = await caught(stripe.prices.retrieve("price_doesnotexist"));
    expect(isResourceMissing(error)).toBe(true);
    const graphql = stripeFailure(error, "load the plan's price");
    expect(graphql).toBeInstanceOf(GraphQLError);
    expect(graphql.extensions).toEqual({ code: "STRIPE_FAILURE", number: 5002, retryable: false });
    expect(graphql.message).toBe("Could not load the plan's price: the payment provider refused the request. Please contact support if this persists.");
    expect(graphql.message).not.toMatch(/price_|No such|stripe/i);
  });

  it("says an outage may pass, and never echoes the key of a rejected request", async () => {
    const wrongKey = "sk_test_this_key_is_wrong_1234";
    const stripe = makeStripe({ STRIPE_SECRET_KEY: wrongKey, STRIPE_API_URL: fake.url })!;
    const unauthorized = await caught(stripe.products.list());
    expect(classifyStripeError(unauthorized)).toMatchObject({ kind: "misconfigured", retryable: false, statusCode: 401 });
    const graphql = stripeFailure(unauthorized, "start the checkout");
    expect(graphql.message).toBe("Could not start the checkout: billing is misconfigured on our side. We have been notified; please try again later.");
    expect(JSON.stringify(graphql.toJSON())).not.toContain("sk_test");
    // Stripe's own message shows part of the key; the log gets it redacted.
    expect((unauthorized as Error).message).toContain("sk_test_");
    expect(redactStripeSecrets((unauthorized as Error).message)).not.toContain("sk_test");

    const unreachable = makeStripe({ STRIPE_SECRET_KEY: fake.apiKey, STRIPE_API_URL: "http://127.0.0.1:9" }, { maxNetworkRetries: 0 })!;
    const down = stripeFailure(await caught(unreachable.balance.retrieve()), "open the billing portal");
    expect(down.extensions).toMatchObject({ code: "STRIPE_FAILURE", number: 5002, retryable: true });
    expect(down.message).toMatch(/^Could not open the billing portal: the payment provider is unavailable/);
  });

  it("BILLING_NOT_CONFIGURED has its own code", () => {
    const error = billingNotConfigured();
    expect(error.extensions).toEqual({ code: "BILLING_NOT_CONFIGURED" });
    expect(error.message).toBe("Billing is not available on this server.");
  });
});

describe("isDuplicateMeterEvent", () => {
  it("recognises Stripe's refusal of a meter event identifier it already holds", async () => {
    const stripe = makeStripe(fake.config)!;
    const customer = await stripe.customers.create({});
    const event = { event_name: "waitify_sms_parts", identifier: `${customer.id}:2026-01-01T10`, payload: { stripe_customer_id: customer.id, value: "12" } };
    await stripe.billing.meterEvents.create(event);
    const duplicate = await caught(stripe.billing.meterEvents.create(event));
    expect(isDuplicateMeterEvent(duplicate)).toBe(true);
    expect(isDuplicateMeterEvent(await caught(stripe.prices.retrieve("price_nope")))).toBe(false);
    // Refused at once: Stripe-Should-Retry: false stops the SDK from retrying.
    expect(fake.requests({ path: "/v1/billing/meter_events" }).map((request) => request.status)).toEqual([200, 400]);
  });
});
