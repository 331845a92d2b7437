// Billing over real HTTP: a local fake Stripe holding the catalog that
// `npm run stripe:sync` makes (synced into the test database too), a test
// server (API + worker) whose real Stripe SDK talks to it, and the steps of
// a merchant subscribing — the checkout mutation, the customer paying at
// Stripe, the signed webhooks delivered and processed by the worker.
import { afterAll, beforeAll } from "vitest";
import type Stripe from "stripe";
import { makeStripe } from "../../lib/stripe/client.ts";
import { syncStripeCatalog } from "../../lib/stripe/sync.ts";
import type { TestDatabase } from "./db.ts";
import { startFakeStripe, type FakeStripe, type StripeObject } from "./fake-stripe/index.ts";
import type { TestMerchant } from "./fixtures.ts";
import { startTestServer, type TestServer, type TestServerOptions } from "./server.ts";

export const WEBHOOK_SECRET = "whsec_test_waitify_billing";
export const PUBLIC_URL = "https://app.waitify.test";

export interface BillingEnvironment {
  fake: FakeStripe;
  stripe: Stripe;
  server: TestServer;
  /** Price ids by lookup key (waitify_basic_monthly…), as stripe:sync recorded them. */
  prices: Record<string, string>;
}

/** The fake, the synced catalog and a server with a worker, for one test file. */
export function useBillingEnvironment(database: () => TestDatabase, options: TestServerOptions = {}): () => BillingEnvironment {
  let environment: BillingEnvironment | undefined;
  beforeAll(async () => {
    const fake = await startFakeStripe();
    const stripe = makeStripe(fake.config)!;
    const client = await database().root.connect();
    try {
      await syncStripeCatalog(stripe, client);
    } finally {
      client.release();
    }
    const { rows } = await database().root.query<{ lookup_key: string; stripe_price_id: string }>(
      "select lookup_key, stripe_price_id from app_private.stripe_prices",
    );
    const server = await startTestServer(database(), {
      worker: true,
      stripe,
      stripeWebhookSecret: WEBHOOK_SECRET,
      publicUrl: PUBLIC_URL,
      ...options,
    });
    environment = { fake, stripe, server, prices: Object.fromEntries(rows.map((row) => [row.lookup_key, row.stripe_price_id])) };
  });
  afterAll(async () => {
    await environment?.server.close();
    await environment?.fake.close();
  });
  return () => {
    if (!environment) throw new Error("billing environment not ready");
    return environment;
  };
}

export const CHECKOUT = `mutation ($input: CreateCheckoutSessionInput!) { createCheckoutSession(input: $input) { url } }`;
export const SUMMARY = "planName status billingInterval currentPeriodStart currentPeriodEnd cancelAtPeriodEnd";

/** The checkout session id at the end of a Checkout URL. */
export const sessionIdOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);

/** Delivers events to POST /webhooks/stripe, signed as Stripe does, and waits until the worker has processed them. */
export async function deliver(environment: BillingEnvironment, database: TestDatabase, events: StripeObject[]): Promise<void> {
  for (const event of events) {
    const { payload, header } = environment.fake.signEvent(event, WEBHOOK_SECRET);
    const response = await fetch(`${environment.server.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": header },
      body: payload,
    });
    if (response.status !== 200) throw new Error(`webhook refused: ${response.status} ${await response.text()}`);
  }
  const ids = events.map((event) => event.id);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows } = await database.root.query<{ pending: number }>(
      "select count(*)::int as pending from app_private.stripe_events where id = any($1) and processed_at is null",
      [ids],
    );
    if (rows[0]!.pending === 0) return;
    if (Date.now() > deadline) throw new Error(`stripe events not processed in time: ${ids.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A merchant subscribes: a checkout through the API, paid at Stripe, its
 * webhooks processed. Returns what Stripe made.
 */
export async function subscribe(
  environment: BillingEnvironment,
  database: TestDatabase,
  merchant: TestMerchant,
  plan = "basic",
  interval: "MONTH" | "YEAR" = "MONTH",
): Promise<{ subscription: StripeObject; customer: StripeObject; sessionId: string }> {
  const { body } = await environment.server.graphql<{ createCheckoutSession: { url: string } }>(
    CHECKOUT,
    { input: { plan, interval } },
    merchant.headers,
  );
  if (!body.data?.createCheckoutSession) throw new Error(`checkout failed: ${JSON.stringify(body.errors)}`);
  const sessionId = sessionIdOf(body.data.createCheckoutSession.url);
  const completion = environment.fake.completeCheckout(sessionId);
  await deliver(environment, database, completion.events);
  return { subscription: completion.subscription, customer: completion.customer, sessionId };
}
