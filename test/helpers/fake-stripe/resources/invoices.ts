// Invoices and invoice items: retrieve and list invoices (by customer,
// subscription, status), preview the next one (POST /v1/invoices/create_preview,
// which replaced GET /v1/invoices/upcoming in basil), create a draft that
// collects pending invoice items, finalize and pay it, and create invoice
// items (the route for charges outside a subscription's prices).
import { invalidRequest } from "../errors.ts";
import type { Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { bool, int, metadata, obj, oneOf, required, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";
import { itemsOf, renewalLines } from "../billing.ts";
import { addInvoiceItem, buildInvoice, pendingItemLines, type LineInput } from "../invoice-objects.ts";
import { applyItems } from "./subscriptions.ts";

const subscriptionOf = (invoice: StripeObject) =>
  (invoice.parent as { subscription_details?: { subscription?: string } } | null)?.subscription_details?.subscription;

/** Back from stored line objects to line inputs (finalizing rebuilds the invoice). */
function linesOf(invoice: StripeObject): LineInput[] {
  return (invoice.lines as { data: StripeObject[] }).data.map((line) => {
    const parent = line.parent as { invoice_item_details?: { invoice_item: string; proration: boolean }; subscription_item_details?: { subscription_item: string } };
    return {
      amount: Number(line.amount),
      description: String(line.description ?? ""),
      period: line.period as { start: number; end: number },
      quantity: Number(line.quantity ?? 1),
      invoiceItem: parent.invoice_item_details?.invoice_item,
      proration: parent.invoice_item_details?.proration,
      subscriptionItem: parent.subscription_item_details?.subscription_item,
    };
  });
}

function rebuild(store: Store, invoice: StripeObject, lines: LineInput[], status: "draft" | "open"): StripeObject {
  const rebuilt = buildInvoice(store, {
    id: invoice.id,
    customer: String(invoice.customer),
    subscription: subscriptionOf(invoice),
    lines,
    status,
    billingReason: String(invoice.billing_reason),
    periodStart: Number(invoice.period_start),
    periodEnd: Number(invoice.period_end),
  });
  Object.assign(invoice, rebuilt, { created: invoice.created, metadata: invoice.metadata, description: invoice.description });
  return invoice;
}

export function finalizeInvoice(store: Store, invoice: StripeObject): StripeObject {
  if (invoice.status !== "draft") throw invalidRequest(`This invoice is already finalized.`, undefined, "invoice_not_editable");
  return rebuild(store, invoice, linesOf(invoice), "open");
}

/** A successful payment: paid, and its subscription active again. */
export function markPaid(store: Store, invoice: StripeObject): StripeObject {
  if (invoice.status === "draft") finalizeInvoice(store, invoice);
  if (invoice.status !== "open") throw invalidRequest(`Invoice is already ${invoice.status}.`, undefined, "invoice_not_open");
  const now = store.now();
  Object.assign(invoice, {
    status: "paid",
    amount_paid: invoice.amount_due,
    amount_remaining: 0,
    attempted: true,
    attempt_count: Number(invoice.attempt_count) + 1,
    auto_advance: false,
    next_payment_attempt: null,
    status_transitions: { ...(invoice.status_transitions as object), paid_at: now },
  });
  const subscriptionId = subscriptionOf(invoice);
  const subscription = subscriptionId ? store.objects.get(subscriptionId) : undefined;
  if (subscription && ["past_due", "unpaid", "incomplete"].includes(String(subscription.status))) subscription.status = "active";
  return invoice;
}

/** A failed attempt: attempt_count + 1, still open, retried later (Smart Retries: up to 4 attempts). */
export function markFailed(store: Store, invoice: StripeObject): StripeObject {
  if (invoice.status === "draft") finalizeInvoice(store, invoice);
  if (invoice.status !== "open") throw invalidRequest(`Invoice is already ${invoice.status}.`, undefined, "invoice_not_open");
  const attempts = Number(invoice.attempt_count) + 1;
  Object.assign(invoice, {
    attempt_count: attempts,
    attempted: true,
    next_payment_attempt: attempts < 4 ? store.now() + 3 * 86_400 : null,
  });
  const subscriptionId = subscriptionOf(invoice);
  const subscription = subscriptionId ? store.objects.get(subscriptionId) : undefined;
  if (subscription && ["active", "trialing"].includes(String(subscription.status))) subscription.status = "past_due";
  return invoice;
}

function preview(store: Store, params: Params): StripeObject {
  const subscriptionId = str(params.subscription, "subscription");
  let subscription = subscriptionId ? structuredClone(store.get("subscription", subscriptionId, "subscription")) : undefined;
  const customer = str(params.customer, "customer") ?? (subscription ? String(subscription.customer) : undefined);
  if (!customer) throw invalidRequest("Missing required param: customer or subscription.", "customer", "parameter_missing");
  const lines: LineInput[] = [];
  const details = obj(params.subscription_details, "subscription_details");
  if (subscription && details?.items !== undefined) {
    // What the change would bill now (prorations), on a copy: nothing is saved.
    const copy = subscription;
    const prorations = applyItems(store, copy, details);
    const behavior = oneOf(details.proration_behavior, ["create_prorations", "none", "always_invoice"] as const, "subscription_details[proration_behavior]");
    if (behavior !== "none") {
      const now = store.now();
      for (const proration of prorations) lines.push({ amount: proration.amount, description: proration.description, period: { start: now, end: Number(proration.item.current_period_end) }, proration: true });
    }
    subscription = copy;
  }
  if (subscription && subscription.status === "canceled") throw invalidRequest("The subscription is canceled: it has no upcoming invoice.", "subscription");
  const renewal = subscription && itemsOf(subscription).length > 0 ? renewalLines(store, subscription) : undefined;
  lines.push(...pendingItemLines(store, customer, subscription?.id), ...(renewal?.lines ?? []));
  const invoice = buildInvoice(store, {
    id: newId("upcoming_in_", 24),
    customer,
    subscription: subscription?.id,
    lines,
    billingReason: subscription ? "subscription_cycle" : "manual",
    periodStart: renewal?.periodStart,
    periodEnd: renewal?.periodEnd,
  });
  invoice.next_payment_attempt = renewal?.periodEnd ?? null;
  return invoice;
}

function createInvoice(store: Store, params: Params): StripeObject {
  const customer = required(str(params.customer, "customer"), "customer");
  const subscription = str(params.subscription, "subscription");
  if (subscription) store.get("subscription", subscription, "subscription");
  const behavior = oneOf(params.pending_invoice_items_behavior, ["include", "exclude"] as const, "pending_invoice_items_behavior") ?? "exclude";
  const lines = behavior === "include" ? pendingItemLines(store, customer, subscription) : [];
  const invoice = store.add(buildInvoice(store, { customer, subscription, lines, status: "draft", billingReason: subscription ? "manual" : "manual", dueDate: int(params.due_date, "due_date") ?? null }));
  invoice.description = str(params.description, "description") ?? null;
  invoice.metadata = metadata(params.metadata) ?? {};
  invoice.auto_advance = bool(params.auto_advance, "auto_advance") ?? false;
  for (const line of lines) if (line.invoiceItem) store.objects.get(line.invoiceItem)!.invoice = invoice.id;
  return invoice;
}

function createInvoiceItem(store: Store, params: Params): StripeObject {
  const customer = required(str(params.customer, "customer"), "customer");
  store.get("customer", customer, "customer");
  const quantity = int(params.quantity, "quantity") ?? 1;
  const pricing = obj(params.pricing, "pricing");
  const priceId = str(pricing?.price, "pricing[price]") ?? str(params.price, "price");
  const price = priceId ? store.get("price", priceId, "pricing[price]") : undefined;
  let amount = int(params.amount, "amount");
  if (price) amount = Number(price.unit_amount ?? 0) * quantity;
  else {
    if (amount === undefined) throw invalidRequest("Missing required param: amount or pricing[price].", "amount", "parameter_missing");
    const currency = required(str(params.currency, "currency"), "currency");
    if (currency !== "eur") throw invalidRequest(`The fake Stripe account only bills eur, not ${currency}.`, "currency");
  }
  const period = obj(params.period, "period");
  const subscription = str(params.subscription, "subscription");
  if (subscription) store.get("subscription", subscription, "subscription");
  const invoiceId = str(params.invoice, "invoice");
  const invoice = invoiceId ? store.get("invoice", invoiceId, "invoice") : undefined;
  if (invoice && invoice.status !== "draft") throw invalidRequest("Invoice items can only be added to draft invoices.", "invoice", "invoice_not_editable");
  const item = addInvoiceItem(store, {
    customer,
    amount: amount!,
    description: str(params.description, "description"),
    period: period ? { start: required(int(period.start, "period[start]"), "period[start]"), end: required(int(period.end, "period[end]"), "period[end]") } : undefined,
    quantity,
    price,
    subscription,
    invoice: invoice?.id,
    metadata: metadata(params.metadata),
  });
  if (invoice) {
    const lines = [...linesOf(invoice), { amount: Number(item.amount), description: String(item.description ?? ""), period: item.period as { start: number; end: number }, quantity, invoiceItem: item.id }];
    rebuild(store, invoice, lines, "draft");
  }
  return item;
}

export const invoiceRoutes: Route[] = [
  route("POST", "/v1/invoices/create_preview", ({ store, params }) => preview(store, params)),
  route("GET", "/v1/invoices", ({ store, params }) => {
    const customer = str(params.customer, "customer");
    const subscription = str(params.subscription, "subscription");
    const status = str(params.status, "status");
    const invoices = store
      .all("invoice")
      .filter((invoice) => (!customer || invoice.customer === customer) && (!subscription || subscriptionOf(invoice) === subscription) && (!status || invoice.status === status));
    return listObject(invoices, params, "/v1/invoices");
  }),
  route("POST", "/v1/invoices", ({ store, params }) => createInvoice(store, params)),
  route("GET", "/v1/invoices/:id", ({ store, args }) => store.get("invoice", args[0]!)),
  route("POST", "/v1/invoices/:id/finalize", ({ store, args }) => finalizeInvoice(store, store.get("invoice", args[0]!))),
  route("POST", "/v1/invoices/:id/pay", ({ store, args }) => markPaid(store, store.get("invoice", args[0]!))),
  route("POST", "/v1/invoiceitems", ({ store, params }) => createInvoiceItem(store, params)),
  route("GET", "/v1/invoiceitems", ({ store, params }) => {
    const customer = str(params.customer, "customer");
    const pending = bool(params.pending, "pending");
    const items = store
      .all("invoiceitem")
      .filter((item) => (!customer || item.customer === customer) && (pending === undefined || (item.invoice === null) === pending));
    return listObject(items, params, "/v1/invoiceitems");
  }),
  route("GET", "/v1/invoiceitems/:id", ({ store, args }) => store.get("invoiceitem", args[0]!)),
];
