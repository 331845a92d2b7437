// Subscriptions: create (the API, and checkout completion), retrieve, list by
// customer / status / price, update (items, cancel_at_period_end, cancel_at,
// proration_behavior, trial_end=now, metadata) and cancel. Periods are per
// item (API versions since basil); flexible billing mode is the default and
// allows mixed intervals, classic refuses them.
import { invalidRequest } from "../errors.ts";
import type { FormValue, Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { arr, bool, int, metadata, obj, oneOf, required, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";
import { checkIntervals, isMetered, itemsOf, priceAmount, subscriptionItem, type ItemInput } from "../billing.ts";
import { addInvoiceItem, buildInvoice } from "../invoice-objects.ts";

export interface SubscriptionInput {
  customer: string;
  items: ItemInput[];
  trialEnd?: number;
  metadata?: Record<string, string>;
  billingMode?: "classic" | "flexible";
  status?: "active" | "trialing" | "incomplete" | "past_due" | "unpaid";
  discounts?: unknown[];
  /** The first period ends here (a billing cycle anchor); later ones are whole intervals from it. */
  billingCycleAnchor?: number;
  billingCycleAnchorConfig?: Record<string, number>;
}

export function createSubscription(store: Store, input: SubscriptionInput): StripeObject {
  store.get("customer", input.customer, "customer");
  if (input.items.length === 0) throw invalidRequest("Missing required param: items.", "items", "parameter_missing");
  const id = newId("sub_", 24);
  const now = store.now();
  const items = input.items.map((item) => subscriptionItem(store, id, item, now, input.trialEnd ?? input.billingCycleAnchor));
  const billingMode = input.billingMode ?? "flexible";
  checkIntervals(items, billingMode);
  const status = input.trialEnd ? "trialing" : (input.status ?? "active");
  return store.add({
    id,
    object: "subscription",
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: input.trialEnd ?? input.billingCycleAnchor ?? now,
    billing_cycle_anchor_config: input.billingCycleAnchorConfig ?? null,
    billing_mode: { type: billingMode, ...(billingMode === "flexible" ? { flexible: { proration_discounts: "included" } } : {}), updated_at: now },
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: "charge_automatically",
    created: now,
    currency: "eur",
    customer: input.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: input.discounts ?? [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: "self" } },
    items: { object: "list", data: items, has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    metadata: input.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: "off" },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status,
    test_clock: null,
    transfer_data: null,
    trial_end: input.trialEnd ?? null,
    trial_settings: { end_behavior: { missing_payment_method: "create_invoice" } },
    trial_start: input.trialEnd ? now : null,
  });
}

/** Items params (`items[0][price]`, `items[1][id]…[deleted]`) as inputs. */
export function itemInputs(value: FormValue | undefined): Array<ItemInput & { id?: string; deleted?: boolean }> {
  return arr(value, "items").map((entry, index) => {
    const item = obj(entry, `items[${index}]`)!;
    return {
      id: str(item.id, `items[${index}][id]`),
      price: str(item.price, `items[${index}][price]`) ?? "",
      quantity: int(item.quantity, `items[${index}][quantity]`),
      deleted: bool(item.deleted, `items[${index}][deleted]`),
    };
  });
}

export function cancelSubscription(store: Store, subscription: StripeObject): StripeObject {
  if (subscription.status === "canceled") throw invalidRequest(`No such subscription: '${subscription.id}'`, undefined, "resource_missing");
  const now = store.now();
  subscription.status = "canceled";
  subscription.canceled_at = now;
  subscription.ended_at = now;
  subscription.cancel_at_period_end = false;
  return subscription;
}

/** Licensed item amount for the rest of its period (what a proration credits or charges). */
function remainingValue(store: Store, item: StripeObject, price: StripeObject, quantity: number): number {
  const start = Number(item.current_period_start);
  const end = Number(item.current_period_end);
  const share = end > start ? Math.max(0, end - store.now()) / (end - start) : 0;
  return Math.round(priceAmount(store, price, quantity) * share);
}

/** Applies `items` params to a subscription's items; returns the prorations of licensed changes. */
export function applyItems(store: Store, subscription: StripeObject, params: Params): Array<{ amount: number; description: string; item: StripeObject }> {
  const items = itemsOf(subscription);
  const prorations: Array<{ amount: number; description: string; item: StripeObject }> = [];
  for (const change of itemInputs(params.items)) {
    const existing = change.id ? items.find((item) => item.id === change.id) : undefined;
    if (change.id && !existing) throw invalidRequest(`No such subscription item: '${change.id}'`, "items[id]", "resource_missing");
    if (existing && change.deleted) {
      items.splice(items.indexOf(existing), 1);
      continue;
    }
    if (existing) {
      const oldPrice = existing.price as StripeObject;
      const oldQuantity = Number(existing.quantity ?? 1);
      const replacement = change.price ? subscriptionItem(store, String(subscription.id), { price: change.price, quantity: change.quantity ?? oldQuantity }, Number(existing.current_period_start)) : undefined;
      if (replacement) {
        existing.price = replacement.price;
        if (isMetered(replacement.price as StripeObject)) delete existing.quantity;
        else existing.quantity = change.quantity ?? oldQuantity;
      } else if (change.quantity !== undefined) existing.quantity = change.quantity;
      if (!isMetered(oldPrice) && !isMetered(existing.price as StripeObject)) {
        const credit = remainingValue(store, existing, oldPrice, oldQuantity);
        const charge = remainingValue(store, existing, existing.price as StripeObject, Number(existing.quantity ?? 1));
        if (credit !== charge) {
          prorations.push({ amount: -credit, description: `Unused time on ${oldPrice.nickname ?? oldPrice.id}`, item: existing });
          prorations.push({ amount: charge, description: `Remaining time on ${(existing.price as StripeObject).nickname ?? ""}`, item: existing });
        }
      }
      continue;
    }
    required(change.price || undefined, "items[price]");
    items.push(subscriptionItem(store, String(subscription.id), { price: change.price, quantity: change.quantity }, store.now()));
  }
  if (items.length === 0) throw invalidRequest("A subscription must keep at least one item.", "items");
  checkIntervals(items, String((subscription.billing_mode as { type: string }).type));
  return prorations;
}

function updateSubscription(store: Store, id: string, params: Params): StripeObject {
  const subscription = store.get("subscription", id);
  if (subscription.status === "canceled") {
    throw invalidRequest("A canceled subscription can only update its cancellation_details and metadata.");
  }
  const behavior = oneOf(params.proration_behavior, ["create_prorations", "none", "always_invoice"] as const, "proration_behavior") ?? "create_prorations";
  const prorations = params.items === undefined ? [] : applyItems(store, subscription, params);
  if (behavior !== "none" && prorations.length > 0) {
    const now = store.now();
    const itemIds = prorations.map(
      (proration) =>
        addInvoiceItem(store, {
          customer: String(subscription.customer),
          amount: proration.amount,
          description: proration.description,
          period: { start: now, end: Number(proration.item.current_period_end) },
          subscription: subscription.id,
          subscriptionItem: proration.item.id,
          proration: true,
        }).id,
    );
    if (behavior === "always_invoice") {
      // Invoiced and charged at once; the fake's payment method always succeeds.
      const lines = prorations.map((proration, index) => ({ amount: proration.amount, description: proration.description, period: { start: now, end: Number(proration.item.current_period_end) }, invoiceItem: itemIds[index], proration: true }));
      const invoice = store.add(buildInvoice(store, { customer: String(subscription.customer), subscription: subscription.id, lines, status: "paid", billingReason: "subscription_update" }));
      for (const itemId of itemIds) store.objects.get(itemId)!.invoice = invoice.id;
      subscription.latest_invoice = invoice.id;
    }
  }
  if (params.cancel_at_period_end !== undefined) {
    const atEnd = bool(params.cancel_at_period_end, "cancel_at_period_end")!;
    subscription.cancel_at_period_end = atEnd;
    // With mixed intervals it resolves to the EARLIEST item period end.
    subscription.cancel_at = atEnd ? Math.min(...itemsOf(subscription).map((item) => Number(item.current_period_end))) : null;
  }
  if (params.cancel_at !== undefined) {
    const value = str(params.cancel_at, "cancel_at");
    const ends = itemsOf(subscription).map((item) => Number(item.current_period_end));
    if (value === "") subscription.cancel_at = null;
    else if (value === "max_period_end") subscription.cancel_at = Math.max(...ends);
    else if (value === "min_period_end") subscription.cancel_at = Math.min(...ends);
    else subscription.cancel_at = int(value, "cancel_at");
    if (subscription.cancel_at === null) subscription.cancel_at_period_end = false;
  }
  if (params.trial_end !== undefined) {
    const value = str(params.trial_end, "trial_end");
    const end = value === "now" ? store.now() : int(value, "trial_end")!;
    subscription.trial_end = end;
    if (end <= store.now() && subscription.status === "trialing") subscription.status = "active";
  }
  const meta = metadata(params.metadata);
  if (meta) subscription.metadata = params.metadata === "" ? {} : { ...(subscription.metadata as object), ...meta };
  return subscription;
}

function listSubscriptions(store: Store, params: Params): unknown {
  const customer = str(params.customer, "customer");
  const price = str(params.price, "price");
  const status = str(params.status, "status");
  const subscriptions = store.all("subscription").filter(
    (subscription) =>
      (!customer || subscription.customer === customer) &&
      (!price || itemsOf(subscription).some((item) => (item.price as StripeObject).id === price)) &&
      // Without a status filter Stripe lists every subscription that is not canceled.
      (status === "all" || (status ? subscription.status === status : subscription.status !== "canceled")),
  );
  return listObject(subscriptions, params, "/v1/subscriptions");
}

export const subscriptionRoutes: Route[] = [
  route("POST", "/v1/subscriptions", ({ store, params }) => {
    const trialDays = int(params.trial_period_days, "trial_period_days");
    const trialEnd = int(params.trial_end, "trial_end") ?? (trialDays ? store.now() + trialDays * 86_400 : undefined);
    return createSubscription(store, {
      customer: required(str(params.customer, "customer"), "customer"),
      items: itemInputs(params.items).map((item) => ({ price: required(item.price || undefined, "items[price]"), quantity: item.quantity })),
      trialEnd,
      metadata: metadata(params.metadata),
      billingMode: oneOf(obj(params.billing_mode, "billing_mode")?.type, ["classic", "flexible"] as const, "billing_mode[type]"),
    });
  }),
  route("GET", "/v1/subscriptions", ({ store, params }) => listSubscriptions(store, params)),
  route("GET", "/v1/subscriptions/:id", ({ store, args }) => store.get("subscription", args[0]!)),
  route("POST", "/v1/subscriptions/:id", ({ store, args, params }) => updateSubscription(store, args[0]!, params)),
  route("DELETE", "/v1/subscriptions/:id", ({ store, args }) => cancelSubscription(store, store.get("subscription", args[0]!))),
];
