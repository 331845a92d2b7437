// What Waitify sells (lib/stripe/catalog.ts), as data: lookup keys, amounts
// and tiers per plan, and what a graduated price charges.
import { describe, expect, it } from "vitest";
import { buildCatalog, graduatedAmount, planPrices, priceLookupKey, type CatalogPlan } from "../../../lib/stripe/catalog.ts";

const basic: CatalogPlan = { planId: "00000000-0000-0000-0000-000000000001", name: "basic", priceCents: 1900, smsQuotaMonthly: 1000 };
const pro: CatalogPlan = { planId: "00000000-0000-0000-0000-000000000002", name: "pro", priceCents: 4900, smsQuotaMonthly: 2500 };
const settings = { yearlyPriceMonths: 10, smsUnitCents: 3 };

describe("the catalog", () => {
  it("names prices by plan, kind and interval within the database's lookup key format", () => {
    expect(priceLookupKey("basic", "licensed", "month")).toBe("waitify_basic_monthly");
    expect(priceLookupKey("basic", "licensed", "year")).toBe("waitify_basic_yearly");
    expect(priceLookupKey("basic", "overage", "month")).toBe("waitify_basic_sms_overage");
    for (const spec of buildCatalog([basic, pro], settings).prices) expect(spec.lookupKey).toMatch(/^waitify_[a-z0-9_]{1,90}$/);
  });

  it("prices a plan monthly, yearly at ten months, and its overage monthly beyond the quota", () => {
    const [monthly, yearly, overage] = planPrices(pro, settings);
    expect(monthly).toMatchObject({ kind: "licensed", interval: "month", unitAmount: 4900, productKey: "waitify_pro" });
    expect(yearly).toMatchObject({ kind: "licensed", interval: "year", unitAmount: 49_000, productKey: "waitify_pro" });
    expect(overage).toMatchObject({
      kind: "overage",
      interval: "month",
      productKey: "waitify_sms_overage",
      tiers: [
        { upTo: 2500, unitAmount: 0 },
        { upTo: "inf", unitAmount: 3 },
      ],
    });
  });

  it("has one product per plan and one overage product", () => {
    expect(buildCatalog([basic, pro], settings).products.map((product) => product.key)).toEqual([
      "waitify_basic",
      "waitify_pro",
      "waitify_sms_overage",
    ]);
  });

  it("charges nothing within the quota and the unit price for every part beyond it", () => {
    const tiers = planPrices(basic, settings)[2]!.tiers!;
    expect(graduatedAmount(tiers, 0)).toBe(0);
    expect(graduatedAmount(tiers, 1000)).toBe(0);
    expect(graduatedAmount(tiers, 1001)).toBe(3);
    expect(graduatedAmount(tiers, 2500)).toBe(4500);
  });
});
