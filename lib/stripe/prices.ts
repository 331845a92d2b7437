// Catalog price specs ↔ Stripe Price objects: the parameters that create one,
// and whether an existing one still says what the spec says. Prices are
// immutable at Stripe (amounts, tiers, interval), so a difference means a new
// price that takes over the lookup key, never an edit.
import type Stripe from "stripe";
import { CURRENCY, type PriceSpec } from "./catalog.ts";

export function priceCreateParams(spec: PriceSpec, productId: string, meterId: string): Stripe.PriceCreateParams {
  const common = {
    product: productId,
    currency: CURRENCY,
    lookup_key: spec.lookupKey,
    nickname: spec.nickname,
    metadata: { waitify_plan_id: spec.planId, waitify_kind: spec.kind },
  };
  if (spec.kind === "licensed") {
    return {
      ...common,
      unit_amount: spec.unitAmount!,
      recurring: { interval: spec.interval, interval_count: 1, usage_type: "licensed" },
    };
  }
  return {
    ...common,
    billing_scheme: "tiered",
    tiers_mode: "graduated",
    tiers: spec.tiers!.map((tier) => ({ up_to: tier.upTo, unit_amount: tier.unitAmount })),
    recurring: { interval: spec.interval, interval_count: 1, usage_type: "metered", meter: meterId },
  };
}

/**
 * Why `price` does not (or no longer) implement `spec`, or undefined when it
 * does. Tiers are compared only when the price was fetched with them
 * (`expand: ["tiers"]`: Stripe leaves them out otherwise).
 */
export function priceMismatch(price: Stripe.Price, spec: PriceSpec, meterId: string): string | undefined {
  if (!price.active) return "the price is archived";
  if (price.currency !== CURRENCY) return `currency ${price.currency}, expected ${CURRENCY}`;
  const recurring = price.recurring;
  if (!recurring) return "a one-time price, expected a recurring one";
  if (recurring.interval !== spec.interval || recurring.interval_count !== 1) {
    return `billed every ${recurring.interval_count} ${recurring.interval}, expected every ${spec.interval}`;
  }
  if (spec.kind === "licensed") {
    if (recurring.usage_type !== "licensed") return `usage type ${recurring.usage_type}, expected licensed`;
    if (price.billing_scheme !== "per_unit") return `billing scheme ${price.billing_scheme}, expected per_unit`;
    if (price.unit_amount !== spec.unitAmount) return `amount ${price.unit_amount}, expected ${spec.unitAmount}`;
    return undefined;
  }
  if (recurring.usage_type !== "metered") return `usage type ${recurring.usage_type}, expected metered`;
  if (recurring.meter !== meterId) return `meter ${recurring.meter ?? "none"}, expected ${meterId}`;
  if (price.billing_scheme !== "tiered" || price.tiers_mode !== "graduated") {
    return `billing scheme ${price.billing_scheme}/${price.tiers_mode ?? "-"}, expected tiered/graduated`;
  }
  if (!price.tiers) return "tiers not fetched (retrieve the price with expand: [\"tiers\"])";
  const actual = price.tiers.map((tier) => `${tier.up_to ?? "inf"}@${tier.unit_amount ?? 0}+${tier.flat_amount ?? 0}`);
  const expected = spec.tiers!.map((tier) => `${tier.upTo}@${tier.unitAmount}+0`);
  if (actual.join(",") !== expected.join(",")) return `tiers ${actual.join(", ")}, expected ${expected.join(", ")}`;
  return undefined;
}
