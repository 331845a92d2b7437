// Businesses in SQL (db/identity/businesses.sql): the plan's limit on active
// businesses (also for two creations at once, a restore and a downgrade),
// validation (phone numbers, opening hours), soft delete and restore, and
// deleting a business with people in its queue: its queues close the way a
// merchant closing them would (waiting customers cancelled with one event
// and one SMS each, called customers kept to be served or missed).
import { describe, expect, it } from "vitest";
import { asMerchant, codeOf, enterRole, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, join, phone } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

describe("businesses and plans", () => {
  /** As the merchant, in a transaction that is rolled back afterwards. */
  const createAsMerchant = (userId: string, name: string) =>
    asMerchant(db(), userId, (c) => c.query("insert into app_public.businesses (name) values ($1) returning *", [name]));

  it("basic allows one active business, pro five, enterprise any number", async () => {
    const basic = await createMerchant(db());
    expect(await codeOf(createAsMerchant(basic.userId, "One"))).toBe("ok");
    await db().root.query("insert into app_public.businesses (user_id, name) values ($1, 'One')", [basic.userId]);
    expect(await codeOf(createAsMerchant(basic.userId, "Two"))).toBe("WTPLN");

    const pro = await createMerchant(db(), { plan: "pro" });
    for (let i = 0; i < 5; i++) await db().root.query("insert into app_public.businesses (user_id, name) values ($1, $2)", [pro.userId, `P${i}`]);
    expect(await codeOf(createAsMerchant(pro.userId, "Sixth"))).toBe("WTPLN");

    const enterprise = await createMerchant(db(), { plan: "enterprise" });
    for (let i = 0; i < 7; i++) await db().root.query("insert into app_public.businesses (user_id, name) values ($1, $2)", [enterprise.userId, `E${i}`]);
    const count = await db().root.query("select count(*)::int as n from app_public.businesses where user_id = $1", [enterprise.userId]);
    expect(count.rows[0].n).toBe(7);
  });

  it("two creations at the same moment cannot both pass the limit", async () => {
    const merchant = await createMerchant(db());
    const clients = await Promise.all([db().root.connect(), db().root.connect()]);
    try {
      for (const client of clients) {
        await client.query("begin");
        await enterRole(client, "waitify_merchant", { userId: merchant.userId });
      }
      // The first insert holds the account row lock until it commits.
      await clients[0]!.query("insert into app_public.businesses (name) values ('First')");
      const second = codeOf(clients[1]!.query("insert into app_public.businesses (name) values ('Second')"));
      // The second waits for the lock (not on a timer: on the lock it reports).
      for (;;) {
        const waiting = await db().root.query(
          "select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into app_public.businesses%'",
        );
        if (waiting.rowCount) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await clients[0]!.query("commit");
      expect(await second).toBe("WTPLN");
    } finally {
      for (const client of clients) {
        await client.query("rollback").catch(() => {});
        client.release();
      }
    }
    const count = await db().root.query("select count(*)::int as n from app_public.businesses where user_id = $1", [merchant.userId]);
    expect(count.rows[0].n).toBe(1);
  });

  it("a plan smaller than the active businesses is refused; deleted businesses do not count", async () => {
    const merchant = await createMerchant(db(), { plan: "pro" });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { rows } = await db().root.query("insert into app_public.businesses (user_id, name) values ($1, $2) returning id", [merchant.userId, `B${i}`]);
      ids.push(rows[0].id);
    }
    const downgrade = () =>
      db().root.query(
        "update app_public.users set subscription_plan_id = (select id from app_public.subscription_plans where name = 'basic') where id = $1",
        [merchant.userId],
      );
    expect(await codeOf(downgrade())).toBe("WTPLN");
    await asMerchant(db(), merchant.userId, (c) => c.query("select app_public.delete_business($1)", [ids[1]]));
    await db().root.query("update app_public.businesses set is_active = false where id = $1", [ids[1]]);
    expect(await codeOf(downgrade())).toBe("ok");
    // Restoring counts as creating: the basic plan allows one.
    expect(
      await codeOf(asMerchant(db(), merchant.userId, (c) => c.query("select app_public.restore_business($1)", [ids[1]]))),
    ).toBe("WTPLN");
  });

  it("soft delete hides a business from my_businesses, closes its queues, and can be undone", async () => {
    const merchant = await createMerchant(db());
    const { rows } = await db().root.query("insert into app_public.businesses (user_id, name) values ($1, 'Kiosk') returning id", [merchant.userId]);
    const id = rows[0].id as string;
    await db().root.query("update app_public.queues set is_queue_active = true where business_id = $1", [id]);
    await asMerchant(db(), merchant.userId, async (c) => {
      const deleted = await c.query("select (app_public.delete_business($1)).is_active", [id]);
      expect(deleted.rows[0].is_active).toBe(false);
      expect((await c.query("select * from app_public.my_businesses()")).rowCount).toBe(0);
      expect((await c.query("select * from app_public.my_businesses(include_deleted => true)")).rowCount).toBe(1);
      const queue = await c.query("select is_queue_active from app_public.queues where business_id = $1", [id]);
      expect(queue.rows[0].is_queue_active).toBe(false);
      // No new queue on a deleted business.
      await c.query("savepoint before_queue");
      expect(await codeOf(c.query("insert into app_public.queues (business_id) values ($1)", [id]))).toBe("WTVAL");
      await c.query("rollback to savepoint before_queue");
      await c.query("select app_public.restore_business($1)", [id]);
      expect((await c.query("select * from app_public.my_businesses()")).rowCount).toBe(1);
    });
  });

  it("normalises phone numbers to E.164 for the business's country and refuses the rest", async () => {
    const merchant = await createMerchant(db(), { plan: "enterprise" });
    const phone = async (raw: string, country = "FR") => {
      try {
        const { rows } = await asMerchant(db(), merchant.userId, (c) =>
          c.query("insert into app_public.businesses (name, phone_number, country) values ('P', $1, $2) returning phone_number", [raw, country]),
        );
        return rows[0].phone_number as string | null;
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(await phone("06 12 34 56 78")).toBe("+33612345678");
    expect(await phone("+33 (0)6 12 34 56 78")).toBe("+33612345678");
    expect(await phone("0033612345678")).toBe("+33612345678");
    expect(await phone("77 123 45 67", "SN")).toBe("+221771234567");
    expect(await phone("+221 77 123 45 67", "FR")).toBe("+221771234567");
    expect(await phone("")).toBeNull();
    expect(await phone("12345")).toBe("WTPHN");
    expect(await phone("+33 6 12")).toBe("WTPHN");
    expect(await phone("06 12 34 56 78", "SN")).toBe("WTPHN");
    expect(await phone("call me")).toBe("WTPHN");
  });

  it("validates opening hours", async () => {
    const merchant = await createMerchant(db(), { plan: "enterprise" });
    const hours = (value: unknown) =>
      codeOf(
        asMerchant(db(), merchant.userId, (c) =>
          c.query("insert into app_public.businesses (name, opening_hours) values ('H', $1)", [JSON.stringify(value)]),
        ),
      );
    expect(
      await hours({
        monday: { open: "08:00", close: "18:00", closed: false },
        saturday: { open: "08:00", close: "24:00" },
        sunday: { closed: true },
      }),
    ).toBe("ok");
    expect(await hours({ funday: { closed: true } })).toBe("WTVAL");
    expect(await hours({ monday: { open: "8h", close: "18:00" } })).toBe("WTVAL");
    expect(await hours({ monday: { open: "18:00", close: "08:00" } })).toBe("WTVAL");
    expect(await hours({ monday: { closed: "yes" } })).toBe("WTVAL");
    expect(await hours({ monday: { open: "08:00", close: "18:00", lunch: true } })).toBe("WTVAL");
    expect(await hours(["monday"])).toBe("WTVAL");
    expect(await hours({ monday: "08:00-18:00" })).toBe("WTVAL");
  });
});

describe("delete_business with people in its queue", () => {
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
