// How the fake bills, shared by checkout, subscriptions, invoices and the
// test controls: subscription items with their own periods (flexible billing
// mode: mixed intervals allowed), amounts of per-unit and tiered prices,
// metered usage summed from meter events, and what a renewal charges.
import { invalidRequest } from "./errors.ts";
import type { LineInput } from "./invoice-objects.ts";
import { newId, type Store, type StripeObject } from "./store.ts";

type Interval = "day" | "week" | "month" | "year";

/** Calendar arithmetic in UTC, as Stripe anchors billing periods. */
export function addInterval(seconds: number, interval: Interval, count = 1): number {
  const date = new Date(seconds * 1000);
  if (interval === "day") date.setUTCDate(date.getUTCDate() + count);
  else if (interval === "week") date.setUTCDate(date.getUTCDate() + 7 * count);
  else if (interval === "month") date.setUTCMonth(date.getUTCMonth() + count);
  else date.setUTCFullYear(date.getUTCFullYear() + count);
  return Math.floor(date.getTime() / 1000);
}

export interface AnchorConfig {
  day_of_month: number;
  hour?: number;
  minute?: number;
  second?: number;
  month?: number;
}

/**
 * The next time after `now` that matches billing_cycle_anchor_config, in UTC
 * as Stripe reads it; a day the month does not have is its last day.
 */
export function nextAnchor(now: number, config: AnchorConfig): number {
  const at = (year: number, month: number) => {
    const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return Math.floor(Date.UTC(year, month, Math.min(config.day_of_month, last), config.hour ?? 0, config.minute ?? 0, config.second ?? 0) / 1000);
  };
  const today = new Date(now * 1000);
  for (let step = 0; step <= 24; step++) {
    const month = today.getUTCMonth() + step;
    const year = today.getUTCFullYear() + Math.floor(month / 12);
    if (config.month !== undefined && (month % 12) + 1 !== config.month) continue;
    const candidate = at(year, month % 12);
    if (candidate > now) return candidate;
  }
  throw new Error("nextAnchor: no anchor within two years");
}

/** What `amount` for a full period costs from `from` to `to`, the period ending at `to` (Stripe's proration by time). */
export function prorate(amount: number, from: number, to: number, interval: Interval, count = 1): number {
  const fullStart = addInterval(to, interval, -count);
  return Math.round((amount * Math.max(0, to - from)) / (to - fullStart));
}

interface Recurring {
  interval: Interval;
  interval_count: number;
  usage_type: "licensed" | "metered";
  meter: string | null;
}

interface Tier {
  up_to: number | null;
  unit_amount: number | null;
  flat_amount: number | null;
}

export const recurringOf = (price: StripeObject) => price.recurring as Recurring | null;
export const isMetered = (price: StripeObject) => recurringOf(price)?.usage_type === "metered";

/** What `quantity` units of a price cost (graduated and volume tiers included). */
export function priceAmount(store: Store, price: StripeObject, quantity: number): number {
  if (price.billing_scheme !== "tiered") return Number(price.unit_amount ?? 0) * quantity;
  const tiers = (store.priceTiers.get(price.id) ?? []) as Tier[];
  if (price.tiers_mode === "volume") {
    const tier = tiers.find((item) => item.up_to === null || quantity <= item.up_to) ?? tiers.at(-1)!;
    return (tier.unit_amount ?? 0) * quantity + (tier.flat_amount ?? 0);
  }
  let total = 0;
  let floor = 0;
  for (const tier of tiers) {
    const ceiling = tier.up_to ?? Infinity;
    const units = Math.max(0, Math.min(quantity, ceiling) - floor);
    if (units > 0) total += units * (tier.unit_amount ?? 0) + (tier.flat_amount ?? 0);
    floor = ceiling;
    if (quantity <= ceiling) break;
  }
  return total;
}

/** Units a customer reported to a meter between two times (timestamps in [from, to)). */
export function meteredUsage(store: Store, customerId: string, meterId: string, from: number, to: number): number {
  const meter = store.objects.get(meterId);
  if (!meter) return 0;
  const customerKey = (meter.customer_mapping as { event_payload_key: string }).event_payload_key;
  const valueKey = (meter.value_settings as { event_payload_key: string }).event_payload_key;
  return store.meterEvents
    .filter((event) => event.event_name === meter.event_name && event.payload[customerKey] === customerId)
    .filter((event) => event.timestamp >= from && event.timestamp < to)
    .reduce((sum, event) => sum + Number(event.payload[valueKey] ?? 0), 0);
}

export interface ItemInput {
  price: string;
  quantity?: number;
}

/** A subscription item whose period starts at `start` (or runs to `trialEnd` during a trial). */
export function subscriptionItem(store: Store, subscriptionId: string, input: ItemInput, start: number, trialEnd?: number): StripeObject {
  const price = store.get("price", input.price, "items[price]");
  const recurring = recurringOf(price);
  if (!recurring) throw invalidRequest(`The price specified (${price.id}) is not recurring.`, "items[price]");
  if (!price.active) throw invalidRequest(`The price specified (${price.id}) is inactive.`, "items[price]");
  return {
    id: newId("si_", 14),
    object: "subscription_item",
    billing_thresholds: null,
    created: store.now(),
    current_period_start: start,
    current_period_end: trialEnd ?? addInterval(start, recurring.interval, recurring.interval_count),
    discounts: [],
    metadata: {},
    price: structuredClone(price),
    // Metered items have no quantity: usage comes from the meter.
    ...(recurring.usage_type === "licensed" ? { quantity: input.quantity ?? 1 } : {}),
    subscription: subscriptionId,
    tax_rates: [],
  };
}

/** Classic billing mode refuses items of different intervals, as Stripe does. */
export function checkIntervals(items: StripeObject[], billingMode: string): void {
  const intervals = new Set(items.map((item) => {
    const recurring = recurringOf(item.price as StripeObject)!;
    return `${recurring.interval_count} ${recurring.interval}`;
  }));
  if (intervals.size > 1 && billingMode !== "flexible") {
    throw invalidRequest(
      "Mixed-interval subscriptions require billing_mode[type]=flexible: all prices of a classic subscription must have the same billing interval.",
      "items",
    );
  }
}

export const itemsOf = (subscription: StripeObject) => (subscription.items as { data: StripeObject[] }).data;

/**
 * What the subscription bills at its next renewal: the items whose period
 * ends first (with mixed intervals, a yearly plan's monthly overage renews
 * alone in most months) — licensed items in advance for their next period,
 * metered items for the usage of the period ending.
 */
export function renewalLines(store: Store, subscription: StripeObject): { lines: LineInput[]; periodStart: number; periodEnd: number } {
  const items = itemsOf(subscription);
  const periodEnd = Math.min(...items.map((item) => Number(item.current_period_end)));
  const renewing = items.filter((item) => Number(item.current_period_end) === periodEnd);
  const periodStart = Math.min(...renewing.map((item) => Number(item.current_period_start)));
  const lines = renewing.map((item): LineInput => {
    const price = item.price as StripeObject;
    const recurring = recurringOf(price)!;
    const start = Number(item.current_period_start);
    if (recurring.usage_type === "metered") {
      const usage = meteredUsage(store, String(subscription.customer), String(recurring.meter), start, periodEnd);
      return { amount: priceAmount(store, price, usage), description: `${usage} × ${price.nickname ?? price.id}`, period: { start, end: periodEnd }, quantity: usage, price, subscriptionItem: item.id };
    }
    const quantity = Number(item.quantity ?? 1);
    const next = { start: periodEnd, end: addInterval(periodEnd, recurring.interval, recurring.interval_count) };
    return { amount: priceAmount(store, price, quantity), description: `${quantity} × ${price.nickname ?? price.id}`, period: next, quantity, price, subscriptionItem: item.id };
  });
  return { lines, periodStart, periodEnd };
}
