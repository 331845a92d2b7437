// Test controls: what happens at Stripe without an API call from us — a
// customer completing checkout, an invoice paid or failing, a subscription
// deleted, a billing period ending — and the Event objects Stripe would send
// about it. Each returns copies; the stored objects change as at Stripe.
import Stripe from "stripe";
import { invalidRequest } from "./errors.ts";
import { render } from "./list.ts";
import { newId, type Store, type StripeObject } from "./store.ts";
import { addInterval, itemsOf, nextAnchor, priceAmount, prorate, recurringOf, renewalLines, type AnchorConfig } from "./billing.ts";
import { buildInvoice, pendingItemLines, type LineInput } from "./invoice-objects.ts";
import { createCustomer } from "./resources/customers.ts";
import { markFailed, markPaid } from "./resources/invoices.ts";
import { cancelSubscription, createSubscription } from "./resources/subscriptions.ts";
import { lineDiscounts, redeemableDiscounts, redeemDiscounts } from "./resources/promotions.ts";

/**
 * The subscription's discounts on an invoice's lines billed at `at` (each
 * line of a product the coupon applies to); a "once" discount is used up by
 * the first invoice and leaves the subscription.
 */
function discountLines(store: Store, subscription: StripeObject, lines: LineInput[], at: number): LineInput[] {
  const ids = (subscription.discounts as string[] | undefined) ?? [];
  if (ids.length === 0) return lines;
  const remaining = new Map<string, number>();
  const discounted = lines.map((line) =>
    line.price && line.amount > 0
      ? { ...line, discounts: lineDiscounts(store, ids, { amount: line.amount, product: String(line.price.product) }, at, remaining) }
      : line,
  );
  subscription.discounts = ids.filter((id) => {
    const coupon = store.objects.get(String((store.objects.get(id)?.source as { coupon?: string } | undefined)?.coupon));
    return coupon?.duration !== "once";
  });
  return discounted;
}

/** An Event as a webhook delivers it; stored, so GET /v1/events/:id finds it. */
export function makeEvent(store: Store, type: string, object: unknown, previousAttributes?: Record<string, unknown>): StripeObject {
  return structuredClone(
    store.add({
      id: newId("evt_", 24),
      object: "event",
      api_version: Stripe.API_VERSION,
      created: store.now(),
      data: { object: structuredClone(object), ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    }),
  );
}

export interface CompleteCheckoutOptions {
  /** "trialing" adds a 14-day trial when subscription_data has none; "active" drops any trial. */
  status?: "active" | "trialing";
  /** The first payment fails: the invoice stays open and the subscription is incomplete. */
  paymentFails?: boolean;
  /** The email the customer types (when the session named no customer). */
  email?: string;
}

export interface CheckoutCompletion {
  session: StripeObject;
  customer: StripeObject;
  subscription: StripeObject;
  invoice: StripeObject;
  /** checkout.session.completed, customer.subscription.created, invoice.paid / invoice.payment_failed. */
  events: StripeObject[];
}

function trialEndOf(store: Store, data: Record<string, unknown> | undefined, status: CompleteCheckoutOptions["status"]): number | undefined {
  if (status === "active") return undefined;
  const end = data?.trial_end ? Number(data.trial_end) : undefined;
  const days = data?.trial_period_days ? Number(data.trial_period_days) : undefined;
  return end ?? (days ? store.now() + days * 86_400 : status === "trialing" ? store.now() + 14 * 86_400 : undefined);
}

/**
 * Where the first period ends when the session anchored the billing cycle
 * (billing_cycle_anchor, or billing_cycle_anchor_config's next occurrence
 * now, when the customer pays). A trial takes precedence here.
 */
function anchorOf(store: Store, data: Record<string, unknown> | undefined): { at: number; config?: Record<string, number> } | undefined {
  if (data?.billing_cycle_anchor) return { at: Number(data.billing_cycle_anchor) };
  const raw = data?.billing_cycle_anchor_config as Record<string, string> | undefined;
  if (!raw) return undefined;
  const config = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, Number(value)]));
  return { at: nextAnchor(store.now(), config as unknown as AnchorConfig), config };
}

export function completeCheckout(store: Store, sessionId: string, options: CompleteCheckoutOptions = {}): CheckoutCompletion {
  const session = store.get("checkout.session", sessionId);
  if (session.status !== "open") throw invalidRequest(`Checkout session ${sessionId} is ${session.status}, not open.`);
  if (session.mode !== "subscription") throw invalidRequest("completeCheckout plays subscription-mode sessions only.");
  const input = store.checkoutInputs.get(sessionId)!;
  // Checked before anything is made: a code used up since the session opened refuses the payment.
  const redeemable = redeemableDiscounts(store, input.discounts ?? []);
  const customer = session.customer
    ? store.get("customer", String(session.customer))
    : createCustomer(store, { email: String(session.customer_email ?? options.email ?? "merchant@example.com") });
  const data = input.subscriptionData;
  const trialEnd = trialEndOf(store, data, options.status);
  const billingMode = (data?.billing_mode as { type?: "classic" | "flexible" } | undefined)?.type;
  const anchor = trialEnd ? undefined : anchorOf(store, data);
  // Until the anchor the customer pays the share of the period left, unless told not to.
  const prorated = anchor !== undefined && data?.proration_behavior !== "none";
  const subscription = createSubscription(store, {
    customer: customer.id,
    items: input.lineItems.map((item) => ({ price: (item.price as StripeObject).id, quantity: item.quantity as number | undefined })),
    trialEnd,
    metadata: (data?.metadata as Record<string, string> | undefined) ?? {},
    billingMode,
    status: options.paymentFails ? "incomplete" : "active",
    billingCycleAnchor: anchor?.at,
    billingCycleAnchorConfig: anchor?.config,
  });
  subscription.discounts = redeemDiscounts(store, redeemable, { customer: customer.id, subscription: subscription.id, checkoutSession: sessionId });
  // The first invoice: licensed items in advance (zero during a trial); usage comes later.
  const undiscounted: LineInput[] = itemsOf(subscription)
    .filter((item) => recurringOf(item.price as StripeObject)?.usage_type === "licensed")
    .map((item) => {
      const price = item.price as StripeObject;
      const quantity = Number(item.quantity ?? 1);
      const full = priceAmount(store, price, quantity);
      const recurring = recurringOf(price)!;
      const amount = trialEnd
        ? 0
        : anchor
          ? prorated
            ? prorate(full, store.now(), anchor.at, recurring.interval, recurring.interval_count)
            : 0
          : full;
      return {
        amount,
        description: `${trialEnd ? "Trial period for " : `${quantity} × `}${price.nickname ?? price.id}`,
        period: { start: Number(item.current_period_start), end: Number(item.current_period_end) },
        quantity,
        price,
        subscriptionItem: item.id,
      };
    });
  const lines = discountLines(store, subscription, undiscounted, store.now());
  const invoice = store.add(
    buildInvoice(store, { customer: customer.id, subscription: subscription.id, lines, status: "open", billingReason: "subscription_create", periodStart: store.now(), periodEnd: store.now() }),
  );
  if (options.paymentFails) markFailed(store, invoice);
  else markPaid(store, invoice);
  if (options.paymentFails) subscription.status = "incomplete";
  subscription.latest_invoice = invoice.id;
  Object.assign(session, {
    status: "complete",
    payment_status: options.paymentFails ? "unpaid" : trialEnd ? "no_payment_required" : "paid",
    customer: customer.id,
    customer_details: { address: null, email: customer.email, name: customer.name, phone: null, tax_exempt: "none", tax_ids: [] },
    subscription: subscription.id,
    invoice: invoice.id,
    url: null,
  });
  const events = [
    makeEvent(store, "checkout.session.completed", session),
    makeEvent(store, "customer.subscription.created", subscription),
    makeEvent(store, options.paymentFails ? "invoice.payment_failed" : "invoice.paid", invoice),
  ];
  return {
    session: render(store, session) as StripeObject,
    customer: render(store, customer) as StripeObject,
    subscription: render(store, subscription) as StripeObject,
    invoice: render(store, invoice) as StripeObject,
    events,
  };
}

export interface InvoiceOptions {
  status?: "draft" | "open" | "paid" | "void" | "uncollectible";
  attempt_count?: number;
  amount_due?: number;
  subscription?: string;
  billing_reason?: string;
  period_start?: number;
  period_end?: number;
  due_date?: number | null;
  description?: string;
}

/** An invoice as Stripe would have made it (a renewal, a manual one…), stored as given. */
export function createInvoice(store: Store, customerId: string, options: InvoiceOptions = {}): StripeObject {
  const amount = options.amount_due ?? 0;
  const now = store.now();
  const invoice = store.add(
    buildInvoice(store, {
      customer: customerId,
      subscription: options.subscription,
      lines: [{ amount, description: options.description ?? "Invoice", period: { start: options.period_start ?? now, end: options.period_end ?? now } }],
      status: options.status ?? "open",
      billingReason: options.billing_reason ?? (options.subscription ? "subscription_cycle" : "manual"),
      attemptCount: options.attempt_count,
      amountDue: amount,
      periodStart: options.period_start,
      periodEnd: options.period_end,
      dueDate: options.due_date,
    }),
  );
  if (options.subscription) store.get("subscription", options.subscription).latest_invoice = invoice.id;
  return structuredClone(invoice);
}

export function payInvoice(store: Store, invoiceId: string): StripeObject {
  return structuredClone(markPaid(store, store.get("invoice", invoiceId)));
}

export function failInvoice(store: Store, invoiceId: string): StripeObject {
  return structuredClone(markFailed(store, store.get("invoice", invoiceId)));
}

export function deleteSubscription(store: Store, subscriptionId: string): StripeObject {
  return structuredClone(cancelSubscription(store, store.get("subscription", subscriptionId)));
}

/**
 * The billing period of the subscription's earliest items ends (the clock
 * is not moved: tests move it with setTime/advance): the renewal invoice is
 * made — licensed items in advance, metered usage of the period — and paid
 * (or failed), and the renewed items move to their next period.
 */
export function renewSubscription(store: Store, subscriptionId: string, options: { paymentFails?: boolean } = {}): { subscription: StripeObject; invoice: StripeObject } {
  const subscription = store.get("subscription", subscriptionId);
  if (subscription.status === "canceled") throw invalidRequest(`Subscription ${subscriptionId} is canceled.`);
  const renewal = renewalLines(store, subscription);
  const lines = [...pendingItemLines(store, String(subscription.customer), subscription.id), ...discountLines(store, subscription, renewal.lines, renewal.periodEnd)];
  const invoice = store.add(
    buildInvoice(store, { customer: String(subscription.customer), subscription: subscription.id, lines, status: "open", billingReason: "subscription_cycle", periodStart: renewal.periodStart, periodEnd: renewal.periodEnd }),
  );
  for (const line of lines) if (line.invoiceItem) store.objects.get(line.invoiceItem)!.invoice = invoice.id;
  for (const item of itemsOf(subscription)) {
    if (Number(item.current_period_end) !== renewal.periodEnd) continue;
    const recurring = recurringOf(item.price as StripeObject)!;
    item.current_period_start = renewal.periodEnd;
    item.current_period_end = addInterval(renewal.periodEnd, recurring.interval, recurring.interval_count);
  }
  if (subscription.status === "trialing") subscription.status = "active";
  subscription.latest_invoice = invoice.id;
  if (options.paymentFails) markFailed(store, invoice);
  else markPaid(store, invoice);
  return { subscription: structuredClone(subscription), invoice: structuredClone(invoice) };
}
