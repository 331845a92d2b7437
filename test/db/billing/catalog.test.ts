// db/billing/catalog.sql: what stripe:sync reads and how it records ids.
// Owner-only: no request role may call these functions.
import { describe, expect, it } from "vitest";
import { asRole, useTestDatabase } from "../../helpers/db.ts";

const db = useTestDatabase();

const planId = async (name: string) =>
  (await db().root.query<{ id: string }>("select id from app_public.subscription_plans where name = $1", [name])).rows[0]!.id;

describe("app_private.stripe_catalog_plans()", () => {
  it("lists the active plans with the yearly multiplier and the SMS unit price", async () => {
    await asRole(db(), "superuser", async (client) => {
      await client.query("update app_public.subscription_plans set is_active = false where name = 'enterprise'");
      const { rows } = await client.query("select name, price_cents, sms_quota_monthly, yearly_price_months, sms_unit_cents from app_private.stripe_catalog_plans()");
      expect(rows).toEqual([
        { name: "basic", price_cents: 1900, sms_quota_monthly: 1000, yearly_price_months: 10, sms_unit_cents: 3 },
        { name: "pro", price_cents: 4900, sms_quota_monthly: 2500, yearly_price_months: 10, sms_unit_cents: 3 },
      ]);
    });
  });
});

describe("app_private.record_stripe_price()", () => {
  const record = (client: { query: (sql: string, values: unknown[]) => Promise<{ rows: Array<{ outcome: string }> }> }, values: unknown[]) =>
    client.query("select app_private.record_stripe_price($1, $2, $3, $4, $5, $6) as outcome", values).then((result) => result.rows[0]!.outcome);

  it("says created, then unchanged without touching the row, then updated for another price", async () => {
    const basic = await planId("basic");
    await asRole(db(), "superuser", async (client) => {
      const values = ["waitify_basic_monthly", basic, "licensed", "month", "prod_A", "price_A"];
      expect(await record(client, values)).toBe("created");
      // An UPDATE, even a no-op one, writes a new row version (a new ctid).
      const version = async () => (await client.query("select ctid::text from app_private.stripe_prices where lookup_key = 'waitify_basic_monthly'")).rows[0];
      const before = await version();
      expect(await record(client, values)).toBe("unchanged");
      expect(await version()).toEqual(before);
      expect(await record(client, ["waitify_basic_monthly", basic, "licensed", "month", "prod_A", "price_B"])).toBe("updated");
      const { rows } = await client.query("select stripe_price_id from app_private.stripe_prices");
      expect(rows).toEqual([{ stripe_price_id: "price_B" }]);
    });
  });

  it("replaces the row of a renamed plan's lookup key instead of breaking the unique (plan, kind, interval)", async () => {
    const basic = await planId("basic");
    await asRole(db(), "superuser", async (client) => {
      await record(client, ["waitify_basic_monthly", basic, "licensed", "month", "prod_A", "price_A"]);
      expect(await record(client, ["waitify_starter_monthly", basic, "licensed", "month", "prod_A", "price_C"])).toBe("created");
      const { rows } = await client.query("select lookup_key, stripe_price_id from app_private.stripe_prices");
      expect(rows).toEqual([{ lookup_key: "waitify_starter_monthly", stripe_price_id: "price_C" }]);
    });
  });

  it("keeps the table's checks: Stripe ids only", async () => {
    const basic = await planId("basic");
    await asRole(db(), "superuser", async (client) => {
      await expect(record(client, ["waitify_basic_monthly", basic, "licensed", "month", "prod_A", "not_a_price"])).rejects.toThrow(/check constraint/);
    });
  });
});

describe("app_private.record_stripe_setting()", () => {
  it("says created, unchanged, updated", async () => {
    await asRole(db(), "superuser", async (client) => {
      const set = async (value: string) =>
        (await client.query<{ outcome: string }>("select app_private.record_stripe_setting('sms_meter_id', $1) as outcome", [value])).rows[0]!.outcome;
      expect(await set("mtr_1")).toBe("created");
      expect(await set("mtr_1")).toBe("unchanged");
      expect(await set("mtr_2")).toBe("updated");
      expect((await client.query("select value from app_private.stripe_settings where key = 'sms_meter_id'")).rows).toEqual([{ value: "mtr_2" }]);
    });
  });
});

describe("who may call them", () => {
  it("no request role can run the catalog functions", async () => {
    for (const role of ["waitify_anonymous", "waitify_merchant", "waitify_admin"] as const) {
      await asRole(db(), role, async (client) => {
        await expect(client.query("select * from app_private.stripe_catalog_plans()")).rejects.toThrow(/permission denied/);
      });
      await asRole(db(), role, async (client) => {
        await expect(client.query("select app_private.record_stripe_setting('sms_meter_id', 'x')")).rejects.toThrow(/permission denied/);
      });
    }
  });
});
