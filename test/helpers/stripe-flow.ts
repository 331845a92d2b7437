// The money path as the tests drive it: the catalog synced into the local
// fake Stripe by the real `stripe:sync`, a merchant subscribing through a
// checkout session, Stripe's events signed and POSTed to /webhooks/stripe as
// Stripe delivers them, waiting for the worker to act on them, scheduled jobs
// run for the time a test chooses, and a seeded shuffle for delivery orders.
import pg from "pg";
import type Stripe from "stripe";
import { afterAll, beforeAll } from "vitest";
import { makeStripe } from "../../lib/stripe/client.ts";
import { syncStripeCatalog } from "../../lib/stripe/sync.ts";
import type { TestDatabase } from "./db.ts";
import { createBusiness, createMerchant, type BusinessFixture } from "./fixtures.ts";
import {
  startFakeStripe,
  type CheckoutCompletion,
  type CompleteCheckoutOptions,
  type FakeStripe,
  type StripeObject,
} from "./fake-stripe/index.ts";
import { startTestServer, type TestServer } from "./server.ts";

/** STRIPE_WEBHOOK_SECRET of the test servers that receive events. */
export const WEBHOOK_SECRET = "whsec_test_waitify_money_path";

/** Price ids by lookup key (waitify_basic_monthly…), as stripe:sync recorded them. */
export type CatalogPrices = Record<string, string>;

/** Runs `npm run stripe:sync`'s work against the fake, recording into the test database as the owner. */
export async function syncCatalog(db: TestDatabase, stripe: Stripe): Promise<CatalogPrices> {
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  try {
    const report = await syncStripeCatalog(stripe, client);
    return Object.fromEntries(report.prices.map((price) => [price.lookupKey, price.id]));
  } finally {
    await client.end();
  }
}

export interface CheckoutOptions {
  userId: string;
  email: string;
  plan: "basic" | "pro" | "enterprise";
  interval?: "monthly" | "yearly";
  /** An existing Stripe customer (linked beforehand, as a second checkout would be); else Stripe creates one. */
  customer?: string;
  /** The overage item first: Stripe does not promise the order of a subscription's items. */
  overageFirst?: boolean;
  completion?: CompleteCheckoutOptions;
}

/**
 * A merchant subscribes: a subscription-mode checkout session created at the
 * fake through the SDK (the plan's licensed price and its monthly overage
 * price, flexible billing mode, the account in client_reference_id), then
 * the customer pays. Returns the objects and the events Stripe would send.
 */
export async function checkout(stripe: Stripe, fake: FakeStripe, prices: CatalogPrices, options: CheckoutOptions): Promise<CheckoutCompletion> {
  const licensed = { price: prices[`waitify_${options.plan}_${options.interval ?? "monthly"}`]!, quantity: 1 };
  const overage = { price: prices[`waitify_${options.plan}_sms_overage`]! };
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    client_reference_id: options.userId,
    ...(options.customer ? { customer: options.customer } : { customer_email: options.email }),
    line_items: options.overageFirst ? [overage, licensed] : [licensed, overage],
    subscription_data: { billing_mode: { type: "flexible" } },
    success_url: "https://waitify.test/billing?checkout=done",
  });
  return fake.completeCheckout(session.id, options.completion);
}

/** Creates a Stripe customer and links it to the account, as a first checkout does before it opens. */
export async function linkedCustomer(db: TestDatabase, stripe: Stripe, userId: string, email: string): Promise<string> {
  const customer = await stripe.customers.create({ email, metadata: { waitify_user_id: userId } });
  await db.root.query("select app_private.record_stripe_customer($1, $2)", [userId, customer.id]);
  return customer.id;
}

/** POSTs one event to /webhooks/stripe the way Stripe delivers it: the raw body and its signature. */
export async function deliver(baseUrl: string, fake: FakeStripe, event: StripeObject): Promise<{ status: number; body: Record<string, unknown> }> {
  const { payload, header } = fake.signEvent(event, WEBHOOK_SECRET);
  const response = await fetch(`${baseUrl}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": header },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Delivers events in this order, each handled by the worker before the next
 * is sent (so the order of delivery is the order of processing; sent at once,
 * an account's jobs would also wait for graphile-worker's next poll); their
 * outcomes (applied, ignored).
 */
export async function deliverInOrder(db: TestDatabase, baseUrl: string, fake: FakeStripe, events: StripeObject[]): Promise<string[]> {
  const outcomes: string[] = [];
  for (const event of events) {
    const answer = await deliver(baseUrl, fake, event);
    if (answer.status !== 200) throw new Error(`webhook answered ${answer.status} to ${event.type}: ${JSON.stringify(answer.body)}`);
    outcomes.push((await processed(db, [event.id]))[event.id]!);
  }
  return outcomes;
}

/** Polls until `check` passes (the worker runs on its own schedule). */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Waits until the worker has handled every one of these events; their outcomes by id. */
export async function processed(db: TestDatabase, eventIds: string[]): Promise<Record<string, string>> {
  const ids = [...new Set(eventIds)];
  let outcomes: Record<string, string> = {};
  await eventually(async () => {
    const { rows } = await db.root.query<{ id: string; outcome: string | null }>(
      "select id, outcome from app_private.stripe_events where id = any($1) and processed_at is not null",
      [ids],
    );
    outcomes = Object.fromEntries(rows.map((row) => [row.id, row.outcome ?? ""]));
    return rows.length === ids.length;
  }, `${ids.length} Stripe event(s) processed`);
  return outcomes;
}

/**
 * Adds a scheduled job as the crontab adds it (payload `_cron.ts`, the time
 * it is due) and waits until the worker has run it; throws its error.
 */
export async function runScheduledJob(db: TestDatabase, task: string, ts: Date): Promise<void> {
  const { rows } = await db.root.query<{ id: string }>(
    "select (graphile_worker.add_job($1, json_build_object('_cron', json_build_object('ts', $2::text, 'backfilled', false)), max_attempts => 1)).id",
    [task, ts.toISOString()],
  );
  const id = rows[0]!.id;
  await eventually(async () => {
    const left = await db.root.query<{ last_error: string | null; attempts: number }>(
      "select last_error, attempts from graphile_worker._private_jobs where id = $1",
      [id],
    );
    if (left.rowCount === 0) return true;
    if (left.rows[0]!.last_error) throw new Error(`${task} failed: ${left.rows[0]!.last_error}`);
    return false;
  }, `${task} to run`);
}

/** mulberry32: a tiny seeded PRNG, so a failing order can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Fisher–Yates with the given random source; a new array. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

export interface MoneyPath {
  fake: FakeStripe;
  /** The real SDK pointed at the fake (makeStripe, as the server configures it). */
  stripe: Stripe;
  prices: CatalogPrices;
  /** The API (webhook route included) and a worker, both with this Stripe client; no crontab. */
  server: TestServer;
  /** Stripe sends these events, each handled before the next; their outcomes. */
  send(...events: StripeObject[]): Promise<string[]>;
}

/** For a whole test file: the fake Stripe with the catalog synced into it, and a server and worker using it. */
export function useMoneyPath(db: () => TestDatabase): () => MoneyPath {
  let path: MoneyPath | undefined;
  beforeAll(async () => {
    const fake = await startFakeStripe();
    const stripe = makeStripe(fake.config)!;
    const prices = await syncCatalog(db(), stripe);
    const server = await startTestServer(db(), { worker: true, stripe, stripeWebhookSecret: WEBHOOK_SECRET, schedule: false });
    path = { fake, stripe, prices, server, send: (...events) => deliverInOrder(db(), server.url, fake, events) };
  });
  afterAll(async () => {
    await path?.server.close();
    await path?.fake.close();
  });
  return () => {
    if (!path) throw new Error("money path not ready (use it inside a test or hook)");
    return path;
  };
}

// ------------------------------------------------- what the money path wrote

/** A merchant on the trial (basic plan) with a business and its open queue. */
export async function trialBusiness(db: TestDatabase): Promise<BusinessFixture> {
  return createBusiness(db, { merchant: await createMerchant(db) });
}

/** The account's status and plan name. */
export async function accountState(db: TestDatabase, userId: string): Promise<{ status: string; plan: string }> {
  const { rows } = await db.root.query<{ status: string; plan: string }>(
    `select u.subscription_status as status, p.name as plan
       from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id where u.id = $1`,
    [userId],
  );
  return rows[0]!;
}

export interface FeedEvent {
  event_type: string;
  actor: string;
  detail: Record<string, unknown>;
}

/** The account's notification feed, oldest first. */
export async function accountFeed(db: TestDatabase, userId: string): Promise<FeedEvent[]> {
  const { rows } = await db.root.query<FeedEvent>(
    "select event_type, actor, detail from app_public.account_events where user_id = $1 order by id",
    [userId],
  );
  return rows;
}

/** The status changes of a feed, as "from→to". */
export const statusSteps = (events: FeedEvent[]) =>
  events.filter((event) => event.event_type === "status_changed").map((event) => `${String(event.detail.from)}→${String(event.detail.to)}`);

/** The templates of the emails queued for the account, oldest first. */
export async function emailTemplates(db: TestDatabase, userId: string): Promise<string[]> {
  const { rows } = await db.root.query<{ template: string }>(
    "select template from app_private.email_logs where user_id = $1 order by created_at, id",
    [userId],
  );
  return rows.map((row) => row.template);
}
