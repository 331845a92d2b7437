// SMS usage per month (db/sms/usage.sql): the parts of messages sent or
// delivered, per business and in all, for the owner; the cost of each
// message (parts × sms_cost_cents) and the entry's counters, recorded when a
// send is marked (db/sms/delivery.sql).
import { describe, expect, it } from "vitest";
import { asMerchant, asRoot, useTestDatabase } from "../../helpers/db.ts";
import { changeDirect, createBusiness, joinDirect, smsLogs } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

describe("usage per month", () => {
  it("counts the parts of sent and delivered messages per business, zero for a business without any", async () => {
    const merchant = (await createBusiness(db())).merchant;
    const busy = await createBusiness(db(), { merchant, name: "A" });
    const quiet = await createBusiness(db(), { merchant, name: "B" });
    const entry = await asRoot(db(), async (client) => {
      const entry = await joinDirect(client, busy);
      await changeDirect(client, busy, entry.id, "entry_called");
      await changeDirect(client, busy, entry.id, "entry_missed");
      return entry;
    }, { commit: true });
    const logs = await smsLogs(db(), "queue_entry_id = $1", [entry.id]);
    const byType = Object.fromEntries(logs.map((log) => [log.message_type, log.id]));
    await db().root.query("select app_private.sms_mark_sent($1, 'm-1', 2, '{}')", [byType.confirmation]);
    await db().root.query("select app_private.sms_mark_sent($1, 'm-2', 1, '{}')", [byType.your_turn]);
    await db().root.query("update app_public.sms_logs set status = 'delivered', delivered_at = now() where id = $1", [
      byType.your_turn,
    ]);
    await db().root.query("select app_private.sms_mark_failed($1, '{}', true)", [byType.missed]);
    // Last month's message does not count this month.
    await db().root.query(
      "update app_public.sms_logs set sent_at = date_trunc('month', now()) - interval '1 day' where id = $1",
      [byType.confirmation],
    );

    await asMerchant(db(), merchant.userId, async (client) => {
      const { rows } = await client.query(
        "select business_name, messages, parts from app_public.sms_usage_by_business() order by business_name",
      );
      expect(rows.filter((row) => row.business_name !== "Boulangerie Paul")).toEqual([
        { business_name: "A", messages: 1, parts: 1 },
        { business_name: "B", messages: 0, parts: 0 },
      ]);
      const lastMonth = await client.query(
        "select business_name, parts from app_public.sms_usage_by_business((date_trunc('month', now()) - interval '1 day')::date) where business_name = 'A'",
      );
      expect(lastMonth.rows).toEqual([{ business_name: "A", parts: 2 }]);
      const total = await client.query("select app_public.sms_usage_total() as parts");
      expect(total.rows[0].parts).toBe(1);
    });
    // The cost is parts × sms_cost_cents, and the entry's counters moved.
    const cost = await smsLogs(db(), "id = $1", [byType.confirmation]);
    expect(cost[0]!.cost_cents).toBe(6);
    const counters = await db().root.query(
      "select sms_sent_count, last_sms_sent_at is not null as stamped from app_public.queue_entries where id = $1",
      [entry.id],
    );
    expect(counters.rows[0]).toEqual({ sms_sent_count: 2, stamped: true });
    expect(quiet.businessId).toBeTruthy();
  });
});
