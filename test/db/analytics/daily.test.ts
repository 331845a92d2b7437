// The daily figures (db/analytics/daily.sql): hand-built days of a Paris
// business with two queues and a Dakar business, across a day boundary, a
// customer waiting through midnight, a walk-in without phone, SMS of every
// status and the spring-forward day, checked against figures computed
// independently (test/helpers/analytics.ts); the stored rows, a rerun that
// changes nothing, days not over never stored, RLS on the table.
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asMerchant, asRoot, failure, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, type BusinessFixture } from "../../helpers/fixtures.ts";
import { expectedDay, figureColumns, insertSms, insertVisits, type SmsRow, type Visit } from "../../helpers/analytics.ts";

const db = useTestDatabase();

let paris: BusinessFixture;
let dakar: BusinessFixture;
let parisQueue2: string;
let parisVisits: Visit[];
let dakarVisits: Visit[];
const parisSms: SmsRow[] = [
  { status: "sent", sentAt: "2026-03-09T23:30:00Z", parts: 2 },
  { status: "delivered", sentAt: "2026-03-10T12:00:00Z", parts: 1 },
  { status: "failed" },
  { status: "pending" },
  { status: "sent", sentAt: "2026-03-10T23:30:00Z", parts: 3 },
];
const dakarSms: SmsRow[] = [{ status: "sent", sentAt: "2026-03-10T23:30:00Z", parts: 1 }];

const figuresSql = `select to_char(date, 'YYYY-MM-DD') as date, is_complete, ${figureColumns.join(", ")}
  from app_hidden.analytics_figures($1, $2, $3) order by date`;

beforeAll(async () => {
  const merchant = await createMerchant(db(), { plan: "enterprise" });
  paris = await createBusiness(db(), { merchant, name: "Paris", country: "FR" });
  dakar = await createBusiness(db(), { merchant, name: "Dakar", country: "SN" });
  await db().root.query(
    "update app_public.businesses set created_at = '2026-01-01T00:00:00Z', average_ticket_cents = case when id = $1 then 2500 end where id in ($1, $2)",
    [paris.businessId, dakar.businessId],
  );
  const second = await db().root.query<{ id: string }>(
    "insert into app_public.queues (business_id, user_id, name, average_service_time) values ($1, $2, 'Caisse 2', 120) returning id",
    [paris.businessId, paris.userId],
  );
  parisQueue2 = second.rows[0]!.id;
  const q1 = paris.queueId;
  parisVisits = [
    // Waiting at the local midnight that begins the 10th (23:00Z), called after it.
    { queueId: q1, joined: "2026-03-09T22:30:00Z", called: "2026-03-09T23:20:00Z", served: "2026-03-09T23:25:00Z", quoted: 30 },
    // The evening before, over before midnight.
    { queueId: q1, joined: "2026-03-09T22:50:00Z", cancelled: "2026-03-09T22:55:00Z", quoted: 4 },
    { queueId: q1, joined: "2026-03-10T07:00:00Z", called: "2026-03-10T07:10:00Z", served: "2026-03-10T07:14:00Z", quoted: 8 },
    { queueId: q1, joined: "2026-03-10T07:02:00Z", called: "2026-03-10T07:14:00Z", missed: "2026-03-10T07:19:00Z", quoted: 10 },
    // A walk-in without phone, gone before being called.
    { queueId: q1, joined: "2026-03-10T07:05:00Z", cancelled: "2026-03-10T07:08:00Z", quoted: 12, phone: null, name: "Walk-in" },
    // Cancelled after being called.
    { queueId: q1, joined: "2026-03-10T07:06:00Z", called: "2026-03-10T07:19:00Z", cancelled: "2026-03-10T07:21:00Z", quoted: 14 },
    { queueId: q1, joined: "2026-03-10T07:40:00Z", called: "2026-03-10T07:41:00Z", served: "2026-03-10T07:50:00Z", quoted: 0 },
    { queueId: parisQueue2, joined: "2026-03-10T07:03:00Z", called: "2026-03-10T07:30:00Z", served: "2026-03-10T07:33:00Z", quoted: 5 },
    { queueId: parisQueue2, joined: "2026-03-10T07:04:00Z", called: "2026-03-10T07:31:00Z", served: "2026-03-10T07:40:00Z", quoted: 6 },
    { queueId: parisQueue2, joined: "2026-03-10T07:08:00Z", called: "2026-03-10T07:45:00Z", served: "2026-03-10T07:46:00Z", quoted: 7 },
    // Nine hours of waiting through the night (a visit longer than an hour).
    { queueId: parisQueue2, joined: "2026-03-10T21:30:00Z", called: "2026-03-11T06:30:00Z", served: "2026-03-11T06:35:00Z", quoted: 2 },
    // 00:10 in Paris: the 11th there.
    { queueId: q1, joined: "2026-03-10T23:10:00Z", called: "2026-03-10T23:15:00Z", served: "2026-03-10T23:20:00Z", quoted: 3 },
    // The spring-forward day (2026-03-29: 23 hours; 02:00 → 03:00).
    { queueId: q1, joined: "2026-03-29T00:40:00Z", called: "2026-03-29T01:20:00Z", served: "2026-03-29T01:25:00Z", quoted: 20 },
    { queueId: q1, joined: "2026-03-29T01:10:00Z", called: "2026-03-29T01:30:00Z", served: "2026-03-29T01:31:00Z", quoted: 10 },
  ];
  dakarVisits = [
    { queueId: dakar.queueId, joined: "2026-03-10T00:10:00Z", called: "2026-03-10T00:15:00Z", served: "2026-03-10T00:20:00Z", quoted: 5 },
    { queueId: dakar.queueId, joined: "2026-03-10T10:00:00Z", called: "2026-03-10T10:05:00Z", missed: "2026-03-10T10:10:00Z", quoted: 4 },
    // 23:30 in Dakar is still the 10th there (it is the 11th in Paris).
    { queueId: dakar.queueId, joined: "2026-03-10T23:30:00Z", called: "2026-03-10T23:40:00Z", served: "2026-03-10T23:45:00Z", quoted: 8 },
  ];
  await asRoot(
    db(),
    async (client) => {
      await insertVisits(client, paris, parisVisits);
      await insertVisits(client, dakar, dakarVisits);
      await insertSms(client, paris, parisSms);
      await insertSms(client, dakar, dakarSms);
    },
    { commit: true },
  );
});

describe("the time zone of a business", () => {
  it("follows the country by default, keeps a chosen zone, refuses an unknown one with a coded error", async () => {
    expect(
      (await db().root.query("select country, time_zone from app_public.businesses where id in ($1, $2) order by country", [
        paris.businessId,
        dakar.businessId,
      ])).rows,
    ).toEqual([
      { country: "FR", time_zone: "Europe/Paris" },
      { country: "SN", time_zone: "Africa/Dakar" },
    ]);
    const shop = await createBusiness(db(), { merchant: paris.merchant, name: "Moving" });
    await asMerchant(db(), shop.userId, async (client) => {
      const zone = () => client.query("select time_zone from app_public.businesses where id = $1", [shop.businessId]).then((r) => r.rows[0].time_zone);
      // A move to Senegal takes Senegal's zone along with it…
      await client.query("update app_public.businesses set country = 'SN' where id = $1", [shop.businessId]);
      expect(await zone()).toBe("Africa/Dakar");
      // … a chosen zone stays when the country changes; null goes back to the country's.
      await client.query("update app_public.businesses set time_zone = 'America/Martinique' where id = $1", [shop.businessId]);
      await client.query("update app_public.businesses set country = 'FR' where id = $1", [shop.businessId]);
      expect(await zone()).toBe("America/Martinique");
      await client.query("update app_public.businesses set time_zone = null where id = $1", [shop.businessId]);
      expect(await zone()).toBe("Europe/Paris");
      await client.query("savepoint bad");
      const refused = await failure(client.query("update app_public.businesses set time_zone = 'Europe/Atlantis' where id = $1", [shop.businessId]));
      expect(refused.code).toBe("WTVAL");
      expect(refused.message).toContain("Europe/Atlantis");
      await client.query("rollback to savepoint bad");
      // Abbreviations and fixed offsets would not follow summer time.
      for (const zone of ["CEST", "UTC+3"]) {
        await client.query("savepoint bad");
        const refusedZone = await failure(client.query("update app_public.businesses set time_zone = $2 where id = $1", [shop.businessId, zone]));
        expect(refusedZone.code).toBe("WTVAL");
        await client.query("rollback to savepoint bad");
      }
    });
  });

  it("keeps the phone retention within 1–720 hours", async () => {
    const tooLong = await failure(
      db().root.query("update app_public.businesses set phone_retention_hours = 721 where id = $1", [paris.businessId]),
    );
    expect(tooLong.code).toBe("23514");
    const none = await failure(
      db().root.query("update app_public.businesses set phone_retention_hours = 0 where id = $1", [paris.businessId]),
    );
    expect(none.code).toBe("23514");
  });
});

describe("analytics_figures", () => {
  it("computes each local day of both zones as the independent replay does", async () => {
    const days = ["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"];
    for (const [business, zone, visits, sms, ticket] of [
      [paris, "Europe/Paris", parisVisits, parisSms, 2500],
      [dakar, "Africa/Dakar", dakarVisits, dakarSms, 1000],
    ] as const) {
      const { rows } = await db().root.query(figuresSql, [[business.businessId], days[0], days.at(-1)]);
      expect(rows.map((row) => row.date)).toEqual(days);
      for (const row of rows) {
        const { date, is_complete, ...figures } = row;
        expect(is_complete).toBe(true);
        expect({ date, ...figures }).toEqual({ date, ...expectedDay(date, zone, visits, sms, ticket) });
      }
    }
  });

  it("gets the day boundary, the night-long wait and the walk-in right (figures spelled out)", async () => {
    const { rows } = await db().root.query(figuresSql, [[paris.businessId], "2026-03-10", "2026-03-11"]);
    const [tenth, eleventh] = rows;
    // The 10th: 9 joined (the walk-in among them), the one waiting since
    // 23:30 the day before served at 00:25, the one of 22:30 still waiting at midnight.
    expect(tenth).toMatchObject({
      clients_registered: 9,
      clients_served: 6,
      clients_missed: 1,
      clients_cancelled: 2,
      peak_queue_size: 4,
      peak_hour: 8,
      busiest_window_start: "08:00:00",
      busiest_window_end: "09:00:00",
      busiest_window_joins: 8,
      revenue_potential_lost_cents: 3 * 2500,
    });
    // The 11th: the visit of 00:10, and the night-long wait counts from midnight.
    expect(eleventh).toMatchObject({ clients_registered: 1, clients_served: 2, peak_queue_size: 1, peak_hour: 0, sms_parts: 3 });
    const dakarTenth = await db().root.query(figuresSql, [[dakar.businessId], "2026-03-10", "2026-03-10"]);
    expect(dakarTenth.rows[0]).toMatchObject({ clients_registered: 3, clients_served: 2, clients_missed: 1, sms_parts: 1 });
  });

  it("has 23 hours on the spring-forward day: hours and windows in local time", async () => {
    const { rows } = await db().root.query(figuresSql, [[paris.businessId], "2026-03-29", "2026-03-29"]);
    expect(rows[0]).toMatchObject({
      ...expectedDay("2026-03-29", "Europe/Paris", parisVisits, parisSms, 2500),
      peak_queue_size: 2,
      peak_hour: 3,
      // Joins at 01:40 and 03:10: one each in the first and second hours
      // after 01:00, the earlier wins; the hour from 01:00 ends at 03:00.
      busiest_window_start: "01:00:00",
      busiest_window_end: "03:00:00",
    });
  });

  it("gives empty days as zeros, today so far as not complete, nothing before the business existed or after today", async () => {
    const { rows } = await db().root.query(figuresSql, [[dakar.businessId], "2025-12-30", "2026-01-02"]);
    expect(rows.map((row) => row.date)).toEqual(["2026-01-01", "2026-01-02"]);
    expect(rows[0]).toMatchObject({ clients_registered: 0, peak_queue_size: 0, peak_hour: null, abandonment_rate: null, busiest_window_start: null });
    const today = await db().root.query<{ date: string; is_complete: boolean }>(
      `select to_char(date, 'YYYY-MM-DD') as date, is_complete from app_hidden.analytics_figures($1, current_date - 1, current_date + 3) order by date`,
      [[dakar.businessId]],
    );
    const dakarToday = (await db().root.query("select to_char((now() at time zone 'Africa/Dakar')::date, 'YYYY-MM-DD') as d")).rows[0].d;
    expect(today.rows.at(-1)).toEqual({ date: dakarToday, is_complete: false });
    expect(today.rows.filter((row) => !row.is_complete)).toHaveLength(1);
  });

  it("gives the same figures in a wide call (every business over 1,000 days or more: the nightly job's plan) as asked business by business", async () => {
    // As the owner with no list, over ~700 days of every business: at least
    // 1,000 (business, day) pairs, the call that is planned without sorts.
    const wide = await db().root.query(
      `select business_id, to_char(date, 'YYYY-MM-DD') as date, is_complete, ${figureColumns.join(", ")}
         from app_hidden.analytics_figures(null, '2025-01-01', '2026-11-30')
        where business_id = any ($1) order by business_id, date`,
      [[paris.businessId, dakar.businessId]],
    );
    const pairs = (await db().root.query("select count(*)::int * 699 as n from app_public.businesses")).rows[0].n as number;
    expect(pairs).toBeGreaterThanOrEqual(1000);
    const narrow: unknown[] = [];
    for (const business of [paris, dakar].sort((a, b) => (a.businessId < b.businessId ? -1 : 1))) {
      const { rows } = await db().root.query(
        `select business_id, to_char(date, 'YYYY-MM-DD') as date, is_complete, ${figureColumns.join(", ")}
           from app_hidden.analytics_figures($1, '2025-01-01', '2026-11-30') order by date`,
        [[business.businessId]],
      );
      narrow.push(...rows);
    }
    expect(wide.rows.length).toBeGreaterThan(600);
    expect(wide.rows.some((row) => row.clients_registered > 0)).toBe(true);
    expect(wide.rows).toEqual(narrow);
  });
});

describe("compute_analytics_daily", () => {
  it("stores one row per business and day that is over, and a rerun writes nothing", async () => {
    const written = await db().root.query("select app_private.compute_analytics_daily('2026-03-09', '2026-03-12', $1) as n", [
      [paris.businessId, dakar.businessId],
    ]);
    expect(written.rows[0].n).toBe(8);
    const stored = await db().root.query(
      `select to_char(date, 'YYYY-MM-DD') as date, time_zone, ${figureColumns.join(", ")}, updated_at
         from app_public.analytics_daily where business_id = $1 order by date`,
      [paris.businessId],
    );
    expect(stored.rows.map(({ updated_at: _stamp, ...row }) => row)).toEqual(
      ["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"].map((date) => ({
        date,
        time_zone: "Europe/Paris",
        ...expectedDay(date, "Europe/Paris", parisVisits, parisSms, 2500),
      })),
    );
    const again = await db().root.query("select app_private.compute_analytics_daily('2026-03-09', '2026-03-12', $1) as n", [
      [paris.businessId, dakar.businessId],
    ]);
    expect(again.rows[0].n).toBe(0);
    const after = await db().root.query("select updated_at from app_public.analytics_daily where business_id = $1 order by date", [
      paris.businessId,
    ]);
    expect(after.rows.map((row) => row.updated_at)).toEqual(stored.rows.map((row) => row.updated_at));
  });

  it("never stores a day that is not over in the business's zone, and leaves a final row alone", async () => {
    const stored = await db().root.query(
      "select app_private.compute_analytics_daily(current_date - 2, current_date + 1, $1) as n",
      [[dakar.businessId]],
    );
    expect(stored.rows[0].n).toBeGreaterThanOrEqual(1);
    const late = await db().root.query(
      "select count(*)::int as n from app_public.analytics_daily where business_id = $1 and date >= (now() at time zone 'Africa/Dakar')::date",
      [dakar.businessId],
    );
    expect(late.rows[0].n).toBe(0);
    // Retention marked the 10th final: its entries are gone, a rebuild keeps it.
    await db().root.query(
      "update app_public.analytics_daily set raw_data_removed_at = now(), clients_served = 99 where business_id = $1 and date = '2026-03-10'",
      [dakar.businessId],
    );
    await db().root.query("select app_private.compute_analytics_daily('2026-03-10', '2026-03-10', $1)", [[dakar.businessId]]);
    const kept = await db().root.query("select clients_served from app_public.analytics_daily where business_id = $1 and date = '2026-03-10'", [
      dakar.businessId,
    ]);
    expect(kept.rows[0].clients_served).toBe(99);
  });

  it("refuses a range backwards with a coded error", async () => {
    const refused = await failure(db().root.query("select app_private.compute_analytics_daily('2026-03-12', '2026-03-10')"));
    expect(refused.code).toBe("WTRNG");
  });
});

describe("who reads analytics_daily", () => {
  it("the owner reads their rows, another merchant none, the admin all", async () => {
    const other = await createBusiness(db(), { name: "Other" });
    await db().root.query("update app_public.businesses set created_at = '2026-01-01T00:00:00Z' where id = $1", [other.businessId]);
    await db().root.query("select app_private.compute_analytics_daily('2026-03-10', '2026-03-10')");
    const count = "select count(*)::int as n from app_public.analytics_daily where date = '2026-03-10'";
    expect(await asMerchant(db(), paris.userId, async (c) => (await c.query(count)).rows[0].n)).toBe(2);
    expect(await asMerchant(db(), other.userId, async (c) => (await c.query(count)).rows[0].n)).toBe(1);
    expect(await asAdmin(db(), async (c) => (await c.query(count)).rows[0].n)).toBeGreaterThanOrEqual(3);
    // Nobody writes through the API.
    const write = await failure(
      asMerchant(db(), paris.userId, (c) => c.query("update app_public.analytics_daily set clients_served = 0")),
    );
    expect(write.code).toBe("42501");
  });
});
