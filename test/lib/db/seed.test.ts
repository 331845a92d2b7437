// npm run db:seed: the demo merchant can sign in, its queue is open with
// customers waiting, and a second run changes nothing.
import { describe, expect, it } from "vitest";
import { DEMO_BUSINESS, DEMO_EMAIL, DEMO_PASSWORD, DEMO_PAST_DAYS, seedDemo } from "../../../lib/db/seed.ts";
import { useTestDatabase } from "../../helpers/db.ts";

const counts = `select
  (select count(*) from app_public.users)::int as users,
  (select count(*) from app_public.businesses)::int as businesses,
  (select count(*) from app_public.queue_entries)::int as entries,
  (select count(*) from app_public.queue_events)::int as events`;

describe("db:seed", () => {
  const db = useTestDatabase();

  it("creates a demo merchant with an open queue and waiting customers, through the SQL API", async () => {
    const seeded = await seedDemo(db().authUrl, { ownerUrl: db().ownerUrl });
    expect(seeded.created).toEqual([
      "account",
      "business",
      "queue opened",
      "4 customers",
      `${DEMO_PAST_DAYS} past days`,
      "8 back-office demo accounts",
    ]);
    expect(seeded.waiting).toBe(4);

    const signIn = await db().root.query<{ user_id: string }>("select (app_public.authenticate($1, $2)).user_id", [
      DEMO_EMAIL,
      DEMO_PASSWORD,
    ]);
    expect(signIn.rows[0]!.user_id).toBe(seeded.userId);
    const queue = await db().root.query<{ name: string; is_queue_active: boolean; user_id: string }>(
      `select b.name, q.is_queue_active, b.user_id from app_public.queues q join app_public.businesses b on b.id = q.business_id
        where q.id = $1 and q.qr_code_token = $2`,
      [seeded.queueId, seeded.qrToken],
    );
    expect(queue.rows[0]).toEqual({ name: DEMO_BUSINESS, is_queue_active: true, user_id: seeded.userId });
    const waiting = await db().root.query<{ status: string; position_at_join: number }>(
      "select status, position_at_join from app_public.queue_entries where queue_id = $1 and status = 'waiting' order by joined_seq",
      [seeded.queueId],
    );
    expect(waiting.rows).toEqual([1, 2, 3, 4].map((n) => ({ status: "waiting", position_at_join: n })));
    // The queue engine logged it all, as for any merchant and customer.
    const events = await db().root.query<{ event_type: string }>(
      "select event_type from app_public.queue_events where queue_id = $1 order by id",
      [seeded.queueId],
    );
    expect(events.rows.map((row) => row.event_type)).toEqual(["queue_opened", "entry_joined", "entry_joined", "entry_joined", "entry_joined"]);
    // A week of finished visits (numbers already erased) and its daily figures, as the merchant reads them.
    expect(seeded.pastVisits).toBeGreaterThan(DEMO_PAST_DAYS * 10);
    const days = await db().root.query<{ date: string; clients_registered: number; clients_served: number }>(
      `select to_char(date, 'YYYY-MM-DD') as date, clients_registered, clients_served from app_public.analytics_daily
        where business_id = $1 order by date`,
      [seeded.businessId],
    );
    expect(days.rows).toHaveLength(DEMO_PAST_DAYS);
    for (const day of days.rows) expect(day.clients_served).toBeGreaterThan(0);
    const past = await db().root.query(
      "select count(*)::int as n, count(phone)::int as phones from app_public.queue_entries where business_id = $1 and status <> 'waiting'",
      [seeded.businessId],
    );
    expect(past.rows[0]).toEqual({ n: seeded.pastVisits, phones: 0 });
    expect(days.rows.reduce((sum, day) => sum + day.clients_registered, 0)).toBe(seeded.pastVisits);
  });

  it("changes nothing when run again, even twice at once", async () => {
    const before = (await db().root.query(counts)).rows[0];
    const again = await Promise.all([
      seedDemo(db().authUrl, { ownerUrl: db().ownerUrl }),
      seedDemo(db().authUrl, { ownerUrl: db().ownerUrl }),
    ]);
    expect(again.map((result) => result.created)).toEqual([[], []]);
    expect((await db().root.query(counts)).rows[0]).toEqual(before);
  });

  it("tops the queue up again once nobody waits", async () => {
    const first = await seedDemo(db().authUrl);
    await db().root.query(
      "update app_public.queue_entries set status = 'cancelled', cancelled_at = now() where queue_id = $1 and status = 'waiting'",
      [first.queueId],
    );
    const refilled = await seedDemo(db().authUrl);
    expect(refilled.created).toEqual(["4 customers"]);
    expect(refilled.waiting).toBe(4);
  });
});
