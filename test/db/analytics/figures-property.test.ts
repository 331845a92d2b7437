// The daily pass (app_hidden.analytics_figures) against the independent
// replay (test/helpers/analytics.ts expectedDay) on random days: visits of one
// or two queues over four days around a summer-time change or not, in zones
// whose days begin on a UTC hour (summed hour by hour) and in half-hour zones
// (Asia/Kolkata, Australia/Lord_Howe: computed visit by visit), some visits
// crossing a local midnight, some lasting hours, some still going, SMS of
// every status. Every figure of every day must match.
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
        async (zone, firstDay, draws, smsDraws) => {
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
          const sms: SmsRow[] = smsDraws.map((s) =>
            s.status === "sent" || s.status === "delivered" ? { status: s.status, sentAt: iso(origin + s.at), parts: s.parts } : { status: s.status },
          );
          const days: string[] = [firstDay];
          while (days.length < 4) days.push(nextDate(days.at(-1)!));
          await asRoot(db(), async (client) => {
            await client.query("update app_public.businesses set time_zone = $2 where id = $1", [business.businessId, zone]);
            await insertVisits(client, business, visits);
            await insertSms(client, business, sms);
            const { rows } = await client.query(
              `select to_char(date, 'YYYY-MM-DD') as date, ${figureColumns.join(", ")}
                 from app_hidden.analytics_figures($1, $2, $3) order by date`,
              [[business.businessId], days[0], days.at(-1)],
            );
            expect(rows.map((row) => row.date)).toEqual(days);
            for (const { date, ...figures } of rows) {
              expect({ date, zone, ...figures }).toEqual({ date, zone, ...expectedDay(date, zone, visits, sms, TICKET) });
            }
          });
        },
      ),
      { numRuns: Number(process.env.ANALYTICS_PROPERTY_RUNS ?? 60) },
    );
  });
});
