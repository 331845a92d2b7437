// The analytics reads (db/analytics/reads.sql) as the merchant and the admin,
// through RLS: a business's today (live), week and daily history (stored
// days and days not stored yet agree), the dashboard, the comparison with
// its consolidated totals and best performer, consolidated day / week /
// month — all checked against the independent replay of the hand-built days
// (test/helpers/analytics.ts) — and the coded errors for bad input.
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asMerchant, asRoot, failure, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, type BusinessFixture } from "../../helpers/fixtures.ts";
import { expectedDay, figureColumns, insertSms, insertVisits, localMidnight, type DayFigures, type SmsRow, type Visit } from "../../helpers/analytics.ts";

const db = useTestDatabase();

const week = ["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13", "2026-03-14", "2026-03-15"];

interface Shop {
  business: BusinessFixture;
  zone: string;
  ticket: number;
  visits: Visit[];
  sms: SmsRow[];
}

let paris: Shop;
let dakar: Shop;
let calm: Shop;
let other: Shop;

/** A deterministic day of visits: `count` customers from 09:00 local, outcomes in turn. */
function dayOfVisits(queueId: string, date: string, zone: string, count: number, outcomes: string[]): Visit[] {
  const nine = localMidnight(date, zone) + 9 * 3600;
  const iso = (t: number) => new Date(t * 1000).toISOString();
  return Array.from({ length: count }, (_, i) => {
    const joined = nine + i * 700 + (i % 3) * 60;
    const called = joined + 300 + (i % 4) * 240;
    const outcome = outcomes[i % outcomes.length]!;
    const visit: Visit = { queueId, joined: iso(joined), quoted: 3 + (i % 5) * 2 };
    if (outcome === "cancelled") return { ...visit, cancelled: iso(joined + 120) };
    if (outcome === "missed") return { ...visit, called: iso(called), missed: iso(called + 300) };
    return { ...visit, called: iso(called), served: iso(called + 90 + i * 7) };
  });
}

const sum = (days: DayFigures[], key: keyof DayFigures) => days.reduce((total, day) => total + Number(day[key] ?? 0), 0);
const expectedWeek = (shop: Shop) => week.map((date) => expectedDay(date, shop.zone, shop.visits, shop.sms, shop.ticket));

async function shop(name: string, country: "FR" | "SN", merchantId: ReturnType<typeof createMerchant> extends Promise<infer M> ? M : never, outcomes: string[], ticket: number | null): Promise<Shop> {
  const business = await createBusiness(db(), { merchant: merchantId, name, country });
  await db().root.query("update app_public.businesses set created_at = '2026-01-01T00:00:00Z', average_ticket_cents = $2 where id = $1", [
    business.businessId,
    ticket,
  ]);
  const zone = country === "SN" ? "Africa/Dakar" : "Europe/Paris";
  const visits = week.flatMap((date, i) => dayOfVisits(business.queueId, date, zone, 4 + ((i * 3) % 5), outcomes));
  const sms: SmsRow[] = week.map((date, i) => ({ status: "sent", sentAt: new Date((localMidnight(date, zone) + 10 * 3600) * 1000).toISOString(), parts: 1 + (i % 2) }));
  await asRoot(
    db(),
    async (client) => {
      await insertVisits(client, business, visits);
      await insertSms(client, business, sms);
    },
    { commit: true },
  );
  return { business, zone, ticket: ticket ?? 1000, visits, sms };
}

beforeAll(async () => {
  const merchant = await createMerchant(db(), { plan: "enterprise" });
  paris = await shop("Boulangerie Centre", "FR", merchant, ["served", "served", "missed", "served", "cancelled"], 2500);
  dakar = await shop("Boutique Dakar", "SN", merchant, ["served", "cancelled", "served", "missed"], null);
  calm = await shop("Boulangerie Gare", "FR", merchant, ["served", "served", "served", "served", "served", "served", "missed"], 1800);
  other = await shop("Ailleurs", "FR", await createMerchant(db()), ["served"], null);
  // The job has stored the first three days; the rest are read live.
  await db().root.query("select app_private.compute_analytics_daily('2026-03-09', '2026-03-11')");
});

const dayColumns = `to_char(date, 'YYYY-MM-DD') as date, is_complete, ${figureColumns.join(", ")}`;

describe("one business", () => {
  it("daily history: stored days and days read live agree with the replay, in order", async () => {
    const rows = await asMerchant(db(), paris.business.userId, async (client) =>
      (await client.query(`select ${dayColumns} from app_public.business_analytics_daily($1, '2026-03-09', '2026-03-15')`, [
        paris.business.businessId,
      ])).rows,
    );
    expect(rows).toEqual(
      week.map((date) => ({ date, is_complete: true, ...expectedDay(date, paris.zone, paris.visits, paris.sms, paris.ticket) })),
    );
    const stored = await db().root.query("select count(*)::int as n from app_public.analytics_daily where business_id = $1", [
      paris.business.businessId,
    ]);
    expect(stored.rows[0].n).toBe(3);
  });

  it("week: total clients, busiest day, revenue potential (seed 000's week)", async () => {
    const days = expectedWeek(dakar);
    const busiest = days.reduce((best, day, i) => (day.clients_registered > days[best]!.clients_registered ? i : best), 0);
    const row = await asMerchant(db(), dakar.business.userId, async (client) =>
      (await client.query(
        "select w.*, to_char(w.week_start, 'YYYY-MM-DD') as monday, to_char(w.week_end, 'YYYY-MM-DD') as sunday from app_public.business_analytics_week($1, '2026-03-12') w",
        [dakar.business.businessId],
      )).rows[0],
    );
    const lost = sum(days, "revenue_potential_lost_cents");
    expect(row).toMatchObject({
      total_clients: sum(days, "clients_registered"),
      clients_served: sum(days, "clients_served"),
      busiest_day: new Date(`${week[busiest]}T12:00:00Z`).toLocaleDateString("en-US", { weekday: "long", timeZone: "UTC" }).toLowerCase(),
      revenue_potential_cents: lost,
      revenue_potential: lost / 100,
      monday: "2026-03-09",
      sunday: "2026-03-15",
    });
  });

  it("today, live: served, missed, waiting now, average wait, peak hour, abandonment rate so far", async () => {
    const shopToday = await createBusiness(db(), { merchant: paris.business.merchant, name: "Aujourd'hui" });
    const { rows } = await db().root.query<{ start: Date; now: Date; today: string }>(
      "select (now() at time zone 'Europe/Paris')::date::timestamp at time zone 'Europe/Paris' as start, now() as now, to_char((now() at time zone 'Europe/Paris')::date, 'YYYY-MM-DD') as today",
    );
    const start = rows[0]!.start.getTime() / 1000;
    const span = rows[0]!.now.getTime() / 1000 - start;
    const at = (fraction: number) => new Date(Math.floor(start + span * fraction) * 1000).toISOString();
    const q = shopToday.queueId;
    const visits: Visit[] = [
      { queueId: q, joined: at(0.1), called: at(0.2), served: at(0.25), quoted: 2 },
      { queueId: q, joined: at(0.15), called: at(0.3), missed: at(0.35), quoted: 4 },
      { queueId: q, joined: at(0.4), cancelled: at(0.45), quoted: 1 },
      { queueId: q, joined: at(0.5), called: at(0.6), quoted: 1 },
      { queueId: q, joined: at(0.55), quoted: 3 },
    ];
    await asRoot(db(), (client) => insertVisits(client, shopToday, visits), { commit: true });
    const expected = expectedDay(rows[0]!.today, "Europe/Paris", visits, [], 1000);
    const today = await asMerchant(db(), shopToday.userId, async (client) =>
      (await client.query("select * from app_public.business_analytics_today($1)", [shopToday.businessId])).rows[0],
    );
    expect(today).toMatchObject({
      clients_registered: 5,
      clients_served: 1,
      clients_missed: 1,
      clients_cancelled: 1,
      waiting_now: 1,
      average_wait_time: expected.average_wait_minutes,
      peak_hour: expected.peak_hour,
      peak_queue_size: expected.peak_queue_size,
      abandonment_rate: 40,
    });
    // The dashboard says the same, live.
    const dashboard = await asMerchant(db(), shopToday.userId, async (client) =>
      (await client.query("select * from app_public.analytics_dashboard() where business_id = $1", [shopToday.businessId])).rows[0],
    );
    expect(dashboard).toMatchObject({ current_queue_size: 1, today_served: 1, is_queue_active: true, is_queue_paused: false });
  });

  it("bad input is a coded error: backwards, longer than 366 days, someone else's or no business", async () => {
    await asMerchant(db(), paris.business.userId, async (client) => {
      const read = (id: string, from: string, to: string) =>
        client.query("select * from app_public.business_analytics_daily($1, $2, $3)", [id, from, to]);
      await client.query("savepoint s");
      const backwards = await failure(read(paris.business.businessId, "2026-03-15", "2026-03-09"));
      expect(backwards).toMatchObject({ code: "WTRNG" });
      expect(backwards.message).toContain("2026-03-15");
      await client.query("rollback to savepoint s");
      const tooLong = await failure(read(paris.business.businessId, "2025-01-01", "2026-01-02"));
      expect(tooLong).toMatchObject({ code: "WTRNG" });
      expect(tooLong.message).toContain("367");
      await client.query("rollback to savepoint s");
      expect((await failure(read(other.business.businessId, "2026-03-09", "2026-03-15"))).code).toBe("WTNFD");
      await client.query("rollback to savepoint s");
      expect((await failure(read("00000000-0000-4000-8000-000000000000", "2026-03-09", "2026-03-15"))).code).toBe("WTNFD");
      await client.query("rollback to savepoint s");
      for (const fn of ["business_analytics_today($1)", "business_analytics_week($1)"]) {
        expect((await failure(client.query(`select * from app_public.${fn}`, [other.business.businessId]))).code).toBe("WTNFD");
        await client.query("rollback to savepoint s");
      }
      expect((await failure(client.query("select * from app_public.analytics_comparison('2026-03-15', '2026-03-09')"))).code).toBe("WTRNG");
    });
    // The admin reads any business.
    const admin = await asAdmin(db(), async (client) =>
      (await client.query("select count(*)::int as n from app_public.business_analytics_daily($1, '2026-03-09', '2026-03-15')", [
        other.business.businessId,
      ])).rows[0].n,
    );
    expect(admin).toBe(7);
  });
});

describe("across businesses", () => {
  it("the history and the dashboard show the merchant's businesses only; the admin sees all", async () => {
    const history = (userId: string) =>
      asMerchant(db(), userId, async (client) =>
        (await client.query("select distinct business_name from app_public.analytics_daily_history('2026-03-09', '2026-03-15') order by 1"))
          .rows.map((row) => row.business_name),
      );
    expect(await history(paris.business.userId)).toEqual(["Boulangerie Centre", "Boulangerie Gare", "Boutique Dakar"]);
    expect(await history(other.business.userId)).toEqual(["Ailleurs"]);
    const adminNames = await asAdmin(db(), async (client) =>
      (await client.query("select business_name from app_public.analytics_dashboard()")).rows.map((row) => row.business_name),
    );
    expect(adminNames).toEqual(expect.arrayContaining(["Ailleurs", "Boulangerie Centre", "Boulangerie Gare", "Boutique Dakar"]));
    const mine = await asMerchant(db(), other.business.userId, async (client) =>
      (await client.query("select business_name, is_queue_active, current_queue_size from app_public.analytics_dashboard()")).rows,
    );
    expect(mine).toEqual([{ business_name: "Ailleurs", is_queue_active: true, current_queue_size: 0 }]);
  });

  it("the comparison adds up the daily rows, consolidates them and names the best performer by its rule", async () => {
    const result = await asMerchant(db(), paris.business.userId, async (client) =>
      (await client.query("select cardinality((c).comparison) as businesses from (select app_public.analytics_comparison('2026-03-09', '2026-03-15') as c) x")).rows[0],
    );
    const shops = [paris, calm, dakar];
    const byName = new Map(shops.map((s) => [s.business.name, expectedWeek(s)]));
    const comparison = await asMerchant(db(), paris.business.userId, async (client) =>
      (await client.query(
        `select b.business_name, (b.metrics).*
           from unnest((app_public.analytics_comparison('2026-03-09', '2026-03-15')).comparison) b`,
      )).rows,
    );
    expect(comparison.map((row) => row.business_name)).toEqual(["Boulangerie Centre", "Boulangerie Gare", "Boutique Dakar"]);
    for (const row of comparison) {
      const days = byName.get(row.business_name)!;
      const lost = sum(days, "clients_missed") + sum(days, "clients_cancelled");
      expect(row).toMatchObject({
        total_clients: sum(days, "clients_registered"),
        clients_served: sum(days, "clients_served"),
        abandonment_rate: Math.round((10000 * lost) / sum(days, "clients_registered")) / 100,
        sms_sent: sum(days, "sms_messages"),
        sms_parts: sum(days, "sms_parts"),
        revenue_potential_lost_cents: sum(days, "revenue_potential_lost_cents"),
      });
      expect(row.peak_hours.length).toBeGreaterThan(0);
      expect(row.peak_hours[0]).toMatch(/^\d\d:00$/);
    }
    const consolidated = await asMerchant(db(), paris.business.userId, async (client) =>
      (await client.query("select (app_public.analytics_comparison('2026-03-09', '2026-03-15')).consolidated.*")).rows[0],
    );
    const all = shops.flatMap(expectedWeek);
    expect(consolidated).toMatchObject({
      total_businesses: 3,
      total_clients: sum(all, "clients_registered"),
      total_served: sum(all, "clients_served"),
      total_sms_sent: sum(all, "sms_messages"),
      revenue_potential_lost_cents: sum(all, "revenue_potential_lost_cents"),
      // Lowest abandonment among businesses with customers; the worst, the highest.
      best_performer: "Boulangerie Gare",
      best_performer_id: calm.business.businessId,
      worst_performer: "Boutique Dakar",
    });
    expect(result.businesses).toBe(3);
  });

  it("consolidated day, week and month agree with the daily rows and the comparison", async () => {
    const read = (period: string, day: string) =>
      asMerchant(db(), paris.business.userId, async (client) =>
        (await client.query(
          "select c.*, to_char(c.period_start, 'YYYY-MM-DD') as first, to_char(c.period_end, 'YYYY-MM-DD') as last from app_public.analytics_consolidated($1, $2) c",
          [period, day],
        )).rows[0],
      );
    const shops = [paris, calm, dakar];
    const tenth = shops.map((s) => expectedDay("2026-03-10", s.zone, s.visits, s.sms, s.ticket));
    expect(await read("day", "2026-03-10")).toMatchObject({
      total_clients: sum(tenth, "clients_registered"),
      total_served: sum(tenth, "clients_served"),
      total_missed: sum(tenth, "clients_missed"),
      total_cancelled: sum(tenth, "clients_cancelled"),
      total_sms_parts: sum(tenth, "sms_parts"),
    });
    const weekly = await read("week", "2026-03-12");
    const comparison = await asMerchant(db(), paris.business.userId, async (client) =>
      (await client.query("select (app_public.analytics_comparison('2026-03-09', '2026-03-15')).consolidated.*")).rows[0],
    );
    const { first, last, ...weeklyTotals } = weekly;
    expect([first, last]).toEqual(["2026-03-09", "2026-03-15"]);
    expect(weeklyTotals).toEqual(comparison);
    // March holds only this week's activity.
    const month = await read("month", "2026-03-20");
    expect(month).toMatchObject({ total_clients: comparison.total_clients, total_served: comparison.total_served, first: "2026-03-01", last: "2026-03-31" });
  });
});
