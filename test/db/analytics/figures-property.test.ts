// The daily pass (app_hidden.analytics_figures) against the independent
// replay (test/helpers/analytics.ts expectedDay) on random days: visits of one
// or two queues over four days around a summer-time change or not, in zones
// whose days begin on a UTC hour (summed hour by hour) and in half-hour zones
// (Asia/Kolkata, Australia/Lord_Howe: computed visit by visit), some visits
// crossing a local midnight, some lasting hours, some still going, SMS of
// every status. Every figure of every day must match. A second business, in
// another zone drawn at random, is computed in the same call with SMS of its
// own: the SMS logs are read by stretches common to every zone computed
// (db/analytics/daily.sql, sms_cores), which must not mix their days.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { asRoot, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, type BusinessFixture } from "../../helpers/fixtures.ts";
import { expectedDay, figureColumns, insertSms, insertVisits, nextDate, type SmsRow, type Visit } from "../../helpers/analytics.ts";

const db = useTestDatabase();

const zones = ["Europe/Paris", "Africa/Dakar", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"] as const;
// Summer-time changes (Paris 03-29 and 10-25, New York 03-08, Lord Howe 04-05) and an ordinary day.
const firstDays = ["2026-03-07", "2026-03-28", "2026-04-04", "2026-06-14", "2026-10-24"] as const;
const TICKET = 1500;

let business: BusinessFixture;
let secondQueue: string;
let companion: BusinessFixture;

beforeAll(async () => {
  business = await createBusiness(db(), { name: "Random days" });
  await db().root.query("update app_public.businesses set created_at = '2026-01-01T00:00:00Z', average_ticket_cents = $2 where id = $1", [
    business.businessId,
    TICKET,
  ]);
  const second = await db().root.query<{ id: string }>(
    "insert into app_public.queues (business_id, user_id, name, average_service_time) values ($1, $2, 'Caisse 2', 120) returning id",
    [business.businessId, business.userId],
  );
  secondQueue = second.rows[0]!.id;
  companion = await createBusiness(db(), { name: "Companion" });
  await db().root.query("update app_public.businesses set created_at = '2026-01-01T00:00:00Z', average_ticket_cents = $2 where id = $1", [
    companion.businessId,
    TICKET,
  ]);
});

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/** A visit drawn as offsets (seconds) from the first day's UTC midnight − 14 h: anywhere in the four local days. */
const visitArbitrary = fc.record({
  queue: fc.integer({ min: 0, max: 1 }),
  joined: fc.integer({ min: 0, max: 4 * 86_400 + 24 * 3600 }),
  // Mostly minutes, sometimes hours (through a night). At least a second:
  // a customer called the second they joined is one in the queue for the
  // pass (position at join) and none for the replay (joined and gone at the
  // same instant) — a tie the definitions leave open.
  wait: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 50 * 60 }) }, { weight: 1, arbitrary: fc.integer({ min: 3600, max: 14 * 3600 }) }),
  service: fc.integer({ min: 0, max: 20 * 60 }),
  outcome: fc.constantFrom("served", "served", "served", "missed", "cancelled", "cancelled-waiting", "waiting", "called"),
  quoted: fc.integer({ min: 0, max: 40 }),
});

const smsArbitrary = fc.record({
  status: fc.constantFrom<SmsRow["status"]>("sent", "delivered", "failed", "pending"),
  at: fc.integer({ min: 0, max: 4 * 86_400 + 24 * 3600 }),
  parts: fc.integer({ min: 1, max: 3 }),
});

describe("analytics_figures on random days", () => {
  it("matches the independent replay for every figure of every day, whatever the zone", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...zones),
        fc.constantFrom(...firstDays),
        fc.array(visitArbitrary, { maxLength: 14 }),
        fc.array(smsArbitrary, { maxLength: 5 }),
        fc.constantFrom(...zones),
        fc.array(smsArbitrary, { maxLength: 5 }),
        async (zone, firstDay, draws, smsDraws, companionZone, companionDraws) => {
          const origin = Date.parse(`${firstDay}T00:00:00Z`) / 1000 - 14 * 3600;
          const visits: Visit[] = draws.map((d) => {
            const joined = origin + d.joined;
            const called = joined + d.wait;
            const visit: Visit = { queueId: d.queue === 0 ? business.queueId : secondQueue, joined: iso(joined), quoted: d.quoted };
            if (d.outcome === "waiting") return visit;
            if (d.outcome === "cancelled-waiting") return { ...visit, cancelled: iso(called) };
            visit.called = iso(called);
            if (d.outcome === "served") visit.served = iso(called + d.service);
            if (d.outcome === "missed") visit.missed = iso(called + d.service);
            if (d.outcome === "cancelled") visit.cancelled = iso(called + d.service);
            return visit;
          });
          const toSms = (draw: (typeof smsDraws)[number]): SmsRow =>
            draw.status === "sent" || draw.status === "delivered"
              ? { status: draw.status, sentAt: iso(origin + draw.at), parts: draw.parts }
              : { status: draw.status };
          const sms = smsDraws.map(toSms);
          const companionSms = companionDraws.map(toSms);
          const days: string[] = [firstDay];
          while (days.length < 4) days.push(nextDate(days.at(-1)!));
          await asRoot(db(), async (client) => {
            await client.query("update app_public.businesses set time_zone = $2 where id = $1", [business.businessId, zone]);
            await client.query("update app_public.businesses set time_zone = $2 where id = $1", [companion.businessId, companionZone]);
            await insertVisits(client, business, visits);
            await insertSms(client, business, sms);
            await insertSms(client, companion, companionSms);
            const { rows } = await client.query(
              `select business_id, to_char(date, 'YYYY-MM-DD') as date, ${figureColumns.join(", ")}
                 from app_hidden.analytics_figures($1, $2, $3) order by date`,
              [[business.businessId, companion.businessId], days[0], days.at(-1)],
            );
            const cases = [
              { of: business.businessId, zone, visits, sms },
              { of: companion.businessId, zone: companionZone, visits: [] as Visit[], sms: companionSms },
            ];
            for (const { of, zone: inZone, visits: itsVisits, sms: itsSms } of cases) {
              const own = rows.filter((row) => row.business_id === of);
              expect(own.map((row) => row.date)).toEqual(days);
              for (const { date, business_id: _id, ...figures } of own) {
                expect({ date, zone: inZone, ...figures }).toEqual({ date, zone: inZone, ...expectedDay(date, inZone, itsVisits, itsSms, TICKET) });
              }
            }
          });
        },
      ),
      { numRuns: Number(process.env.ANALYTICS_PROPERTY_RUNS ?? 60) },
    );
  });
});
