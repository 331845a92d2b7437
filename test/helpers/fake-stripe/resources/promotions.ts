// Coupons and promotion codes: what a merchant types at checkout. A
// promotion code (API versions since clover) points at its coupon through
// `promotion: {type: "coupon", coupon}`; it is only active while its own flag
// is set, it has not expired, it has redemptions left and its coupon is still
// valid. Listing by `code` is case-insensitive, as at Stripe.
import { invalidRequest } from "../errors.ts";
import type { Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { bool, int, metadata, obj, oneOf, required, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";

function createCoupon(store: Store, params: Params): StripeObject {
  const percentOff = str(params.percent_off, "percent_off");
  const amountOff = int(params.amount_off, "amount_off");
  if ((percentOff === undefined) === (amountOff === undefined)) {
    throw invalidRequest("You must pass exactly one of percent_off or amount_off.", "percent_off");
  }
  const currency = str(params.currency, "currency");
  if (amountOff !== undefined && !currency) throw invalidRequest("You must pass currency when passing amount_off.", "currency");
  const duration = oneOf(params.duration, ["once", "repeating", "forever"] as const, "duration") ?? "once";
  const months = int(params.duration_in_months, "duration_in_months");
  if (duration === "repeating" && months === undefined) {
    throw invalidRequest("You must pass duration_in_months when duration is repeating.", "duration_in_months");
  }
  const id = str(params.id, "id") ?? newId("", 8);
  if (store.objects.has(id)) throw invalidRequest("Coupon already exists.", "id", "resource_already_exists");
  return store.add({
    id,
    object: "coupon",
    amount_off: amountOff ?? null,
    created: store.now(),
    currency: currency ?? null,
    duration,
    duration_in_months: months ?? null,
    livemode: false,
    max_redemptions: int(params.max_redemptions, "max_redemptions") ?? null,
    metadata: metadata(params.metadata) ?? {},
    name: str(params.name, "name") ?? null,
    percent_off: percentOff === undefined ? null : Number(percentOff),
    redeem_by: int(params.redeem_by, "redeem_by") ?? null,
    times_redeemed: 0,
    valid: true,
  });
}

function couponValid(store: Store, coupon: StripeObject): boolean {
  if (coupon.valid === false) return false;
  if (coupon.redeem_by !== null && Number(coupon.redeem_by) <= store.now()) return false;
  return coupon.max_redemptions === null || Number(coupon.times_redeemed) < Number(coupon.max_redemptions);
}

/** Brings `active` up to date: an expired or used-up code, or one whose coupon is invalid, is inactive for good. */
export function refreshPromotionCode(store: Store, code: StripeObject): StripeObject {
  const coupon = store.objects.get(String((code.promotion as { coupon: string }).coupon));
  const expired = code.expires_at !== null && Number(code.expires_at) <= store.now();
  const usedUp = code.max_redemptions !== null && Number(code.times_redeemed) >= Number(code.max_redemptions);
  if (expired || usedUp || !coupon || !couponValid(store, coupon)) code.active = false;
  return code;
}

function createPromotionCode(store: Store, params: Params): StripeObject {
  const promotion = obj(params.promotion, "promotion");
  required(oneOf(promotion?.type, ["coupon"] as const, "promotion[type]"), "promotion[type]");
  const couponId = required(str(promotion?.coupon, "promotion[coupon]"), "promotion[coupon]");
  store.get("coupon", couponId, "promotion[coupon]");
  const code = str(params.code, "code") ?? newId("", 8).toUpperCase();
  if (!/^[a-zA-Z0-9-]+$/.test(code)) throw invalidRequest("Invalid code: letters, digits and dashes only.", "code");
  const customer = str(params.customer, "customer");
  if (customer) store.get("customer", customer, "customer");
  const clash = store
    .all("promotion_code")
    .find((other) => refreshPromotionCode(store, other).active && String(other.code).toLowerCase() === code.toLowerCase() && (other.customer ?? null) === (customer ?? null));
  if (clash) throw invalidRequest("An active promotion code with that code already exists.", "code");
  return store.add({
    id: newId("promo_", 24),
    object: "promotion_code",
    active: bool(params.active, "active") ?? true,
    code,
    created: store.now(),
    customer: customer ?? null,
    customer_account: null,
    expires_at: int(params.expires_at, "expires_at") ?? null,
    livemode: false,
    max_redemptions: int(params.max_redemptions, "max_redemptions") ?? null,
    metadata: metadata(params.metadata) ?? {},
    promotion: { coupon: couponId, type: "coupon" },
    restrictions: { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null },
    times_redeemed: 0,
  });
}

function updatePromotionCode(store: Store, id: string, params: Params): StripeObject {
  const code = refreshPromotionCode(store, store.get("promotion_code", id));
  const active = bool(params.active, "active");
  // Reactivation only while the code itself could still be redeemed.
  if (active === true && !code.active && !refreshPromotionCode(store, { ...code, active: true }).active) {
    throw invalidRequest("This promotion code cannot be reactivated.", "active");
  }
  if (active !== undefined) code.active = active;
  const meta = metadata(params.metadata);
  if (meta) code.metadata = params.metadata === "" ? {} : { ...(code.metadata as object), ...meta };
  return code;
}

function listPromotionCodes(store: Store, params: Params): unknown {
  const active = bool(params.active, "active");
  const code = str(params.code, "code")?.toLowerCase();
  const coupon = str(params.coupon, "coupon");
  const customer = str(params.customer, "customer");
  const codes = store.all("promotion_code").filter((candidate) => {
    refreshPromotionCode(store, candidate);
    return (
      (active === undefined || candidate.active === active) &&
      (!code || String(candidate.code).toLowerCase() === code) &&
      (!coupon || (candidate.promotion as { coupon: string }).coupon === coupon) &&
      (!customer || candidate.customer === customer)
    );
  });
  return listObject(codes, params, "/v1/promotion_codes");
}

/**
 * Checks the `discounts` of a checkout session as Stripe does when it is
 * created: each names an existing, active promotion code the customer may
 * use, or an existing valid coupon.
 */
export function checkDiscounts(store: Store, discounts: Params[], customer: string | undefined): void {
  discounts.forEach((discount, index) => {
    const promotionCode = str(discount.promotion_code, `discounts[${index}][promotion_code]`);
    const couponId = str(discount.coupon, `discounts[${index}][coupon]`);
    if (promotionCode) {
      const code = refreshPromotionCode(store, store.get("promotion_code", promotionCode, `discounts[${index}][promotion_code]`));
      if (!code.active) throw invalidRequest(`This promotion code is inactive: ${code.code}`, `discounts[${index}][promotion_code]`);
      if (code.customer && code.customer !== customer) {
        throw invalidRequest("This promotion code cannot be redeemed by this customer.", `discounts[${index}][promotion_code]`);
      }
    } else if (couponId) {
      const coupon = store.get("coupon", couponId, `discounts[${index}][coupon]`);
      if (!couponValid(store, coupon)) throw invalidRequest(`This coupon is no longer valid: ${couponId}`, `discounts[${index}][coupon]`);
    } else {
      throw invalidRequest("Each discount needs a coupon or a promotion_code.", `discounts[${index}]`);
    }
  });
}

export const promotionRoutes: Route[] = [
  route("POST", "/v1/coupons", ({ store, params }) => createCoupon(store, params)),
  route("GET", "/v1/coupons/:id", ({ store, args }) => store.get("coupon", args[0]!)),
  route("POST", "/v1/promotion_codes", ({ store, params }) => createPromotionCode(store, params)),
  route("GET", "/v1/promotion_codes", ({ store, params }) => listPromotionCodes(store, params)),
  route("GET", "/v1/promotion_codes/:id", ({ store, args }) => refreshPromotionCode(store, store.get("promotion_code", args[0]!))),
  route("POST", "/v1/promotion_codes/:id", ({ store, args, params }) => updatePromotionCode(store, args[0]!, params)),
];
