// Hand-built billing rows for the invoice documents' tests (statement PDF,
// CSV of payments): a statement with known figures and Stripe invoices as
// app_private.invoices mirrors them, written as the superuser.
import { randomBytes } from "node:crypto";
import type { TestDatabase } from "./db.ts";

export interface StatementShape {
  userId: string;
  /** First day of the month billed (default 2026-11-01). */
  periodStart?: string;
  plan?: "basic" | "pro" | "enterprise";
  planPriceCents?: number;
  smsIncluded?: number;
  smsUsed?: number;
  /** Cents per SMS part beyond the quota (default 3). */
  unitCents?: number;
  status?: string;
  createdAt?: string;
}

/** A statement row as compute_statement would write it; its id and number. */
export async function insertStatement(db: TestDatabase, shape: StatementShape): Promise<{ id: string; number: string }> {
  const included = shape.smsIncluded ?? 1000;
  const used = shape.smsUsed ?? 0;
  const overage = Math.max(used - included, 0);
  const overageCost = overage * (shape.unitCents ?? 3);
  const price = shape.planPriceCents ?? 1900;
  const { rows } = await db.root.query<{ id: string; number: string }>(
    `insert into app_public.billing_statements (user_id, period_start, plan_id, plan_price_cents, active_businesses,
       sms_included, sms_used, sms_overage, overage_cost_cents, total_cents, status, due_date, created_at)
     values ($1, $2, (select id from app_public.subscription_plans where name = $3), $4, 1, $5, $6, $7, $8, $9, $10,
       ($2::date + interval '1 month')::date, coalesce($11::timestamptz, now()))
     returning id, number`,
    [shape.userId, shape.periodStart ?? "2026-11-01", shape.plan ?? "basic", price, included, used, overage, overageCost,
      price + overageCost, shape.status ?? "pending", shape.createdAt ?? null],
  );
  return rows[0]!;
}

export interface InvoiceRow {
  userId: string;
  number?: string | null;
  status?: "draft" | "open" | "paid" | "uncollectible" | "void";
  amountDueCents?: number;
  amountPaidCents?: number;
  attempts?: number;
  createdAt?: string;
  periodStart?: string | null;
  periodEnd?: string | null;
  dueDate?: string | null;
  paidAt?: string | null;
  hostedUrl?: string | null;
  pdfUrl?: string | null;
}

/** An invoice as app_private.invoices mirrors it; its Stripe id. */
export async function insertInvoice(db: TestDatabase, row: InvoiceRow): Promise<string> {
  const id = `in_${randomBytes(8).toString("hex")}`;
  await db.root.query(
    `insert into app_private.invoices (stripe_invoice_id, user_id, number, status, currency, amount_due_cents, amount_paid_cents,
       attempt_count, period_start, period_end, due_date, paid_at, hosted_invoice_url, invoice_pdf_url, stripe_created)
     values ($1, $2, $3, $4, 'eur', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [id, row.userId, row.number === undefined ? `INV-${randomBytes(3).toString("hex").toUpperCase()}` : row.number,
      row.status ?? "paid", row.amountDueCents ?? 3180, row.amountPaidCents ?? (row.status === "paid" || !row.status ? 3180 : 0),
      row.attempts ?? 1, row.periodStart ?? null, row.periodEnd ?? null, row.dueDate ?? null, row.paidAt ?? null,
      row.hostedUrl === undefined ? `https://invoice.stripe.test/i/${id}` : row.hostedUrl,
      row.pdfUrl === undefined ? `https://pay.stripe.test/invoice/${id}/pdf` : row.pdfUrl,
      row.createdAt ?? "2026-12-01T01:00:00Z"],
  );
  return id;
}

/** Links a statement to a mirrored Stripe invoice. */
export async function linkStatementInvoice(db: TestDatabase, statementId: string, stripeInvoiceId: string): Promise<void> {
  await db.root.query("insert into app_private.statement_invoices (statement_id, stripe_invoice_id) values ($1, $2)", [
    statementId,
    stripeInvoiceId,
  ]);
}
