// Hand-built billing histories for the overdue accounts (db/admin/overdue.sql):
// a merchant signed up a given number of months before `at`, in a given
// state, with paid invoices, unpaid ones (due some days before `at`, with
// refused attempts) and refused attempts on invoices since paid or voided —
// rows written straight into the Stripe mirrors, as the webhook would leave them.
import { randomBytes } from "node:crypto";
import type { TestDatabase } from "./db.ts";
import { createMerchant, type PlanName } from "./fixtures.ts";

export interface UnpaidInvoice {
  amountCents: number;
  /** Already paid of it (a partial payment). */
  paidCents?: number;
  /** Whole days between its due date and `at` (negative: not yet due; null: no due date). */
  dueDaysAgo: number | null;
  /** Refused attempts (a payment_failures row each). */
  attempts?: number;
  status?: "open" | "uncollectible";
}

export interface History {
  email?: string;
  plan?: PlanName;
  /** users.subscription_status. */
  status: "trial" | "active" | "past_due" | "read_only" | "suspended" | "cancelled";
  /** Whole months between sign-up and `at`. */
  tenureMonths: number;
  /** Amounts of the paid invoices, in cents. */
  paid?: number[];
  unpaid?: UnpaidInvoice[];
  /** Refused attempts on an invoice that was voided since. */
  pastFailures?: number;
  /** A yearly subscription (the usual invoice without history is then a year's price). */
  yearly?: boolean;
  /** Invoices that never count: draft, void, open but not due and never refused, open but fully paid. */
  noise?: boolean;
}

export interface BuiltHistory {
  userId: string;
  email: string;
  /** The unpaid invoices' ids, in the order given. */
  unpaidIds: string[];
}

const invoiceId = () => `in_${randomBytes(8).toString("hex")}`;

/** Writes one account's history as of `at` (an ISO timestamp). */
export async function buildHistory(db: TestDatabase, at: string, history: History): Promise<BuiltHistory> {
  const merchant = await createMerchant(db, {
    email: history.email ?? `overdue-${randomBytes(5).toString("hex")}@example.test`,
    plan: history.plan ?? "basic",
  });
  const userId = merchant.userId;
  await db.root.query(
    `update app_public.users
        set created_at = $2::timestamptz - make_interval(months => $3, days => 1), subscription_status = $4
      where id = $1`,
    [userId, at, history.tenureMonths, history.status],
  );
  if (history.yearly) {
    await db.root.query(
      `insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval, stripe_created)
       select $1::uuid, 'sub_' || md5($1::text), 'active', u.subscription_plan_id, 'year', $2::timestamptz - interval '400 days'
         from app_public.users u where u.id = $1::uuid`,
      [userId, at],
    );
  }
  const insert = async (
    status: string,
    amountDue: number,
    amountPaid: number,
    attempts: number,
    dueDaysAgo: number | null,
  ): Promise<string> => {
    const id = invoiceId();
    await db.root.query(
      `insert into app_private.invoices (stripe_invoice_id, user_id, number, status, amount_due_cents, amount_paid_cents,
         attempt_count, due_date, paid_at, hosted_invoice_url, stripe_created)
       values ($1, $2, upper(substr($1, 4, 8)), $3, $4, $5, $6,
         case when $7::integer is null then null else $8::timestamptz - make_interval(days => $7::integer, hours => 1) end,
         case when $3 = 'paid' then $8::timestamptz - interval '40 days' end,
         'https://invoice.stripe.test/' || $1, $8::timestamptz - interval '500 days')`,
      [id, userId, status, amountDue, amountPaid, attempts, dueDaysAgo, at],
    );
    if (attempts > 0) {
      await db.root.query(
        `insert into app_private.payment_failures (stripe_invoice_id, attempt, user_id, failed_at)
         select $1, n, $2, $3::timestamptz - make_interval(days => n) from generate_series(1, $4::integer) n`,
        [id, userId, at, attempts],
      );
    }
    return id;
  };
  for (const amount of history.paid ?? []) await insert("paid", amount, amount, 0, 60);
  if (history.pastFailures) await insert("void", 1900, 0, history.pastFailures, 90);
  if (history.noise) {
    await insert("draft", 1900, 0, 0, 20);
    await insert("void", 1900, 0, 0, 20);
    await insert("open", 1900, 0, 0, -2);
    await insert("open", 1900, 1900, 0, 20);
    await insert("paid", 0, 0, 0, 20);
  }
  const unpaidIds: string[] = [];
  for (const unpaid of history.unpaid ?? []) {
    unpaidIds.push(
      await insert(unpaid.status ?? "open", unpaid.amountCents, unpaid.paidCents ?? 0, unpaid.attempts ?? 0, unpaid.dueDaysAgo),
    );
  }
  return { userId, email: merchant.email, unpaidIds };
}
