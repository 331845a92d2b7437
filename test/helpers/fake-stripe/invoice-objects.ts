// Invoice, line item and invoice item objects in the shape of API versions
// since basil: the subscription is under parent.subscription_details, a
// line's price under pricing.price_details, invoice items are pending until
// an invoice takes them.
import { newId, type Store, type StripeObject } from "./store.ts";

export interface LineInput {
  amount: number;
  description: string;
  period: { start: number; end: number };
  quantity?: number;
  price?: StripeObject;
  subscriptionItem?: string;
  invoiceItem?: string;
  proration?: boolean;
  /** What the subscription's discounts take off this line (resources/promotions.ts lineDiscounts). */
  discounts?: Array<{ amount: number; discount: string }>;
}

function lineItem(invoiceId: string, subscriptionId: string | null, line: LineInput): StripeObject {
  const parent = line.invoiceItem
    ? { type: "invoice_item_details", invoice_item_details: { invoice_item: line.invoiceItem, proration: line.proration ?? false, proration_details: { credited_items: null }, subscription: subscriptionId } }
    : { type: "subscription_item_details", subscription_item_details: { invoice_item: null, proration: false, proration_details: { credited_items: null }, subscription: subscriptionId, subscription_item: line.subscriptionItem ?? null } };
  return {
    id: newId("il_", 24),
    object: "line_item",
    amount: line.amount,
    currency: "eur",
    description: line.description,
    discount_amounts: structuredClone(line.discounts ?? []),
    discountable: true,
    discounts: (line.discounts ?? []).map((entry) => entry.discount),
    invoice: invoiceId,
    livemode: false,
    metadata: {},
    parent,
    period: line.period,
    pretax_credit_amounts: [],
    pricing: line.price
      ? { type: "price_details", price_details: { price: line.price.id, product: line.price.product }, unit_amount_decimal: line.price.unit_amount_decimal ?? null }
      : null,
    quantity: line.quantity ?? 1,
    subtotal: line.amount,
    taxes: [],
  };
}

export interface InvoiceInput {
  customer: string;
  subscription?: string | null;
  lines: LineInput[];
  status?: "draft" | "open" | "paid" | "void" | "uncollectible";
  billingReason?: string;
  attemptCount?: number;
  /** Overrides the sum of the lines. */
  amountDue?: number;
  periodStart?: number;
  periodEnd?: number;
  dueDate?: number | null;
  id?: string;
}

/** An invoice object (not stored: callers store it or answer it as a preview). */
export function buildInvoice(store: Store, input: InvoiceInput): StripeObject {
  const customer = store.get("customer", input.customer, "customer");
  const id = input.id ?? newId("in_", 24);
  const now = store.now();
  // Discounts are taken off the subtotal: lines keep their amount, the invoice lists what each discount took.
  const subtotal = input.lines.reduce((sum, line) => sum + line.amount, 0);
  const discountTotals = new Map<string, number>();
  for (const line of input.lines) {
    for (const entry of line.discounts ?? []) discountTotals.set(entry.discount, (discountTotals.get(entry.discount) ?? 0) + entry.amount);
  }
  const discounted = [...discountTotals.values()].reduce((sum, amount) => sum + amount, 0);
  const total = input.amountDue ?? subtotal - discounted;
  const status = input.status ?? "draft";
  const paid = status === "paid";
  const finalized = status !== "draft";
  const lines = input.lines.map((line) => lineItem(id, input.subscription ?? null, line));
  let number: string | null = null;
  if (finalized) {
    number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence).padStart(4, "0")}`;
    customer.next_invoice_sequence = Number(customer.next_invoice_sequence) + 1;
  }
  return {
    id,
    object: "invoice",
    account_country: "FR",
    account_name: "Waitify (fake Stripe)",
    amount_due: Math.max(0, total),
    amount_overpaid: 0,
    amount_paid: paid ? Math.max(0, total) : 0,
    amount_remaining: paid ? 0 : Math.max(0, total),
    amount_shipping: 0,
    application: null,
    attempt_count: input.attemptCount ?? (paid ? 1 : 0),
    attempted: paid || (input.attemptCount ?? 0) > 0,
    auto_advance: !paid && finalized,
    automatic_tax: { enabled: false, liability: null, disabled_reason: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason ?? "manual",
    collection_method: "charge_automatically",
    created: now,
    currency: "eur",
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: customer.email,
    customer_name: customer.name,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: "none",
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [...discountTotals.keys()],
    due_date: input.dueDate ?? null,
    effective_at: finalized ? now : null,
    ending_balance: finalized ? 0 : null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: finalized ? `https://invoice.stripe.com/i/acct_fake/test_${id}` : null,
    invoice_pdf: finalized ? `https://pay.stripe.com/invoice/acct_fake/test_${id}/pdf` : null,
    issuer: { type: "self" },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: "list", data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: finalized && !paid && status === "open" ? now + 3600 : null,
    number,
    on_behalf_of: null,
    parent: input.subscription
      ? { type: "subscription_details", quote_details: null, subscription_details: { metadata: {}, subscription: input.subscription } }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.periodEnd ?? now,
    period_start: input.periodStart ?? now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status,
    status_transitions: { finalized_at: finalized ? now : null, marked_uncollectible_at: null, paid_at: paid ? now : null, voided_at: null },
    subtotal: input.amountDue ?? subtotal,
    subtotal_excluding_tax: input.amountDue ?? subtotal,
    test_clock: null,
    total,
    total_discount_amounts: [...discountTotals].map(([discount, amount]) => ({ amount, discount })),
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: finalized ? now : null,
  };
}

export interface InvoiceItemInput {
  customer: string;
  amount: number;
  description?: string | null;
  period?: { start: number; end: number };
  quantity?: number;
  price?: StripeObject;
  subscription?: string | null;
  subscriptionItem?: string;
  invoice?: string | null;
  proration?: boolean;
  metadata?: Record<string, string>;
}

/** Stores an invoice item (pending until an invoice takes it). */
export function addInvoiceItem(store: Store, input: InvoiceItemInput): StripeObject {
  const now = store.now();
  return store.add({
    id: newId("ii_", 24),
    object: "invoiceitem",
    amount: input.amount,
    currency: "eur",
    customer: input.customer,
    customer_account: null,
    date: now,
    description: input.description ?? null,
    discountable: !input.proration,
    discounts: [],
    invoice: input.invoice ?? null,
    livemode: false,
    metadata: input.metadata ?? {},
    net_amount: input.amount,
    parent: input.subscription
      ? { type: "subscription_details", subscription_details: { subscription: input.subscription, subscription_item: input.subscriptionItem ?? null } }
      : null,
    period: input.period ?? { start: now, end: now },
    pricing: input.price
      ? { type: "price_details", price_details: { price: input.price.id, product: input.price.product }, unit_amount_decimal: input.price.unit_amount_decimal ?? null }
      : null,
    proration: input.proration ?? false,
    quantity: input.quantity ?? 1,
    tax_rates: [],
    test_clock: null,
  });
}

const subscriptionOfItem = (item: StripeObject) =>
  (item.parent as { subscription_details?: { subscription?: string } } | null)?.subscription_details?.subscription;

/** Pending invoice items of a customer (not yet on an invoice), as invoice lines. */
export function pendingItemLines(store: Store, customerId: string, subscriptionId?: string): LineInput[] {
  return store
    .all("invoiceitem")
    .filter((item) => item.customer === customerId && item.invoice === null)
    .filter((item) => !subscriptionId || !subscriptionOfItem(item) || subscriptionOfItem(item) === subscriptionId)
    .reverse()
    .map((item) => ({
      amount: Number(item.amount),
      description: String(item.description ?? "Invoice item"),
      period: item.period as { start: number; end: number },
      quantity: Number(item.quantity ?? 1),
      invoiceItem: item.id,
      proration: Boolean(item.proration),
    }));
}
