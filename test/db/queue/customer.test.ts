// The customer's side of the queue in SQL (db/queue/customer.sql): joining
// with a ticket, a position and an estimate, following one's place, leaving;
// the rules a join must pass and their error codes, in the business's
// language; how estimates learn from service times; ticket numbers. Each test
// gets its own merchant and queue.
import { beforeAll, describe, expect, it } from "vitest";
import { customerQuery, failure, useTestDatabase } from "../../helpers/db.ts";
import { allowManyPlacesPerPhone, createBusiness, join, phone, queueCalls } from "../../helpers/fixtures.ts";

describe("queue engine (SQL): the customer", () => {
  const db = useTestDatabase();
  beforeAll(() => allowManyPlacesPerPhone(db()));
  const { status, call, merchantCall, events, entryByToken } = queueCalls(db);

  it("gives each customer a ticket, a position and an estimate, and moves positions up", async () => {
    const q = await createBusiness(db(), { averageServiceTime: 120, name: "Boulangerie Dupont" });
    const a = await join(db(), q.qrToken, "06 12 34 56 78", "Alice");
    const b = await join(db(), q.qrToken, "+33 6 22 34 56 78");
    const c = await join(db(), q.qrToken, "0033632345678");
    expect(a).toMatchObject({
      status: "waiting",
      position: 1,
      people_ahead: 0,
      estimated_wait_minutes: 0,
      ticket_number: 1,
      client_name: "Alice",
      business_name: "Boulangerie Dupont",
      call_expires_at: null,
    });
    expect(a.entry_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(b).toMatchObject({ position: 2, people_ahead: 1, estimated_wait_minutes: 2, ticket_number: 2 });
    expect(c).toMatchObject({ position: 3, estimated_wait_minutes: 4, ticket_number: 3 });
    // The view is the customer's own: no phone, no id, nobody else's data.
    expect(Object.keys(a)).not.toContain("phone");
    expect(Object.keys(a)).not.toContain("id");

    // Stored: E.164 phone, the quote and the position at join.
    const stored = await entryByToken(c.entry_token);
    expect(stored).toMatchObject({ phone: "+33632345678", quoted_wait_minutes: 4, position_at_join: 3 });

    await customerQuery(db(), "select app_public.cancel_entry($1)", [a.entry_token]);
    expect(await status(b.entry_token)).toMatchObject({ position: 1, estimated_wait_minutes: 0 });
    expect(await status(c.entry_token)).toMatchObject({ position: 2, estimated_wait_minutes: 2 });
    expect(await status(a.entry_token)).toMatchObject({ status: "cancelled", position: null, estimated_wait_minutes: null });
  });

  describe("refuses with the product's error codes, and changes nothing", () => {
    const refusal = async (qrToken: string, phoneNumber: string, name?: string) =>
      failure(join(db(), qrToken, phoneNumber, name));

    it("closed → QUEUE_CLOSED (WT401), paused → QUEUE_PAUSED (WT411)", async () => {
      const q = await createBusiness(db(), { open: false });
      expect(await refusal(q.qrToken, phone(1))).toEqual({ code: "WT401", message: "La file d'attente est fermée." });
      await merchantCall(q.userId, "open_queue", q.queueId);
      await merchantCall(q.userId, "pause_queue", q.queueId);
      expect(await refusal(q.qrToken, phone(1))).toMatchObject({ code: "WT411" });
      expect(await failure(call(q.userId, q.queueId))).toMatchObject({ code: "WT411" });
      await merchantCall(q.userId, "resume_queue", q.queueId);
      expect(await join(db(), q.qrToken, phone(1))).toMatchObject({ position: 1 });
    });

    it("full → QUEUE_FULL (WT402): the waiting count is the limit, called customers do not count", async () => {
      const q = await createBusiness(db(), { maxQueueSize: 2 });
      await join(db(), q.qrToken, phone(1));
      await join(db(), q.qrToken, phone(2));
      expect(await refusal(q.qrToken, phone(3))).toEqual({ code: "WT402", message: "La file d'attente est complète." });
      await call(q.userId, q.queueId);
      expect(await join(db(), q.qrToken, phone(3))).toMatchObject({ position: 2 });
    });

    it("same phone waiting or called → ALREADY_IN_QUEUE (WT403); once served it may join again", async () => {
      const q = await createBusiness(db());
      await join(db(), q.qrToken, "06 12 34 56 78");
      expect(await refusal(q.qrToken, "+33612345678")).toMatchObject({ code: "WT403" });
      const called = await call(q.userId, q.queueId);
      expect(await refusal(q.qrToken, "06.12.34.56.78")).toMatchObject({ code: "WT403" });
      await merchantCall(q.userId, "mark_served", called.id);
      expect(await join(db(), q.qrToken, "06 12 34 56 78")).toMatchObject({ status: "waiting", ticket_number: 2 });
      // Another queue is another matter.
      const other = await createBusiness(db());
      expect(await join(db(), other.qrToken, "06 12 34 56 78")).toMatchObject({ ticket_number: 1 });
    });

    it("business inactive, account suspended or inactive → BUSINESS_SUSPENDED (WT404)", async () => {
      const q = await createBusiness(db());
      const closedOne = await createBusiness(db(), { open: false, merchant: q.merchant });
      await db().root.query("update app_public.users set subscription_status = 'suspended' where id = $1", [q.userId]);
      expect(await refusal(q.qrToken, phone(1))).toMatchObject({ code: "WT404" });
      expect(await failure(merchantCall(q.userId, "open_queue", closedOne.queueId))).toMatchObject({ code: "WT404" });
      // Suspension closed the queue that was open (db/billing/account.sql): open it again once paid up.
      await db().root.query("update app_public.users set subscription_status = 'active', is_active = false where id = $1", [
        q.userId,
      ]);
      expect(await refusal(q.qrToken, phone(1))).toMatchObject({ code: "WT404" });
      await db().root.query("update app_public.users set is_active = true where id = $1", [q.userId]);
      await db().root.query("update app_public.businesses set is_active = false where id = $1", [q.businessId]);
      expect(await refusal(q.qrToken, phone(1))).toMatchObject({ code: "WT404" });
      await db().root.query("update app_public.businesses set is_active = true where id = $1", [q.businessId]);
      await merchantCall(q.userId, "open_queue", q.queueId);
      expect(await join(db(), q.qrToken, phone(1))).toMatchObject({ position: 1 });
    });

    it("bad phone → INVALID_PHONE, long name → VALIDATION, unknown QR → NOT_FOUND", async () => {
      const q = await createBusiness(db());
      expect(await refusal(q.qrToken, "06 12 34")).toEqual({ code: "WTPHN", message: "Numéro de téléphone invalide." });
      expect(await refusal(q.qrToken, "hello")).toMatchObject({ code: "WTPHN" });
      expect(await refusal(q.qrToken, phone(1), "x".repeat(101))).toMatchObject({ code: "WTVAL" });
      expect(await refusal("no-such-token-aaaaaaaaaaaaaaaa", phone(1))).toMatchObject({ code: "WTNFD" });
      const count = await db().root.query("select count(*)::int as n from app_public.queue_entries where queue_id = $1", [
        q.queueId,
      ]);
      expect(count.rows[0].n).toBe(0);
      expect(await events(q.queueId)).toEqual([]);
    });

    it("speaks the business's language", async () => {
      const q = await createBusiness(db(), { language: "en", maxQueueSize: 1 });
      await join(db(), q.qrToken, phone(1));
      expect(await refusal(q.qrToken, phone(1))).toEqual({
        code: "WT403",
        message: "This phone number is already in this queue.",
      });
      expect(await refusal(q.qrToken, phone(2))).toEqual({ code: "WT402", message: "The queue is full." });
      expect(await refusal(q.qrToken, "0000")).toEqual({ code: "WTPHN", message: "Invalid phone number." });
    });

    it("a Senegalese business reads national numbers as +221", async () => {
      const q = await createBusiness(db(), { country: "SN" });
      await join(db(), q.qrToken, "77 123 45 67");
      const stored = await db().root.query("select phone from app_public.queue_entries where queue_id = $1", [q.queueId]);
      expect(stored.rows[0].phone).toBe("+221771234567");
    });
  });

  describe("estimates", () => {
    it("start from the queue's configured time (the business type's default) and learn from actual service times", async () => {
      // A bakery's default service time is 120 s (system_configs).
      const q = await createBusiness(db(), { businessType: "bakery" });
      const configured = await db().root.query("select average_service_time from app_public.queues where id = $1", [q.queueId]);
      expect(configured.rows[0].average_service_time).toBe(120);

      // Three services of 10 minutes each.
      for (let i = 1; i <= 3; i++) {
        await join(db(), q.qrToken, phone(i));
        const called = await call(q.userId, q.queueId);
        await db().root.query("update app_public.queue_entries set called_at = now() - interval '600 seconds' where id = $1", [
          called.id,
        ]);
        // Two services are not enough to trust: still the configured 2 minutes.
        if (i === 3) {
          await join(db(), q.qrToken, phone(100));
          const before = await join(db(), q.qrToken, phone(101));
          expect(before.estimated_wait_minutes).toBe(2);
        }
        await merchantCall(q.userId, "mark_served", called.id);
      }
      // Now 600 s per person: the two waiting ahead of a newcomer make 20 minutes.
      const after = await join(db(), q.qrToken, phone(102));
      expect(after).toMatchObject({ people_ahead: 2, estimated_wait_minutes: 20 });
      const stored = await db().root.query("select quoted_wait_minutes from app_public.queue_entries where entry_token = $1", [
        after.entry_token,
      ]);
      expect(stored.rows[0].quoted_wait_minutes).toBe(20);
      const publicStatus = await customerQuery(db(), "select * from app_public.queue_status($1)", [q.qrToken]);
      expect(publicStatus[0]).toMatchObject({
        is_open: true,
        is_paused: false,
        is_full: false,
        can_join: true,
        waiting_count: 3,
        max_queue_size: 50,
        estimated_wait_minutes: 30,
      });
      expect(Object.keys(publicStatus[0]!)).not.toContain("phone");
    });

    it("numbers tickets per queue and local day", async () => {
      const q = await createBusiness(db());
      await join(db(), q.qrToken, phone(1));
      await join(db(), q.qrToken, phone(2));
      await db().root.query("update app_public.queue_entries set ticket_day = ticket_day - 1 where queue_id = $1", [q.queueId]);
      expect((await join(db(), q.qrToken, phone(3))).ticket_number).toBe(1);
      expect((await join(db(), q.qrToken, phone(4))).ticket_number).toBe(2);
    });
  });
});
