// The stripe_event task with a real graphile-worker, the real stripe SDK
// against the local fake Stripe, and events signed with the SDK and POSTed to
// /webhooks/stripe over HTTP: checkout links the account and mirrors its
// subscription, three failed payments walk the dunning ladder (one reminder
// per step) and a payment ends it, a first payment that fails leaves the
// trial alone, a deleted subscription cancels, events of customers we do not
// know are ignored, and a Stripe outage is retried. Shuffled and duplicated
// deliveries: stripe_event.order.test.ts.
import type Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import type { FakeStripe, StripeObject } from "../helpers/fake-stripe/index.ts";
import { join, phone } from "../helpers/fixtures.ts";
import type { TestServer } from "../helpers/server.ts";
import {
  accountFeed,
  accountState,
  checkout,
  deliver,
  emailTemplates,
  eventually,
  processed,
  statusSteps,
  trialBusiness,
  useMoneyPath,
  type CatalogPrices,
} from "../helpers/stripe-flow.ts";

const db = useTestDatabase();
const money = useMoneyPath(db);
let fake: FakeStripe;
let stripe: Stripe;
let prices: CatalogPrices;
let server: TestServer;
beforeAll(() => {
  ({ fake, stripe, prices, server } = money());
});

/** Stripe sends these events, each handled by the worker before the next; their outcomes. */
const send = (...events: StripeObject[]) => money().send(...events);

const account = (userId: string) => accountState(db(), userId);
const feed = (userId: string) => accountFeed(db(), userId);
const emails = (userId: string) => emailTemplates(db(), userId);
const trialShop = () => trialBusiness(db());

describe("checkout.session.completed", () => {
  it("links the customer named by client_reference_id, mirrors the subscription, and the account is active on its plan once paid", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "pro" });
    expect(await account(shop.userId)).toEqual({ status: "trial", plan: "basic" });

    expect(await send(...done.events)).toEqual(["applied", "applied", "applied"]);

    const link = await db().root.query("select stripe_customer_id from app_private.stripe_customers where user_id = $1", [shop.userId]);
    expect(link.rows).toEqual([{ stripe_customer_id: done.customer.id }]);
    const licensed = (done.subscription.items as { data: StripeObject[] }).data[0]!;
    const mirror = await db().root.query(
      `select s.stripe_subscription_id, s.stripe_status, p.name as plan, s.billing_interval,
              extract(epoch from s.current_period_end)::bigint as period_end
         from app_private.subscriptions s join app_public.subscription_plans p on p.id = s.plan_id where s.user_id = $1`,
      [shop.userId],
    );
    expect(mirror.rows).toEqual([
      {
        stripe_subscription_id: done.subscription.id,
        stripe_status: "active",
        plan: "pro",
        billing_interval: "month",
        period_end: String(licensed.current_period_end),
      },
    ]);
    expect(await account(shop.userId)).toEqual({ status: "active", plan: "pro" });
    const invoices = await db().root.query("select stripe_invoice_id, status, amount_paid_cents from app_private.invoices where user_id = $1", [
      shop.userId,
    ]);
    expect(invoices.rows).toEqual([{ stripe_invoice_id: done.invoice.id, status: "paid", amount_paid_cents: 4900 }]);

    const events = await feed(shop.userId);
    expect(events.map((event) => event.event_type).sort()).toEqual(["payment_succeeded", "plan_changed", "status_changed"]);
    expect(statusSteps(events)).toEqual(["trial→active"]);
    expect(events.every((event) => event.actor === "stripe")).toBe(true);
    expect(await emails(shop.userId)).toEqual(["payment_succeeded"]);
  });

  it("events that come before it are ignored (customer not linked yet), and the checkout then applies the subscription and its first invoice", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "basic" });
    const [completed, created, paid] = done.events as [StripeObject, StripeObject, StripeObject];

    expect(await send(paid, created)).toEqual(["ignored", "ignored"]);
    expect(await account(shop.userId)).toEqual({ status: "trial", plan: "basic" });

    expect(await send(completed)).toEqual(["applied"]);
    expect(await account(shop.userId)).toEqual({ status: "active", plan: "basic" });
    // The invoice paid at checkout is known, and its receipt sent, although its own event came too early.
    const invoices = await db().root.query("select stripe_invoice_id, status from app_private.invoices where user_id = $1", [shop.userId]);
    expect(invoices.rows).toEqual([{ stripe_invoice_id: done.invoice.id, status: "paid" }]);
    expect((await feed(shop.userId)).map((event) => event.event_type).sort()).toEqual(["payment_succeeded", "status_changed"]);
    expect(await emails(shop.userId)).toEqual(["payment_succeeded"]);
  });

  it("a yearly subscription is mirrored with its licensed item's period, whatever the order of its items", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, {
      userId: shop.userId,
      email: shop.merchant.email,
      plan: "pro",
      interval: "yearly",
      overageFirst: true,
    });
    const items = (done.subscription.items as { data: StripeObject[] }).data;
    const yearly = items.find((item) => (item.price as StripeObject).id === prices.waitify_pro_yearly)!;
    // The overage (monthly) is the first item here: its period is not the plan's.
    expect(items.indexOf(yearly)).toBe(1);
    await send(...done.events);
    const mirror = await db().root.query(
      `select billing_interval, extract(epoch from current_period_start)::bigint as start, extract(epoch from current_period_end)::bigint as end
         from app_private.subscriptions where user_id = $1`,
      [shop.userId],
    );
    expect(mirror.rows).toEqual([
      { billing_interval: "year", start: String(yearly.current_period_start), end: String(yearly.current_period_end) },
    ]);
  });
});

describe("a first payment that fails at checkout", () => {
  it("keeps the trial while the subscription is incomplete; when it expires the account is not cancelled and its voided invoice stops counting", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, {
      userId: shop.userId,
      email: shop.merchant.email,
      plan: "pro",
      completion: { paymentFails: true },
    });
    expect(done.subscription.status).toBe("incomplete");
    await send(...done.events);
    // Not subscribed yet: still the trial, on its plan; the merchant is told the payment failed.
    expect(await account(shop.userId)).toEqual({ status: "trial", plan: "basic" });
    expect(await emails(shop.userId)).toEqual(["payment_failed"]);

    // 23 hours later Stripe gives up: the subscription expires and its invoice is voided. Only the subscription's event reaches us.
    Object.assign(fake.store.objects.get(done.subscription.id)!, { status: "incomplete_expired", ended_at: fake.store.now() });
    Object.assign(fake.store.objects.get(done.invoice.id)!, { status: "void", next_payment_attempt: null });
    await send(fake.event("customer.subscription.updated", fake.get(done.subscription.id)!));
    expect(await account(shop.userId)).toEqual({ status: "trial", plan: "basic" });
    const queue = await db().root.query("select is_queue_active from app_public.queues where id = $1", [shop.queueId]);
    expect(queue.rows[0].is_queue_active).toBe(true);
    const invoice = await db().root.query("select status from app_private.invoices where stripe_invoice_id = $1", [done.invoice.id]);
    expect(invoice.rows).toEqual([{ status: "void" }]);

    // The merchant subscribes again and pays: active, nothing overdue.
    const again = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "pro", customer: done.customer.id });
    await send(...again.events);
    expect(await account(shop.userId)).toEqual({ status: "active", plan: "pro" });
    expect(statusSteps(await feed(shop.userId))).toEqual(["trial→active"]);
  });

  it("an invoice voided at Stripe (by support) stops counting: invoice.voided brings the account back", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "basic" });
    await send(...done.events);
    const renewal = fake.createInvoice(done.customer.id, { subscription: done.subscription.id, amount_due: 1900 });
    await send(fake.event("invoice.payment_failed", fake.failInvoice(renewal.id)));
    expect((await account(shop.userId)).status).toBe("past_due");
    Object.assign(fake.store.objects.get(renewal.id)!, { status: "void", next_payment_attempt: null });
    Object.assign(fake.store.objects.get(done.subscription.id)!, { status: "active" });
    expect(await send(fake.event("invoice.voided", fake.get(renewal.id)!))).toEqual(["applied"]);
    expect((await account(shop.userId)).status).toBe("active");
  });
});

describe("the dunning ladder over HTTP", () => {
  const joinQueue = `mutation ($qrToken: String!, $phone: String!) {
    joinQueue(input: { qrToken: $qrToken, phone: $phone }) { result { entryToken status } } }`;

  it("three failed payments: active → past_due → read_only → suspended, one reminder each; a payment brings it back", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "basic" });
    await send(...done.events);
    expect((await account(shop.userId)).status).toBe("active");
    const joined = await server.graphql<{ joinQueue: { result: { entryToken: string; status: string } } }>(joinQueue, {
      qrToken: shop.qrToken,
      phone: "06 12 34 56 78",
    });
    expect(joined.body.data?.joinQueue.result.status).toBe("waiting");

    // The next month's invoice, charged automatically, fails three times.
    const renewal = fake.createInvoice(done.customer.id, { subscription: done.subscription.id, amount_due: 1900 });
    expect(await send(fake.event("invoice.finalized", renewal))).toEqual(["applied"]);
    expect((await account(shop.userId)).status).toBe("active");

    const ladder = [
      { status: "past_due", email: "payment_failed" },
      { status: "read_only", email: "payment_failed_read_only" },
      { status: "suspended", email: "account_suspended" },
    ];
    for (const [index, step] of ladder.entries()) {
      const failed = fake.failInvoice(renewal.id);
      expect(failed.attempt_count).toBe(index + 1);
      await send(fake.event("invoice.payment_failed", failed));
      expect((await account(shop.userId)).status).toBe(step.status);
      expect((await emails(shop.userId)).at(-1)).toBe(step.email);
    }
    // A redelivered failure (a new event about the same attempt) changes nothing.
    await send(fake.event("invoice.payment_failed", fake.get(renewal.id)));
    const reminders = (await feed(shop.userId)).filter((event) => event.event_type === "reminder_sent");
    expect(reminders.map((event) => event.detail.attempt)).toEqual([1, 2, 3]);
    expect(await emails(shop.userId)).toEqual(["payment_succeeded", "payment_failed", "payment_failed_read_only", "account_suspended"]);

    // Suspended: the queue was closed and its customer cancelled (and told); joining is refused with 4004.
    const queue = await db().root.query("select is_queue_active from app_public.queues where id = $1", [shop.queueId]);
    expect(queue.rows[0].is_queue_active).toBe(false);
    const entries = await db().root.query("select status from app_public.queue_entries where queue_id = $1", [shop.queueId]);
    expect(entries.rows).toEqual([{ status: "cancelled" }]);
    const refused = await server.graphql(joinQueue, { qrToken: shop.qrToken, phone: "06 12 34 56 79" });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "BUSINESS_SUSPENDED", number: 4004 });

    // The merchant pays: invoice.paid and the subscription back to active.
    const paid = fake.payInvoice(renewal.id);
    await send(fake.event("invoice.paid", paid), fake.event("customer.subscription.updated", fake.get(done.subscription.id)!));
    expect((await account(shop.userId)).status).toBe("active");
    expect(statusSteps(await feed(shop.userId))).toEqual([
      "trial→active",
      "active→past_due",
      "past_due→read_only",
      "read_only→suspended",
      "suspended→active",
    ]);
    expect((await emails(shop.userId)).filter((template) => template === "payment_succeeded")).toHaveLength(2);
    const stats = await server.graphql<{ myPaymentStats: { failedPayments: number; totalPaidCents: string } }>(
      "{ myPaymentStats { failedPayments totalPaidCents } }",
      {},
      shop.merchant.headers,
    );
    expect(stats.body.data?.myPaymentStats).toEqual({ failedPayments: 3, totalPaidCents: "3800" });
  });
});

describe("cancellation, strangers and outages", () => {
  it("customer.subscription.deleted cancels the account and closes its open queues", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "basic" });
    await send(...done.events);
    await join(db(), shop.qrToken, phone(42));

    const deleted = fake.deleteSubscription(done.subscription.id);
    expect(await send(fake.event("customer.subscription.deleted", deleted))).toEqual(["applied"]);
    expect((await account(shop.userId)).status).toBe("cancelled");
    const queue = await db().root.query("select is_queue_active from app_public.queues where id = $1", [shop.queueId]);
    expect(queue.rows[0].is_queue_active).toBe(false);
    const entries = await db().root.query("select status from app_public.queue_entries where queue_id = $1", [shop.queueId]);
    expect(entries.rows).toEqual([{ status: "cancelled" }]);
    expect(statusSteps(await feed(shop.userId))).toEqual(["trial→active", "active→cancelled"]);
  });

  it("an event about a customer we do not know is marked ignored and touches nothing", async () => {
    const stranger = await stripe.customers.create({ email: "someone-else@example.test" });
    const invoice = fake.createInvoice(stranger.id, { amount_due: 500, status: "open" });
    const before = await db().root.query("select count(*)::int as n from app_public.account_events");
    expect(await send(fake.event("invoice.payment_failed", fake.failInvoice(invoice.id)))).toEqual(["ignored"]);
    const mirrored = await db().root.query("select count(*)::int as n from app_private.invoices where stripe_invoice_id = $1", [invoice.id]);
    expect(mirrored.rows[0].n).toBe(0);
    const after = await db().root.query("select count(*)::int as n from app_public.account_events");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("a Stripe 500 while fetching fails the job with nothing recorded; graphile-worker's retry then applies it", async () => {
    const shop = await trialShop();
    const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "basic" });
    await send(...done.events);
    const renewal = fake.createInvoice(done.customer.id, { subscription: done.subscription.id, amount_due: 1900 });
    const failed = fake.failInvoice(renewal.id);
    const event = fake.event("invoice.payment_failed", failed);
    const feedBefore = (await feed(shop.userId)).length;

    // Enough 500s for the SDK's own retries (2) to give up too.
    fake.failNext(3, { status: 500, path: /^\/v1\/invoices/ });
    expect((await deliver(server.url, fake, event)).status).toBe(200);
    const job = async () =>
      (
        await db().root.query<{ attempts: number; last_error: string | null }>(
          "select attempts, last_error from graphile_worker._private_jobs where key = $1",
          [`stripe_event:${event.id}`],
        )
      ).rows[0];
    await eventually(async () => (await job())?.attempts === 1 && (await job())?.last_error !== null, "the first attempt to fail");
    expect((await job())!.last_error).toMatch(/error/i);
    const logged = await db().root.query("select processed_at from app_private.stripe_events where id = $1", [event.id]);
    expect(logged.rows).toEqual([{ processed_at: null }]);
    const mirrored = await db().root.query("select count(*)::int as n from app_private.invoices where stripe_invoice_id = $1", [renewal.id]);
    expect(mirrored.rows[0].n).toBe(0);
    expect((await feed(shop.userId)).length).toBe(feedBefore);
    expect((await account(shop.userId)).status).toBe("active");

    // The backoff would wait; the clock is moved instead. Stripe answers again.
    await db().root.query("update graphile_worker._private_jobs set run_at = now() where key = $1", [`stripe_event:${event.id}`]);
    expect(await processed(db(), [event.id])).toEqual({ [event.id]: "applied" });
    expect(await job()).toBeUndefined();
    expect((await account(shop.userId)).status).toBe("past_due");
    expect(fake.requests({ path: `/v1/invoices/${renewal.id}` }).map((request) => request.status)).toEqual([500, 500, 500, 200]);
  });
});
