// What we ask Stripe for, as pure functions of our data and of the objects
// Stripe returned: the Checkout Session of a new subscription, and the
// updates that cancel, resume or change one. Kept apart from the calls so
// that every decision below is visible (and unit-tested) in one place.
import type Stripe from "stripe";
import type { BillingInterval } from "./sql.ts";

export interface CheckoutRequest {
  userId: string;
  customerId: string;
  licensedPriceId: string;
  overagePriceId: string;
  /** A promotion code Stripe resolved (promo_…); without one the merchant may type a code on Stripe's page. */
  promotionCodeId?: string;
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
}

/**
 * ## Billing is anchored to the 1st of the month (00:00 UTC)
 *
 * Our statements (db/billing/statements.sql) and the SMS quota
 * (my_sms_quota) count calendar months in UTC, while the overage price is
 * graduated per Stripe billing period: its free tier is the plan's monthly
 * quota. Billed from the day of signup (the 17th → the 17th), Stripe would
 * apply the quota to a different window than the one the merchant sees in
 * the app and than our statement, and the same month's usage could be
 * charged differently. Anchored to the 1st, every period after the first is
 * a calendar month (a calendar year for yearly plans, starting on a 1st), so
 * Stripe's invoices carry the same usage and quota as our statements.
 *
 * `billing_cycle_anchor_config` (day 1, 00:00:00 UTC) rather than a
 * timestamp: Stripe computes the next 1st when the customer pays, so a
 * session opened on the 31st and paid after midnight cannot carry an anchor
 * already past. The first, partial period is prorated (Stripe's default
 * `create_prorations`): the merchant pays the days left until the 1st, and
 * the quota applies in full to that short period.
 */
export const BILLING_CYCLE_ANCHOR: Stripe.Checkout.SessionCreateParams.SubscriptionData.BillingCycleAnchorConfig = {
  day_of_month: 1,
  hour: 0,
  minute: 0,
  second: 0,
};

export function checkoutSessionParams(request: CheckoutRequest): Stripe.Checkout.SessionCreateParams {
  return {
    mode: "subscription",
    customer: request.customerId,
    // checkout.session.completed links the customer to the account by this id (tasks/stripe_event.ts).
    client_reference_id: request.userId,
    // The plan's licensed price, and the metered overage: no quantity, the meter counts.
    line_items: [{ price: request.licensedPriceId, quantity: 1 }, { price: request.overagePriceId }],
    success_url: `${request.publicUrl}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${request.publicUrl}/billing`,
    subscription_data: {
      metadata: { user_id: request.userId },
      // Mixed intervals (a yearly plan + monthly overage) need flexible billing
      // mode: explicit, so an account default cannot refuse the mix (lib/stripe/catalog.ts).
      billing_mode: { type: "flexible" },
      billing_cycle_anchor_config: BILLING_CYCLE_ANCHOR,
    },
    // Stripe refuses both at once: a code we resolved, or a field on its page.
    ...(request.promotionCodeId ? { discounts: [{ promotion_code: request.promotionCodeId }] } : { allow_promotion_codes: true }),
  };
}

const usageType = (item: Stripe.SubscriptionItem) => item.price.recurring?.usage_type;

/** The plan's item (licensed price). */
export function licensedItem(subscription: Stripe.Subscription): Stripe.SubscriptionItem | undefined {
  return subscription.items.data.find((item) => usageType(item) === "licensed");
}

/** The SMS overage item (metered price). */
export function overageItem(subscription: Stripe.Subscription): Stripe.SubscriptionItem | undefined {
  return subscription.items.data.find((item) => usageType(item) === "metered");
}

/** A cancellation is already scheduled (by us, the billing portal or the dashboard). */
export function cancellationScheduled(subscription: Stripe.Subscription): boolean {
  return subscription.cancel_at_period_end || subscription.cancel_at !== null;
}

/**
 * Cancel at the end of the paid period. A monthly plan: `cancel_at_period_end`
 * (what the billing portal does too). A yearly plan carries a monthly overage
 * item, and with mixed intervals `cancel_at_period_end` resolves to the
 * EARLIEST item period end — the overage's month — which would end a paid
 * year after a month (lib/stripe/catalog.ts). `cancel_at: "max_period_end"`
 * ends it with the year; the merchant is billed the overage of the months up
 * to then.
 */
export function cancelParams(subscription: Stripe.Subscription): Stripe.SubscriptionUpdateParams {
  return licensedItem(subscription)?.price.recurring?.interval === "year"
    ? { cancel_at: "max_period_end" }
    : { cancel_at_period_end: true };
}

/** Undoes a scheduled cancellation the way it was scheduled; undefined when none is. */
export function resumeParams(subscription: Stripe.Subscription): Stripe.SubscriptionUpdateParams | undefined {
  if (subscription.cancel_at_period_end) return { cancel_at_period_end: false };
  // An empty string unsets cancel_at (the SDK's Emptyable).
  if (subscription.cancel_at !== null) return { cancel_at: "" };
  return undefined;
}

/**
 * A change of plan: the licensed item moves to the new plan's price (and
 * interval), prorated now (`create_prorations`: credit for the unused time
 * of the old price, charge for the rest of the period at the new one, on the
 * next invoice); the overage item moves to the new plan's overage price, so
 * its free tier is the new plan's quota — added if the subscription lacks one.
 */
export function planChangeParams(
  subscription: Stripe.Subscription,
  prices: { licensed: string; overage: string },
): Stripe.SubscriptionUpdateParams {
  const plan = licensedItem(subscription);
  const overage = overageItem(subscription);
  const items: Stripe.SubscriptionUpdateParams.Item[] = [
    plan ? { id: plan.id, price: prices.licensed, quantity: plan.quantity ?? 1 } : { price: prices.licensed, quantity: 1 },
    overage ? { id: overage.id, price: prices.overage } : { price: prices.overage },
  ];
  return { items, proration_behavior: "create_prorations" };
}

/** The GraphQL enum's values (BillingInterval MONTH | YEAR) as SQL and Stripe spell them. */
export function billingInterval(value: unknown): BillingInterval {
  return value === "year" ? "year" : "month";
}
