// What Waitify sells, as Stripe objects: for every active plan a Product with
// a monthly and a yearly licensed Price, and a metered Price for the SMS
// parts beyond the plan's monthly quota, fed by one Billing Meter. Pure data:
// lib/stripe/sync.ts finds or creates these at Stripe (by lookup_key) and
// records their ids in app_private.stripe_prices / stripe_settings.
//
// ## Overage of yearly subscriptions: one subscription, mixed intervals
//
// The overage is monthly for everybody (the quota is per month), but a
// yearly plan is paid once a year. Stripe long required every item of a
// subscription to share one interval, which would have forced a yearly
// subscription to carry its licensed price only and its overage to be
// invoiced each month by hand (invoice items from the statement job).
//
// It no longer does: since API version 2025-07-30.basil a subscription may
// mix intervals ("mixed interval subscriptions", e.g. an annual flat fee plus
// a monthly usage-based fee), provided it uses flexible billing mode — the
// default for new subscriptions since 2025-09-30.clover. The API version we
// pin (lib/stripe/client.ts) is later than both. Sources: Stripe changelog
// "Adds support for mixed intervals on the same subscription" (2025-07-30)
// and docs.stripe.com/billing/subscriptions/mixed-interval.
//
// Decision: every subscription carries two items — the plan's licensed price
// (monthly or yearly) and the plan's monthly metered overage price. So there
// is ONE overage price per plan, shared by both intervals, and the meter is
// the only path of usage into invoices; no hand-made overage invoice items.
// Consequences for the code that creates and reads subscriptions:
// - send `billing_mode: { type: "flexible" }` explicitly (checkout
//   `subscription_data.billing_mode`), so an account default cannot turn it
//   into a classic subscription that refuses the mix;
// - a yearly subscription gets a yearly invoice for the plan and monthly
//   invoices for the overage (combined when the periods line up); periods
//   are per item (`items.data[].current_period_*`): read the licensed item's;
// - `cancel_at_period_end` resolves to the EARLIEST item period end — the
//   metered item's month — so cancelling a yearly plan at its end must use
//   `cancel_at: "max_period_end"`;
// - dunning is per subscription: an unpaid overage invoice makes the whole
//   subscription past_due, which is what our dunning wants anyway.
// Fallback, should Checkout refuse the mix for an account: start the
// subscription with the licensed price only and add the overage item with
// subscriptions.update right after checkout.session.completed (the
// Subscriptions API is the documented path for mixed intervals). The fake
// (test/helpers/fake-stripe/) also speaks POST /v1/invoiceitems, should the
// statement job ever need the old invoice-item route.

/** All prices are in euros. */
export const CURRENCY = "eur";

/** The meter's event name: one event per account and hour, value = SMS parts. */
export const SMS_METER_EVENT_NAME = "waitify_sms_parts";
/** Payload key of the customer in meter events (Stripe's default). */
export const SMS_METER_CUSTOMER_KEY = "stripe_customer_id";
/** app_private.stripe_settings keys written by the sync. */
export const SETTING_SMS_METER_ID = "sms_meter_id";
export const SETTING_SMS_METER_EVENT_NAME = "sms_meter_event_name";

/** The key a product is found by: Stripe products have no lookup_key, so it is in their metadata. */
export const PRODUCT_KEY_METADATA = "waitify_product";
/** The product every plan's overage price belongs to. */
export const OVERAGE_PRODUCT_KEY = "waitify_sms_overage";

export type PriceKind = "licensed" | "overage";
export type BillingInterval = "month" | "year";

/** A plan as the catalog needs it (app_private.stripe_catalog_plans()). */
export interface CatalogPlan {
  planId: string;
  name: string;
  priceCents: number;
  smsQuotaMonthly: number;
}

export interface CatalogSettings {
  /** A year costs this many months (system_configs.yearly_price_months). */
  yearlyPriceMonths: number;
  /** Price of one SMS part beyond the quota, in cents (system_configs.sms_cost_cents). */
  smsUnitCents: number;
}

export interface ProductSpec {
  key: string;
  name: string;
  description: string;
  unitLabel?: string;
}

export interface TierSpec {
  upTo: number | "inf";
  unitAmount: number;
}

export interface PriceSpec {
  lookupKey: string;
  planId: string;
  kind: PriceKind;
  interval: BillingInterval;
  productKey: string;
  nickname: string;
  /** Licensed prices: the amount per interval, in cents. */
  unitAmount?: number;
  /** Overage prices: graduated tiers per month. */
  tiers?: TierSpec[];
}

export interface MeterSpec {
  displayName: string;
  eventName: string;
}

export const smsMeter: MeterSpec = { displayName: "Waitify SMS parts", eventName: SMS_METER_EVENT_NAME };

const title = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, " ");

export function planProductKey(planName: string): string {
  return `waitify_${planName}`;
}

/** waitify_basic_monthly, waitify_basic_yearly, waitify_basic_sms_overage. */
export function priceLookupKey(planName: string, kind: PriceKind, interval: BillingInterval): string {
  if (kind === "overage") return `waitify_${planName}_sms_overage`;
  return `waitify_${planName}_${interval === "month" ? "monthly" : "yearly"}`;
}

export function planProduct(plan: CatalogPlan): ProductSpec {
  return {
    key: planProductKey(plan.name),
    name: `Waitify ${title(plan.name)}`,
    description: `Waitify ${title(plan.name)} plan: ${plan.smsQuotaMonthly} SMS parts included each month.`,
  };
}

export const overageProduct: ProductSpec = {
  key: OVERAGE_PRODUCT_KEY,
  name: "Waitify SMS overage",
  description:
    "Billed monthly: one unit per SMS part sent or delivered. The parts within the plan's monthly quota are free; each part beyond it is charged.",
  unitLabel: "SMS part",
};

export function planPrices(plan: CatalogPlan, settings: CatalogSettings): PriceSpec[] {
  const label = title(plan.name);
  return [
    {
      lookupKey: priceLookupKey(plan.name, "licensed", "month"),
      planId: plan.planId,
      kind: "licensed",
      interval: "month",
      productKey: planProductKey(plan.name),
      nickname: `${label} monthly`,
      unitAmount: plan.priceCents,
    },
    {
      lookupKey: priceLookupKey(plan.name, "licensed", "year"),
      planId: plan.planId,
      kind: "licensed",
      interval: "year",
      productKey: planProductKey(plan.name),
      nickname: `${label} yearly`,
      unitAmount: plan.priceCents * settings.yearlyPriceMonths,
    },
    {
      // Graduated: the first <quota> parts of each month cost nothing, every
      // further part costs the unit price. Monthly even for yearly plans (see
      // the decision above), so the quota resets each month.
      lookupKey: priceLookupKey(plan.name, "overage", "month"),
      planId: plan.planId,
      kind: "overage",
      interval: "month",
      productKey: OVERAGE_PRODUCT_KEY,
      nickname: `${label} SMS overage`,
      tiers: [
        { upTo: plan.smsQuotaMonthly, unitAmount: 0 },
        { upTo: "inf", unitAmount: settings.smsUnitCents },
      ],
    },
  ];
}

/** Every product and price of the catalog, products first. */
export function buildCatalog(
  plans: CatalogPlan[],
  settings: CatalogSettings,
): { products: ProductSpec[]; prices: PriceSpec[] } {
  return {
    products: [...plans.map(planProduct), overageProduct],
    prices: plans.flatMap((plan) => planPrices(plan, settings)),
  };
}

/** What a graduated price charges for `units` in one period, in cents. */
export function graduatedAmount(tiers: TierSpec[], units: number): number {
  let total = 0;
  let floor = 0;
  for (const tier of tiers) {
    const ceiling = tier.upTo === "inf" ? Infinity : tier.upTo;
    const inTier = Math.max(0, Math.min(units, ceiling) - floor);
    total += inTier * tier.unitAmount;
    floor = ceiling;
    if (units <= ceiling) break;
  }
  return total;
}
