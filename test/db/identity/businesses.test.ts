// Deleting a business closes its queues the way a merchant closing them would:
// waiting customers are cancelled with one event each (each gets its SMS),
// called customers stay to be served or missed, and the queue is closed.
import { describe, expect, it } from "vitest";
import { merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone } from "../../helpers/fixtures.ts";

describe("delete_business with people in its queue", () => {
  const db = useTestDatabase();

  it("cancels the waiting customers, logs the close and texts them", async () => {
    const fixture = await createBusiness(db());
    for (let n = 1; n <= 3; n++) await join(db(), fixture.qrToken, phone(n));
    await merchantQuery(db(), fixture.userId, "select * from app_public.call_next($1)", [fixture.queueId]);

    await merchantQuery(db(), fixture.userId, "select * from app_public.delete_business($1)", [fixture.businessId]);

    const queue = await db().root.query("select is_queue_active from app_public.queues where id = $1", [fixture.queueId]);
    expect(queue.rows[0].is_queue_active).toBe(false);
    const entries = await db().root.query<{ status: string }>(
      "select status from app_public.queue_entries where queue_id = $1 order by joined_seq",
      [fixture.queueId],
    );
    expect(entries.rows.map((row) => row.status)).toEqual(["called", "cancelled", "cancelled"]);
    const events = await db().root.query<{ event_type: string; waiting_count: number }>(
      `select event_type, waiting_count from app_public.queue_events
        where queue_id = $1 and event_type in ('entry_cancelled', 'queue_closed') order by id`,
      [fixture.queueId],
    );
    expect(events.rows).toEqual([
      { event_type: "entry_cancelled", waiting_count: 1 },
      { event_type: "entry_cancelled", waiting_count: 0 },
      { event_type: "queue_closed", waiting_count: 0 },
    ]);
    const cancelledSms = await db().root.query(
      "select 1 from app_public.sms_logs where business_id = $1 and message_type = 'cancelled'",
      [fixture.businessId],
    );
    expect(cancelledSms.rowCount).toBe(2);
  });

  it("is still NOT_FOUND for another merchant's business, and closes nothing", async () => {
    const mine = await createBusiness(db());
    const theirs = await createBusiness(db());
    await join(db(), theirs.qrToken, phone(9));
    await expect(
      merchantQuery(db(), mine.userId, "select * from app_public.delete_business($1)", [theirs.businessId]),
    ).rejects.toMatchObject({ code: "WTNFD" });
    const queue = await db().root.query("select is_queue_active from app_public.queues where id = $1", [theirs.queueId]);
    expect(queue.rows[0].is_queue_active).toBe(true);
  });
});
