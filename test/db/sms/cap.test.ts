// SMS spend protection in SQL (db/sms/cap.sql, the outbox, join_queue): parts
// counted as the worker counts them, each business's daily cap of parts
// (the plan's default or the merchant's own, within bounds), messages beyond
// it recorded as capped (no job, never billed, never reported to Stripe), the
// merchant told once a day, concurrent joins never overshooting the cap, and
// a phone number in at most max_places_per_phone queues, even when it joins
// several at the same moment.
import fc from "fast-check";
import type pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../lib/config.ts";
import { countSmsParts } from "../../../lib/sms/parts.ts";
import { publishSmsSettings } from "../../../lib/sms/settings.ts";
import { asMerchant, asRoot, customerQuery, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, join, phone, smsLogs, type BusinessFixture } from "../../helpers/fixtures.ts";
import { openConnections, race } from "../../helpers/race.ts";

const db = useTestDatabase();

beforeAll(async () => {
  await publishSmsSettings(db().ownerUrl, loadConfig({ PUBLIC_URL: "https://w.example/" }));
});

// A custom message with "ê" (outside GSM-7): every confirmation and "your
// turn" of the business "Paul" is UCS-2, and at this length two parts; its
// other messages stay GSM-7, one part.
const UCS2_MESSAGE = "Prêt";
const UCS2_SHOP = { name: "Paul", customMessage: UCS2_MESSAGE };

async function setCap(business: BusinessFixture, parts: number | null): Promise<void> {
  await db().root.query("update app_public.businesses set sms_daily_cap_override = $2 where id = $1", [business.businessId, parts]);
}

async function partsToday(business: BusinessFixture): Promise<number> {
  const rows = await merchantQuery<{ parts: number }>(
    db(),
    business.userId,
    "select app_public.businesses_sms_parts_today(b) as parts from app_public.businesses b where b.id = $1",
    [business.businessId],
  );
  return rows[0]!.parts;
}

async function capEvents(userId: string) {
  const { rows } = await db().root.query<{ detail: Record<string, unknown>; actor: string }>(
    "select detail, actor from app_public.account_events where user_id = $1 and event_type = 'sms_cap_reached' order by id",
    [userId],
  );
  return rows;
}

async function jobCount(logIds: string[]): Promise<number> {
  const { rows } = await db().root.query<{ n: number }>(
    "select count(*)::int as n from graphile_worker._private_jobs where payload->>'sms_log_id' = any($1::text[])",
    [logIds],
  );
  return rows[0]!.n;
}

async function today(business: BusinessFixture): Promise<string> {
  const { rows } = await db().root.query<{ day: string }>(
    "select app_private.local_date(country)::text as day from app_public.businesses where id = $1",
    [business.businessId],
  );
  return rows[0]!.day;
}

describe("parts counted in SQL", () => {
  it("agree with lib/sms/parts.ts (the worker's count) on any text", async () => {
    // GSM basic, GSM extension (two septets), Latin outside GSM-7, and
    // characters beyond U+FFFF (two UTF-16 units): every boundary case mixes them.
    const alphabet = ["a", "Z", "é", " ", "\n", "€", "[", "^", "ê", "ç", "’", "😀", "𝄞", "Ω"];
    const texts = fc.sample(
      fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 400 }).map((chars) => chars.join("")),
      { seed: 20260311, numRuns: 300 },
    );
    // Exactly at the boundaries too.
    for (const n of [70, 71, 134, 135, 160, 161, 306, 307]) texts.push("x".repeat(n), "ê".repeat(n), "€".repeat(n / 2 + 1));
    const { rows } = await db().root.query<{ parts: number }>(
      "select app_private.sms_parts(t) as parts from unnest($1::text[]) with ordinality u(t, i) order by i",
      [texts],
    );
    expect(rows.map((row) => row.parts)).toEqual(texts.map((text) => countSmsParts(text).parts));
  });
});

describe("the daily cap", () => {
  it("defaults to 30 % of the plan's monthly quota; the merchant's own cap is bounded by the quota (coded error)", async () => {
    const basic = await createBusiness(db(), { plan: "basic" });
    const enterprise = await createBusiness(db(), { plan: "enterprise" });
    const cap = async (business: BusinessFixture) =>
      (
        await merchantQuery<{ cap: number; override: number | null }>(
          db(),
          business.userId,
          "select app_public.businesses_sms_daily_cap(b) as cap, b.sms_daily_cap_override as override from app_public.businesses b where b.id = $1",
          [business.businessId],
        )
      )[0]!;
    expect(await cap(basic)).toEqual({ cap: 300, override: null });
    expect(await cap(enterprise)).toEqual({ cap: 1500, override: null });

    const update = (business: BusinessFixture, value: number) =>
      merchantQuery(db(), business.userId, "update app_public.businesses set sms_daily_cap_override = $2 where id = $1", [
        business.businessId,
        value,
      ]);
    for (const value of [0, 1001, -5]) {
      expect(await failure(update(basic, value))).toEqual({
        code: "WTVAL",
        message: "Le plafond quotidien de SMS doit être compris entre 1 et 1000 parts (le quota mensuel de votre forfait).",
      });
    }
    await update(basic, 1000);
    expect(await cap(basic)).toEqual({ cap: 1000, override: 1000 });
    await update(basic, 40);
    expect(await cap(basic)).toEqual({ cap: 40, override: 40 });
    await update(enterprise, 5000);
    expect(await cap(enterprise)).toEqual({ cap: 5000, override: 5000 });
    // Moved to a plan with a smaller quota, the override no longer goes beyond it.
    await db().root.query(
      "update app_public.users set subscription_plan_id = (select id from app_public.subscription_plans where name = 'basic') where id = $1",
      [enterprise.userId],
    );
    expect(await cap(enterprise)).toEqual({ cap: 1000, override: 5000 });

    // Another merchant reads neither the cap nor today's parts of a business that is not theirs.
    const other = await createMerchant(db());
    const forged = await asMerchant(db(), other.userId, async (client) => {
      const { rows } = await client.query(
        `select app_public.businesses_sms_parts_today(b) as parts, app_public.businesses_sms_daily_cap(b) as cap
           from (select (jsonb_populate_record(null::app_public.businesses, jsonb_build_object('id', $1::uuid, 'user_id', $2::uuid, 'country', 'FR'))).*) b`,
        [basic.businessId, basic.userId],
      );
      return rows[0];
    });
    expect(forged).toEqual({ parts: null, cap: null });
  });

  it("counts parts, not messages: a 2-part UCS-2 message takes 2, the cap is reached exactly, then messages are capped", async () => {
    const shop = await createBusiness(db(), UCS2_SHOP);
    await setCap(shop, 5);
    const first = await join(db(), shop.qrToken, phone(101));
    const second = await join(db(), shop.qrToken, phone(102));
    const third = await join(db(), shop.qrToken, phone(103));
    const logs = await smsLogs(db(), "business_id = $1", [shop.businessId]);
    const byPhone = (n: number) => logs.find((log) => log.phone === phone(n))!;
    for (const log of logs) expect(countSmsParts(log.message_content)).toMatchObject({ encoding: "UCS-2", parts: 2 });
    expect([101, 102, 103].map((n) => [byPhone(n).status, byPhone(n).parts])).toEqual([
      ["pending", 2],
      ["pending", 2],
      // 4 + 2 > 5: recorded, not sent.
      ["capped", 2],
    ]);
    expect(await partsToday(shop)).toBe(4);
    // The capped message took nothing: a one-part message still fits, exactly at the cap.
    const thirdEntry = await db().root.query<{ id: string }>("select id from app_public.queue_entries where entry_token = $1", [
      third.entry_token,
    ]);
    const cancelled = await asRoot(db(), async (client) =>
      (await client.query("select app_private.enqueue_sms($1, 'cancelled') as id", [thirdEntry.rows[0]!.id])).rows[0].id,
    { commit: true });
    const [cancelledLog] = await smsLogs(db(), "id = $1", [cancelled]);
    expect([cancelledLog!.status, cancelledLog!.parts]).toEqual(["pending", 1]);
    expect(await partsToday(shop)).toBe(5);
    // At the cap, even one part is capped.
    const fourth = await join(db(), shop.qrToken, phone(104));
    expect((await smsLogs(db(), "phone = $1", [phone(104)])).map((log) => log.status)).toEqual(["capped"]);
    expect(await partsToday(shop)).toBe(5);

    // Capped logs have no job: nothing will ever send them; the others have theirs.
    const capped = (await smsLogs(db(), "business_id = $1 and status = 'capped'", [shop.businessId])).map((log) => log.id);
    expect(capped).toHaveLength(2);
    expect(await jobCount(capped)).toBe(0);
    expect(await jobCount([byPhone(101).id, byPhone(102).id, cancelled])).toBe(3);
    // A job that found a capped log anyway claims nothing.
    const claim = await db().root.query("select * from app_private.sms_claim($1)", [capped[0]]);
    expect(claim.rows).toEqual([]);
    // The customers are in the queue all the same: capping never refuses a join.
    expect([first, second, third, fourth].map((entry) => entry.status)).toEqual(["waiting", "waiting", "waiting", "waiting"]);
  });

  it("tells the merchant once a day (account event, email in their language); the next day starts afresh", async () => {
    const shop = await createBusiness(db(), { language: "en", name: "Corner Shop" });
    await setCap(shop, 2);
    for (let i = 1; i <= 5; i++) await join(db(), shop.qrToken, phone(200 + i));
    const day = await today(shop);
    expect(await capEvents(shop.userId)).toEqual([
      { actor: "system", detail: { businessId: shop.businessId, date: day, capParts: 2 } },
    ]);
    const emails = await db().root.query<{ template: string; language: string; subject: string; body: string }>(
      "select template, language, subject, body from app_private.email_logs where user_id = $1",
      [shop.userId],
    );
    expect(emails.rows).toHaveLength(1);
    expect(emails.rows[0]).toMatchObject({ template: "sms_cap_reached", language: "en", subject: "Daily SMS cap reached for Corner Shop" });
    expect(emails.rows[0]!.body).toContain("Corner Shop reached its cap of 2 SMS parts today (");
    // The email job is queued too.
    const emailJobs = await db().root.query(
      "select 1 from graphile_worker._private_jobs j join app_private.email_logs l on j.payload->>'email_log_id' = l.id::text where l.user_id = $1",
      [shop.userId],
    );
    expect(emailJobs.rowCount).toBe(1);
    expect((await smsLogs(db(), "business_id = $1", [shop.businessId])).map((log) => log.status)).toEqual([
      "pending", "pending", "capped", "capped", "capped",
    ]);

    // Midnight passes (today's counter becomes yesterday's): a fresh allowance, and a new notice once it runs out.
    await db().root.query("update app_private.sms_daily_usage set day = day - 1 where business_id = $1", [shop.businessId]);
    for (let i = 6; i <= 8; i++) await join(db(), shop.qrToken, phone(200 + i));
    expect((await smsLogs(db(), "business_id = $1", [shop.businessId])).slice(5).map((log) => log.status)).toEqual([
      "pending", "pending", "capped",
    ]);
    const events = await capEvents(shop.userId);
    expect(events).toHaveLength(2);
    expect(events[1]!.detail).toEqual({ businessId: shop.businessId, date: day, capParts: 2 });
    // The email is keyed by business and date: one per real day (this simulated one shares today's date).
    const keys = await db().root.query("select dedupe_key from app_private.email_logs where user_id = $1", [shop.userId]);
    expect(keys.rows).toEqual([{ dedupe_key: `sms_cap_reached:${shop.businessId}:${day}` }]);
  });

  it("the cap is each business's own, on the business's local date (Dakar for Senegal)", async () => {
    const merchant = await createMerchant(db(), { plan: "pro" });
    const paris = await createBusiness(db(), { merchant, name: "Paris" });
    const dakar = await createBusiness(db(), { merchant, name: "Dakar", country: "SN" });
    await setCap(paris, 1);
    await setCap(dakar, 1);
    await join(db(), paris.qrToken, phone(301));
    await join(db(), dakar.qrToken, "+221771234567");
    await join(db(), paris.qrToken, phone(302));
    const { rows } = await db().root.query<{ business_id: string; day: string; parts: number; expected: string }>(
      `select u.business_id, u.day::text as day, u.parts,
              (now() at time zone case b.country when 'SN' then 'Africa/Dakar' else 'Europe/Paris' end)::date::text as expected
         from app_private.sms_daily_usage u join app_public.businesses b on b.id = u.business_id
        where u.user_id = $1 order by b.name`,
      [merchant.userId],
    );
    expect(rows.map((row) => [row.business_id, row.parts, row.day === row.expected])).toEqual([
      [dakar.businessId, 1, true],
      [paris.businessId, 1, true],
    ]);
    expect((await smsLogs(db(), "business_id = $1", [paris.businessId])).map((log) => log.status)).toEqual(["pending", "capped"]);
    expect((await smsLogs(db(), "business_id = $1", [dakar.businessId])).map((log) => log.status)).toEqual(["pending"]);
  });

  it("capped messages are never billed: not in usage, statements nor Stripe meter reports", async () => {
    const shop = await createBusiness(db(), { plan: "basic", ...UCS2_SHOP });
    // Subscribed at Stripe for a while (as the webhooks leave it), so its usage is metered.
    await db().root.query("insert into app_private.stripe_customers (user_id, stripe_customer_id) values ($1, 'cus_capped1')", [
      shop.userId,
    ]);
    await db().root.query(
      `insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, billing_interval, stripe_created)
       values ($1, 'sub_capped1', 'active', 'month', now() - interval '40 days')`,
      [shop.userId],
    );
    await setCap(shop, 3);
    for (let i = 1; i <= 4; i++) await join(db(), shop.qrToken, phone(400 + i));
    const logs = await smsLogs(db(), "business_id = $1", [shop.businessId]);
    expect(logs.map((log) => [log.status, log.parts])).toEqual([
      ["pending", 2],
      ["capped", 2],
      ["capped", 2],
      ["capped", 2],
    ]);
    // The worker sends the pending one (and would find nothing to send for the others).
    for (const log of logs) {
      await db().root.query("select app_private.sms_mark_sent($1, $2, 2, '{}')", [log.id, `m-${log.id}`]);
    }
    const after = await smsLogs(db(), "business_id = $1", [shop.businessId]);
    expect(after.map((log) => [log.status, log.cost_cents])).toEqual([
      ["sent", 6],
      ["capped", 0],
      ["capped", 0],
      ["capped", 0],
    ]);
    const usage = await asMerchant(db(), shop.userId, async (client) =>
      (await client.query("select messages, parts from app_public.sms_usage_by_business() where business_id = $1", [shop.businessId])).rows,
    );
    expect(usage).toEqual([{ messages: 1, parts: 2 }]);
    const statement = await db().root.query<{ sms_used: number; usage_by_business: Array<{ parts: number }> }>(
      "select sms_used, usage_by_business from app_private.compute_statement($1, current_date)",
      [shop.userId],
    );
    expect(statement.rows[0]!.sms_used).toBe(2);
    expect(statement.rows[0]!.usage_by_business.map((row) => row.parts)).toEqual([2]);
    const reports = await db().root.query<{ parts: number }>(
      "select parts from app_private.due_usage_reports(now() + interval '2 hours', '0 minutes') where user_id = $1",
      [shop.userId],
    );
    expect(reports.rows.map((row) => row.parts)).toEqual([2]);
  });
});

describe("concurrency at the edge of the cap", () => {
  let opened: pg.Client[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((client) => client.end()));
    opened = [];
  });

  it("24 joins at once on 12 queues of one business never overshoot the cap: 7 two-part messages under 15 parts", async () => {
    const shop = await createBusiness(db(), { ...UCS2_SHOP, maxQueueSize: 50 });
    await setCap(shop, 15);
    const { rows: queues } = await db().root.query<{ id: string; qr_code_token: string }>(
      `insert into app_public.queues (business_id, user_id, name, is_queue_active)
       select $1, $2, 'Guichet ' || n, true from generate_series(2, 12) n
       returning id, qr_code_token`,
      [shop.businessId, shop.userId],
    );
    const tokens = [shop.qrToken, ...queues.map((queue) => queue.qr_code_token)];
    const ids = [shop.queueId, ...queues.map((queue) => queue.id)];
    const clients = await openConnections(db(), 24);
    opened.push(...clients);
    const outcomes = await race(
      db(),
      // Every queue held at once: each join waits on its own queue, and all start together.
      { sql: "select 1 from app_public.queues where id = any($1::uuid[]) for update", values: [ids] },
      clients,
      { role: "waitify_anonymous" },
      Array.from({ length: 24 }, (_, i) => ({
        sql: "select * from app_public.join_queue($1, $2)",
        values: [tokens[i % tokens.length], phone(500 + i)],
      })),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(24);
    const { rows } = await db().root.query<{ status: string; n: number; parts: number }>(
      `select status, count(*)::int as n, sum(parts)::int as parts from app_public.sms_logs
        where business_id = $1 group by status order by status`,
      [shop.businessId],
    );
    expect(rows).toEqual([
      { status: "capped", n: 17, parts: 34 },
      { status: "pending", n: 7, parts: 14 },
    ]);
    expect(await partsToday(shop)).toBe(14);
    expect(await capEvents(shop.userId)).toHaveLength(1);
  });
});

describe("one phone number in a few queues at most", () => {
  let opened: pg.Client[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((client) => client.end()));
    opened = [];
  });

  it("a fourth queue is refused (TOO_MANY_QUEUES, in the business's language) until one place ends", async () => {
    const shops = await Promise.all(
      ["fr", "fr", "fr", "en", "fr"].map((language, i) => createBusiness(db(), { name: `Shop ${i}`, language: language as "fr" | "en" })),
    );
    const number = phone(600);
    const entries = [];
    for (const shop of shops.slice(0, 3)) entries.push(await join(db(), shop.qrToken, number));
    expect(await failure(join(db(), shops[3]!.qrToken, number))).toEqual({
      code: "WTMXQ",
      message: "This phone number already holds a place in 3 queue(s), the most allowed: leave one before joining another.",
    });
    expect(await failure(join(db(), shops[4]!.qrToken, number))).toEqual({
      code: "WTMXQ",
      message: "Ce numéro a déjà une place dans 3 file(s) d'attente, le maximum : quittez-en une avant d'en rejoindre une autre.",
    });
    // Another number is not concerned.
    expect((await join(db(), shops[3]!.qrToken, phone(601))).status).toBe("waiting");
    // Called still holds the place; served frees it.
    const called = await merchantQuery<{ id: string }>(db(), shops[0]!.userId, "select * from app_public.call_next($1)", [shops[0]!.queueId]);
    expect(await failure(join(db(), shops[3]!.qrToken, number))).toMatchObject({ code: "WTMXQ" });
    await merchantQuery(db(), shops[0]!.userId, "select * from app_public.mark_served($1)", [called[0]!.id]);
    expect((await join(db(), shops[3]!.qrToken, number)).status).toBe("waiting");
    // A cancelled place frees one too.
    await customerQuery(db(), "select * from app_public.cancel_entry($1)", [entries[1]!.entry_token]);
    expect((await join(db(), shops[4]!.qrToken, number)).status).toBe("waiting");
    const { rows } = await db().root.query<{ n: number }>(
      "select count(*)::int as n from app_public.queue_entries where phone = $1 and status in ('waiting', 'called')",
      [number],
    );
    expect(rows[0]!.n).toBe(3);
  });

  it("the same number joining 5 queues at the same moment: exactly 3 in, 2 TOO_MANY_QUEUES", async () => {
    const shops = await Promise.all(Array.from({ length: 5 }, (_, i) => createBusiness(db(), { name: `Race ${i}` })));
    const clients = await openConnections(db(), 5);
    opened.push(...clients);
    const outcomes = await race(
      db(),
      { sql: "select 1 from app_public.queues where id = any($1::uuid[]) for update", values: [shops.map((shop) => shop.queueId)] },
      clients,
      { role: "waitify_anonymous" },
      shops.map((shop) => ({ sql: "select * from app_public.join_queue($1, $2)", values: [shop.qrToken, phone(700)] })),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(3);
    expect(outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.code)).toEqual(["WTMXQ", "WTMXQ"]);
    const { rows } = await db().root.query<{ n: number }>(
      "select count(*)::int as n from app_public.queue_entries where phone = $1",
      [phone(700)],
    );
    expect(rows[0]!.n).toBe(3);
  });

  it("the limit is a setting (system_configs.max_places_per_phone)", async () => {
    const shops = await Promise.all(Array.from({ length: 2 }, (_, i) => createBusiness(db(), { name: `Setting ${i}` })));
    await db().root.query("update app_public.system_configs set value = '1' where key = 'max_places_per_phone'");
    try {
      await join(db(), shops[0]!.qrToken, phone(800));
      expect(await failure(join(db(), shops[1]!.qrToken, phone(800)))).toMatchObject({
        code: "WTMXQ",
        message: expect.stringContaining("dans 1 file(s)"),
      });
    } finally {
      await db().root.query("update app_public.system_configs set value = '3' where key = 'max_places_per_phone'");
    }
  });
});
