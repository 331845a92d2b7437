// The report_sms_usage task with a real graphile-worker and the real stripe
// SDK against the local fake Stripe, whose meter `npm run stripe:sync`
// created: the SMS parts of each finished hour go to the meter once per
// account and hour (customer, value, identifier, the hour as timestamp); a
// rerun sends nothing new; a Stripe failure midway leaves the rest for the
// next run without counting anything twice, even when Stripe had accepted a
// report whose answer was lost; and a month's reports add up to the monthly
// statement's SMS parts. Jobs are added as the crontab adds them, for the
// time each step chooses, and the fake's clock is set to that time.
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStripe } from "../../lib/stripe/client.ts";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { startFakeStripe, type FakeStripe, type MeterEventRecord } from "../helpers/fake-stripe/index.ts";
import { createBusiness, createMerchant, type BusinessFixture } from "../helpers/fixtures.ts";
import { checkout, linkedCustomer, runScheduledJob, syncCatalog, type CatalogPrices } from "../helpers/stripe-flow.ts";

const db = useTestDatabase();
let fake: FakeStripe;
let stripe: Stripe;
let prices: CatalogPrices;
let worker: WorkerHandle;

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = makeStripe(fake.config)!;
  prices = await syncCatalog(db(), stripe);
  worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 2, stripe, schedule: false });
});
afterAll(async () => {
  await worker?.stop();
  await fake?.close();
});

const at = (iso: string) => new Date(iso);
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

interface Subscriber {
  shop: BusinessFixture;
  customer: string;
  subscription: string;
}

/** A merchant with a business, subscribed at Stripe on `since` (its customer linked first, as checkout does). */
async function subscriber(plan: "basic" | "pro", since: string): Promise<Subscriber> {
  const merchant = await createMerchant(db());
  const shop = await createBusiness(db(), { merchant, name: `Shop ${merchant.email.slice(9, 15)}` });
  const customer = await linkedCustomer(db(), stripe, shop.userId, merchant.email);
  fake.setTime(at(since));
  const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: merchant.email, plan, customer });
  await db().root.query("select app_private.apply_stripe_subscription($1)", [JSON.stringify(done.subscription)]);
  return { shop, customer, subscription: String(done.subscription.id) };
}

/** SMS log rows as send_sms leaves them: `count` messages of `parts` parts, sent at `sentAt`. */
async function sent(shop: BusinessFixture, sentAt: string, count: number, parts: number, status = "sent"): Promise<void> {
  await db().root.query(
    `insert into app_public.sms_logs (business_id, user_id, phone, message_type, message_content, status, provider_message_id,
       parts, sent_at, delivered_at, error_code)
     select $1, $2, '+33612345678', 'confirmation', 'Bonjour', $3, case when $3 <> 'failed' then 'msg-' || n end,
            case when $3 <> 'failed' then $4::integer end, $5::timestamptz, case when $3 = 'delivered' then $5::timestamptz end,
            case when $3 = 'failed' then 5001 end
       from generate_series(1, $6::integer) n`,
    [shop.businessId, shop.userId, status, parts, sentAt, count],
  );
}

/** The hourly job, as the crontab runs it at `time`; the fake's clock says the same time. */
async function report(time: string): Promise<void> {
  fake.setTime(at(time));
  await runScheduledJob(db(), "report_sms_usage", at(time));
}

const hourId = (iso: string) => iso.slice(0, 13).replace(/[-:]/g, "");
const ofCustomer = (customer: string) => fake.meterEvents().filter((event) => event.payload.stripe_customer_id === customer);
const total = (events: MeterEventRecord[]) => events.reduce((sum, event) => sum + Number(event.payload.value), 0);

describe("report_sms_usage", () => {
  it("reports each finished hour once per account, with its customer, parts and identifier; a rerun sends nothing", async () => {
    const basic = await subscriber("basic", "2026-02-10T09:00:00Z");
    const pro = await subscriber("pro", "2026-02-11T09:00:00Z");
    const trial = await createBusiness(db(), { merchant: await createMerchant(db()) });
    await sent(basic.shop, "2026-03-03T10:05:00Z", 5, 2);
    await sent(basic.shop, "2026-03-03T10:59:59.900Z", 3, 1, "delivered");
    await sent(basic.shop, "2026-03-03T10:30:00Z", 4, 1, "failed");
    await sent(pro.shop, "2026-03-03T10:20:00Z", 7, 3);
    await sent(basic.shop, "2026-03-03T11:00:00Z", 1, 4);
    await sent(trial, "2026-03-03T10:10:00Z", 9, 1);
    // Not finished 5 minutes before the run: the next run's.
    await sent(basic.shop, "2026-03-03T12:01:00Z", 2, 1);

    await report("2026-03-03T12:10:00Z");
    const events = fake.meterEvents();
    expect(events.map(({ identifier, payload, timestamp, event_name }) => ({ identifier, payload, timestamp, event_name }))).toEqual([
      {
        event_name: "waitify_sms_parts",
        identifier: `sms:${basic.shop.userId}:${hourId("2026-03-03T10")}`,
        payload: { stripe_customer_id: basic.customer, value: "13" },
        timestamp: seconds("2026-03-03T10:00:00Z"),
      },
      {
        event_name: "waitify_sms_parts",
        identifier: `sms:${pro.shop.userId}:${hourId("2026-03-03T10")}`,
        payload: { stripe_customer_id: pro.customer, value: "21" },
        timestamp: seconds("2026-03-03T10:00:00Z"),
      },
      {
        event_name: "waitify_sms_parts",
        identifier: `sms:${basic.shop.userId}:${hourId("2026-03-03T11")}`,
        payload: { stripe_customer_id: basic.customer, value: "4" },
        timestamp: seconds("2026-03-03T11:00:00Z"),
      },
    ].sort((a, b) => a.timestamp - b.timestamp || (a.identifier < b.identifier ? -1 : 1)));
    const unreported = await db().root.query("select count(*)::int as n from app_private.sms_usage_reports where reported_at is null");
    expect(unreported.rows[0].n).toBe(0);

    const posts = fake.requests({ method: "POST", path: "/v1/billing/meter_events" }).length;
    await report("2026-03-03T12:10:00Z");
    expect(fake.meterEvents()).toHaveLength(3);
    expect(fake.requests({ method: "POST", path: "/v1/billing/meter_events" })).toHaveLength(posts);

    await report("2026-03-03T13:10:00Z");
    expect(fake.meterEvents().slice(3).map((event) => [event.identifier, event.payload.value])).toEqual([
      [`sms:${basic.shop.userId}:${hourId("2026-03-03T12")}`, "2"],
    ]);
  });

  it("a Stripe failure midway leaves the rest for the next run; a report Stripe accepted but whose answer was lost is not counted twice", async () => {
    const shop = (await subscriber("basic", "2026-02-10T09:00:00Z")).shop;
    const customer = (await db().root.query("select stripe_customer_id from app_private.stripe_customers where user_id = $1", [shop.userId]))
      .rows[0].stripe_customer_id as string;
    for (const hour of ["05", "06", "07", "08"]) await sent(shop, `2026-03-04T${hour}:15:00Z`, 10, 1);
    const path = "/v1/billing/meter_events";

    // The first report goes through; the second fails on every try of the SDK (1 + 2 retries).
    fake.failNext(3, { status: 500, path, skip: 1 });
    await expect(report("2026-03-04T09:10:00Z")).rejects.toThrow(/report_sms_usage failed/);
    expect(ofCustomer(customer).map((event) => event.identifier)).toEqual([`sms:${shop.userId}:${hourId("2026-03-04T05")}`]);

    // Next: Stripe records the second report but its answer is lost, on the first try and on each retry.
    fake.failNext(1, { status: 500, path, afterExecution: true });
    fake.failNext(2, { status: 500, path });
    await expect(report("2026-03-04T09:20:00Z")).rejects.toThrow(/report_sms_usage failed/);
    expect(ofCustomer(customer)).toHaveLength(2);
    const lost = await db().root.query("select reported_at from app_private.sms_usage_reports where identifier = $1", [
      `sms:${shop.userId}:${hourId("2026-03-04T06")}`,
    ]);
    expect(lost.rows).toEqual([{ reported_at: null }]);

    // Stripe is back: the rest is reported, the report it already holds is not counted again.
    await report("2026-03-04T10:10:00Z");
    expect(ofCustomer(customer).map((event) => [event.identifier, event.payload.value])).toEqual(
      ["05", "06", "07", "08"].map((hour) => [`sms:${shop.userId}:${hourId(`2026-03-04T${hour}`)}`, "10"]),
    );
    const unreported = await db().root.query("select count(*)::int as n from app_private.sms_usage_reports where user_id = $1 and reported_at is null", [
      shop.userId,
    ]);
    expect(unreported.rows[0].n).toBe(0);
  });

  it("an identifier Stripe already holds counts as reported; an hour too old for Stripe does not block the others", async () => {
    const { shop, customer } = await subscriber("basic", "2026-02-10T09:00:00Z");
    await sent(shop, "2026-03-10T08:00:00Z", 6, 1);
    await sent(shop, "2026-04-19T15:00:00Z", 2, 1);
    await sent(shop, "2026-04-19T16:00:00Z", 3, 1);
    // Stripe already holds the 15:00 report (accepted on an earlier day; our mark of it was lost).
    fake.setTime(at("2026-04-19T16:10:00Z"));
    await stripe.billing.meterEvents.create({
      event_name: "waitify_sms_parts",
      identifier: `sms:${shop.userId}:${hourId("2026-04-19T15")}`,
      timestamp: seconds("2026-04-19T15:00:00Z"),
      payload: { stripe_customer_id: customer, value: "2" },
    });
    // The worker could not report for weeks (no Stripe key): March 10th is more than 35 days old now.
    await report("2026-04-20T10:10:00Z");
    expect(ofCustomer(customer).map((event) => [event.identifier.slice(-11), event.payload.value])).toEqual([
      ["20260419T15", "2"],
      ["20260419T16", "3"],
    ]);
    const left = await db().root.query(
      "select to_char(hour at time zone 'UTC', 'MM-DD HH24') as hour, reported_at is not null as reported from app_private.sms_usage_reports where user_id = $1 order by hour",
      [shop.userId],
    );
    expect(left.rows).toEqual([
      { hour: "03-10 08", reported: false },
      { hour: "04-19 15", reported: true },
      { hour: "04-19 16", reported: true },
    ]);
  });

  it("the hour a subscription began in is stamped at its start, so Stripe bills those parts in the first period", async () => {
    const { shop, customer, subscription } = await subscriber("basic", "2026-08-03T09:40:12Z");
    type Items = { data: { current_period_start: number; current_period_end: number }[] };
    const firstPeriod = (fake.get(subscription)!.items as Items).data[0]!;
    // The fake's clock runs on from 09:40:12: the subscription began then or a moment later, within the hour.
    expect(firstPeriod.current_period_start).toBeGreaterThanOrEqual(seconds("2026-08-03T09:40:12Z"));
    expect(firstPeriod.current_period_start).toBeLessThan(seconds("2026-08-03T09:45:00Z"));
    await sent(shop, "2026-08-03T09:50:00Z", 3, 1);
    await sent(shop, "2026-08-03T10:05:00Z", 2, 1);
    await report("2026-08-03T11:10:00Z");
    expect(ofCustomer(customer).map((event) => [event.timestamp, event.payload.value])).toEqual([
      [firstPeriod.current_period_start, "3"],
      [seconds("2026-08-03T10:00:00Z"), "2"],
    ]);
    // The renewal bills the period's metered usage: every part, the first hour's included.
    fake.setTime(firstPeriod.current_period_end);
    const { invoice } = fake.renewSubscription(subscription);
    const metered = (invoice.lines as { data: { quantity: number; period: { start: number } }[] }).data.filter(
      (line) => line.period.start === firstPeriod.current_period_start,
    );
    expect(metered.map((line) => line.quantity)).toEqual([5]);
  });

  it("a month's reports add up to that month's statement", async () => {
    const { shop, customer } = await subscriber("pro", "2026-05-20T09:00:00Z");
    const other = await createBusiness(db(), { merchant: shop.merchant, name: "Second shop" });
    await sent(shop, "2026-06-01T00:00:00Z", 1000, 2);
    await sent(other, "2026-06-14T13:45:00Z", 150, 1, "delivered");
    await sent(shop, "2026-06-30T23:59:59Z", 200, 3);
    await sent(shop, "2026-06-30T23:40:00Z", 20, 1, "failed");
    await sent(shop, "2026-05-31T23:59:59Z", 7, 1);
    await sent(shop, "2026-07-01T00:00:01Z", 5, 1);

    // Through the month, hour by hour as the crontab does (a few runs stand for all), then on the 1st.
    await report("2026-06-01T01:10:00Z");
    await report("2026-06-15T00:10:00Z");
    await report("2026-07-01T00:10:00Z");
    await runScheduledJob(db(), "monthly_statements", at("2026-07-01T03:30:00Z"));

    const statement = await db().root.query(
      "select sms_used, sms_overage, overage_cost_cents from app_public.billing_statements where user_id = $1 and period_start = '2026-06-01'",
      [shop.userId],
    );
    expect(statement.rows).toEqual([{ sms_used: 2750, sms_overage: 250, overage_cost_cents: 750 }]);
    const june = ofCustomer(customer).filter(
      (event) => event.timestamp >= seconds("2026-06-01T00:00:00Z") && event.timestamp < seconds("2026-07-01T00:00:00Z"),
    );
    expect(total(june)).toBe(2750);
    expect(june.map((event) => event.timestamp)).toEqual(
      [seconds("2026-06-01T00:00:00Z"), seconds("2026-06-14T13:00:00Z"), seconds("2026-06-30T23:00:00Z")],
    );
  });
});
