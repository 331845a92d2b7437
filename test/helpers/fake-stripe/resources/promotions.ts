// Coupons and promotion codes: what a merchant types at checkout. A
// promotion code (API versions since clover) points at its coupon through
// `promotion: {type: "coupon", coupon}`; it is only active while its own flag
// is set, it has not expired, it has redemptions left and its coupon is still
// valid. Listing by `code` is case-insensitive, as at Stripe. A coupon may
// be restricted to products (`applies_to.products`, returned only when
// expanded); redeeming a code at checkout (controls.ts completeCheckout)
// counts on both the code and its coupon, and makes a Discount object.
import { invalidRequest } from "../errors.ts";
import type { Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { arr, bool, int, mergeMetadata, metadata, obj, oneOf, required, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";

function createCoupon(store: Store, params: Params): StripeObject {
  const percentOff = str(params.percent_off, "percent_off");
  const amountOff = int(params.amount_off, "amount_off");
  if ((percentOff === undefined) === (amountOff === undefined)) {
    throw invalidRequest("You must pass exactly one of percent_off or amount_off.", "percent_off");
  }
  if (percentOff !== undefined && !(Number(percentOff) > 0 && Number(percentOff) <= 100)) {
    throw invalidRequest("Invalid percent_off: must be greater than 0 and at most 100.", "percent_off");
  }
  if (amountOff !== undefined && amountOff <= 0) throw invalidRequest("Invalid amount_off: must be a positive integer.", "amount_off");
  const currency = str(params.currency, "currency");
  if (amountOff !== undefined && !currency) throw invalidRequest("You must pass currency when passing amount_off.", "currency");
  const duration = oneOf(params.duration, ["once", "repeating", "forever"] as const, "duration") ?? "once";
  const months = int(params.duration_in_months, "duration_in_months");
  if (duration === "repeating" && months === undefined) {
    throw invalidRequest("You must pass duration_in_months when duration is repeating.", "duration_in_months");
  }
  if (duration !== "repeating" && months !== undefined) {
    throw invalidRequest("duration_in_months can only be set when duration is repeating.", "duration_in_months");
  }
  if (months !== undefined && months <= 0) throw invalidRequest("Invalid duration_in_months: must be a positive integer.", "duration_in_months");
  const maxRedemptions = int(params.max_redemptions, "max_redemptions");
  if (maxRedemptions !== undefined && maxRedemptions <= 0) throw invalidRequest("Invalid max_redemptions: must be a positive integer.", "max_redemptions");
  const appliesTo = obj(params.applies_to, "applies_to");
  const products = arr(appliesTo?.products, "applies_to[products]").map((item, index) => {
    const product = required(str(item, `applies_to[products][${index}]`), `applies_to[products][${index}]`);
    store.get("product", product, "applies_to[products]");
    return product;
  });
  const id = str(params.id, "id") ?? newId("", 8);
  if (store.objects.has(id)) throw invalidRequest("Coupon already exists.", "id", "resource_already_exists");
  if (appliesTo) store.couponAppliesTo.set(id, { products });
  return store.add({
    id,
    object: "coupon",
    amount_off: amountOff ?? null,
    created: store.now(),
    currency: currency ?? null,
    duration,
    duration_in_months: months ?? null,
    livemode: false,
    max_redemptions: maxRedemptions ?? null,
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
  const expiresAt = int(params.expires_at, "expires_at");
  if (expiresAt !== undefined && expiresAt <= store.now()) throw invalidRequest("expires_at must be in the future.", "expires_at");
  const maxRedemptions = int(params.max_redemptions, "max_redemptions");
  if (maxRedemptions !== undefined && maxRedemptions <= 0) throw invalidRequest("Invalid max_redemptions: must be a positive integer.", "max_redemptions");
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
    expires_at: expiresAt ?? null,
    livemode: false,
    max_redemptions: maxRedemptions ?? null,
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
  const meta = mergeMetadata(code.metadata, params.metadata);
  if (meta) code.metadata = meta;
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

export interface Redeemable {
  code?: StripeObject;
  coupon: StripeObject;
}

/**
 * The discounts of a checkout session as its customer pays: each promotion
 * code must still be redeemable then — another customer may have taken its
 * last redemption since the session was opened, and Stripe refuses the
 * payment — and each coupon still valid.
 */
export function redeemableDiscounts(store: Store, discounts: Params[]): Redeemable[] {
  return discounts.map((discount) => {
    const promotionCode = str(discount.promotion_code, "promotion_code");
    const code = promotionCode ? refreshPromotionCode(store, store.get("promotion_code", promotionCode)) : undefined;
    if (code && !code.active) throw invalidRequest(`This promotion code can no longer be redeemed: ${code.code}`, "promotion_code");
    const coupon = store.get("coupon", code ? (code.promotion as { coupon: string }).coupon : String(discount.coupon));
    if (!couponValid(store, coupon)) throw invalidRequest(`This coupon is no longer valid: ${coupon.id}`, "coupon");
    return code ? { code, coupon } : { coupon };
  });
}

/**
 * Redeems them for a subscription: one redemption on each promotion code and
 * coupon, and a Discount object each (a repeating coupon's discount ends
 * after its months). Returns the discounts' ids, as the subscription lists them.
 */
export function redeemDiscounts(
  store: Store,
  redeemable: Redeemable[],
  target: { customer: string; subscription: string; checkoutSession: string },
): string[] {
  const now = store.now();
  return redeemable.map(({ code, coupon }) => {
    if (code) code.times_redeemed = Number(code.times_redeemed) + 1;
    coupon.times_redeemed = Number(coupon.times_redeemed) + 1;
    if (code) refreshPromotionCode(store, code);
    const months = coupon.duration === "repeating" ? Number(coupon.duration_in_months) : undefined;
    return store.add({
      id: newId("di_", 24),
      object: "discount",
      checkout_session: target.checkoutSession,
      customer: target.customer,
      customer_account: null,
      end: months === undefined ? null : addMonths(now, months),
      invoice: null,
      invoice_item: null,
      promotion_code: code?.id ?? null,
      source: { coupon: coupon.id, type: "coupon" },
      start: now,
      subscription: target.subscription,
      subscription_item: null,
    }).id;
  });
}

/** `seconds` + `months` calendar months (UTC), the day clamped to the month's last. */
function addMonths(seconds: number, months: number): number {
  const date = new Date(seconds * 1000);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), last));
  return Math.floor(target.getTime() / 1000);
}

/**
 * What the subscription's discounts take off an invoice line of `product`
 * billed at `at`: a coupon restricted to products only touches their lines;
 * a repeating discount ends at its `end`; amount_off coupons are shared
 * across the discountable lines in proportion (here: taken from each line in
 * turn, never below zero).
 */
export function lineDiscounts(
  store: Store,
  discountIds: string[],
  line: { amount: number; product: string | null },
  at: number,
  remaining: Map<string, number>,
): Array<{ amount: number; discount: string }> {
  const taken: Array<{ amount: number; discount: string }> = [];
  let left = line.amount;
  for (const id of discountIds) {
    const discount = store.objects.get(id);
    if (!discount || left <= 0) continue;
    if (discount.end !== null && Number(discount.end) <= at) continue;
    const couponId = (discount.source as { coupon: string }).coupon;
    const coupon = store.get("coupon", couponId);
    const products = store.couponAppliesTo.get(couponId)?.products;
    if (products && (!line.product || !products.includes(line.product))) continue;
    let amount: number;
    if (coupon.percent_off !== null) amount = Math.round((left * Number(coupon.percent_off)) / 100);
    else {
      const budget = remaining.get(id) ?? Number(coupon.amount_off);
      amount = Math.min(left, budget);
      remaining.set(id, budget - amount);
    }
    if (amount <= 0) continue;
    left -= amount;
    taken.push({ amount, discount: id });
  }
  return taken;
}

export const promotionRoutes: Route[] = [
  route("POST", "/v1/coupons", ({ store, params }) => createCoupon(store, params)),
  route("GET", "/v1/coupons/:id", ({ store, args }) => store.get("coupon", args[0]!)),
  route("POST", "/v1/promotion_codes", ({ store, params }) => createPromotionCode(store, params)),
  route("GET", "/v1/promotion_codes", ({ store, params }) => listPromotionCodes(store, params)),
  route("GET", "/v1/promotion_codes/:id", ({ store, args }) => refreshPromotionCode(store, store.get("promotion_code", args[0]!))),
  route("POST", "/v1/promotion_codes/:id", ({ store, args, params }) => updatePromotionCode(store, args[0]!, params)),
];
