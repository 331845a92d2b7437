// The admin's promo code operations (adminCreatePromoCode,
// adminDisablePromoCode): the rules in SQL (db/admin/promo-codes.sql), run
// as the admin — the role and claims of the verified token (the request's
// pgSettings, applied by inSettingsTransaction), so app_private.assert_admin()
// decides — and the calls to Stripe here, through
// the real SDK. As for the merchant's billing (lib/billing/operations.ts):
// the input is checked in SQL before Stripe is called, Stripe is called
// before the database changes, and a Stripe failure is STRIPE_FAILURE with
// our own sentence.
import type pg from "pg";
import type Stripe from "stripe";
import { inSettingsTransaction as asCaller } from "../http/request-transaction.ts";
import { atStripe, billingNotConfigured } from "../stripe/errors.ts";
import { couponKey, couponParams, promotionCodeKey, promotionCodeParams, type PromoCodeSpec } from "../stripe/promotions.ts";

export interface PromoCodeDependencies {
  /** The authenticator's pool; each step runs in a transaction switched to the admin's settings. */
  pool: pg.Pool;
  /** Absent when STRIPE_SECRET_KEY is not set: both operations are BILLING_NOT_CONFIGURED. */
  stripe?: Stripe;
}

export interface CreatePromoCodeInput {
  code: string;
  kind: string;
  value: number;
  duration?: string | null;
  durationMonths?: number | null;
  maxUses?: number | null;
  validFrom?: string | null;
  validUntil?: string | null;
}

const inputArgs = (input: CreatePromoCodeInput) => [
  input.code,
  input.kind,
  input.value,
  input.duration ?? null,
  input.durationMonths ?? null,
  input.maxUses ?? null,
  input.validFrom ?? null,
  input.validUntil ?? null,
];

/**
 * Creates a promo code: checked in SQL (coded errors, nothing sent yet),
 * then a Stripe coupon restricted to the plan products and its promotion
 * code (idempotency keys: a retried request gets the same objects), then the
 * row with their ids, audited. Returns the row's id.
 */
export async function createPromoCode(deps: PromoCodeDependencies, settings: Record<string, string | undefined>, input: CreatePromoCodeInput): Promise<string> {
  const stripe = deps.stripe;
  // The admin and the input first: a refused request never reaches Stripe.
  const spec = await asCaller(deps.pool, settings, async (client) => {
    const { rows } = await client.query<{ spec: PromoCodeSpec }>(
      "select app_hidden.admin_prepare_promo_code($1, $2, $3, $4, $5, $6, $7, $8) as spec",
      inputArgs(input),
    );
    return rows[0]!.spec;
  });
  if (!stripe) throw billingNotConfigured();
  const action = "create the promotion code";
  const coupon = couponParams(spec);
  const created = await atStripe(action, () => stripe.coupons.create(coupon, { idempotencyKey: couponKey(coupon) }));
  const promotion = promotionCodeParams(spec, created.id, Math.floor(Date.now() / 1000));
  const code = await atStripe(action, () => stripe.promotionCodes.create(promotion, { idempotencyKey: promotionCodeKey(promotion) }));
  return asCaller(deps.pool, settings, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      "select (app_hidden.admin_create_promo_code($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)).id",
      [spec.code, spec.kind, spec.value, spec.duration, spec.duration_months, spec.max_uses, spec.valid_from, spec.valid_until, created.id, code.id],
    );
    return rows[0]!.id;
  });
}

/**
 * Disables a promo code: its Stripe promotion code made inactive (nobody can
 * type it on Stripe's page any more), then the row, audited. Returns its id.
 */
export async function disablePromoCode(
  deps: PromoCodeDependencies,
  settings: Record<string, string | undefined>,
  input: { promoCodeId: string; reason?: string | null },
): Promise<string> {
  const stripeId = await asCaller(deps.pool, settings, async (client) => {
    const { rows } = await client.query<{ id: string }>("select app_hidden.admin_promo_code_to_disable($1) as id", [input.promoCodeId]);
    return rows[0]!.id;
  });
  const stripe = deps.stripe;
  if (!stripe) throw billingNotConfigured();
  await atStripe("disable the promotion code", () => stripe.promotionCodes.update(stripeId, { active: false }));
  return asCaller(deps.pool, settings, async (client) => {
    const { rows } = await client.query<{ id: string }>("select (app_hidden.admin_disable_promo_code($1, $2)).id", [input.promoCodeId, input.reason ?? null]);
    return rows[0]!.id;
  });
}
