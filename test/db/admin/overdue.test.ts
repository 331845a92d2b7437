// db/admin/overdue.sql: which invoices are overdue, the risk score's rule
// (each rule's points, the clamp to 0..100), the list's order on hand-built
// histories whose scores are worked out by hand from the rule, and who may read it.
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asRole, codeOf, useTestDatabase } from "../../helpers/db.ts";
import { createAdmin, type TestAdmin } from "../../helpers/fixtures.ts";
import { buildHistory, type BuiltHistory } from "../../helpers/overdue.ts";

const db = useTestDatabase();
const AT = "2026-06-15T12:00:00Z";

interface Row {
  user_id: string;
  email: string;
  plan_name: string;
  subscription_status: string;
  unpaid_invoices: number;
  amount_due_cents: string;
  currency: string | null;
  days_overdue: number;
  failed_attempts: number;
  paid_invoices: number;
  paid_amount_cents: string;
  failed_payments_ever: number;
  usual_invoice_cents: number | null;
  tenure_months: number;
  last_reminder_at: Date | null;
  last_reminder_kind: string | null;
  days_points: number;
  amount_points: number;
  attempt_points: number;
  history_points: number;
  past_failure_points: number;
  tenure_points: number;
  status_points: number;
  risk_score: number;
}

/** The list at AT, only the given accounts, in the list's order. */
async function listed(...accounts: BuiltHistory[]): Promise<Row[]> {
  const { rows } = await db().root.query<Row>("select * from app_private.overdue_accounts($1) o where o.user_id = any($2)", [
    AT,
    accounts.map((account) => account.userId),
  ]);
  return rows;
}

interface Inputs {
  days?: number;
  owed?: number;
  usual?: number | null;
  attempts?: number;
  paid?: number;
  pastFailures?: number;
  tenure?: number;
  status?: string;
}

type Points = Pick<
  Row,
  | "days_points"
  | "amount_points"
  | "attempt_points"
  | "history_points"
  | "past_failure_points"
  | "tenure_points"
  | "status_points"
  | "risk_score"
>;

/** The rule alone; the defaults give 0 points everywhere but the amount (10: one usual invoice owed). */
async function risk(inputs: Inputs): Promise<Points> {
  const { rows } = await db().root.query<Points>("select * from app_private.overdue_risk($1, $2, $3, $4, $5, $6, $7, $8)", [
    inputs.days ?? 0,
    inputs.owed ?? 1900,
    inputs.usual === undefined ? 1900 : inputs.usual,
    inputs.attempts ?? 0,
    inputs.paid ?? 5,
    inputs.pastFailures ?? 0,
    inputs.tenure ?? 24,
    inputs.status ?? "active",
  ]);
  return rows[0]!;
}

const parts = (row: Points) =>
  row.days_points +
  row.amount_points +
  row.attempt_points +
  row.history_points +
  row.past_failure_points +
  row.tenure_points +
  row.status_points;

describe("the risk score's rule, one rule at a time", () => {
  it("the baseline scores only the amount", async () => {
    expect(await risk({})).toEqual({
      days_points: 0,
      amount_points: 10,
      attempt_points: 0,
      history_points: 0,
      past_failure_points: 0,
      tenure_points: 0,
      status_points: 0,
      risk_score: 10,
    });
  });

  it("days overdue: a point per two whole days, at most 30", async () => {
    const points = [];
    for (const days of [0, 1, 2, 3, 59, 60, 61, 400]) points.push((await risk({ days })).days_points);
    expect(points).toEqual([0, 0, 1, 1, 29, 30, 30, 30]);
  });

  it("amount: 10 per usual invoice owed, rounded down, at most 20; 10 when no usual invoice is known", async () => {
    const points = [];
    for (const owed of [0, 189, 190, 950, 1900, 2849, 3800, 19_000]) points.push((await risk({ owed })).amount_points);
    expect(points).toEqual([0, 0, 1, 5, 10, 14, 20, 20]);
    expect((await risk({ owed: 50_000, usual: null })).amount_points).toBe(10);
    expect((await risk({ owed: 50_000, usual: 0 })).amount_points).toBe(10);
  });

  it("failed attempts on the unpaid invoices: 8 each, at most 24", async () => {
    const points = [];
    for (const attempts of [0, 1, 2, 3, 4, 9]) points.push((await risk({ attempts })).attempt_points);
    expect(points).toEqual([0, 8, 16, 24, 24, 24]);
  });

  it("payment history: 15 − 3 per paid invoice, from 15 down to −15", async () => {
    const points = [];
    for (const paid of [0, 1, 4, 5, 6, 10, 11, 50]) points.push((await risk({ paid })).history_points);
    expect(points).toEqual([15, 12, 3, 0, -3, -15, -15, -15]);
  });

  it("past failures: 3 per refused attempt on invoices no longer owed, at most 9", async () => {
    const points = [];
    for (const pastFailures of [0, 1, 3, 4]) points.push((await risk({ pastFailures })).past_failure_points);
    expect(points).toEqual([0, 3, 9, 9]);
  });

  it("tenure: 10 under 3 months, 5 under 12, then 0", async () => {
    const points = [];
    for (const tenure of [0, 2, 3, 11, 12, 60]) points.push((await risk({ tenure })).tenure_points);
    expect(points).toEqual([10, 10, 5, 5, 0, 0]);
  });

  it("status: past_due 5, read_only 10, suspended and cancelled 15, otherwise 0", async () => {
    const points: Record<string, number> = {};
    for (const status of ["trial", "active", "past_due", "read_only", "suspended", "cancelled"]) {
      points[status] = (await risk({ status })).status_points;
    }
    expect(points).toEqual({ trial: 0, active: 0, past_due: 5, read_only: 10, suspended: 15, cancelled: 15 });
  });

  it("the total is the points summed, clamped to 0..100", async () => {
    const worst = await risk({ days: 90, owed: 9000, attempts: 5, paid: 0, pastFailures: 5, tenure: 1, status: "suspended" });
    expect(parts(worst)).toBe(30 + 20 + 24 + 15 + 9 + 10 + 15);
    expect(worst.risk_score).toBe(100);
    const best = await risk({ days: 1, owed: 950, paid: 30, tenure: 36, status: "active" });
    expect(parts(best)).toBe(5 - 15);
    expect(best.risk_score).toBe(0);
    const middle = await risk({ days: 20, attempts: 1, paid: 2, tenure: 6, status: "past_due" });
    expect(middle.risk_score).toBe(parts(middle));
    expect(middle.risk_score).toBe(10 + 10 + 8 + 9 + 0 + 5 + 5);
  });
});

describe("the overdue accounts, ranked", () => {
  let longOverdue: BuiltHistory;
  let threeFailures: BuiltHistory;
  let middle: BuiltHistory;
  let loyal: BuiltHistory;

  beforeAll(async () => {
    // 45 and 15 days overdue on a pro plan (49 €) never paid: 22 + 20 + 0 + 15 + 0 + 10 + 15 = 82.
    longOverdue = await buildHistory(db(), AT, {
      plan: "pro",
      status: "suspended",
      tenureMonths: 2,
      unpaid: [
        { amountCents: 4900, dueDaysAgo: 45 },
        { amountCents: 4900, dueDaysAgo: 15 },
      ],
    });
    // Due 3 days ago, refused 3 times, 4 invoices of 19 € paid: 1 + 10 + 24 + 3 + 0 + 5 + 15 = 58.
    threeFailures = await buildHistory(db(), AT, {
      status: "suspended",
      tenureMonths: 8,
      paid: [1900, 1900, 1900, 1900],
      unpaid: [{ amountCents: 1900, dueDaysAgo: 3, attempts: 3 }],
    });
    // 10 days, refused once, 2 paid, one refusal on a voided invoice: 5 + 10 + 8 + 9 + 3 + 0 + 5 = 40.
    middle = await buildHistory(db(), AT, {
      status: "past_due",
      tenureMonths: 14,
      paid: [1900, 1900],
      pastFailures: 1,
      unpaid: [{ amountCents: 1900, dueDaysAgo: 10, attempts: 1 }],
    });
    // A day overdue, half a usual invoice, 20 paid over two years: 0 + 5 + 0 − 15 + 0 + 0 + 5 = −5 → 0.
    loyal = await buildHistory(db(), AT, {
      plan: "pro",
      status: "past_due",
      tenureMonths: 24,
      paid: Array.from({ length: 20 }, () => 4900),
      unpaid: [{ amountCents: 2450, dueDaysAgo: 1 }],
    });
  });

  it("sorts by score: long overdue with no history > three failures > one failure > a day late with a long record", async () => {
    const rows = await listed(loyal, middle, threeFailures, longOverdue);
    expect(rows.map((row) => [row.user_id, row.risk_score])).toEqual([
      [longOverdue.userId, 82],
      [threeFailures.userId, 58],
      [middle.userId, 40],
      [loyal.userId, 0],
    ]);
  });

  it("each account's figures and each rule's points", async () => {
    const [first, second, third, fourth] = await listed(longOverdue, threeFailures, middle, loyal);
    expect(first).toMatchObject({
      email: longOverdue.email,
      plan_name: "pro",
      subscription_status: "suspended",
      unpaid_invoices: 2,
      amount_due_cents: "9800",
      currency: "eur",
      days_overdue: 45,
      failed_attempts: 0,
      paid_invoices: 0,
      paid_amount_cents: "0",
      failed_payments_ever: 0,
      usual_invoice_cents: 4900,
      tenure_months: 2,
      days_points: 22,
      amount_points: 20,
      attempt_points: 0,
      history_points: 15,
      past_failure_points: 0,
      tenure_points: 10,
      status_points: 15,
    });
    expect(second).toMatchObject({
      unpaid_invoices: 1,
      amount_due_cents: "1900",
      days_overdue: 3,
      failed_attempts: 3,
      paid_invoices: 4,
      paid_amount_cents: "7600",
      failed_payments_ever: 3,
      usual_invoice_cents: 1900,
      tenure_months: 8,
      days_points: 1,
      amount_points: 10,
      attempt_points: 24,
      history_points: 3,
      past_failure_points: 0,
      tenure_points: 5,
      status_points: 15,
    });
    expect(third).toMatchObject({
      days_overdue: 10,
      failed_attempts: 1,
      paid_invoices: 2,
      failed_payments_ever: 2,
      tenure_months: 14,
      days_points: 5,
      attempt_points: 8,
      history_points: 9,
      past_failure_points: 3,
      tenure_points: 0,
      status_points: 5,
    });
    expect(fourth).toMatchObject({
      amount_due_cents: "2450",
      days_overdue: 1,
      paid_invoices: 20,
      paid_amount_cents: String(20 * 4900),
      usual_invoice_cents: 4900,
      tenure_months: 24,
      days_points: 0,
      amount_points: 5,
      history_points: -15,
      status_points: 5,
      risk_score: 0,
    });
    for (const row of [first!, second!, third!]) expect(row.risk_score).toBe(parts(row));
    expect(parts(fourth!)).toBe(-5);
  });

  it("one more paid invoice moves only the history's points, by 3", async () => {
    const before = (await listed(middle))[0]!;
    await db().root.query(
      `insert into app_private.invoices (stripe_invoice_id, user_id, status, amount_due_cents, amount_paid_cents, stripe_created)
       values ('in_one_more_paid', $1, 'paid', 1900, 1900, $2)`,
      [middle.userId, AT],
    );
    const after = (await listed(middle))[0]!;
    expect(after.paid_invoices).toBe(before.paid_invoices + 1);
    expect(after.history_points).toBe(before.history_points - 3);
    expect(after.risk_score).toBe(before.risk_score - 3);
    expect({ ...after, history_points: 0, risk_score: 0, paid_invoices: 0, paid_amount_cents: "" }).toEqual({
      ...before,
      history_points: 0,
      risk_score: 0,
      paid_invoices: 0,
      paid_amount_cents: "",
    });
  });

  it("clamps at 100: everything at its worst", async () => {
    const worst = await buildHistory(db(), AT, {
      status: "suspended",
      tenureMonths: 1,
      pastFailures: 4,
      unpaid: [
        { amountCents: 1900, dueDaysAgo: 70, attempts: 2 },
        { amountCents: 1900, dueDaysAgo: 40, attempts: 2, status: "uncollectible" },
        { amountCents: 1900, dueDaysAgo: 10 },
      ],
    });
    const [row] = await listed(worst);
    expect(row).toMatchObject({ unpaid_invoices: 3, failed_attempts: 4, failed_payments_ever: 8, days_overdue: 70 });
    expect(parts(row!)).toBe(30 + 20 + 24 + 15 + 9 + 10 + 15);
    expect(row!.risk_score).toBe(100);
  });

  it("ties: more owed first, then longer overdue, then the email", async () => {
    const shape = { status: "read_only" as const, tenureMonths: 6, paid: [1900] };
    // Both owe at least two usual invoices (20 points): the same score.
    const owesMore = await buildHistory(db(), AT, { ...shape, unpaid: [{ amountCents: 7600, dueDaysAgo: 20 }] });
    const owesLess = await buildHistory(db(), AT, { ...shape, unpaid: [{ amountCents: 5700, dueDaysAgo: 21 }] });
    const longer = await buildHistory(db(), AT, {
      ...shape,
      unpaid: [{ amountCents: 5700, dueDaysAgo: 21 }],
      email: `b-${Date.now()}@example.test`,
    });
    const sameB = await buildHistory(db(), AT, {
      ...shape,
      unpaid: [{ amountCents: 5700, dueDaysAgo: 20 }],
      email: `b-z-${Date.now()}@example.test`,
    });
    const sameA = await buildHistory(db(), AT, {
      ...shape,
      unpaid: [{ amountCents: 5700, dueDaysAgo: 20 }],
      email: `a-z-${Date.now()}@example.test`,
    });
    const rows = await listed(sameB, sameA, longer, owesLess, owesMore);
    expect(new Set(rows.map((row) => row.risk_score)).size).toBe(1);
    expect(rows[0]!.user_id).toBe(owesMore.userId);
    // owesLess and longer tie on amount and days: the email decides between them.
    const middlePair = [owesLess, longer].sort((a, b) => (a.email < b.email ? -1 : 1)).map((account) => account.userId);
    expect(rows.slice(1, 3).map((row) => row.user_id)).toEqual(middlePair);
    expect(rows.slice(3).map((row) => row.user_id)).toEqual([sameA.userId, sameB.userId]);
  });
});

describe("what counts as overdue", () => {
  it("draft, void, paid, fully paid and not-yet-due invoices never do; uncollectible, partly paid and refused-before-due ones do", async () => {
    const clean = await buildHistory(db(), AT, { status: "active", tenureMonths: 5, paid: [1900], noise: true });
    const refusedEarly = await buildHistory(db(), AT, {
      status: "past_due",
      tenureMonths: 5,
      noise: true,
      unpaid: [{ amountCents: 1900, dueDaysAgo: -3, attempts: 1 }],
    });
    const partly = await buildHistory(db(), AT, {
      status: "past_due",
      tenureMonths: 5,
      unpaid: [
        { amountCents: 1900, paidCents: 1000, dueDaysAgo: 4, status: "uncollectible" },
        { amountCents: 1900, dueDaysAgo: null, attempts: 2 },
      ],
    });
    const rows = await listed(clean, refusedEarly, partly);
    expect(rows.map((row) => row.user_id).sort()).toEqual([refusedEarly.userId, partly.userId].sort());
    const early = rows.find((row) => row.user_id === refusedEarly.userId)!;
    expect(early).toMatchObject({
      unpaid_invoices: 1,
      amount_due_cents: "1900",
      days_overdue: 0,
      failed_attempts: 1,
      paid_invoices: 0,
    });
    const part = rows.find((row) => row.user_id === partly.userId)!;
    expect(part).toMatchObject({ unpaid_invoices: 2, amount_due_cents: String(900 + 1900), days_overdue: 4, failed_attempts: 2 });
  });

  it("without a paid invoice, the usual invoice is the plan's price for its interval (a year: yearly_price_months months)", async () => {
    const yearly = await buildHistory(db(), AT, {
      plan: "pro",
      yearly: true,
      status: "past_due",
      tenureMonths: 13,
      unpaid: [{ amountCents: 49_000, dueDaysAgo: 2 }],
    });
    const months = Number(
      (await db().root.query("select value from app_public.system_configs where key = 'yearly_price_months'")).rows[0].value,
    );
    const [row] = await listed(yearly);
    expect(row).toMatchObject({ usual_invoice_cents: 4900 * months, amount_points: Math.floor((10 * 49_000) / (4900 * months)) });
  });

  it("the last reminder is the newest of the account's billing reminders, of any kind", async () => {
    const reminded = await buildHistory(db(), AT, {
      status: "past_due",
      tenureMonths: 5,
      unpaid: [{ amountCents: 1900, dueDaysAgo: 8 }],
    });
    expect((await listed(reminded))[0]).toMatchObject({ last_reminder_at: null, last_reminder_kind: null });
    await db().root.query(
      `insert into app_private.billing_reminders (user_id, kind, reference, sent_at) values
         ($1, 'unpaid_1d', 'in_x', $2::timestamptz - interval '7 days'),
         ($1, 'unpaid_7d', 'in_x', $2::timestamptz - interval '1 hour'),
         ($1, 'manual', '2026-06-10', $2::timestamptz - interval '5 days')`,
      [reminded.userId, AT],
    );
    const [row] = await listed(reminded);
    expect(row!.last_reminder_kind).toBe("unpaid_7d");
    expect(row!.last_reminder_at!.toISOString()).toBe("2026-06-15T11:00:00.000Z");
  });
});

describe("who reads the list", () => {
  it("merchants and customers may not call it; the admin role without an administrator's token is refused", async () => {
    const merchant = await buildHistory(db(), AT, { status: "active", tenureMonths: 1 });
    const call = (client: { query: (sql: string) => Promise<unknown> }) =>
      codeOf(client.query("select * from app_public.admin_overdue_accounts()"));
    expect(await asRole(db(), "waitify_merchant", call, { userId: merchant.userId })).toBe("42501");
    expect(await asRole(db(), "waitify_anonymous", call)).toBe("42501");
    expect(await asRole(db(), "waitify_admin", call)).toBe("WTFRB");
    const remind = (client: { query: (sql: string, values: unknown[]) => Promise<unknown> }) =>
      codeOf(client.query("select app_public.admin_send_payment_reminder($1)", [merchant.userId]));
    expect(await asRole(db(), "waitify_merchant", remind, { userId: merchant.userId })).toBe("42501");
    expect(await asRole(db(), "waitify_admin", remind)).toBe("WTFRB");
  });
});

describe("send a reminder now", () => {
  let admin: TestAdmin;
  beforeAll(async () => {
    admin = await createAdmin(db());
  });

  /** The admin's call, committed, as a request would be. */
  const remind = (userId: string, reason?: string) =>
    asAdmin(
      db(),
      async (client) =>
        (await client.query<Row>("select * from app_public.admin_send_payment_reminder($1, $2)", [userId, reason ?? null]))
          .rows[0]!,
      { adminId: admin.adminId, commit: true },
    );

  const emails = async (userId: string) =>
    (
      await db().root.query<{ template: string; subject: string; body: string; dedupe_key: string; to_address: string }>(
        "select template, subject, body, dedupe_key, to_address from app_private.email_logs where user_id = $1 order by created_at, template",
        [userId],
      )
    ).rows;

  it("emails the ladder's reminder for the oldest overdue invoice, once, recorded as manual, in the feed and the audit log", async () => {
    const now = new Date().toISOString();
    const account = await buildHistory(db(), now, {
      status: "past_due",
      tenureMonths: 5,
      paid: [1900],
      unpaid: [
        { amountCents: 1900, dueDaysAgo: 2 },
        { amountCents: 2500, dueDaysAgo: 9 },
      ],
    });
    const row = await remind(account.userId, "phoned twice, no answer");
    expect(row).toMatchObject({ user_id: account.userId, last_reminder_kind: "manual", unpaid_invoices: 2 });

    const sent = await emails(account.userId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      template: "invoice_unpaid_7d",
      subject: "Deuxième rappel : facture Waitify impayée",
      to_address: account.email,
    });
    expect(sent[0]!.body).toContain("25,00");
    expect(sent[0]!.body).toContain(`https://invoice.stripe.test/${account.unpaidIds[1]}`);
    expect(sent[0]!.dedupe_key).toMatch(/^billing:manual:\d{4}-\d{2}-\d{2}:/);

    const reminders = await db().root.query("select kind, reference from app_private.billing_reminders where user_id = $1", [
      account.userId,
    ]);
    expect(reminders.rows).toEqual([{ kind: "manual", reference: new Date().toISOString().slice(0, 10) }]);

    const feed = await db().root.query(
      "select event_type, actor, detail from app_public.account_events where user_id = $1 and event_type = 'reminder_sent'",
      [account.userId],
    );
    expect(feed.rows).toHaveLength(1);
    expect(feed.rows[0]).toMatchObject({
      actor: "admin",
      detail: { kind: "manual", template: "invoice_unpaid_7d", amountDueCents: 2500 },
    });
    expect(JSON.stringify(feed.rows[0].detail)).not.toContain("phoned");

    const audit = await db().root.query(
      "select admin_id, action, target_type, target_id, reason, before, after from app_public.admin_audit_log where target_id = $1",
      [account.userId],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({
      admin_id: admin.adminId,
      action: "send_payment_reminder",
      target_type: "account",
      reason: "phoned twice, no answer",
      before: { lastReminderAt: null, lastReminderKind: null },
      after: {
        lastReminderKind: "manual",
        template: "invoice_unpaid_7d",
        stripeInvoiceId: account.unpaidIds[1],
        amountDueCents: 2500,
      },
    });
  });

  it("a second one the same day is refused and sends nothing; the scheduled ladder still sends its own", async () => {
    const now = new Date().toISOString();
    const account = await buildHistory(db(), now, {
      status: "past_due",
      tenureMonths: 5,
      unpaid: [{ amountCents: 1900, dueDaysAgo: 8 }],
    });
    await remind(account.userId);
    expect(await codeOf(remind(account.userId))).toBe("WTRMD");
    expect((await emails(account.userId)).map((email) => email.template)).toEqual(["invoice_unpaid_7d"]);

    await db().root.query("select app_private.run_billing_day(now())");
    const kinds = await db().root.query("select kind from app_private.billing_reminders where user_id = $1 order by kind", [
      account.userId,
    ]);
    expect(kinds.rows.map((row) => row.kind)).toEqual(["manual", "unpaid_1d", "unpaid_7d"]);
    expect((await emails(account.userId)).map((email) => email.template).sort()).toEqual([
      "invoice_unpaid_1d",
      "invoice_unpaid_7d",
      "invoice_unpaid_7d",
    ]);
  });

  it("the email follows the account's state: suspended, a few days late, refused before its due date, read-only", async () => {
    const now = new Date().toISOString();
    const cases = [
      {
        history: { status: "suspended" as const, unpaid: [{ amountCents: 1900, dueDaysAgo: 35 }] },
        template: "account_suspended",
      },
      { history: { status: "past_due" as const, unpaid: [{ amountCents: 1900, dueDaysAgo: 3 }] }, template: "invoice_unpaid_1d" },
      {
        history: { status: "past_due" as const, unpaid: [{ amountCents: 1900, dueDaysAgo: -2, attempts: 1 }] },
        template: "payment_failed",
      },
      {
        history: { status: "read_only" as const, unpaid: [{ amountCents: 1900, dueDaysAgo: -2, attempts: 2 }] },
        template: "payment_failed_read_only",
      },
    ];
    for (const { history, template } of cases) {
      const account = await buildHistory(db(), now, { ...history, tenureMonths: 5 });
      await remind(account.userId);
      expect((await emails(account.userId)).map((email) => email.template)).toEqual([template]);
    }
  });

  it("an account with nothing overdue, or no account, is refused, and nothing is recorded", async () => {
    const now = new Date().toISOString();
    const paidUp = await buildHistory(db(), now, { status: "active", tenureMonths: 5, paid: [1900], noise: true });
    expect(await codeOf(remind(paidUp.userId))).toBe("WTNOD");
    expect(await codeOf(remind("00000000-0000-4000-8000-000000000000"))).toBe("WTNFD");
    expect(await emails(paidUp.userId)).toEqual([]);
    const audit = await db().root.query("select count(*)::int as n from app_public.admin_audit_log where target_id = $1", [
      paidUp.userId,
    ]);
    expect(audit.rows[0].n).toBe(0);
  });

  it("an administrator reads the list through the API function; a disabled one may not", async () => {
    const now = new Date().toISOString();
    const account = await buildHistory(db(), now, {
      status: "past_due",
      tenureMonths: 5,
      unpaid: [{ amountCents: 1900, dueDaysAgo: 4 }],
    });
    const read = (adminId: string) =>
      asAdmin(db(), async (client) => (await client.query<Row>("select * from app_public.admin_overdue_accounts()")).rows, {
        adminId,
      });
    const rows = await read(admin.adminId);
    expect(rows.find((row) => row.user_id === account.userId)).toMatchObject({ days_overdue: 4, amount_due_cents: "1900" });
    const scores = rows.map((row) => row.risk_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const disabled = await createAdmin(db());
    await db().root.query("update app_private.admins set disabled_at = now() where id = $1", [disabled.adminId]);
    expect(await codeOf(read(disabled.adminId))).toBe("WTFRB");
  });
});
