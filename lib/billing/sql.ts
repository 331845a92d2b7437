// The SQL side of the merchant's billing operations (db/billing/checkout.sql),
// called on the authenticator's own connection — no request role, so the
// functions' assert_server_connection passes — with the merchant id taken
// from the verified session token. Each function is one statement: its
// errors (WT… SQLSTATEs) propagate untouched to lib/errors.ts maskError,
// which gives the client their code and catalogue message.
import type pg from "pg";
import type Stripe from "stripe";

export type Queryable = Pick<pg.Pool, "query">;
export type BillingInterval = "month" | "year";

export interface CheckoutContext {
  email: string;
  /** Null before the account's first checkout. */
  stripe_customer_id: string | null;
  licensed_price_id: string;
  overage_price_id: string;
}

/** PLAN_NOT_FOUND, PLAN_LIMIT (downgrade), ALREADY_SUBSCRIBED, BILLING_NOT_CONFIGURED. */
export async function checkoutContext(db: Queryable, userId: string, plan: string, interval: BillingInterval): Promise<CheckoutContext> {
  const { rows } = await db.query<CheckoutContext>("select * from app_private.checkout_context($1, $2, $3)", [userId, plan, interval]);
  return rows[0]!;
}

export async function linkStripeCustomer(db: Queryable, userId: string, customerId: string): Promise<void> {
  await db.query("select app_private.link_stripe_customer($1, $2)", [userId, customerId]);
}

export interface SubscriptionContext {
  stripe_customer_id: string;
  /** Null when the customer has no live subscription (never finished a checkout, or cancelled). */
  stripe_subscription_id: string | null;
  cancel_at_period_end: boolean;
}

/** NO_SUBSCRIPTION when the account has no Stripe customer. */
export async function subscriptionContext(db: Queryable, userId: string): Promise<SubscriptionContext> {
  const { rows } = await db.query<SubscriptionContext>("select * from app_private.subscription_context($1)", [userId]);
  return rows[0]!;
}

/** The live subscription to act on; NO_SUBSCRIPTION (from the catalogue) when there is none. */
export async function liveSubscriptionId(db: Queryable, userId: string): Promise<string> {
  const context = await subscriptionContext(db, userId);
  if (!context.stripe_subscription_id) await raiseBillingError(db, "NO_SUBSCRIPTION");
  return context.stripe_subscription_id!;
}

/** The prices of a change of plan; PLAN_NOT_FOUND, PLAN_LIMIT (downgrade), BILLING_NOT_CONFIGURED. */
export async function planChangePrices(
  db: Queryable,
  userId: string,
  plan: string,
  interval: BillingInterval,
): Promise<{ licensed: string; overage: string }> {
  // Two statements, in this order: the plan's rules (PLAN_NOT_FOUND, PLAN_LIMIT) come before its prices.
  const licensed = await db.query<{ price: string }>("select app_private.plan_change_price($1, $2, $3) as price", [userId, plan, interval]);
  const overage = await db.query<{ price: string }>("select app_private.plan_overage_price($1) as price", [plan]);
  return { licensed: licensed.rows[0]!.price, overage: overage.rows[0]!.price };
}

export type OwnSubscriptionEvent = "subscription_cancel_scheduled" | "subscription_resumed" | "plan_changed";

/** Mirrors the subscription Stripe just returned, so the answer shows it (the webhook applies it again). */
export async function applyOwnSubscription(
  db: Queryable,
  userId: string,
  subscription: Stripe.Subscription,
  event: OwnSubscriptionEvent,
): Promise<void> {
  await db.query("select app_private.apply_own_subscription($1, $2, $3)", [userId, JSON.stringify(subscription), event]);
}

export interface CheckoutPromoCode {
  promo_code_id: string;
  stripe_promotion_code_id: string;
}

/**
 * A promo code typed at checkout, checked against our table (db/billing/promotions.sql):
 * PROMOTION_CODE_INVALID, PROMOTION_CODE_EXPIRED, PROMOTION_CODE_EXHAUSTED.
 */
export async function checkoutPromoCode(db: Queryable, userId: string, code: string, interval: BillingInterval): Promise<CheckoutPromoCode> {
  const { rows } = await db.query<CheckoutPromoCode>("select * from app_private.checkout_promo_code($1, $2, $3)", [userId, code, interval]);
  return rows[0]!;
}

export type BillingRefusal = "PROMOTION_CODE_INVALID" | "PROMOTION_CODE_EXPIRED" | "PROMOTION_CODE_EXHAUSTED" | "NO_SUBSCRIPTION";

/** Always throws: the catalogue's error for a refusal decided from Stripe's answer. */
export async function raiseBillingError(db: Queryable, code: BillingRefusal): Promise<never> {
  await db.query("select app_private.raise_billing_error($1)", [code]);
  throw new Error(`app_private.raise_billing_error(${code}) did not raise`);
}
