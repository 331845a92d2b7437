// The merchant's side of the queue in SQL (db/queue/merchant.sql): opening,
// pausing, resuming and closing a queue, calling the next customer, marking
// them served or missed; the transitions refused, the event logged for each
// change, and someone else's queue or entry treated as not found. Each test
// gets its own merchant and queue.
import { describe, expect, it } from "vitest";
import { customerQuery, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone, queueCalls, type CustomerEntry } from "../../helpers/fixtures.ts";

describe("queue engine (SQL): the merchant", () => {
  const db = useTestDatabase();
  const { status, call, merchantCall, events, entryByToken } = queueCalls(db);

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
});
