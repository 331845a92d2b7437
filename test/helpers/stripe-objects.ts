// Stripe objects as the API returns them (the fields our SQL reads), for
// tests that hand fetched objects to db/billing/stripe.sql, and the price ids
// that `npm run stripe:sync` would have recorded.
import { randomBytes } from "node:crypto";
import type { TestDatabase } from "./db.ts";

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString("hex")}`;
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Records test Stripe prices for every plan (licensed monthly/yearly, overage) once per database. */
export async function seedStripePrices(db: TestDatabase): Promise<Record<string, string>> {
  await db.root.query(`
    insert into app_private.stripe_prices (lookup_key, plan_id, kind, billing_interval, stripe_product_id, stripe_price_id)
    select format('waitify_%s_%s', p.name, k.suffix), p.id, k.kind, k.billing_interval, 'prod_test_' || p.name,
           format('price_test_%s_%s', p.name, k.suffix)
      from app_public.subscription_plans p
     cross join (values ('licensed', 'month', 'monthly'), ('licensed', 'year', 'yearly'), ('overage', 'month', 'sms_overage'))
           as k (kind, billing_interval, suffix)
    on conflict do nothing`);
  const { rows } = await db.root.query<{ lookup_key: string; stripe_price_id: string }>(
    "select lookup_key, stripe_price_id from app_private.stripe_prices",
  );
  return Object.fromEntries(rows.map((row) => [row.lookup_key, row.stripe_price_id]));
}

/** Links a merchant to a new Stripe customer id. */
export async function linkCustomer(db: TestDatabase, userId: string): Promise<string> {
  const customer = id("cus");
  await db.root.query("select app_private.record_stripe_customer($1, $2)", [userId, customer]);
  return customer;
}

export interface SubscriptionShape {
  id?: string;
  customer: string;
  status: string;
  plan?: "basic" | "pro" | "enterprise";
  interval?: "monthly" | "yearly";
  created?: Date;
  cancelAtPeriodEnd?: boolean;
}

export function subscription(shape: SubscriptionShape): Record<string, unknown> {
  const start = new Date(Date.UTC(2026, 11, 1));
  const end = new Date(Date.UTC(2027, 0, 1));
  return {
    id: shape.id ?? id("sub"),
    object: "subscription",
    customer: shape.customer,
    status: shape.status,
    created: seconds(shape.created ?? start),
    cancel_at_period_end: shape.cancelAtPeriodEnd ?? false,
    canceled_at: shape.status === "canceled" ? seconds(end) : null,
    trial_end: null,
    items: {
      object: "list",
      data: [
        {
          id: id("si"),
          object: "subscription_item",
          price: { id: `price_test_${shape.plan ?? "basic"}_${shape.interval ?? "monthly"}`, object: "price" },
          current_period_start: seconds(start),
          current_period_end: seconds(end),
        },
      ],
    },
  };
}

export interface InvoiceShape {
  id?: string;
  customer: string;
  status: "draft" | "open" | "paid" | "uncollectible" | "void";
  attemptCount?: number;
  amountDue?: number;
  dueDate?: Date;
  number?: string;
}

export function invoice(shape: InvoiceShape): Record<string, unknown> {
  const created = new Date(Date.UTC(2026, 11, 1));
  return {
    id: shape.id ?? id("in"),
    object: "invoice",
    customer: shape.customer,
    number: shape.number ?? `WAIT-${randomBytes(3).toString("hex").toUpperCase()}`,
    status: shape.status,
    currency: "eur",
    amount_due: shape.amountDue ?? 1900,
    amount_paid: shape.status === "paid" ? (shape.amountDue ?? 1900) : 0,
    attempt_count: shape.attemptCount ?? (shape.status === "paid" ? 1 : 0),
    created: seconds(created),
    period_start: seconds(created),
    period_end: seconds(new Date(Date.UTC(2027, 0, 1))),
    due_date: shape.dueDate ? seconds(shape.dueDate) : null,
    status_transitions: { paid_at: shape.status === "paid" ? seconds(new Date()) : null },
    hosted_invoice_url: "https://invoice.stripe.test/i/1",
    invoice_pdf: "https://invoice.stripe.test/i/1/pdf",
  };
}
