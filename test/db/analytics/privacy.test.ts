// Privacy (db/analytics/privacy.sql): phone numbers and names erased a
// business's retention hours after the visit ends, SMS logs with them, the
// analytics and billing counts unchanged; forget_customer erases a number
// across a merchant's businesses (read as each country reads it), records an
// audit row without the number, and touches nobody else's rows.
import { beforeAll, describe, expect, it } from "vitest";
import { asAnonymous, asMerchant, asRoot, failure, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, type BusinessFixture } from "../../helpers/fixtures.ts";
import { insertSms, insertVisits, type Visit } from "../../helpers/analytics.ts";

const db = useTestDatabase();

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000).toISOString();
const figures = (businessId: string) =>
  db().root.query(
    `select * from app_hidden.analytics_figures($1, current_date - 3, current_date) order by date`,
    [[businessId]],
  ).then((result) => result.rows);
const usage = (userId: string) =>
  db().root.query("select * from app_private.sms_usage_between($1, now() - interval '10 days', now())", [userId]).then((r) => r.rows);

describe("erase_expired_phones", () => {
  let shop: BusinessFixture;
  let quick: BusinessFixture;
  let ids: string[];
  let quickIds: string[];

  beforeAll(async () => {
    shop = await createBusiness(db(), { name: "24 h" });
    quick = await createBusiness(db(), { merchant: shop.merchant, name: "2 h" });
    await db().root.query("update app_public.businesses set phone_retention_hours = 2, created_at = now() - interval '5 days' where id = $1", [
      quick.businessId,
    ]);
    await db().root.query("update app_public.businesses set created_at = now() - interval '5 days' where id = $1", [shop.businessId]);
    const visits = (queueId: string): Visit[] => [
      // Ended 25 hours ago.
      { queueId, joined: hoursAgo(26), called: hoursAgo(25.5), served: hoursAgo(25), name: "Ana", quoted: 10 },
      // Ended 3 hours ago.
      { queueId, joined: hoursAgo(4), called: hoursAgo(3.5), missed: hoursAgo(3), name: "Bo", quoted: 5 },
      // Still waiting.
      { queueId, joined: hoursAgo(30), name: "Cy" },
      // A walk-in (no number, a name), gone 30 hours ago: the name goes too.
      { queueId, joined: hoursAgo(31), cancelled: hoursAgo(30), phone: null, name: "Dee", walkIn: true },
    ];
    await asRoot(
      db(),
      async (client) => {
        ids = await insertVisits(client, shop, visits(shop.queueId));
        quickIds = await insertVisits(client, quick, visits(quick.queueId));
        await insertSms(client, shop, [{ status: "sent", sentAt: hoursAgo(25.9), parts: 2 }, { status: "delivered", sentAt: hoursAgo(25.4) }], {
          entryId: ids[0],
          phone: "+33611111111",
        });
        // The missed visit's last SMS is still pending at the quick business.
        await insertSms(client, quick, [{ status: "sent", sentAt: hoursAgo(3.9) }, { status: "pending" }], { entryId: quickIds[1], phone: "+33622222222" });
      },
      { commit: true },
    );
  });

  it("erases numbers and names after each business's retention, keeps the counts", async () => {
    const before = { shop: await figures(shop.businessId), quick: await figures(quick.businessId), usage: await usage(shop.userId) };
    const erased = await db().root.query("select app_private.erase_expired_phones() as n");
    // 24 h: the visit served 25 h ago and the walk-in; 2 h: the same two (the missed one waits for its SMS).
    expect(erased.rows[0].n).toBe(4);
    const state = await db().root.query<{ id: string; phone: string | null; client_name: string | null; erased: boolean }>(
      "select id, phone, client_name, erased_at is not null as erased from app_public.queue_entries where business_id in ($1, $2)",
      [shop.businessId, quick.businessId],
    );
    const byId = new Map(state.rows.map((row) => [row.id, row]));
    expect(byId.get(ids[0]!)).toMatchObject({ phone: null, client_name: null, erased: true });
    expect(byId.get(ids[1]!)).toMatchObject({ client_name: "Bo", erased: false });
    expect(byId.get(ids[1]!)!.phone).not.toBeNull();
    expect(byId.get(ids[2]!)).toMatchObject({ client_name: "Cy", erased: false });
    expect(byId.get(ids[3]!)).toMatchObject({ phone: null, client_name: null, erased: true });
    expect(byId.get(quickIds[0]!)).toMatchObject({ phone: null, erased: true });
    expect(byId.get(quickIds[1]!)).toMatchObject({ erased: false });
    const sms = await db().root.query("select phone, status, parts from app_public.sms_logs where queue_entry_id = $1 order by sent_at", [ids[0]]);
    expect(sms.rows).toEqual([
      { phone: null, status: "sent", parts: 2 },
      { phone: null, status: "delivered", parts: 1 },
    ]);
    // Nothing counted changed.
    expect(await figures(shop.businessId)).toEqual(before.shop);
    expect(await figures(quick.businessId)).toEqual(before.quick);
    expect(await usage(shop.userId)).toEqual(before.usage);

    // Once its SMS is sent, the missed visit at the 2 h business goes at the next run.
    await db().root.query(
      "update app_public.sms_logs set status = 'failed', error_code = 5001 where queue_entry_id = $1 and status = 'pending'",
      [quickIds[1]],
    );
    expect((await db().root.query("select app_private.erase_expired_phones() as n")).rows[0].n).toBe(1);
    const after = await db().root.query("select count(*)::int as n from app_public.sms_logs where queue_entry_id = $1 and phone is not null", [
      quickIds[1],
    ]);
    expect(after.rows[0].n).toBe(0);
    // A second run finds nothing more.
    expect((await db().root.query("select app_private.erase_expired_phones() as n")).rows[0].n).toBe(0);
  });

  it("erases at most max_rows visits per call", async () => {
    const other = await createBusiness(db(), { name: "Batch" });
    await asRoot(
      db(),
      (client) =>
        insertVisits(
          client,
          other,
          [1, 2, 3].map((i) => ({ queueId: other.queueId, joined: hoursAgo(50 + i), cancelled: hoursAgo(49 + i) })),
        ),
      { commit: true },
    );
    expect((await db().root.query("select app_private.erase_expired_phones(now(), 2) as n")).rows[0].n).toBe(2);
    expect((await db().root.query("select app_private.erase_expired_phones(now(), 2) as n")).rows[0].n).toBe(1);
  });
});

describe("forget_customer", () => {
  it("erases a number from every finished visit and SMS log of the merchant's businesses, with an audit row without it", async () => {
    const merchant = await createMerchant(db(), { plan: "enterprise" });
    const paris = await createBusiness(db(), { merchant, name: "Paris", country: "FR" });
    const dakar = await createBusiness(db(), { merchant, name: "Dakar", country: "SN" });
    const stranger = await createBusiness(db(), { name: "Ailleurs" });
    const number = "+33612345678";
    const senegal = "+221771234567";
    const ids = await asRoot(
      db(),
      async (client) => {
        const parisIds = await insertVisits(client, paris, [
          { queueId: paris.queueId, joined: hoursAgo(5), called: hoursAgo(4.9), served: hoursAgo(4.8), phone: number, name: "Zoé" },
          { queueId: paris.queueId, joined: hoursAgo(2), called: hoursAgo(1.9), missed: hoursAgo(1.8), phone: number },
          // Still waiting: the number stays until the visit ends.
          { queueId: paris.queueId, joined: hoursAgo(0.5), phone: number },
          { queueId: paris.queueId, joined: hoursAgo(3), cancelled: hoursAgo(2.9), phone: "+33699999999" },
        ]);
        const dakarIds = await insertVisits(client, dakar, [
          { queueId: dakar.queueId, joined: hoursAgo(6), cancelled: hoursAgo(5.9), phone: number },
          { queueId: dakar.queueId, joined: hoursAgo(6), cancelled: hoursAgo(5.9), phone: senegal },
        ]);
        const strangerIds = await insertVisits(client, stranger, [
          { queueId: stranger.queueId, joined: hoursAgo(5), cancelled: hoursAgo(4.9), phone: number },
        ]);
        await insertSms(client, paris, [{ status: "sent", sentAt: hoursAgo(4.95) }, { status: "delivered", sentAt: hoursAgo(4.85) }], {
          entryId: parisIds[0],
          phone: number,
        });
        await insertSms(client, stranger, [{ status: "sent", sentAt: hoursAgo(4.95) }], { entryId: strangerIds[0], phone: number });
        return { parisIds, dakarIds, strangerIds };
      },
      { commit: true },
    );

    // Typed the French way; the Senegalese business reads 06… as nothing of its own.
    const erasure = await asMerchant(db(), merchant.userId, async (client) =>
      (await client.query("select * from app_public.forget_customer('06 12 34 56 78')")).rows[0],
      { commit: true },
    );
    expect(erasure).toMatchObject({ user_id: merchant.userId, entries_erased: 3, sms_logs_erased: 2, visits_in_progress: 1 });
    expect(JSON.stringify(erasure)).not.toMatch(/612345678/);

    const phones = await db().root.query<{ id: string; phone: string | null; client_name: string | null }>(
      "select id, phone, client_name from app_public.queue_entries where user_id in ($1, $2)",
      [merchant.userId, stranger.userId],
    );
    const phoneOf = new Map(phones.rows.map((row) => [row.id, row.phone]));
    expect([0, 1].map((i) => phoneOf.get(ids.parisIds[i]!))).toEqual([null, null]);
    expect(phoneOf.get(ids.parisIds[2]!)).toBe(number);
    expect(phoneOf.get(ids.parisIds[3]!)).toBe("+33699999999");
    expect(phoneOf.get(ids.dakarIds[0]!)).toBeNull();
    expect(phoneOf.get(ids.dakarIds[1]!)).toBe(senegal);
    // Another merchant's customer with the same number is none of this merchant's business.
    expect(phoneOf.get(ids.strangerIds[0]!)).toBe(number);
    const strangerSms = await db().root.query("select phone from app_public.sms_logs where queue_entry_id = $1", [ids.strangerIds[0]]);
    expect(strangerSms.rows).toEqual([{ phone: number }]);

    // A Senegalese number typed the Senegalese way reaches the Dakar business.
    const second = await asMerchant(db(), merchant.userId, async (client) =>
      (await client.query("select entries_erased from app_public.forget_customer('77 123 45 67')")).rows[0],
      { commit: true },
    );
    expect(second.entries_erased).toBe(1);

    // The audit: the merchant reads theirs, the other merchant none.
    const audit = (userId: string) =>
      asMerchant(db(), userId, async (client) => (await client.query("select count(*)::int as n from app_public.customer_erasures")).rows[0].n);
    expect(await audit(merchant.userId)).toBe(2);
    expect(await audit(stranger.userId)).toBe(0);
  });

  it("refuses a number that is not one, and anonymous callers", async () => {
    const merchant = await createMerchant(db());
    const bad = await failure(asMerchant(db(), merchant.userId, (client) => client.query("select app_public.forget_customer('hello')")));
    expect(bad.code).toBe("WTPHN");
    const anonymous = await failure(asAnonymous(db(), (client) => client.query("select app_public.forget_customer('0612345678')")));
    expect(anonymous.code).toBe("42501");
    const audit = await db().root.query("select count(*)::int as n from app_public.customer_erasures where user_id = $1", [merchant.userId]);
    expect(audit.rows[0].n).toBe(0);
  });
});
