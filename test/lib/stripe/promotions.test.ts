// lib/stripe/promotions.ts: the Stripe coupon and promotion code of each
// kind of promo code (restricted to the plan products), the idempotency
// keys, and why an inactive promotion code is refused at checkout.
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import {
  couponKey,
  couponParams,
  promotionCodeKey,
  promotionCodeParams,
  promotionCodeRefusal,
  STARTS_AT_METADATA,
  type PromoCodeSpec,
} from "../../../lib/stripe/promotions.ts";

const products = ["prod_basic", "prod_pro"];
const spec = (overrides: Partial<PromoCodeSpec>): PromoCodeSpec => ({
  code: "BIENVENUE",
  kind: "percentage",
  value: 20,
  currency: null,
  duration: "once",
  duration_months: null,
  max_uses: null,
  valid_from: "2026-01-01T00:00:00Z",
  valid_until: null,
  plan_product_ids: products,
  ...overrides,
});
const jan1 = Date.UTC(2026, 0, 1) / 1000;

describe("couponParams", () => {
  it("percentage, fixed amount and free months, each restricted to the plan products", () => {
    expect(couponParams(spec({ duration: "forever" }))).toEqual({
      percent_off: 20,
      duration: "forever",
      applies_to: { products },
      name: "BIENVENUE",
      metadata: { waitify_promo_code: "BIENVENUE" },
    });
    expect(couponParams(spec({ kind: "fixed_amount", value: 500, currency: "eur", duration: "repeating", duration_months: 3 }))).toMatchObject({
      amount_off: 500,
      currency: "eur",
      duration: "repeating",
      duration_in_months: 3,
      applies_to: { products },
    });
    const free = couponParams(spec({ kind: "free_months", value: 2, duration: "repeating", duration_months: 2 }));
    expect(free).toMatchObject({ percent_off: 100, duration: "repeating", duration_in_months: 2, applies_to: { products } });
    expect(free).not.toHaveProperty("amount_off");
  });
});

describe("promotionCodeParams", () => {
  it("carries the code, its limit and its end; a code whose start is ahead is created inactive, marked with its start", () => {
    const limited = spec({ max_uses: 10, valid_until: "2026-03-01T00:00:00Z" });
    expect(promotionCodeParams(limited, "coupon_1", jan1)).toEqual({
      promotion: { type: "coupon", coupon: "coupon_1" },
      code: "BIENVENUE",
      active: true,
      max_redemptions: 10,
      expires_at: Date.UTC(2026, 2, 1) / 1000,
      metadata: { waitify_promo_code: "BIENVENUE" },
    });
    const later = promotionCodeParams(spec({}), "coupon_1", jan1 - 60);
    expect(later).toMatchObject({ active: false, metadata: { [STARTS_AT_METADATA]: String(jan1) } });
    expect(later).not.toHaveProperty("max_redemptions");
    expect(later).not.toHaveProperty("expires_at");
  });

  it("keys: the same request gives the same keys, another request other ones", () => {
    const coupon = couponParams(spec({}));
    expect(couponKey(coupon)).toBe(couponKey(couponParams(spec({ valid_from: "2026-02-01T00:00:00Z" }))));
    expect(couponKey(coupon)).not.toBe(couponKey(couponParams(spec({ value: 30 }))));
    expect(couponKey(coupon)).toMatch(/^waitify-coupon-BIENVENUE-[0-9a-f]{16}$/);
    const promotion = promotionCodeParams(spec({}), "coupon_1", jan1);
    expect(promotionCodeKey(promotion)).toBe(promotionCodeKey(promotionCodeParams(spec({}), "coupon_1", jan1 + 5)));
    expect(promotionCodeKey(promotion)).not.toBe(promotionCodeKey(promotionCodeParams(spec({ max_uses: 3 }), "coupon_1", jan1)));
  });
});

describe("promotionCodeRefusal", () => {
  const code = (fields: Partial<Stripe.PromotionCode>) =>
    ({ active: false, max_redemptions: null, times_redeemed: 0, expires_at: null, metadata: {}, ...fields }) as Stripe.PromotionCode;

  it("used up, expired, disabled, or only waiting for its start", () => {
    expect(promotionCodeRefusal(code({ max_redemptions: 2, times_redeemed: 2 }), jan1)).toBe("PROMOTION_CODE_EXHAUSTED");
    expect(promotionCodeRefusal(code({ expires_at: jan1 }), jan1)).toBe("PROMOTION_CODE_EXPIRED");
    expect(promotionCodeRefusal(code({}), jan1)).toBe("PROMOTION_CODE_INVALID");
    expect(promotionCodeRefusal(code({ metadata: { [STARTS_AT_METADATA]: String(jan1 + 10) } }), jan1)).toBe("PROMOTION_CODE_EXPIRED");
    expect(promotionCodeRefusal(code({ metadata: { [STARTS_AT_METADATA]: String(jan1) } }), jan1)).toBeUndefined();
  });
});
