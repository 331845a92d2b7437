// Retention (db/analytics/retention.sql): finished visits and their events
// older than 90 days (system_configs) go, only once their days are stored;
// the stored days stay as they were and become final (a rebuild keeps them);
// SMS logs stay for billing; recent visits, visits in progress and visits
// touching a day not stored stay; batches of max_rows.
import { beforeAll, describe, expect, it } from "vitest";
import { asMerchant, asRoot, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, type BusinessFixture } from "../../helpers/fixtures.ts";
import { insertSms, insertVisits, type Visit } from "../../helpers/analytics.ts";

const db = useTestDatabase();

let shop: BusinessFixture;
let ids: string[];
/** Local dates (Paris) and instants relative to today, from the database's clock. */
let day: (daysAgo: number) => string;
let at: (daysAgo: number, time: string) => string;

const dayRows = () =>
  db().root.query(
    `select to_char(date, 'YYYY-MM-DD') as date, clients_registered, clients_served, clients_cancelled, peak_queue_size, sms_parts,
            average_wait_minutes, busiest_window_start
       from app_public.analytics_daily where business_id = $1 order by date`,
    [shop.businessId],
  ).then((result) => result.rows);
const remaining = () =>
  db().root.query<{ id: string }>("select id from app_public.queue_entries where business_id = $1", [shop.businessId]).then((r) =>
    r.rows.map((row) => row.id).sort(),
  );
const retention = (maxRows = 10000) =>
  db().root.query("select * from app_private.run_analytics_retention(now(), $1)", [maxRows]).then((r) => r.rows[0]);

beforeAll(async () => {
  // No SMS from the events written below: the one SMS is written by hand.
  shop = await createBusiness(db(), { name: "Ancienne", smsEnabled: false });
  await db().root.query("update app_public.businesses set created_at = now() - interval '200 days' where id = $1", [shop.businessId]);
  const { rows } = await db().root.query<{ today: string }>("select to_char((now() at time zone 'Europe/Paris')::date, 'YYYY-MM-DD') as today");
  const today = Date.parse(`${rows[0]!.today}T12:00:00Z`);
  day = (daysAgo) => new Date(today - daysAgo * 86_400_000).toISOString().slice(0, 10);
  at = (daysAgo, time) => new Date(`${day(daysAgo)}T${time}+01:00`).toISOString();
  const q = shop.queueId;
  const visits: Visit[] = [
    // 100 and 95 days ago: finished.
    { queueId: q, joined: at(100, "09:00:00"), called: at(100, "09:10:00"), served: at(100, "09:15:00"), quoted: 5 },
    { queueId: q, joined: at(100, "09:05:00"), cancelled: at(100, "09:07:00"), quoted: 5 },
    { queueId: q, joined: at(95, "11:00:00"), called: at(95, "11:30:00"), served: at(95, "11:40:00"), quoted: 10 },
    // 120 days ago to 118: a visit across a day that will not be stored.
    { queueId: q, joined: at(120, "22:00:00"), called: at(118, "10:00:00"), served: at(118, "10:05:00") },
    // 97 days ago and still waiting.
    { queueId: q, joined: at(97, "10:00:00") },
    // 10 days ago: recent.
    { queueId: q, joined: at(10, "09:00:00"), called: at(10, "09:05:00"), served: at(10, "09:06:00") },
  ];
  ids = await asRoot(
    db(),
    async (client) => {
      const inserted = await insertVisits(client, shop, visits);
      for (const [i, type] of [
        [0, "entry_joined"],
        [0, "entry_called"],
        [0, "entry_served"],
        [1, "entry_joined"],
        [1, "entry_cancelled"],
        [5, "entry_joined"],
      ] as const) {
        await client.query(
          `insert into app_public.queue_events (queue_id, business_id, user_id, entry_id, event_type, actor, waiting_count, created_at)
           values ($1, $2, $3, $4, $5, 'system', 0, (select joined_at from app_public.queue_entries where id = $4))`,
          [q, shop.businessId, shop.userId, inserted[i], type],
        );
      }
      await client.query(
        `insert into app_public.queue_events (queue_id, business_id, user_id, event_type, actor, waiting_count, created_at)
         values ($1, $2, $3, 'queue_opened', 'system', 0, $4), ($1, $2, $3, 'queue_opened', 'system', 0, $5)`,
        [q, shop.businessId, shop.userId, at(100, "08:00:00"), at(10, "08:00:00")],
      );
      await insertSms(client, shop, [{ status: "sent", sentAt: at(100, "09:01:00"), parts: 2 }], { entryId: inserted[0] });
      return inserted;
    },
    { commit: true },
  );
});

describe("run_analytics_retention", () => {
  it("deletes nothing whose days are not stored yet", async () => {
    expect(await retention()).toEqual({ entries_deleted: 0, events_deleted: 0, days_final: 0 });
    expect(await remaining()).toHaveLength(6);
  });

  it("deletes old finished visits and their events once stored; the days stay the same and become final", async () => {
    // Every day except the 119th day ago (the long visit's middle day).
    await db().root.query("select app_private.compute_analytics_daily($1, $2)", [day(121), day(119 + 1)]);
    await db().root.query("select app_private.compute_analytics_daily($1, $2)", [day(118), day(1)]);
    await db().root.query("delete from app_public.analytics_daily where business_id = $1 and date = $2", [shop.businessId, day(119)]);
    const before = await dayRows();
    const usageBefore = await db().root.query("select * from app_private.sms_usage_between($1, now() - interval '200 days', now())", [shop.userId]);

    const result = await retention();
    expect(result.entries_deleted).toBe(3);
    expect(result.events_deleted).toBe(6);
    expect(result.days_final).toBeGreaterThan(0);
    // Left: the visit across the missing day, the one still waiting, the recent one.
    expect(await remaining()).toEqual([ids[3], ids[4], ids[5]].sort());
    const events = await db().root.query<{ event_type: string; entry_id: string | null }>(
      "select event_type, entry_id from app_public.queue_events where business_id = $1 order by created_at",
      [shop.businessId],
    );
    expect(events.rows).toEqual([
      { event_type: "queue_opened", entry_id: null },
      { event_type: "entry_joined", entry_id: ids[5] },
    ]);
    // The analytics are as they were; the SMS ledger too (its link to the visit is gone).
    expect(await dayRows()).toEqual(before);
    const sms = await db().root.query("select queue_entry_id, status, parts from app_public.sms_logs where business_id = $1", [shop.businessId]);
    expect(sms.rows).toEqual([{ queue_entry_id: null, status: "sent", parts: 2 }]);
    const usageAfter = await db().root.query("select * from app_private.sms_usage_between($1, now() - interval '200 days', now())", [shop.userId]);
    expect(usageAfter.rows).toEqual(usageBefore.rows);

    // Days older than 90 days are final: a rebuild leaves them as they were.
    const final = await db().root.query<{ date: string; final: boolean }>(
      "select to_char(date, 'YYYY-MM-DD') as date, raw_data_removed_at is not null as final from app_public.analytics_daily where business_id = $1 and date in ($2, $3, $4)",
      [shop.businessId, day(100), day(95), day(10)],
    );
    expect(Object.fromEntries(final.rows.map((row) => [row.date, row.final]))).toEqual({ [day(100)]: true, [day(95)]: true, [day(10)]: false });
    await db().root.query("select app_private.compute_analytics_daily($1, $2)", [day(118), day(1)]);
    expect(await dayRows()).toEqual(before);
    const old = before.find((row) => row.date === day(100));
    expect(old).toMatchObject({ clients_registered: 2, clients_served: 1, clients_cancelled: 1, sms_parts: 2 });

    // Once the missing day is stored, the long visit goes too; a rerun then finds nothing.
    await db().root.query("select app_private.compute_analytics_daily($1, $1)", [day(119)]);
    expect((await retention()).entries_deleted).toBe(1);
    expect(await retention()).toMatchObject({ entries_deleted: 0, events_deleted: 0 });
    // The merchant still reads the old days; another merchant sees none of them.
    const own = await asMerchant(db(), shop.userId, async (client) =>
      (await client.query("select count(*)::int as n from app_public.business_analytics_daily($1, $2, $3)", [shop.businessId, day(100), day(95)])).rows[0].n,
    );
    expect(own).toBe(6);
    const stranger = await createBusiness(db(), { name: "Voisin" });
    const theirs = await asMerchant(db(), stranger.userId, async (client) =>
      (await client.query("select count(*)::int as n from app_public.analytics_daily")).rows[0].n,
    );
    expect(theirs).toBe(0);
  });

  it("works in batches of max_rows, and marks days final only when done", async () => {
    const batch = await createBusiness(db(), { merchant: shop.merchant, name: "Lots" });
    await db().root.query("update app_public.businesses set created_at = now() - interval '200 days' where id = $1", [batch.businessId]);
    await asRoot(
      db(),
      (client) =>
        insertVisits(
          client,
          batch,
          [1, 2, 3].map((i) => ({ queueId: batch.queueId, joined: at(100, `1${i}:00:00`), cancelled: at(100, `1${i}:05:00`) })),
        ),
      { commit: true },
    );
    await db().root.query("select app_private.compute_analytics_daily($1, $1, $2)", [day(100), [batch.businessId]]);
    expect(await retention(2)).toMatchObject({ entries_deleted: 2, days_final: 0 });
    expect(await retention(2)).toMatchObject({ entries_deleted: 1 });
    const final = await db().root.query("select raw_data_removed_at is not null as final from app_public.analytics_daily where business_id = $1", [
      batch.businessId,
    ]);
    expect(final.rows).toEqual([{ final: true }]);
  });
});
