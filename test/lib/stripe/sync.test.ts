// npm run stripe:sync (lib/stripe/sync.ts): the real Stripe SDK against the
// local fake, recording into a test database as the owner. It must create
// the catalog once, then nothing; and never leave half a catalog recorded.
import pg from "pg";
import type Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeStripe } from "../../../lib/stripe/client.ts";
import { CatalogSyncError, createdCount, syncStripeCatalog, type SyncOptions } from "../../../lib/stripe/sync.ts";
import { useTestDatabase } from "../../helpers/db.ts";
import { startFakeStripe, type FakeStripe, type StripeObject } from "../../helpers/fake-stripe/index.ts";

const db = useTestDatabase();
let fake: FakeStripe;
let stripe: Stripe;

beforeEach(async () => {
  fake = await startFakeStripe();
  stripe = makeStripe(fake.config)!;
  // Each test starts from a Stripe account and a database without a catalog.
  await db().root.query("delete from app_private.stripe_prices; delete from app_private.stripe_settings");
  await db().root.query("update app_public.subscription_plans set price_cents = 1900 where name = 'basic'");
});
afterEach(async () => {
  await fake.close();
});

async function sync(options?: SyncOptions) {
  const client = new pg.Client({ connectionString: db().ownerUrl });
  await client.connect();
  try {
    return await syncStripeCatalog(stripe, client, options);
  } finally {
    await client.end();
  }
}

async function recordedPrices() {
  const { rows } = await db().root.query<{
    lookup_key: string;
    plan: string;
    kind: string;
    billing_interval: string;
    stripe_product_id: string;
    stripe_price_id: string;
    updated_at: Date;
  }>(`select s.*, p.name as plan from app_private.stripe_prices s join app_public.subscription_plans p on p.id = s.plan_id order by s.lookup_key`);
  return rows;
}

async function recordedSettings(): Promise<Record<string, string>> {
  const { rows } = await db().root.query<{ key: string; value: string }>("select key, value from app_private.stripe_settings");
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

const byLookupKey = (key: string) => fake.list("price").find((price) => price.lookup_key === key)!;
const recurring = (price: StripeObject) => price.recurring as { interval: string; interval_count: number; usage_type: string; meter: string | null };

describe("stripe:sync", () => {
  it("creates the meter, a product per plan and the overage product, and three prices per plan", async () => {
    const report = await sync();
    expect(createdCount(report)).toBe(1 + 4 + 9);

    const meters = fake.list("billing.meter");
    expect(meters).toHaveLength(1);
    expect(meters[0]).toMatchObject({
      event_name: "waitify_sms_parts",
      status: "active",
      default_aggregation: { formula: "sum" },
      customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" },
      value_settings: { event_payload_key: "value" },
    });
    const meterId = meters[0]!.id;

    const products = fake.list("product");
    expect(products.map((product) => (product.metadata as Record<string, string>).waitify_product).sort()).toEqual([
      "waitify_basic",
      "waitify_enterprise",
      "waitify_pro",
      "waitify_sms_overage",
    ]);
    const overageProduct = products.find((product) => product.name === "Waitify SMS overage")!;
    expect(String(overageProduct.description).toLowerCase()).toContain("one unit per sms part sent or delivered");
    expect(overageProduct.unit_label).toBe("SMS part");

    const plans = [
      { name: "basic", cents: 1900, quota: 1000 },
      { name: "pro", cents: 4900, quota: 2500 },
      { name: "enterprise", cents: 9900, quota: 5000 },
    ];
    for (const plan of plans) {
      const productId = products.find((product) => (product.metadata as Record<string, string>).waitify_product === `waitify_${plan.name}`)!.id;
      const monthly = byLookupKey(`waitify_${plan.name}_monthly`);
      expect(monthly).toMatchObject({ product: productId, currency: "eur", unit_amount: plan.cents, billing_scheme: "per_unit", active: true });
      expect(recurring(monthly)).toMatchObject({ interval: "month", interval_count: 1, usage_type: "licensed" });
      // A year costs ten months (system_configs.yearly_price_months).
      const yearly = byLookupKey(`waitify_${plan.name}_yearly`);
      expect(yearly).toMatchObject({ product: productId, currency: "eur", unit_amount: plan.cents * 10 });
      expect(recurring(yearly)).toMatchObject({ interval: "year", interval_count: 1, usage_type: "licensed" });
      const overage = byLookupKey(`waitify_${plan.name}_sms_overage`);
      expect(overage).toMatchObject({ product: overageProduct.id, currency: "eur", billing_scheme: "tiered", tiers_mode: "graduated" });
      // Monthly for yearly plans too: the quota is per month.
      expect(recurring(overage)).toMatchObject({ interval: "month", usage_type: "metered", meter: meterId });
      const tiers = fake.get(overage.id, ["tiers"])!.tiers as Array<Record<string, unknown>>;
      expect(tiers.map((tier) => [tier.up_to, tier.unit_amount])).toEqual([
        [plan.quota, 0],
        [null, 3],
      ]);
    }
  });

  it("records every id in the database", async () => {
    const report = await sync();
    const rows = await recordedPrices();
    expect(rows).toHaveLength(9);
    for (const row of rows) {
      const price = fake.get(row.stripe_price_id)!;
      expect(price.lookup_key).toBe(row.lookup_key);
      expect(price.product).toBe(row.stripe_product_id);
      expect(row.lookup_key.startsWith(`waitify_${row.plan}_`)).toBe(true);
    }
    expect(rows.find((row) => row.lookup_key === "waitify_pro_yearly")).toMatchObject({ kind: "licensed", billing_interval: "year" });
    expect(rows.find((row) => row.lookup_key === "waitify_pro_sms_overage")).toMatchObject({ kind: "overage", billing_interval: "month" });
    expect(await recordedSettings()).toEqual({ sms_meter_id: report.meter.id, sms_meter_event_name: "waitify_sms_parts" });
    expect(Object.values(report.recorded).every((outcome) => outcome === "created")).toBe(true);
  });

  it("creates nothing on a second run and leaves the database untouched", async () => {
    await sync();
    const before = await recordedPrices();
    const posts = fake.requests({ method: "POST" }).length;

    const report = await sync();
    expect(createdCount(report)).toBe(0);
    expect(fake.requests({ method: "POST" })).toHaveLength(posts);
    expect(report.prices.every((price) => price.action === "found")).toBe(true);
    expect(Object.values(report.recorded).every((outcome) => outcome === "unchanged")).toBe(true);
    expect(await recordedPrices()).toEqual(before);
    expect(fake.list("price")).toHaveLength(9);
    expect(fake.list("product")).toHaveLength(4);
  });

  it("replaces a price that no longer matches its plan and moves the lookup key to it", async () => {
    await sync();
    const oldMonthly = byLookupKey("waitify_basic_monthly");
    const oldOverage = byLookupKey("waitify_basic_sms_overage");
    await db().root.query("update app_public.subscription_plans set price_cents = 2100 where name = 'basic'");

    const report = await sync();
    const replaced = report.prices.filter((price) => price.action === "replaced").map((price) => price.lookupKey);
    expect(replaced.sort()).toEqual(["waitify_basic_monthly", "waitify_basic_yearly"]);
    const monthly = byLookupKey("waitify_basic_monthly");
    expect(monthly.id).not.toBe(oldMonthly.id);
    expect(monthly.unit_amount).toBe(2100);
    expect(byLookupKey("waitify_basic_yearly").unit_amount).toBe(21_000);
    // The old price stays (subscriptions on it keep working) without its key.
    expect(fake.get(oldMonthly.id)!.lookup_key).toBeNull();
    expect(byLookupKey("waitify_basic_sms_overage").id).toBe(oldOverage.id);
    const rows = await recordedPrices();
    expect(rows.find((row) => row.lookup_key === "waitify_basic_monthly")!.stripe_price_id).toBe(monthly.id);
    expect(report.recorded).toMatchObject({ waitify_basic_monthly: "updated", waitify_basic_sms_overage: "unchanged" });
  });

  it("records nothing when Stripe fails half-way, and the next run finishes without duplicates", async () => {
    // The first price creation is refused (a 400 is not retried).
    fake.failNext(1, { status: 400, message: "Refused for the test", method: "POST", path: "/v1/prices" });
    await expect(sync()).rejects.toThrow(/Refused for the test/);
    expect(fake.list("billing.meter")).toHaveLength(1);
    expect(fake.list("price")).toHaveLength(0);
    expect(await recordedPrices()).toEqual([]);
    expect(await recordedSettings()).toEqual({});

    const report = await sync();
    expect(report.meter.created).toBe(false);
    expect(report.products.every((product) => product.action === "found")).toBe(true);
    expect(report.prices.filter((price) => price.action === "created")).toHaveLength(9);
    expect(fake.list("billing.meter")).toHaveLength(1);
    expect(fake.list("product")).toHaveLength(4);
    expect(fake.list("price")).toHaveLength(9);
    expect(await recordedPrices()).toHaveLength(9);
  });

  it("creates each object once when Stripe's answer is lost and the SDK retries", async () => {
    // Stripe did the work, the 500 reached us: the retry carries the same
    // Idempotency-Key and gets the stored answer instead of a second price.
    fake.failNext(1, { status: 500, method: "POST", path: "/v1/prices", afterExecution: true });
    fake.failNext(1, { status: 500, method: "POST", path: "/v1/products", afterExecution: true });
    await sync();
    expect(fake.list("price")).toHaveLength(9);
    expect(fake.list("product")).toHaveLength(4);
    expect(fake.requests({ method: "POST" }).filter((request) => request.replayed)).toHaveLength(2);
  });

  describe("price ids from the environment (STRIPE_PRICES)", () => {
    async function ownPrice(params: Partial<Stripe.PriceCreateParams>): Promise<string> {
      const product = await stripe.products.create({ name: "Made in the dashboard" });
      const price = await stripe.prices.create({
        product: product.id,
        currency: "eur",
        unit_amount: 1900,
        recurring: { interval: "month" },
        ...params,
      } as Stripe.PriceCreateParams);
      return price.id;
    }

    it("records a configured price that matches its plan instead of searching by lookup key", async () => {
      const priceId = await ownPrice({});
      const report = await sync({ priceIds: { waitify_basic_monthly: priceId } });
      expect(report.prices.find((price) => price.lookupKey === "waitify_basic_monthly")).toMatchObject({ id: priceId, action: "configured" });
      expect((await recordedPrices()).find((row) => row.lookup_key === "waitify_basic_monthly")!.stripe_price_id).toBe(priceId);
      // No price was created for that key.
      expect(fake.list("price").filter((price) => price.lookup_key === "waitify_basic_monthly")).toEqual([]);
    });

    it("refuses a configured price that would bill another amount, and records nothing", async () => {
      const priceId = await ownPrice({ unit_amount: 1000 });
      const attempt = sync({ priceIds: { waitify_basic_monthly: priceId } });
      await expect(attempt).rejects.toThrow(CatalogSyncError);
      await expect(sync({ priceIds: { waitify_basic_monthly: priceId } })).rejects.toThrow(/waitify_basic_monthly.*amount 1000, expected 1900/);
      expect(await recordedPrices()).toEqual([]);
    });

    it("refuses an unknown lookup key before calling Stripe", async () => {
      const before = fake.requests().length;
      await expect(sync({ priceIds: { waitify_gold_monthly: "price_123" } })).rejects.toThrow(/unknown lookup keys: waitify_gold_monthly/);
      expect(fake.requests()).toHaveLength(before);
    });
  });
});
