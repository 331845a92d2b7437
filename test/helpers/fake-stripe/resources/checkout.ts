// Checkout sessions and billing portal sessions. A checkout session only
// records what it was created with (line items, subscription_data,
// discounts…) and answers a URL; the test control completeCheckout() plays
// the customer paying, which creates the customer, subscription and invoice.
import { invalidRequest } from "../errors.ts";
import type { Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { arr, bool, int, metadata, obj, oneOf, required, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";
import { isMetered, priceAmount, recurringOf } from "../billing.ts";
import { checkDiscounts } from "./promotions.ts";

function lineItems(store: Store, params: Params, mode: string): StripeObject[] {
  const entries = arr(params.line_items, "line_items");
  if (entries.length === 0 && mode !== "setup") throw invalidRequest("Missing required param: line_items.", "line_items", "parameter_missing");
  return entries.map((entry, index) => {
    const item = obj(entry, `line_items[${index}]`)!;
    const price = store.get("price", required(str(item.price, `line_items[${index}][price]`), `line_items[${index}][price]`), `line_items[${index}][price]`);
    if (!price.active) throw invalidRequest(`The price specified (${price.id}) is inactive.`, `line_items[${index}][price]`);
    const quantity = int(item.quantity, `line_items[${index}][quantity]`);
    if (mode === "payment" && price.type === "recurring") {
      throw invalidRequest("You must use `mode=subscription` with recurring prices.", `line_items[${index}][price]`);
    }
    // Usage is counted by the meter: Stripe refuses a quantity for a metered price.
    if (isMetered(price) && quantity !== undefined) {
      throw invalidRequest("Quantity should not be specified where usage_type is `metered`.", `line_items[${index}][quantity]`);
    }
    if (!isMetered(price) && quantity === undefined) {
      throw invalidRequest("Quantity is required. Add `quantity` to `line_items[" + index + "]`.", `line_items[${index}][quantity]`);
    }
    const amount = isMetered(price) ? 0 : priceAmount(store, price, quantity ?? 1);
    return {
      id: newId("li_", 24),
      object: "item",
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency: price.currency,
      description: String(price.nickname ?? price.id),
      price: structuredClone(price),
      ...(isMetered(price) ? {} : { quantity }),
    };
  });
}

/**
 * A billing cycle anchor is either a future timestamp or a day of the month
 * (billing_cycle_anchor_config, UTC), never both; the config's fields are
 * range-checked as Stripe does.
 */
function checkAnchor(store: Store, data: Params | undefined): void {
  const anchor = int(data?.billing_cycle_anchor, "subscription_data[billing_cycle_anchor]");
  const config = obj(data?.billing_cycle_anchor_config, "subscription_data[billing_cycle_anchor_config]");
  if (anchor !== undefined && config) {
    throw invalidRequest("You may only specify one of these parameters: billing_cycle_anchor, billing_cycle_anchor_config.", "subscription_data[billing_cycle_anchor_config]");
  }
  if (anchor !== undefined && anchor <= store.now()) {
    throw invalidRequest("billing_cycle_anchor must be in the future.", "subscription_data[billing_cycle_anchor]");
  }
  if (!config) return;
  const ranges: Record<string, [number, number]> = { day_of_month: [1, 31], hour: [0, 23], minute: [0, 59], second: [0, 59], month: [1, 12] };
  for (const [field, [min, max]] of Object.entries(ranges)) {
    const param = `subscription_data[billing_cycle_anchor_config][${field}]`;
    const value = field === "day_of_month" ? required(int(config[field], param), param) : int(config[field], param);
    if (value !== undefined && (value < min || value > max)) throw invalidRequest(`Invalid ${field}: must be between ${min} and ${max}.`, param);
  }
}

function createSession(store: Store, params: Params): StripeObject {
  const mode = required(oneOf(params.mode, ["payment", "setup", "subscription"] as const, "mode"), "mode");
  const uiMode = oneOf(params.ui_mode, ["hosted", "embedded", "custom"] as const, "ui_mode") ?? "hosted";
  const successUrl = str(params.success_url, "success_url");
  if (uiMode === "hosted" && !successUrl) throw invalidRequest("Missing required param: success_url.", "success_url", "parameter_missing");
  const customer = str(params.customer, "customer");
  if (customer) store.get("customer", customer, "customer");
  const customerEmail = str(params.customer_email, "customer_email");
  if (customer && customerEmail) throw invalidRequest("You may only specify one of these parameters: customer, customer_email.", "customer_email");
  const discounts = arr(params.discounts, "discounts").map((entry, index) => obj(entry, `discounts[${index}]`)!);
  const allowPromotionCodes = bool(params.allow_promotion_codes, "allow_promotion_codes");
  if (allowPromotionCodes && discounts.length > 0) {
    throw invalidRequest("You may only specify one of these parameters: allow_promotion_codes, discounts.", "discounts");
  }
  checkDiscounts(store, discounts, customer);
  const items = lineItems(store, params, mode);
  const subscriptionData = obj(params.subscription_data, "subscription_data");
  checkAnchor(store, subscriptionData);
  if (subscriptionData && mode !== "subscription") throw invalidRequest("subscription_data can only be used in subscription mode.", "subscription_data");
  const billingMode = oneOf(obj(subscriptionData?.billing_mode, "subscription_data[billing_mode]")?.type, ["classic", "flexible"] as const, "subscription_data[billing_mode][type]");
  const intervals = new Set(items.map((item) => recurringOf(item.price as StripeObject)?.interval ?? "one_time"));
  if (billingMode === "classic" && intervals.size > 1) {
    throw invalidRequest("Mixed-interval subscriptions require subscription_data[billing_mode][type]=flexible.", "line_items");
  }
  const id = newId("cs_test_", 58);
  const now = store.now();
  const total = items.reduce((sum, item) => sum + Number(item.amount_total), 0);
  store.checkoutInputs.set(id, { lineItems: items, subscriptionData, discounts, allowPromotionCodes });
  return store.add({
    id,
    object: "checkout.session",
    after_expiration: null,
    allow_promotion_codes: allowPromotionCodes ?? null,
    amount_subtotal: total,
    amount_total: total,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: str(params.cancel_url, "cancel_url") ?? null,
    client_reference_id: str(params.client_reference_id, "client_reference_id") ?? null,
    consent: null,
    consent_collection: null,
    created: now,
    currency: items.length > 0 ? String(items[0]!.currency) : null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: customer ?? null,
    customer_creation: customer ? null : "always",
    customer_details: customerEmail ? { address: null, email: customerEmail, name: null, phone: null, tax_exempt: "none", tax_ids: [] } : null,
    customer_email: customerEmail ?? null,
    discounts: discounts.map((discount) => ({ coupon: discount.coupon ?? null, promotion_code: discount.promotion_code ?? null })),
    expires_at: int(params.expires_at, "expires_at") ?? now + 86_400,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: str(params.locale, "locale") ?? null,
    metadata: metadata(params.metadata) ?? {},
    mode,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: mode === "subscription" ? (str(params.payment_method_collection, "payment_method_collection") ?? "always") : null,
    payment_method_types: ["card"],
    payment_status: "unpaid",
    phone_number_collection: { enabled: false },
    recovered_from: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: "open",
    submit_type: null,
    subscription: null,
    success_url: successUrl ?? null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: uiMode,
    url: uiMode === "hosted" ? `https://checkout.stripe.com/c/pay/${id}` : null,
  });
}

function createPortalSession(store: Store, params: Params): StripeObject {
  const customer = required(str(params.customer, "customer"), "customer");
  store.get("customer", customer, "customer");
  const id = newId("bps_", 24);
  return store.add({
    id,
    object: "billing_portal.session",
    configuration: str(params.configuration, "configuration") ?? "bpc_fake_default",
    created: store.now(),
    customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: str(params.locale, "locale") ?? null,
    on_behalf_of: null,
    return_url: str(params.return_url, "return_url") ?? null,
    url: `https://billing.stripe.com/p/session/test_${id.slice(4)}`,
  });
}

export const checkoutRoutes: Route[] = [
  route("POST", "/v1/checkout/sessions", ({ store, params }) => createSession(store, params)),
  route("GET", "/v1/checkout/sessions/:id", ({ store, args }) => store.get("checkout.session", args[0]!)),
  route("GET", "/v1/checkout/sessions/:id/line_items", ({ store, args, params }) => {
    store.get("checkout.session", args[0]!);
    return listObject(store.checkoutInputs.get(args[0]!)?.lineItems ?? [], params, `/v1/checkout/sessions/${args[0]}/line_items`);
  }),
  route("POST", "/v1/checkout/sessions/:id/expire", ({ store, args }) => {
    const session = store.get("checkout.session", args[0]!);
    if (session.status !== "open") throw invalidRequest(`Only open sessions can be expired; this one is ${session.status}.`);
    session.status = "expired";
    session.url = null;
    return session;
  }),
  route("POST", "/v1/billing_portal/sessions", ({ store, params }) => createPortalSession(store, params)),
];
