// The back office's demo (npm run db:seed → app_private.seed_demo_saas_history):
// an administrator reads the figures the seed's history was written to give,
// worked out by hand in db/admin/seed.sql's header; a second run writes nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, useTestDatabase } from "../../helpers/db.ts";
import { createAdmin, type TestAdmin } from "../../helpers/fixtures.ts";

const db = useTestDatabase();
let admin: TestAdmin;

/** The first day of the month `back` months before the current one (UTC), as YYYY-MM-DD. */
function monthsBack(back: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1))
    .toISOString()
    .slice(0, 10);
}

async function asTheAdmin<T extends Record<string, unknown>>(
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  return asAdmin(
    db(),
    async (client) => (await client.query<T>(sql, values)).rows,
    { adminId: admin.adminId },
  );
}

beforeAll(async () => {
  const { rows } = await db().root.query<{ accounts: number }>(
    "select app_private.seed_demo_saas_history() as accounts",
  );
  expect(rows[0]!.accounts).toBe(8);
  admin = await createAdmin(db());
});

describe("the back office's demo history", () => {
  it("gives last month's MRR, ARR, ARPU, churn and LTV worked out by hand", async () => {
    const [metrics] = await asTheAdmin(
      "select * from app_public.admin_saas_metrics($1::date)",
      [monthsBack(1)],
    );
    expect(metrics).toMatchObject({
      month: expect.anything(),
      mrr_cents: "22083",
      arr_cents: String(22083 * 12),
      paying_accounts: 6,
      arpu_cents: 3681, // 22083 / 6 = 3680.5, rounded
      start_mrr_cents: "25083",
      new_mrr_cents: "0",
      reactivation_mrr_cents: "1900",
      expansion_mrr_cents: "5000",
      contraction_mrr_cents: "5000",
      churned_mrr_cents: "4900",
      start_paying_accounts: 6,
      churned_accounts: 1,
      logo_churn_pct: 16.67,
      revenue_churn_pct: 39.47, // (4900 + 5000) / 25083
      gross_margin_pct: 80,
    });
    // LTV's churn: the 12 months to M-1 lost 9900 (M-1) + 1900 (G, M-2) of
    // 25083 + 25400 + 13600 + 8700 MRR at their starts (earlier months: none).
    const churn = (9900 + 1900) / (25083 + 25400 + 13600 + 8700);
    expect(metrics!.ltv_revenue_churn_pct).toBeCloseTo(100 * churn, 2);
    expect(Number(metrics!.ltv_cents)).toBe(
      Math.round(((22083 / 6) * 0.8) / churn),
    );
  });

  it("gives the 12-month series and each month's movements", async () => {
    const series = await asTheAdmin<{ mrr_cents: string }>(
      "select * from app_public.admin_mrr_series(6)",
    );
    // M-5 … M (the current month: now, after the seed's last change).
    expect(series.map((month) => Number(month.mrr_cents))).toEqual([
      8700, 13600, 25400, 25083, 22083, 22083,
    ]);
    const movements = await asTheAdmin<{
      new_mrr_cents: string;
      churned_mrr_cents: string;
    }>("select * from app_public.admin_mrr_movements($1::date, $2::date)", [
      monthsBack(5),
      monthsBack(2),
    ]);
    expect(
      movements.map((month) => [
        Number(month.new_mrr_cents),
        Number(month.churned_mrr_cents),
      ]),
    ).toEqual([
      [8700, 0], // M-5: A, B, G
      [4900, 0], // M-4: C
      [11800, 0], // M-3: D, H
      [1583, 1900], // M-2: E's yearly basic (1900 × 10 / 12), G cancelled
    ]);
  });

  it("gives the trial cohorts: E paid after 10 days, F never did", async () => {
    const cohorts = await asTheAdmin<{
      cohort_month: Date;
      accounts: number;
      converted: number;
      median_days_to_paid: number | null;
    }>("select * from app_public.admin_trial_conversion($1::date, $2::date)", [
      monthsBack(2),
      monthsBack(1),
    ]);
    expect(
      cohorts.map(({ accounts, converted, median_days_to_paid }) => ({
        accounts,
        converted,
        median_days_to_paid,
      })),
    ).toEqual([
      { accounts: 1, converted: 1, median_days_to_paid: 10 }, // E: created d2, paid d12 (whole days)
      { accounts: 1, converted: 0, median_days_to_paid: null }, // F
    ]);
  });

  it("ranks H, the only account with an unpaid invoice, in the overdue list", async () => {
    const overdue = await asTheAdmin<{
      email: string;
      failed_attempts: number;
    }>("select * from app_public.admin_overdue_accounts()");
    expect(overdue.map((row) => row.email)).toEqual(["saas-h@waitify.test"]);
  });

  it("writes nothing the second time", async () => {
    const { rows } = await db().root.query<{ accounts: number }>(
      "select app_private.seed_demo_saas_history() as accounts",
    );
    expect(rows[0]!.accounts).toBe(0);
    const count = await db().root.query<{ n: number }>(
      "select count(*)::int as n from app_public.users where email like 'saas-_@waitify.test'",
    );
    expect(count.rows[0]!.n).toBe(8);
  });
});
