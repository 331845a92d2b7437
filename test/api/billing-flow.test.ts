// Issue 12's acceptance scenario, over HTTP as a client would live it, with
// the real stripe SDK against the local fake Stripe and a real worker: a
// merchant registers, opens its queue and subscribes (checkout completed at
// Stripe, webhooks make it active); over the month it sends more SMS than its
// plan includes; on the 1st the meter at Stripe holds the same parts as the
// statement it reads through GraphQL, and Stripe's renewal invoice asks for
// that statement's total. That invoice is then refused: read-only still runs
// the open queue but refuses settings, suspended refuses joins (4004).
//
// The month is the current UTC month: the customers' SMS are sent now, and
// mySmsQuota reads this month. The subscription starts on the 1st (the fake's
// clock), so Stripe's billing period and the statement's month coincide.
import type Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import type { FakeStripe, StripeObject } from "../helpers/fake-stripe/index.ts";
import type { GraphQLErrorBody, TestServer } from "../helpers/server.ts";
import { checkout, eventually, runScheduledJob, useMoneyPath, type CatalogPrices } from "../helpers/stripe-flow.ts";

const db = useTestDatabase();
const money = useMoneyPath(db);
let fake: FakeStripe;
let stripe: Stripe;
let prices: CatalogPrices;
let server: TestServer;
beforeAll(() => {
  ({ fake, stripe, prices, server } = money());
});

const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
const minutes = (date: Date, count: number) => new Date(date.getTime() + count * 60_000);

/** A GraphQL operation that must succeed; its data. */
async function ok<T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<T> {
  const { body } = await server.graphql<T>(query, variables, headers);
  expect(body.errors).toBeUndefined();
  return body.data!;
}

/** A GraphQL operation that must fail; its first error's extensions. */
async function refused(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const { body } = await server.graphql(query, variables, headers);
  return (body.errors as GraphQLErrorBody[] | undefined)?.[0]?.extensions;
}

/** Stripe sends these events; each is handled before the next, and applied to the merchant's account. */
async function webhooks(...events: StripeObject[]): Promise<void> {
  expect(await money().send(...events)).toEqual(events.map(() => "applied"));
}

const JOIN = `mutation ($qrToken: String!, $phone: String!) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone }) { result { entryToken status position } } }`;
const STATEMENTS = `{ allBillingStatements { nodes {
  periodStart planPriceCents smsIncluded smsUsed smsOverage overageCostCents totalCents activeBusinesses usageByBusiness status } } }`;
const ACCOUNT = `{
  mySubscription { planName status billingInterval }
  mySmsQuota { periodStart smsQuota partsUsed partsOverQuota overageCostCents }
  myInvoices { nodes { status amountDueCents amountPaidCents } }
  myPaymentStats { totalPaidCents failedPayments }
  allAccountEvents { nodes { eventType actor detail } }
}`;

interface Account {
  mySubscription: { planName: string; status: string; billingInterval: string | null };
  mySmsQuota: { periodStart: string; smsQuota: number; partsUsed: number; partsOverQuota: number; overageCostCents: number };
  myInvoices: { nodes: { status: string; amountDueCents: number; amountPaidCents: number }[] };
  myPaymentStats: { totalPaidCents: string; failedPayments: number };
  allAccountEvents: { nodes: { eventType: string; actor: string; detail: Record<string, unknown> }[] };
}

describe("a merchant's month, from sign-up to suspension", () => {
  it("subscribes, overruns its SMS quota, is billed what its statement says, then read-only and suspended", { timeout: 90_000 }, async () => {
    // Sign-up, a business, its queue opened: all as the merchant's app does it.
    const email = `flow-${Date.now()}@example.test`;
    const { register } = await ok<{ register: { jwtToken: string } }>(
      `mutation ($email: String!) { register(input: { email: $email, password: "correct horse battery", firstName: "Ada", lastName: "Martin" }) { jwtToken } }`,
      { email },
    );
    const merchant = { authorization: `Bearer ${register.jwtToken}` };
    const { currentUser } = await ok<{ currentUser: { rowId: string; subscriptionStatus: string } }>(
      "{ currentUser { rowId subscriptionStatus } }",
      {},
      merchant,
    );
    expect(currentUser.subscriptionStatus).toBe("trial");
    const { createBusiness } = await ok<{ createBusiness: { business: { id: string; rowId: string; queues: { nodes: { rowId: string; qrCodeToken: string }[] } } } }>(
      `mutation { createBusiness(input: { business: { name: "Pharmacie du Port", businessType: pharmacy } }) {
         business { id rowId queues { nodes { rowId qrCodeToken } } } } }`,
      {},
      merchant,
    );
    const business = createBusiness.business;
    const queue = business.queues.nodes[0]!;
    await ok(`mutation ($queueId: UUID!) { openQueue(input: { queueId: $queueId }) { result { isQueueActive } } }`, { queueId: queue.rowId }, merchant);

    // Checkout on the 1st (the createCheckoutSession mutation comes with another change: the session is made at Stripe directly).
    fake.setTime(monthStart);
    const done = await checkout(stripe, fake, prices, { userId: currentUser.rowId, email, plan: "basic" });
    await webhooks(...done.events);
    let account = await ok<Account>(ACCOUNT, {}, merchant);
    expect(account.mySubscription).toEqual({ planName: "basic", status: "active", billingInterval: "month" });

    // The month: customers join (each confirmation sent by the worker), and the log shows many more messages.
    for (let n = 0; n < 4; n++) {
      const joined = await ok<{ joinQueue: { result: { status: string } } }>(JOIN, { qrToken: queue.qrCodeToken, phone: `06 00 00 00 1${n}` });
      expect(joined.joinQueue.result.status).toBe("waiting");
    }
    const sms = async () =>
      (await db().root.query("select count(*) filter (where status = 'sent')::int as sent, count(*)::int as all from app_public.sms_logs where business_id = $1", [
        business.rowId,
      ])).rows[0] as { sent: number; all: number };
    await eventually(async () => (await sms()).sent === 4 && (await sms()).all === 4, "4 confirmations sent");
    await db().root.query(
      `insert into app_public.sms_logs (business_id, user_id, phone, message_type, message_content, status, provider_message_id, parts, sent_at)
       select $1, $2, '+33600000099', 'your_turn', 'Bonjour', 'sent', 'log-' || n, 2,
              $3::timestamptz + ($4::timestamptz - $3::timestamptz) * n / 601
         from generate_series(1, 600) n`,
      [business.rowId, currentUser.rowId, monthStart, now],
    );
    const used = (await db().root.query("select sum(parts)::int as parts from app_public.sms_logs where business_id = $1", [business.rowId]))
      .rows[0].parts as number;
    expect(used).toBeGreaterThan(1200);
    account = await ok<Account>(ACCOUNT, {}, merchant);
    expect(account.mySmsQuota).toEqual({
      periodStart: monthStart.toISOString().slice(0, 10),
      smsQuota: 1000,
      partsUsed: used,
      partsOverQuota: used - 1000,
      overageCostCents: (used - 1000) * 3,
    });

    // The 1st of next month: the last hours go to the meter, then the statements are written.
    fake.setTime(minutes(nextMonth, 10));
    await runScheduledJob(db(), "report_sms_usage", minutes(nextMonth, 10));
    await runScheduledJob(db(), "monthly_statements", minutes(nextMonth, 210));
    const metered = fake.meterEvents().filter((event) => event.payload.stripe_customer_id === done.customer.id);
    expect(metered.reduce((sum, event) => sum + Number(event.payload.value), 0)).toBe(used);
    const { allBillingStatements } = await ok<{ allBillingStatements: { nodes: Record<string, unknown>[] } }>(STATEMENTS, {}, merchant);
    const total = 1900 + (used - 1000) * 3;
    expect(allBillingStatements.nodes).toEqual([
      {
        periodStart: monthStart.toISOString().slice(0, 10),
        planPriceCents: 1900,
        smsIncluded: 1000,
        smsUsed: used,
        smsOverage: used - 1000,
        overageCostCents: (used - 1000) * 3,
        totalCents: total,
        activeBusinesses: 1,
        usageByBusiness: [{ businessId: business.rowId, name: "Pharmacie du Port", parts: used }],
        status: "pending",
      },
    ]);

    // Stripe renews the subscription: its invoice (next month's plan + the metered overage) is the statement's total. The card fails.
    fake.setTime(nextMonth);
    const renewal = fake.renewSubscription(done.subscription.id, { paymentFails: true });
    expect(renewal.invoice.amount_due).toBe(total);
    await webhooks(fake.event("invoice.finalized", renewal.invoice), fake.event("invoice.payment_failed", renewal.invoice));
    account = await ok<Account>(ACCOUNT, {}, merchant);
    expect(account.mySubscription.status).toBe("past_due");
    expect(account.myInvoices.nodes).toEqual([
      { status: "open", amountDueCents: total, amountPaidCents: 0 },
      { status: "paid", amountDueCents: 1900, amountPaidCents: 1900 },
    ]);
    // The month's statement follows the invoice that bills it: its payment failed.
    const billed = await ok<{ allBillingStatements: { nodes: { periodStart: string; status: string }[] } }>(
      "{ allBillingStatements { nodes { periodStart status } } }",
      {},
      merchant,
    );
    expect(billed.allBillingStatements.nodes).toEqual([{ periodStart: monthStart.toISOString().slice(0, 10), status: "failed" }]);

    // Second failure: read-only. Settings are refused; the open queue keeps running.
    await webhooks(fake.event("invoice.payment_failed", fake.failInvoice(renewal.invoice.id)));
    expect((await ok<Account>(ACCOUNT, {}, merchant)).mySubscription.status).toBe("read_only");
    expect(
      await refused(
        `mutation ($id: ID!) { updateBusiness(input: { id: $id, businessPatch: { name: "Pharmacie de la Gare" } }) { business { name } } }`,
        { id: business.id },
        merchant,
      ),
    ).toMatchObject({ code: "ACCOUNT_READ_ONLY" });
    const { callNext } = await ok<{ callNext: { result: { rowId: string; status: string } } }>(
      `mutation ($queueId: UUID!) { callNext(input: { queueId: $queueId }) { result { rowId status } } }`,
      { queueId: queue.rowId },
      merchant,
    );
    expect(callNext.result.status).toBe("called");
    const { markServed } = await ok<{ markServed: { result: { status: string } } }>(
      `mutation ($entryId: UUID!) { markServed(input: { entryId: $entryId }) { result { status } } }`,
      { entryId: callNext.result.rowId },
      merchant,
    );
    expect(markServed.result.status).toBe("served");

    // Third failure: suspended. The queue is closed and newcomers are turned away with 4004.
    await webhooks(fake.event("invoice.payment_failed", fake.failInvoice(renewal.invoice.id)));
    account = await ok<Account>(ACCOUNT, {}, merchant);
    expect(account.mySubscription.status).toBe("suspended");
    expect(await refused(JOIN, { qrToken: queue.qrCodeToken, phone: "06 00 00 00 20" })).toMatchObject({
      code: "BUSINESS_SUSPENDED",
      number: 4004,
    });
    expect(account.myPaymentStats).toEqual({ totalPaidCents: "1900", failedPayments: 3 });
    const feed = account.allAccountEvents.nodes;
    expect(feed.filter((event) => event.eventType === "status_changed").map((event) => `${String(event.detail.from)}→${String(event.detail.to)}`)).toEqual([
      "trial→active",
      "active→past_due",
      "past_due→read_only",
      "read_only→suspended",
    ]);
    expect(feed.filter((event) => event.eventType === "reminder_sent").map((event) => event.detail.attempt)).toEqual([1, 2, 3]);
    expect(feed.every((event) => event.actor === "stripe")).toBe(true);
  });
});
