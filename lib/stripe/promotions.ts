// What we ask Stripe for to mirror a promo code (the admin's, db/admin/
// promo-codes.sql): a coupon restricted to the plan products — never the SMS
// overage product, so a discount never touches usage — and a promotion code
// carrying the code, its limit of uses and its end; and how a promotion code
// Stripe reports inactive is refused at checkout. Pure functions of our row
// and of Stripe's objects.
import { createHash } from "node:crypto";
import type Stripe from "stripe";

/** A promo code as db/admin/promo-codes.sql normalised it (admin_prepare_promo_code). */
export interface PromoCodeSpec {
  code: string;
  kind: "percentage" | "fixed_amount" | "free_months";
  value: number;
  currency: string | null;
  duration: "once" | "repeating" | "forever";
  duration_months: number | null;
  max_uses: number | null;
  /** ISO timestamps (JSON from SQL). */
  valid_from: string;
  valid_until: string | null;
  /** The plan products (licensed prices' products) the coupon applies to. */
  plan_product_ids: string[];
}

/**
 * Stripe has no start date for a promotion code: one whose valid_from is
 * still ahead is created inactive with this metadata key, and the first
 * checkout once it is valid activates it and removes the key
 * (lib/billing/operations.ts). A code inactive without it was disabled.
 */
export const STARTS_AT_METADATA = "waitify_starts_at";

/** Seconds since the epoch. */
const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

export function couponParams(spec: PromoCodeSpec): Stripe.CouponCreateParams {
  const amount: Pick<Stripe.CouponCreateParams, "percent_off" | "amount_off" | "currency"> =
    spec.kind === "fixed_amount"
      ? { amount_off: spec.value, currency: spec.currency ?? "eur" }
      : { percent_off: spec.kind === "percentage" ? spec.value : 100 };
  return {
    ...amount,
    duration: spec.duration,
    ...(spec.duration === "repeating" ? { duration_in_months: spec.duration_months ?? spec.value } : {}),
    applies_to: { products: spec.plan_product_ids },
    name: spec.code,
    metadata: { waitify_promo_code: spec.code },
  };
}

export function promotionCodeParams(spec: PromoCodeSpec, couponId: string, now: number): Stripe.PromotionCodeCreateParams {
  const startsAt = seconds(spec.valid_from);
  const pending = startsAt > now;
  return {
    promotion: { type: "coupon", coupon: couponId },
    code: spec.code,
    active: !pending,
    ...(spec.max_uses !== null ? { max_redemptions: spec.max_uses } : {}),
    ...(spec.valid_until !== null ? { expires_at: seconds(spec.valid_until) } : {}),
    metadata: { waitify_promo_code: spec.code, ...(pending ? { [STARTS_AT_METADATA]: String(startsAt) } : {}) },
  };
}

/**
 * Idempotency keys of the creation, digests of what is sent: the same
 * request retried (a timeout, a failure after Stripe answered) gets the same
 * coupon and promotion code back within Stripe's 24 hours; a different
 * request for the same code gets other keys (and, for the promotion code,
 * Stripe's refusal of a second active code of that name). valid_from is not
 * in them: absent, it is "now", which a retry would change.
 */
export function couponKey(params: Stripe.CouponCreateParams): string {
  return `waitify-coupon-${params.name}-${digest(params)}`;
}

export function promotionCodeKey(params: Stripe.PromotionCodeCreateParams): string {
  const { code, promotion, max_redemptions, expires_at } = params;
  return `waitify-promotion-code-${code}-${digest({ code, promotion, max_redemptions, expires_at })}`;
}

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);

export type PromotionRefusal = "PROMOTION_CODE_INVALID" | "PROMOTION_CODE_EXPIRED" | "PROMOTION_CODE_EXHAUSTED";

/**
 * Why Stripe's inactive promotion code cannot be used at `now` (seconds):
 * redeemed max_redemptions times, past expires_at, or disabled. Undefined
 * when it only waits for its start (STARTS_AT_METADATA reached).
 */
export function promotionCodeRefusal(code: Stripe.PromotionCode, now: number): PromotionRefusal | undefined {
  if (code.max_redemptions !== null && code.times_redeemed >= code.max_redemptions) return "PROMOTION_CODE_EXHAUSTED";
  if (code.expires_at !== null && code.expires_at <= now) return "PROMOTION_CODE_EXPIRED";
  const startsAt = Number(code.metadata?.[STARTS_AT_METADATA]);
  if (!code.metadata?.[STARTS_AT_METADATA] || !Number.isFinite(startsAt)) return "PROMOTION_CODE_INVALID";
  return startsAt <= now ? undefined : "PROMOTION_CODE_EXPIRED";
}
