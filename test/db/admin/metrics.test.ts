// db/admin/metrics-history.sql and metrics.sql: the subscription history the
// trigger writes (MRR through app_private.account_mrr_cents), its backfill,
// and the SaaS metrics on a hand-built history whose answers are worked out
// below by hand. Each test builds its accounts in one transaction, reads the
// metrics as an admin in it, and rolls everything back.
import { readFileSync } from "node:fs";
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asRoot, failure, useTestDatabase } from "../../helpers/db.ts";
import { seedStripePrices, subscription, type SubscriptionShape } from "../../helpers/stripe-objects.ts";

const db = useTestDatabase();
beforeAll(async () => {
  await seedStripePrices(db());
});

type Plan = "basic" | "pro" | "enterprise";
type State = { plan: Plan; interval?: "month" | "year"; status: string };

async function account(client: pg.PoolClient, email: string, createdAt: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into app_public.users (email, subscription_plan_id, created_at)
     values ($1, (select id from app_public.subscription_plans where name = 'basic'), $2) returning id`,
    [email, createdAt],
  );
  return rows[0].id;
}

/**
 * The account's Stripe subscription becomes `state`, as the mirror writes it
 * (app_private.subscriptions), and the history row the trigger appends is
 * dated `at` (the trigger stamps the real time; the history is hand-built).
 */
async function change(client: pg.PoolClient, userId: string, at: string, state: State): Promise<number> {
  const before = await client.query<{ id: string }>("select max(id) as id from app_private.subscription_changes");
  await client.query(
    `insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval, stripe_created)
     values ($1::uuid, 'sub_' || md5($1::uuid::text || $2::text), $2::text, (select id from app_public.subscription_plans where name = $3), $4, $5)
     on conflict (user_id) do update set stripe_status = excluded.stripe_status, plan_id = excluded.plan_id,
       billing_interval = excluded.billing_interval`,
    [userId, state.status, state.plan, state.interval ?? "month", at],
  );
  const { rows } = await client.query<{ mrr_cents: number }>(
    `update app_private.subscription_changes set changed_at = $2
      where id > coalesce($3::bigint, 0) and user_id = $1 returning mrr_cents`,
    [userId, at, before.rows[0].id],
  );
  expect(rows).toHaveLength(1);
  return rows[0].mrr_cents;
}

/** The rest of the transaction as an administrator (a row of app_private.admins and its claim, as a token gives). */
async function becomeAdmin(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ id: string }>(
    "insert into app_private.admins (email) values ('ops-' || gen_random_uuid() || '@metrics.test') returning id",
  );
  await client.query("select set_config('jwt.claims.admin_id', $1, true)", [rows[0].id]);
  await client.query("set local role waitify_admin");
}

/**
 * The hand-built history (months of 2026, UTC). MRR of each state, by the
 * rule: basic 1900, pro 4900, enterprise 9900 a month; pro yearly
 * 4900 × 10 (yearly_price_months) ÷ 12 = 4083.33 → 4083.
 *
 *   A  created 2025-12-20; basic from 01-05                       (new in Jan)
 *   B  created 01-02; pro from 01-10; basic from 03-15 (contraction 3000 in Mar);
 *      past_due 04-05 (still paying)
 *   C  created 01-15; basic from 02-03 (new in Feb); enterprise from 03-20 (expansion 8000 in Mar)
 *   D  created 01-20; pro yearly from 01-25 (new in Jan); cancelled 04-10 (churned 4083 in Apr)
 *   E  created 02-01; trialing 02-01 (no MRR); basic 02-10; cancelled 02-25 (nets out in Feb);
 *      basic again 04-02 (reactivation 1900 in Apr)
 *   F  created 03-05; incomplete 03-06 (never paid)
 *
 * Month-end MRR: Jan A+B+D = 1900+4900+4083 = 10883 (3 paying); Feb + C = 12783 (4);
 * Mar 1900+1900+9900+4083 = 17783 (4); Apr 1900+1900+9900+1900 = 15600 (4).
 */
async function buildHistory(client: pg.PoolClient) {
  const a = await account(client, "a@metrics.test", "2025-12-20T12:00:00Z");
  const b = await account(client, "b@metrics.test", "2026-01-02T12:00:00Z");
  const c = await account(client, "c@metrics.test", "2026-01-15T12:00:00Z");
  const d = await account(client, "d@metrics.test", "2026-01-20T12:00:00Z");
  const e = await account(client, "e@metrics.test", "2026-02-01T12:00:00Z");
  const f = await account(client, "f@metrics.test", "2026-03-05T12:00:00Z");
  const mrr = {
    a: await change(client, a, "2026-01-05T12:00:00Z", { plan: "basic", status: "active" }),
    b: await change(client, b, "2026-01-10T12:00:00Z", { plan: "pro", status: "active" }),
    bDown: await change(client, b, "2026-03-15T12:00:00Z", { plan: "basic", status: "active" }),
    bLate: await change(client, b, "2026-04-05T12:00:00Z", { plan: "basic", status: "past_due" }),
    c: await change(client, c, "2026-02-03T12:00:00Z", { plan: "basic", status: "active" }),
    cUp: await change(client, c, "2026-03-20T12:00:00Z", { plan: "enterprise", status: "active" }),
    d: await change(client, d, "2026-01-25T12:00:00Z", { plan: "pro", interval: "year", status: "active" }),
    dGone: await change(client, d, "2026-04-10T12:00:00Z", { plan: "pro", interval: "year", status: "canceled" }),
    eTrial: await change(client, e, "2026-02-01T12:00:00Z", { plan: "basic", status: "trialing" }),
    e: await change(client, e, "2026-02-10T12:00:00Z", { plan: "basic", status: "active" }),
    eGone: await change(client, e, "2026-02-25T12:00:00Z", { plan: "basic", status: "canceled" }),
    eBack: await change(client, e, "2026-04-02T12:00:00Z", { plan: "basic", status: "active" }),
    f: await change(client, f, "2026-03-06T12:00:00Z", { plan: "basic", status: "incomplete" }),
  };
  return { ids: { a, b, c, d, e, f }, mrr };
}

/** Statements of April: overage 4650 + 300; a void one (999) does not count. */
async function aprilStatements(client: pg.PoolClient, ids: { a: string; b: string; c: string }) {
  const statement = (userId: string, used: number, status: string) =>
    client.query(
      `insert into app_public.billing_statements (user_id, period_start, plan_id, plan_price_cents, active_businesses,
         sms_included, sms_used, sms_overage, overage_cost_cents, total_cents, status)
       values ($1, '2026-04-01', (select id from app_public.subscription_plans where name = 'basic'), 1900, 1,
         1000, $2, $2 - 1000, ($2 - 1000) * 3, 1900 + ($2 - 1000) * 3, $3)`,
      [userId, used, status],
    );
  await statement(ids.a, 2550, "paid");
  await statement(ids.b, 1100, "invoiced");
  await statement(ids.c, 1333, "void");
}

const movementColumns =
  "month::text, start_mrr_cents::int as start, new_mrr_cents::int as new, reactivation_mrr_cents::int as reactivation, " +
  "expansion_mrr_cents::int as expansion, contraction_mrr_cents::int as contraction, churned_mrr_cents::int as churned, " +
  "net_new_mrr_cents::int as net, end_mrr_cents::int as end, start_paying_accounts as start_paying, new_accounts, " +
  "reactivated_accounts, churned_accounts, end_paying_accounts as end_paying, logo_churn_pct, revenue_churn_pct";

describe("subscription history", () => {
  it("the trigger appends a row with the rule's MRR on each change of plan, interval or status, none otherwise", async () => {
    await asRoot(db(), async (client) => {
      const user = await account(client, "history@metrics.test", "2026-01-01T00:00:00Z");
      const history = async () =>
        (
          await client.query(
            "select plan.name as plan, h.billing_interval, h.stripe_status, h.mrr_cents from app_private.subscription_changes h join app_public.subscription_plans plan on plan.id = h.plan_id where h.user_id = $1 order by h.id",
            [user],
          )
        ).rows;
      await client.query(
        `insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval, stripe_created)
         values ($1, 'sub_history', 'active', (select id from app_public.subscription_plans where name = 'pro'), 'month', now())`,
        [user],
      );
      // A renewal (new period) and a scheduled cancellation change nothing the history keeps.
      await client.query(
        "update app_private.subscriptions set current_period_start = now(), current_period_end = now() + interval '1 month', cancel_at_period_end = true where user_id = $1",
        [user],
      );
      await client.query("update app_private.subscriptions set stripe_status = 'past_due' where user_id = $1", [user]);
      await client.query("update app_private.subscriptions set billing_interval = 'year' where user_id = $1", [user]);
      await client.query(
        "update app_private.subscriptions set plan_id = (select id from app_public.subscription_plans where name = 'enterprise'), stripe_status = 'active' where user_id = $1",
        [user],
      );
      await client.query("update app_private.subscriptions set stripe_status = 'canceled' where user_id = $1", [user]);
      expect(await history()).toEqual([
        { plan: "pro", billing_interval: "month", stripe_status: "active", mrr_cents: 4900 },
        { plan: "pro", billing_interval: "month", stripe_status: "past_due", mrr_cents: 4900 },
        // 4900 × 10 ÷ 12 = 4083.33; 9900 × 10 ÷ 12 = 8250.
        { plan: "pro", billing_interval: "year", stripe_status: "past_due", mrr_cents: 4083 },
        { plan: "enterprise", billing_interval: "year", stripe_status: "active", mrr_cents: 8250 },
        { plan: "enterprise", billing_interval: "year", stripe_status: "canceled", mrr_cents: 0 },
      ]);
      // Stamped in order.
      const { rows } = await client.query(
        "select bool_and(changed_at >= previous) as ordered from (select changed_at, lag(changed_at) over (order by id) as previous from app_private.subscription_changes where user_id = $1) t",
        [user],
      );
      expect(rows[0].ordered).toBe(true);
    });
  });

  it("through the Stripe mirror: a redelivered subscription writes nothing, a change of plan or status does", async () => {
    await asRoot(db(), async (client) => {
      const user = await account(client, "mirror@metrics.test", "2026-01-01T00:00:00Z");
      await client.query("select app_private.record_stripe_customer($1, 'cus_metrics_mirror')", [user]);
      const apply = (shape: Partial<SubscriptionShape>) =>
        client.query("select set_config('waitify.actor', 'stripe', true), app_private.apply_stripe_subscription($1)", [
          JSON.stringify(subscription({ customer: "cus_metrics_mirror", id: "sub_metrics_mirror", status: "active", ...shape })),
        ]);
      await apply({ plan: "basic" });
      await apply({ plan: "basic" });
      await apply({ plan: "pro", interval: "yearly" });
      await apply({ plan: "pro", interval: "yearly", status: "canceled" });
      const { rows } = await client.query(
        `select p.name as plan, h.billing_interval, h.stripe_status, h.mrr_cents
           from app_private.subscription_changes h join app_public.subscription_plans p on p.id = h.plan_id
          where h.user_id = $1 order by h.id`,
        [user],
      );
      expect(rows).toEqual([
        { plan: "basic", billing_interval: "month", stripe_status: "active", mrr_cents: 1900 },
        { plan: "pro", billing_interval: "year", stripe_status: "active", mrr_cents: 4083 },
        { plan: "pro", billing_interval: "year", stripe_status: "canceled", mrr_cents: 0 },
      ]);
    });
  });

  it("the backfill gives a subscription without history its current state, once", async () => {
    await asRoot(db(), async (client) => {
      const live = await account(client, "live@metrics.test", "2026-01-01T00:00:00Z");
      const ended = await account(client, "ended@metrics.test", "2026-01-01T00:00:00Z");
      // Subscriptions from before the history existed.
      await client.query("alter table app_private.subscriptions disable trigger _900_record_history");
      await client.query(
        `insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval, stripe_created, canceled_at)
         values ($1, 'sub_live', 'active', (select id from app_public.subscription_plans where name = 'basic'), 'year', '2026-03-01T00:00:00Z', null),
                ($2, 'sub_ended', 'canceled', (select id from app_public.subscription_plans where name = 'pro'), 'month', '2026-02-01T00:00:00Z', '2026-05-01T00:00:00Z')`,
        [live, ended],
      );
      await client.query("alter table app_private.subscriptions enable trigger _900_record_history");
      const file = readFileSync(new URL("../../../db/admin/metrics-history.sql", import.meta.url), "utf8");
      await client.query(file);
      await client.query(file);
      const { rows } = await client.query(
        `select h.user_id, h.changed_at, h.stripe_status, h.mrr_cents from app_private.subscription_changes h
          where h.user_id in ($1, $2) order by h.changed_at`,
        [live, ended],
      );
      expect(rows).toEqual([
        // 1900 × 10 ÷ 12 = 1583.33.
        { user_id: live, changed_at: new Date("2026-03-01T00:00:00Z"), stripe_status: "active", mrr_cents: 1583 },
        { user_id: ended, changed_at: new Date("2026-05-01T00:00:00Z"), stripe_status: "canceled", mrr_cents: 0 },
      ]);
    });
  });
});

describe("SaaS metrics on a hand-built history", () => {
  it("each state's MRR follows the rule", async () => {
    await asRoot(db(), async (client) => {
      const { mrr } = await buildHistory(client);
      expect(mrr).toEqual({
        a: 1900,
        b: 4900,
        bDown: 1900,
        bLate: 1900,
        c: 1900,
        cUp: 9900,
        d: 4083,
        dGone: 0,
        eTrial: 0,
        e: 1900,
        eGone: 0,
        eBack: 1900,
        f: 0,
      });
    });
  });

  it("movements per month: new, reactivation, expansion, contraction, churned; logo and revenue churn", async () => {
    await asRoot(db(), async (client) => {
      await buildHistory(client);
      await becomeAdmin(client);
      const { rows } = await client.query(`select ${movementColumns} from app_public.admin_mrr_movements('2025-12-01', '2026-05-31')`);
      const month = (m: string, figures: Record<string, unknown>) => ({
        month: m,
        start: 0, new: 0, reactivation: 0, expansion: 0, contraction: 0, churned: 0, net: 0, end: 0,
        start_paying: 0, new_accounts: 0, reactivated_accounts: 0, churned_accounts: 0, end_paying: 0,
        logo_churn_pct: null, revenue_churn_pct: null,
        ...figures,
      });
      expect(rows).toEqual([
        month("2025-12-01", {}),
        // A, B, D start paying.
        month("2026-01-01", { new: 10883, net: 10883, end: 10883, new_accounts: 3, end_paying: 3 }),
        // C starts; E pays from the 10th to the 25th: nothing at either end of the month.
        month("2026-02-01", {
          start: 10883, new: 1900, net: 1900, end: 12783, start_paying: 3, new_accounts: 1, end_paying: 4,
          logo_churn_pct: 0, revenue_churn_pct: 0,
        }),
        // C 1900 → 9900, B 4900 → 1900: 3000 ÷ 12783 = 23.47 %.
        month("2026-03-01", {
          start: 12783, expansion: 8000, contraction: 3000, net: 5000, end: 17783, start_paying: 4, end_paying: 4,
          logo_churn_pct: 0, revenue_churn_pct: 23.47,
        }),
        // D (4083) leaves, E comes back (paid in February), B past_due still pays: 1 of 4 accounts, 4083 ÷ 17783 = 22.96 %.
        month("2026-04-01", {
          start: 17783, reactivation: 1900, churned: 4083, net: -2183, end: 15600, start_paying: 4,
          reactivated_accounts: 1, churned_accounts: 1, end_paying: 4, logo_churn_pct: 25, revenue_churn_pct: 22.96,
        }),
        month("2026-05-01", { start: 15600, end: 15600, start_paying: 4, end_paying: 4, logo_churn_pct: 0, revenue_churn_pct: 0 }),
      ]);
      // The bridge holds every month, and each month starts where the last ended.
      for (const [i, r] of rows.entries()) {
        expect(r.start + r.new + r.reactivation + r.expansion - r.contraction - r.churned).toBe(r.end);
        if (i > 0) expect(r.start).toBe(rows[i - 1].end);
      }
    });
  });

  it("the month's figures: MRR, ARR, overage beside it, ARPU, churn and LTV", async () => {
    await asRoot(db(), async (client) => {
      const { ids } = await buildHistory(client);
      await aprilStatements(client, ids);
      await becomeAdmin(client);
      const { rows } = await client.query("select * from app_public.admin_saas_metrics('2026-04-17')");
      // LTV: ARPU 15600 ÷ 4 = 3900; margin 80 %; revenue churn of the 12 months to April:
      // (3000 + 4083) ÷ (0 + 10883 + 12783 + 17783) = 7083 ÷ 41449 = 17.09 %.
      expect(rows[0]).toEqual({
        month: new Date(2026, 3, 1),
        mrr_cents: "15600",
        arr_cents: "187200",
        overage_cents: "4950",
        paying_accounts: 4,
        arpu_cents: 3900,
        start_mrr_cents: "17783",
        new_mrr_cents: "0",
        reactivation_mrr_cents: "1900",
        expansion_mrr_cents: "0",
        contraction_mrr_cents: "0",
        churned_mrr_cents: "4083",
        net_new_mrr_cents: "-2183",
        start_paying_accounts: 4,
        churned_accounts: 1,
        logo_churn_pct: 25,
        revenue_churn_pct: 22.96,
        ltv_revenue_churn_pct: 17.09,
        gross_margin_pct: 80,
        ltv_cents: String(Math.round((3900 * 0.8) / (7083 / 41449))),
        ltv_note: null,
      });

      // The margin is a setting.
      await client.query("reset role");
      await client.query("update app_public.system_configs set value = '50' where key = 'saas_gross_margin_pct'");
      await becomeAdmin(client);
      const half = await client.query("select gross_margin_pct, ltv_cents from app_public.admin_saas_metrics('2026-04-01')");
      expect(half.rows[0]).toEqual({ gross_margin_pct: 50, ltv_cents: String(Math.round((3900 * 0.5) / (7083 / 41449))) });
    });
  });

  it("no churn observed: LTV is null and says why, never a division by zero; no paying account either", async () => {
    await asRoot(db(), async (client) => {
      await buildHistory(client);
      await becomeAdmin(client);
      // Up to February nothing churned or contracted.
      const february = await client.query(
        "select mrr_cents, paying_accounts, arpu_cents, ltv_revenue_churn_pct, ltv_cents, ltv_note from app_public.admin_saas_metrics('2026-02-01')",
      );
      expect(february.rows[0]).toEqual({
        mrr_cents: "12783",
        paying_accounts: 4,
        arpu_cents: Math.round(12783 / 4),
        ltv_revenue_churn_pct: 0,
        ltv_cents: null,
        ltv_note: "no_churn_observed",
      });
      const before = await client.query(
        "select mrr_cents, paying_accounts, arpu_cents, logo_churn_pct, ltv_revenue_churn_pct, ltv_cents, ltv_note from app_public.admin_saas_metrics('2025-11-01')",
      );
      expect(before.rows[0]).toEqual({
        mrr_cents: "0",
        paying_accounts: 0,
        arpu_cents: null,
        logo_churn_pct: null,
        ltv_revenue_churn_pct: null,
        ltv_cents: null,
        ltv_note: "no_paying_accounts",
      });
    });
  });

  it("MRR by plan at a month's end: every plan, monthly and yearly accounts, share of the total", async () => {
    await asRoot(db(), async (client) => {
      await buildHistory(client);
      await becomeAdmin(client);
      const { rows } = await client.query(
        "select plan_name, paying_accounts, monthly_accounts, yearly_accounts, mrr_cents::int as mrr, share_pct from app_public.admin_mrr_by_plan('2026-03-01')",
      );
      // End of March: C enterprise 9900; D pro yearly 4083; A and B basic 3800 (of 17783).
      expect(rows).toEqual([
        { plan_name: "enterprise", paying_accounts: 1, monthly_accounts: 1, yearly_accounts: 0, mrr: 9900, share_pct: 55.67 },
        { plan_name: "pro", paying_accounts: 1, monthly_accounts: 0, yearly_accounts: 1, mrr: 4083, share_pct: 22.96 },
        { plan_name: "basic", paying_accounts: 2, monthly_accounts: 2, yearly_accounts: 0, mrr: 3800, share_pct: 21.37 },
      ]);
      const empty = await client.query("select plan_name, mrr_cents::int as mrr, share_pct from app_public.admin_mrr_by_plan('2025-06-01')");
      expect(empty.rows.map((r) => [r.mrr, r.share_pct])).toEqual([
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
    });
  });

  it("trial → paid conversion per cohort month, with the days it took", async () => {
    await asRoot(db(), async (client) => {
      await buildHistory(client);
      await becomeAdmin(client);
      const { rows } = await client.query(
        "select cohort_month::text, accounts, converted, conversion_pct, converted_within_trial, median_days_to_paid, average_days_to_paid from app_public.admin_trial_conversion('2025-12-01', '2026-04-01')",
      );
      expect(rows).toEqual([
        // A: 12-20 → 01-05, 16 days (beyond the 14-day trial).
        { cohort_month: "2025-12-01", accounts: 1, converted: 1, conversion_pct: 100, converted_within_trial: 0, median_days_to_paid: 16, average_days_to_paid: 16 },
        // B 8 days, C 19 (01-15 → 02-03), D 5: median 8, average 32 ÷ 3.
        { cohort_month: "2026-01-01", accounts: 3, converted: 3, conversion_pct: 100, converted_within_trial: 2, median_days_to_paid: 8, average_days_to_paid: 10.67 },
        // E: trialing (no MRR) then paid 9 days after signing up.
        { cohort_month: "2026-02-01", accounts: 1, converted: 1, conversion_pct: 100, converted_within_trial: 1, median_days_to_paid: 9, average_days_to_paid: 9 },
        // F: an incomplete subscription is not a payment.
        { cohort_month: "2026-03-01", accounts: 1, converted: 0, conversion_pct: 0, converted_within_trial: 0, median_days_to_paid: null, average_days_to_paid: null },
        { cohort_month: "2026-04-01", accounts: 0, converted: 0, conversion_pct: null, converted_within_trial: 0, median_days_to_paid: null, average_days_to_paid: null },
      ]);
    });
  });

  it("the 12-month series: month-end MRR, the current month so far, months without revenue at zero", async () => {
    await asRoot(db(), async (client) => {
      // Relative to today: X pays basic from two months ago and moves to pro last month; Y takes
      // enterprise yearly at the start of this month (9900 × 10 ÷ 12 = 8250).
      const x = await account(client, "x@metrics.test", "2020-01-01T00:00:00Z");
      const y = await account(client, "y@metrics.test", "2020-01-01T00:00:00Z");
      const at = async (monthsAgo: number, day: number) =>
        (
          await client.query<{ at: string }>(
            "select (date_trunc('month', now() at time zone 'UTC') - make_interval(months => $1) + make_interval(days => $2 - 1)) at time zone 'UTC' as at",
            [monthsAgo, day],
          )
        ).rows[0].at;
      await change(client, x, await at(2, 3), { plan: "basic", status: "active" });
      await change(client, x, await at(1, 10), { plan: "pro", status: "active" });
      await change(client, y, await at(0, 1), { plan: "enterprise", interval: "year", status: "active" });
      await becomeAdmin(client);
      const { rows } = await client.query(
        "select month, mrr_cents::int as mrr, arr_cents::int as arr, paying_accounts from app_public.admin_mrr_series()",
      );
      expect(rows).toHaveLength(12);
      const months = rows.map((r) => r.month.getTime());
      const current = new Date();
      expect(rows[11].month).toEqual(new Date(current.getUTCFullYear(), current.getUTCMonth(), 1));
      for (let i = 1; i < 12; i++) expect(months[i]).toBeGreaterThan(months[i - 1]);
      expect(rows.map((r) => r.mrr)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1900, 4900, 4900 + 8250]);
      expect(rows.map((r) => r.arr)).toEqual(rows.map((r) => 12 * r.mrr));
      expect(rows.map((r) => r.paying_accounts)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2]);
      const three = await client.query("select mrr_cents::int as mrr from app_public.admin_mrr_series(3)");
      expect(three.rows.map((r) => r.mrr)).toEqual([1900, 4900, 13150]);
    });
  });
});

describe("SaaS metrics: input and access", () => {
  it("bad input is a coded error", async () => {
    const attempt = (sql: string) =>
      failure(
        asRoot(db(), async (client) => {
          await becomeAdmin(client);
          await client.query(sql);
        }),
      );
    expect(await attempt("select * from app_public.admin_mrr_movements('2026-05-01', '2026-04-01')")).toMatchObject({ code: "WTRNG" });
    expect((await attempt("select * from app_public.admin_mrr_movements('2026-05-01', '2026-04-01')")).message).toContain("2026-05");
    expect(await attempt("select * from app_public.admin_mrr_movements(null, '2026-04-01')")).toMatchObject({ code: "WTRNG" });
    expect(await attempt("select * from app_public.admin_trial_conversion('2020-01-01', '2025-01-01')")).toMatchObject({
      code: "WTRNG",
      message: expect.stringContaining("61"),
    });
    for (const months of [0, 61, -1, null]) {
      expect(await attempt(`select * from app_public.admin_mrr_series(${months})`)).toMatchObject({ code: "WTRNG" });
    }
    expect(await attempt("select * from app_public.admin_saas_metrics((now() + interval '1 month')::date)")).toMatchObject({
      code: "WTRNG",
    });
    expect(await attempt("select * from app_public.admin_mrr_by_plan((now() + interval '40 days')::date)")).toMatchObject({ code: "WTRNG" });
    // Months, not days: two days of one month are that month.
    const oneMonth = await asRoot(db(), async (client) => {
      await becomeAdmin(client);
      return (await client.query("select month::text from app_public.admin_mrr_movements('2026-01-20', '2026-01-05')")).rows;
    });
    expect(oneMonth).toEqual([{ month: "2026-01-01" }]);
    // 60 months is the most, and allowed.
    const sixty = await asRoot(db(), async (client) => {
      await becomeAdmin(client);
      return (await client.query("select count(*)::int as n from app_public.admin_mrr_movements('2021-01-01', '2025-12-01')")).rows[0].n;
    });
    expect(sixty).toBe(60);
  });

  it("the admin role without an enabled administrator is refused (FORBIDDEN)", async () => {
    for (const sql of [
      "select * from app_public.admin_saas_metrics()",
      "select * from app_public.admin_mrr_series()",
      "select * from app_public.admin_mrr_movements('2026-01-01', '2026-02-01')",
      "select * from app_public.admin_mrr_by_plan()",
      "select * from app_public.admin_trial_conversion('2026-01-01', '2026-02-01')",
    ]) {
      // No administrator named by the claim.
      expect(await failure(asAdmin(db(), (client) => client.query(sql)))).toMatchObject({ code: "WTFRB" });
      // A disabled one.
      const disabled = await failure(
        asRoot(db(), async (client) => {
          await becomeAdmin(client);
          await client.query("reset role");
          await client.query("update app_private.admins set disabled_at = now()");
          await client.query("set local role waitify_admin");
          await client.query(sql);
        }),
      );
      expect(disabled).toMatchObject({ code: "WTFRB" });
    }
  });

  it("only the admin role may run them: granted to waitify_admin alone", async () => {
    const { rows } = await db().root.query(`
      select p.oid::regprocedure::text as fn,
             has_function_privilege('waitify_admin', p.oid, 'execute') as admin,
             has_function_privilege('waitify_merchant', p.oid, 'execute') as merchant,
             has_function_privilege('waitify_anonymous', p.oid, 'execute') as anonymous
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'app_public' and p.proname in
             ('admin_saas_metrics', 'admin_mrr_series', 'admin_mrr_movements', 'admin_mrr_by_plan', 'admin_trial_conversion')
       order by 1`);
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row).toMatchObject({ admin: true, merchant: false, anonymous: false });
  });
});
