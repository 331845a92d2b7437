// The merchant's billing operations: the rules in SQL (lib/billing/sql.ts →
// db/billing/checkout.sql), the calls to Stripe here, through the real SDK.
// Every operation starts from the merchant id of the verified session token.
//
// Errors: a refused rule is the SQL error itself (WT… SQLSTATE, mapped by
// lib/errors.ts); a failed Stripe call is STRIPE_FAILURE (5002) with our own
// sentence, never Stripe's (lib/stripe/errors.ts); no Stripe client is
// BILLING_NOT_CONFIGURED. Stripe is always called before the database is
// changed, and what Stripe returned is then applied: a failure in between
// leaves the mirror to the webhook that follows, never a row Stripe does
// not know.
import type Stripe from "stripe";
import { atStripe, billingNotConfigured, stripeFailure } from "../stripe/errors.ts";
import {
  billingInterval,
  cancelParams,
  cancellationScheduled,
  checkoutSessionParams,
  planChangeParams,
  resumeParams,
} from "./requests.ts";
import { promotionCodeRefusal, STARTS_AT_METADATA } from "../stripe/promotions.ts";
import {
  applyOwnSubscription,
  checkoutContext,
  checkoutPromoCode,
  linkStripeCustomer,
  liveSubscriptionId,
  planChangePrices,
  raiseBillingError,
  subscriptionContext,
  type Queryable,
} from "./sql.ts";

export interface BillingDependencies {
  /** The authenticator's pool: the SQL runs with no request role. */
  db: Queryable;
  /** Absent when STRIPE_SECRET_KEY is not set: every operation is BILLING_NOT_CONFIGURED. */
  stripe?: Stripe;
  /** PUBLIC_URL: where Stripe's pages send the merchant back. */
  publicUrl: string;
}

export interface CheckoutInput {
  plan: string;
  interval?: unknown;
  promotionCode?: string | null;
}

function stripeOf(deps: BillingDependencies): Stripe {
  if (!deps.stripe) throw billingNotConfigured();
  return deps.stripe;
}

/**
 * The account's Stripe customer, created at its first checkout. The
 * idempotency key makes two checkouts started at once (two tabs, a retried
 * request) get the same customer within Stripe's 24 hours of key memory;
 * after that the customer is linked and found in the database.
 */
async function customerFor(deps: BillingDependencies, stripe: Stripe, userId: string, email: string, known: string | null): Promise<string> {
  if (known) return known;
  const customer = await atStripe("start the checkout", () =>
    stripe.customers.create({ email, metadata: { user_id: userId } }, { idempotencyKey: `waitify-customer-${userId}` }),
  );
  await linkStripeCustomer(deps.db, userId, customer.id);
  return customer.id;
}

/**
 * The Stripe promotion code of one of our promo codes, once our table
 * accepted it (checkoutPromoCode): Stripe's own state has the last word — a
 * code used up or expired there is refused with the same codes as ours. A
 * code created before its valid_from was left inactive at Stripe (so that
 * nobody could type it on Stripe's page too early, lib/admin/promo-codes.ts):
 * its first checkout once valid activates it.
 */
async function stripePromotionCode(deps: BillingDependencies, stripe: Stripe, id: string): Promise<string> {
  const action = "check the promotion code";
  const code = await atStripe(action, () => stripe.promotionCodes.retrieve(id));
  if (code.active) return code.id;
  const refusal = promotionCodeRefusal(code, Math.floor(Date.now() / 1000));
  if (refusal) return raiseBillingError(deps.db, refusal);
  await atStripe(action, () =>
    stripe.promotionCodes.update(code.id, { active: true, metadata: { [STARTS_AT_METADATA]: "" } }, { idempotencyKey: `waitify-promotion-start-${code.id}` }),
  );
  return code.id;
}

export async function createCheckoutSession(deps: BillingDependencies, userId: string, input: CheckoutInput): Promise<{ url: string }> {
  const stripe = stripeOf(deps);
  const interval = billingInterval(input.interval);
  const context = await checkoutContext(deps.db, userId, input.plan, interval);
  // Our table first: an unknown, disabled, expired or used-up code is refused before Stripe is called.
  const typed = input.promotionCode?.trim();
  const ours = typed ? await checkoutPromoCode(deps.db, userId, typed, interval) : undefined;
  const customerId = await customerFor(deps, stripe, userId, context.email, context.stripe_customer_id);
  const promotion = ours ? await stripePromotionCode(deps, stripe, ours.stripe_promotion_code_id) : undefined;
  const session = await atStripe("start the checkout", () =>
    stripe.checkout.sessions.create(
      checkoutSessionParams({
        userId,
        customerId,
        licensedPriceId: context.licensed_price_id,
        overagePriceId: context.overage_price_id,
        promotionCodeId: promotion,
        publicUrl: deps.publicUrl,
      }),
    ),
  );
  if (!session.url) throw stripeFailure(new Error("checkout session without url"), "start the checkout");
  return { url: session.url };
}

export async function createBillingPortalSession(deps: BillingDependencies, userId: string): Promise<{ url: string }> {
  const stripe = stripeOf(deps);
  const { stripe_customer_id: customer } = await subscriptionContext(deps.db, userId);
  const session = await atStripe("open the billing portal", () =>
    stripe.billingPortal.sessions.create({ customer, return_url: `${deps.publicUrl}/billing` }),
  );
  return { url: session.url };
}

async function currentSubscription(deps: BillingDependencies, stripe: Stripe, userId: string, action: string): Promise<Stripe.Subscription> {
  const id = await liveSubscriptionId(deps.db, userId);
  return atStripe(action, () => stripe.subscriptions.retrieve(id));
}

/**
 * Schedules the end of the subscription at the end of the paid period.
 * Already scheduled: nothing is sent and nothing is noted again.
 */
export async function cancelSubscription(deps: BillingDependencies, userId: string): Promise<void> {
  const stripe = stripeOf(deps);
  const action = "cancel the subscription";
  const subscription = await currentSubscription(deps, stripe, userId, action);
  if (cancellationScheduled(subscription)) return;
  const updated = await atStripe(action, () => stripe.subscriptions.update(subscription.id, cancelParams(subscription)));
  await applyOwnSubscription(deps.db, userId, updated, "subscription_cancel_scheduled");
}

/** Undoes a scheduled cancellation; nothing to undo: nothing is sent. */
export async function resumeSubscription(deps: BillingDependencies, userId: string): Promise<void> {
  const stripe = stripeOf(deps);
  const action = "resume the subscription";
  const subscription = await currentSubscription(deps, stripe, userId, action);
  const params = resumeParams(subscription);
  if (!params) return;
  const updated = await atStripe(action, () => stripe.subscriptions.update(subscription.id, params));
  await applyOwnSubscription(deps.db, userId, updated, "subscription_resumed");
}

export async function changePlan(deps: BillingDependencies, userId: string, input: { plan: string; interval?: unknown }): Promise<void> {
  const stripe = stripeOf(deps);
  const action = "change the plan";
  const subscriptionId = await liveSubscriptionId(deps.db, userId);
  const prices = await planChangePrices(deps.db, userId, input.plan, billingInterval(input.interval));
  const subscription = await atStripe(action, () => stripe.subscriptions.retrieve(subscriptionId));
  const updated = await atStripe(action, () => stripe.subscriptions.update(subscription.id, planChangeParams(subscription, prices)));
  await applyOwnSubscription(deps.db, userId, updated, "plan_changed");
}
