// The queue engine in SQL: joins, positions and estimates, the counter's
// operations, the rules and their error codes, events, privileges and the
// timeout's SQL side. Each test gets its own merchant and queue.
import { describe, expect, it } from "vitest";
import { customerQuery, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone, type CustomerEntry, type EntryRow } from "../../helpers/fixtures.ts";

describe("queue engine (SQL)", () => {
  const db = useTestDatabase();

  const status = async (token: string) =>
    (await customerQuery<CustomerEntry>(db(), "select * from app_public.entry_status($1)", [token]))[0]!;
  const call = async (userId: string, queueId: string) =>
    (await merchantQuery<EntryRow>(db(), userId, "select * from app_public.call_next($1)", [queueId]))[0]!;
  const merchantCall = async (userId: string, fn: string, id: string) =>
    (await merchantQuery<EntryRow & { is_queue_active: boolean; is_queue_paused: boolean }>(
      db(),
      userId,
      `select * from app_public.${fn}($1)`,
      [id],
    ))[0]!;
  const events = async (queueId: string) =>
    (
      await db().root.query<{ event_type: string; actor: string; waiting_count: number; entry_id: string | null }>(
        "select event_type, actor, waiting_count, entry_id from app_public.queue_events where queue_id = $1 order by id",
        [queueId],
      )
    ).rows;
  const ownerQuery = (userId: string, sql: string, values: unknown[] = []) => merchantQuery(db(), userId, sql, values);
  const entryByToken = async (token: string) =>
    (await db().root.query<EntryRow>("select * from app_public.queue_entries where entry_token = $1", [token])).rows[0]!;

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

  it("logs one event per change with the waiting count after it", async () => {
    const q = await createBusiness(db(), { open: false });
    await merchantCall(q.userId, "open_queue", q.queueId);
    const a = await join(db(), q.qrToken, phone(1));
    await join(db(), q.qrToken, phone(2));
    const called = await call(q.userId, q.queueId);
    expect(called.id).toBe((await entryByToken(a.entry_token)).id);
    await merchantCall(q.userId, "mark_served", called.id);
    await merchantCall(q.userId, "pause_queue", q.queueId);
    await merchantCall(q.userId, "resume_queue", q.queueId);
    await merchantCall(q.userId, "close_queue", q.queueId);
    expect((await events(q.queueId)).map(({ event_type, actor, waiting_count }) => [event_type, actor, waiting_count])).toEqual([
      ["queue_opened", "merchant", 0],
      ["entry_joined", "customer", 1],
      ["entry_joined", "customer", 2],
      ["entry_called", "merchant", 1],
      ["entry_served", "merchant", 1],
      ["queue_paused", "merchant", 1],
      ["queue_resumed", "merchant", 1],
      ["entry_cancelled", "merchant", 0],
      ["queue_closed", "merchant", 0],
    ]);
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
      await db().root.query("update app_public.users set subscription_status = 'suspended' where id = $1", [q.userId]);
      expect(await refusal(q.qrToken, phone(1))).toMatchObject({ code: "WT404" });
      expect(await failure(merchantCall(q.userId, "open_queue", (await createBusiness(db(), { open: false, merchant: q.merchant })).queueId))).toMatchObject({
        code: "WT404",
      });
      await db().root.query("update app_public.users set subscription_status = 'active', is_active = false where id = $1", [
        q.userId,
      ]);
      expect(await refusal(q.qrToken, phone(1))).toMatchObject({ code: "WT404" });
      await db().root.query("update app_public.users set is_active = true where id = $1", [q.userId]);
      await db().root.query("update app_public.businesses set is_active = false where id = $1", [q.businessId]);
      expect(await refusal(q.qrToken, phone(1))).toMatchObject({ code: "WT404" });
      await db().root.query("update app_public.businesses set is_active = true where id = $1", [q.businessId]);
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

  describe("the counter", () => {
    it("calls in join order, null when nobody waits; serves with the actual service time", async () => {
      const q = await createBusiness(db());
      const a = await join(db(), q.qrToken, phone(1));
      const b = await join(db(), q.qrToken, phone(2));
      const first = await call(q.userId, q.queueId);
      expect(first).toMatchObject({ phone: phone(1), status: "called" });
      expect(await status(a.entry_token)).toMatchObject({ status: "called", position: null });
      expect((await status(a.entry_token)).call_expires_at).not.toBeNull();
      expect(await status(b.entry_token)).toMatchObject({ position: 1 });
      // Two minutes at the counter.
      await db().root.query("update app_public.queue_entries set called_at = now() - interval '120 seconds' where id = $1", [
        first.id,
      ]);
      const served = await merchantCall(q.userId, "mark_served", first.id);
      expect(served.status).toBe("served");
      expect(served.actual_service_time).toBeGreaterThanOrEqual(120);
      expect(served.actual_service_time).toBeLessThan(130);
      const second = await call(q.userId, q.queueId);
      expect(second.phone).toBe(phone(2));
      await merchantCall(q.userId, "mark_missed", second.id);
      expect(await status(b.entry_token)).toMatchObject({ status: "missed" });
      const none = await merchantQuery(db(), q.userId, "select (app_public.call_next($1)).id as id", [q.queueId]);
      expect(none[0]!.id).toBeNull();
    });

    it("refuses transitions that do not exist with INVALID_TRANSITION", async () => {
      const q = await createBusiness(db());
      const a = await join(db(), q.qrToken, phone(1));
      const id = (await entryByToken(a.entry_token)).id;
      expect(await failure(merchantCall(q.userId, "mark_served", id))).toEqual({
        code: "WTTRN",
        message: "Action impossible : le client n'a pas encore été appelé.",
      });
      expect(await failure(merchantCall(q.userId, "mark_missed", id))).toMatchObject({ code: "WTTRN" });
      await call(q.userId, q.queueId);
      await merchantCall(q.userId, "mark_served", id);
      expect(await failure(merchantCall(q.userId, "mark_served", id))).toMatchObject({ code: "WTTRN" });
      expect(await failure(customerQuery(db(), "select app_public.cancel_entry($1)", [a.entry_token]))).toEqual({
        code: "WTTRN",
        message: "Action impossible : le client a déjà été servi.",
      });
      await merchantCall(q.userId, "close_queue", q.queueId);
      expect(await failure(merchantCall(q.userId, "pause_queue", q.queueId))).toMatchObject({ code: "WTTRN" });
      expect(await failure(merchantCall(q.userId, "resume_queue", q.queueId))).toMatchObject({ code: "WTTRN" });
      expect(await failure(call(q.userId, q.queueId))).toMatchObject({ code: "WT401" });
    });

    it("a called customer may cancel; open/close/pause twice is a no-op", async () => {
      const q = await createBusiness(db(), { open: false });
      await merchantCall(q.userId, "open_queue", q.queueId);
      await merchantCall(q.userId, "open_queue", q.queueId);
      const a = await join(db(), q.qrToken, phone(1));
      await call(q.userId, q.queueId);
      expect((await customerQuery<CustomerEntry>(db(), "select * from app_public.cancel_entry($1)", [a.entry_token]))[0]).toMatchObject({
        status: "cancelled",
      });
      await merchantCall(q.userId, "pause_queue", q.queueId);
      await merchantCall(q.userId, "pause_queue", q.queueId);
      await merchantCall(q.userId, "close_queue", q.queueId);
      await merchantCall(q.userId, "close_queue", q.queueId);
      expect((await events(q.queueId)).map((e) => e.event_type)).toEqual([
        "queue_opened",
        "entry_joined",
        "entry_called",
        "entry_cancelled",
        "queue_paused",
        "queue_closed",
      ]);
    });

    it("closing cancels everyone waiting, one event each in join order; called customers stay", async () => {
      const q = await createBusiness(db());
      await join(db(), q.qrToken, phone(1));
      const b = await join(db(), q.qrToken, phone(2));
      const c = await join(db(), q.qrToken, phone(3));
      const called = await call(q.userId, q.queueId);
      const closed = await merchantCall(q.userId, "close_queue", q.queueId);
      expect(closed).toMatchObject({ is_queue_active: false, is_queue_paused: false });
      expect(await status(b.entry_token)).toMatchObject({ status: "cancelled" });
      expect(await status(c.entry_token)).toMatchObject({ status: "cancelled" });
      const tail = (await events(q.queueId)).slice(-3);
      expect(tail).toEqual([
        { event_type: "entry_cancelled", actor: "merchant", waiting_count: 1, entry_id: (await entryByToken(b.entry_token)).id },
        { event_type: "entry_cancelled", actor: "merchant", waiting_count: 0, entry_id: (await entryByToken(c.entry_token)).id },
        { event_type: "queue_closed", actor: "merchant", waiting_count: 0, entry_id: null },
      ]);
      // The called customer can still be served after closing.
      expect((await merchantCall(q.userId, "mark_served", called.id)).status).toBe("served");
      expect(await failure(join(db(), q.qrToken, phone(4)))).toMatchObject({ code: "WT401" });
    });

    it("someone else's queue or entry is NOT_FOUND; anonymous may not call merchant functions", async () => {
      const mine = await createBusiness(db());
      const theirs = await createBusiness(db());
      const a = await join(db(), theirs.qrToken, phone(1));
      const theirEntry = (await entryByToken(a.entry_token)).id;
      for (const fn of ["open_queue", "close_queue", "pause_queue", "resume_queue", "call_next"]) {
        expect(await failure(merchantCall(mine.userId, fn, theirs.queueId)), fn).toMatchObject({ code: "WTNFD" });
      }
      for (const fn of ["mark_served", "mark_missed"]) {
        expect(await failure(merchantCall(mine.userId, fn, theirEntry)), fn).toMatchObject({ code: "WTNFD" });
        expect(await failure(customerQuery(db(), `select app_public.${fn}($1)`, [theirEntry])), fn).toMatchObject({
          code: "42501",
        });
      }
      expect(await failure(customerQuery(db(), "select app_public.call_next($1)", [theirs.queueId]))).toMatchObject({
        code: "42501",
      });
      expect(await status(a.entry_token)).toMatchObject({ status: "waiting" });
    });
  });

  describe("privileges", () => {
    it("anonymous has no table access; a merchant reads only their own entries, without tokens, and writes nothing", async () => {
      const mine = await createBusiness(db());
      const theirs = await createBusiness(db());
      await join(db(), mine.qrToken, phone(1));
      await join(db(), theirs.qrToken, phone(2));
      for (const table of ["queue_entries", "queue_events"]) {
        expect(await failure(customerQuery(db(), `select * from app_public.${table}`))).toMatchObject({ code: "42501" });
      }
      const own = await ownerQuery(mine.userId, "select queue_id, phone from app_public.queue_entries");
      expect(own).toEqual([{ queue_id: mine.queueId, phone: phone(1) }]);
      const ownEvents = await ownerQuery(mine.userId, "select distinct queue_id from app_public.queue_events");
      expect(ownEvents).toEqual([{ queue_id: mine.queueId }]);
      expect(await failure(ownerQuery(mine.userId, "select entry_token from app_public.queue_entries"))).toMatchObject({
        code: "42501",
      });
      expect(
        await failure(ownerQuery(mine.userId, "update app_public.queue_entries set status = 'served'")),
      ).toMatchObject({ code: "42501" });
      expect(await failure(ownerQuery(mine.userId, "delete from app_public.queue_events"))).toMatchObject({ code: "42501" });
      expect(
        await failure(
          ownerQuery(
            mine.userId,
            "insert into app_public.queue_events (queue_id, business_id, user_id, event_type, actor, waiting_count) values ($1, $2, $3, 'queue_opened', 'system', 0)",
            [mine.queueId, mine.businessId, mine.userId],
          ),
        ),
      ).toMatchObject({ code: "42501" });
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

  describe("timeout (SQL side)", () => {
    const job = async (entryId: string) =>
      (
        await db().root.query<{ run_at: Date; task_identifier: string; payload: { entry_id: string } }>(
          `select j.run_at, t.identifier as task_identifier, j.payload
             from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
            where j.key = $1`,
          [`queue_timeout:${entryId}`],
        )
      ).rows[0];
    const expire = async (entryId: string) =>
      (await db().root.query<{ outcome: string }>("select app_private.expire_called_entry($1) as outcome", [entryId])).rows[0]!
        .outcome;
    const overdue = (entryId: string) =>
      db().root.query("update app_public.queue_entries set called_at = now() - interval '6 minutes' where id = $1", [entryId]);

    it("call_next schedules one job per entry at called_at + timeout; serving removes it", async () => {
      const q = await createBusiness(db(), { clientTimeoutMinutes: 5 });
      await join(db(), q.qrToken, phone(1));
      const called = await call(q.userId, q.queueId);
      const scheduled = await job(called.id);
      expect(scheduled).toMatchObject({ task_identifier: "queue_timeout", payload: { entry_id: called.id } });
      expect(scheduled!.run_at.getTime() - called.called_at!.getTime()).toBe(5 * 60 * 1000);
      await merchantCall(q.userId, "mark_served", called.id);
      expect(await job(called.id)).toBeUndefined();
      // A late job finds nothing to do.
      expect(await expire(called.id)).toBe("noop");
    });

    it("marks an overdue called customer missed and, with auto-advance, calls the next", async () => {
      const q = await createBusiness(db(), { autoAdvance: true });
      await join(db(), q.qrToken, phone(1));
      const b = await join(db(), q.qrToken, phone(2));
      const called = await call(q.userId, q.queueId);
      // Not due yet: rescheduled, nothing changes.
      expect(await expire(called.id)).toBe("not_due");
      await overdue(called.id);
      expect(await expire(called.id)).toBe("missed");
      expect(await expire(called.id)).toBe("noop");
      expect(await status(b.entry_token)).toMatchObject({ status: "called" });
      const next = await entryByToken(b.entry_token);
      expect(await job(next.id as string)).toBeDefined();
      expect((await events(q.queueId)).slice(-2)).toEqual([
        { event_type: "entry_missed", actor: "system", waiting_count: 1, entry_id: called.id },
        { event_type: "entry_called", actor: "system", waiting_count: 0, entry_id: next.id },
      ]);
    });

    it("without auto-advance, or while paused, nobody else is called", async () => {
      const q = await createBusiness(db(), { autoAdvance: false });
      await join(db(), q.qrToken, phone(1));
      const b = await join(db(), q.qrToken, phone(2));
      const first = await call(q.userId, q.queueId);
      await overdue(first.id);
      expect(await expire(first.id)).toBe("missed");
      expect(await status(b.entry_token)).toMatchObject({ status: "waiting", position: 1 });

      await db().root.query("update app_public.queues set auto_advance_enabled = true where id = $1", [q.queueId]);
      const second = await call(q.userId, q.queueId);
      await join(db(), q.qrToken, phone(3));
      await merchantCall(q.userId, "pause_queue", q.queueId);
      await overdue(second.id);
      expect(await expire(second.id)).toBe("missed");
      expect((await events(q.queueId)).at(-1)).toMatchObject({ event_type: "entry_missed", waiting_count: 1 });
    });
  });
});
