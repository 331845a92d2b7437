// Walk-ins in SQL (db/queue/walk-in.sql): a customer without a phone added by
// the merchant at the counter gets a place by the same rules as a QR join
// (closed, paused, full, suspended; the same ticket sequence; the quote; an
// entry_joined event by the merchant), needs a name, is called, served,
// missed and cancelled like anyone, and never gets an SMS on any path
// (db/sms/outbox.sql). The race of walk-ins and joins for the last places:
// concurrency.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asAnonymous, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { allowManyPlacesPerPhone, createBusiness, createMerchant, join, phone, queueCalls, smsLogs, type EntryRow } from "../../helpers/fixtures.ts";

interface WalkInRow extends EntryRow {
  client_name: string | null;
  is_walk_in: boolean;
  user_id: string;
  business_id: string;
}

describe("walk-ins (SQL)", () => {
  const db = useTestDatabase();
  beforeAll(() => allowManyPlacesPerPhone(db()));
  const { call, merchantCall, events } = queueCalls(db);

  /** add_walk_in as the merchant `userId`, committed. */
  const walkIn = async (userId: string, queueId: string, name: string | null) =>
    (await merchantQuery<WalkInRow>(db(), userId, "select * from app_public.add_walk_in($1, $2)", [queueId, name]))[0]!;

  const entriesOf = async (queueId: string) =>
    (
      await db().root.query<WalkInRow>("select * from app_public.queue_entries where queue_id = $1 order by joined_seq", [queueId])
    ).rows;

  it("gives a walk-in the next ticket of the day, a position and a quote, without a phone", async () => {
    const q = await createBusiness(db(), { averageServiceTime: 120 });
    const a = await join(db(), q.qrToken, phone(1), "Alice");
    const w = await walkIn(q.userId, q.queueId, "  Madame \t Martin\n ");
    const b = await join(db(), q.qrToken, phone(2));
    expect(a.ticket_number).toBe(1);
    expect(w).toMatchObject({
      queue_id: q.queueId,
      business_id: q.businessId,
      user_id: q.userId,
      phone: null,
      client_name: "Madame Martin",
      is_walk_in: true,
      status: "waiting",
      ticket_number: 2,
      position_at_join: 2,
      quoted_wait_minutes: 2,
    });
    // Those who come after count the walk-in ahead of them.
    expect(b).toMatchObject({ ticket_number: 3, position: 3, people_ahead: 2, estimated_wait_minutes: 4 });
    expect((await entriesOf(q.queueId)).map((e) => [e.ticket_number, e.is_walk_in])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    const { rows } = await db().root.query(
      "select event_type, actor, actor_user_id, waiting_count from app_public.queue_events where entry_id = $1",
      [w.id],
    );
    expect(rows).toEqual([{ event_type: "entry_joined", actor: "merchant", actor_user_id: q.userId, waiting_count: 2 }]);
  });

  it("is called, served, missed and cancelled on close like any customer, several at once", async () => {
    const q = await createBusiness(db());
    const w1 = await walkIn(q.userId, q.queueId, "Martin");
    const w2 = await walkIn(q.userId, q.queueId, "Martin");
    const w3 = await walkIn(q.userId, q.queueId, "Durand");
    expect((await call(q.userId, q.queueId)).id).toBe(w1.id);
    await merchantCall(q.userId, "mark_served", w1.id);
    expect((await call(q.userId, q.queueId)).id).toBe(w2.id);
    await merchantCall(q.userId, "mark_missed", w2.id);
    await merchantCall(q.userId, "close_queue", q.queueId);
    expect((await entriesOf(q.queueId)).map((e) => [e.id, e.status])).toEqual([
      [w1.id, "served"],
      [w2.id, "missed"],
      [w3.id, "cancelled"],
    ]);
  });

  describe("refuses by the rules of a join, and changes nothing", () => {
    it("closed → QUEUE_CLOSED, paused → QUEUE_PAUSED, full → QUEUE_FULL, suspended → BUSINESS_SUSPENDED", async () => {
      const q = await createBusiness(db(), { open: false, maxQueueSize: 2 });
      expect(await failure(walkIn(q.userId, q.queueId, "Martin"))).toEqual({
        code: "WT401",
        message: "La file d'attente est fermée.",
      });
      await merchantCall(q.userId, "open_queue", q.queueId);
      await merchantCall(q.userId, "pause_queue", q.queueId);
      expect(await failure(walkIn(q.userId, q.queueId, "Martin"))).toMatchObject({ code: "WT411" });
      await merchantCall(q.userId, "resume_queue", q.queueId);
      await join(db(), q.qrToken, phone(1));
      await walkIn(q.userId, q.queueId, "Martin");
      // Full for the walk-in, and the walk-in's place counts for the QR code too.
      expect(await failure(walkIn(q.userId, q.queueId, "Durand"))).toEqual({ code: "WT402", message: "La file d'attente est complète." });
      expect(await failure(join(db(), q.qrToken, phone(2)))).toMatchObject({ code: "WT402" });
      // Called customers leave the waiting count.
      await call(q.userId, q.queueId);
      expect(await walkIn(q.userId, q.queueId, "Durand")).toMatchObject({ position_at_join: 2 });
      await db().root.query("update app_public.businesses set is_active = false where id = $1", [q.businessId]);
      expect(await failure(walkIn(q.userId, q.queueId, "Petit"))).toMatchObject({ code: "WT404" });
      expect((await entriesOf(q.queueId)).length).toBe(3);
      expect((await events(q.queueId)).filter((e) => e.event_type === "entry_joined").length).toBe(3);
    });

    it("a name is required (blank or missing → WALK_IN_NAME_REQUIRED), at most 100 characters, in the business's language", async () => {
      const q = await createBusiness(db());
      for (const name of ["", "   ", "\t\n", null]) {
        expect(await failure(walkIn(q.userId, q.queueId, name)), JSON.stringify(name)).toEqual({
          code: "WTVAL",
          message: "Indiquez le nom du client (100 caractères au plus) : c'est par son nom qu'il sera appelé.",
        });
      }
      expect(await failure(walkIn(q.userId, q.queueId, "x".repeat(101)))).toEqual({
        code: "WTVAL",
        message: "Le nom doit faire au plus 100 caractères.",
      });
      expect(await walkIn(q.userId, q.queueId, "x".repeat(100))).toMatchObject({ client_name: "x".repeat(100) });
      const english = await createBusiness(db(), { language: "en" });
      expect(await failure(walkIn(english.userId, english.queueId, " "))).toEqual({
        code: "WTVAL",
        message: "Enter the customer's name (at most 100 characters): it is how they will be called.",
      });
      expect(await failure(walkIn(english.userId, english.queueId, "y".repeat(101)))).toEqual({
        code: "WTVAL",
        message: "The name must be at most 100 characters.",
      });
      expect(await entriesOf(english.queueId)).toEqual([]);
    });

    it("someone else's queue is NOT_FOUND; customers and the back office cannot add walk-ins", async () => {
      const q = await createBusiness(db());
      const other = await createMerchant(db());
      expect(await failure(walkIn(other.userId, q.queueId, "Martin"))).toEqual({ code: "WTNFD", message: "File d'attente introuvable." });
      expect(await failure(walkIn(other.userId, "00000000-0000-0000-0000-000000000000", "Martin"))).toMatchObject({
        code: "WTNFD",
      });
      const asCustomer = asAnonymous(db(), (client) => client.query("select app_public.add_walk_in($1, 'Martin')", [q.queueId]));
      expect(await failure(asCustomer)).toMatchObject({ code: "42501" });
      const asBackOffice = asAdmin(db(), (client) => client.query("select app_public.add_walk_in($1, 'Martin')", [q.queueId]));
      expect(await failure(asBackOffice)).toMatchObject({ code: "42501" });
      expect(await entriesOf(q.queueId)).toEqual([]);
    });
  });

  describe("the rows' own rules", () => {
    it("a walk-in has no phone and a name; a QR customer's phone may be erased later", async () => {
      const q = await createBusiness(db());
      const w = await walkIn(q.userId, q.queueId, "Martin");
      expect(await failure(db().root.query("update app_public.queue_entries set phone = $2 where id = $1", [w.id, phone(9)]))).toMatchObject({
        code: "23514",
      });
      expect(await failure(db().root.query("update app_public.queue_entries set client_name = null where id = $1", [w.id]))).toMatchObject({
        code: "23514",
      });
      const a = await join(db(), q.qrToken, phone(1));
      await db().root.query("update app_public.queue_entries set phone = null where entry_token = $1", [a.entry_token]);
      const erased = await db().root.query("select phone, is_walk_in from app_public.queue_entries where entry_token = $1", [a.entry_token]);
      expect(erased.rows[0]).toEqual({ phone: null, is_walk_in: false });
    });

    it("one active place per phone still holds for real phones beside any number of walk-ins", async () => {
      const q = await createBusiness(db());
      await walkIn(q.userId, q.queueId, "Martin");
      await walkIn(q.userId, q.queueId, "Martin");
      await join(db(), q.qrToken, phone(1));
      expect(await failure(join(db(), q.qrToken, phone(1)))).toMatchObject({ code: "WT403" });
      // The unique index itself, without the function's check.
      const duplicate = db().root.query(
        `insert into app_public.queue_entries (queue_id, business_id, user_id, phone, ticket_day, ticket_number, quoted_wait_minutes, position_at_join)
         select queue_id, business_id, user_id, phone, ticket_day, 99, 0, 1 from app_public.queue_entries where queue_id = $1 and phone is not null`,
        [q.queueId],
      );
      expect(await failure(duplicate)).toMatchObject({ code: "23505" });
    });
  });

  describe("no SMS, ever", () => {
    it("confirmation, reminder, your turn, missed, cancelled on close: nothing for walk-ins; the others still get theirs", async () => {
      const q = await createBusiness(db(), { smsEnabled: true });
      // A, B, C by QR code; W (4th, so owed a reminder at two ahead) and X at the counter.
      for (let i = 1; i <= 3; i++) await join(db(), q.qrToken, phone(i));
      const w = await walkIn(q.userId, q.queueId, "Martin");
      const x = await walkIn(q.userId, q.queueId, "Durand");
      const y = await walkIn(q.userId, q.queueId, "Petit");
      // A called: W now has two ahead (the reminder's moment).
      const calledA = await call(q.userId, q.queueId);
      await merchantCall(q.userId, "mark_served", calledA.id);
      await call(q.userId, q.queueId);
      await call(q.userId, q.queueId);
      // W called (your turn), then missed.
      expect((await call(q.userId, q.queueId)).id).toBe(w.id);
      await merchantCall(q.userId, "mark_missed", w.id);
      // X called and left to the timeout; Y cancelled by closing the queue.
      expect((await call(q.userId, q.queueId)).id).toBe(x.id);
      await merchantCall(q.userId, "close_queue", q.queueId);
      const expired = await db().root.query<{ result: string }>(
        "update app_public.queue_entries set called_at = now() - interval '1 hour' where id = $1 returning app_private.expire_called_entry(id) as result",
        [x.id],
      );
      expect(expired.rows[0]!.result).toBe("missed");

      const walkInIds = [w.id, x.id, y.id];
      const statuses = await db().root.query<{ id: string; status: string }>(
        "select id, status from app_public.queue_entries where id = any($1) order by joined_seq",
        [walkInIds],
      );
      expect(statuses.rows.map((row) => row.status)).toEqual(["missed", "missed", "cancelled"]);
      expect(await smsLogs(db(), "queue_entry_id = any($1)", [walkInIds])).toEqual([]);
      // The QR customers got theirs in the same flow (no reminder: they joined with two or fewer ahead).
      const logs = await smsLogs(db(), "business_id = $1", [q.businessId]);
      const byPhone = (p: string) => logs.filter((log) => log.phone === p).map((log) => log.message_type).sort();
      expect(byPhone(phone(1))).toEqual(["confirmation", "your_turn"]);
      expect(byPhone(phone(2))).toEqual(["confirmation", "your_turn"]);
      expect(logs).toHaveLength(6);
      expect(logs.every((log) => log.phone !== null)).toBe(true);
      const jobs = await db().root.query<{ n: number }>(
        `select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
          where t.identifier = 'send_sms' and j.payload->>'sms_log_id' = any($1::text[])`,
        [logs.map((log) => log.id)],
      );
      expect(jobs.rows[0]!.n).toBe(6);
    });

    it("an erased phone gets no SMS either", async () => {
      const q = await createBusiness(db(), { smsEnabled: true });
      const a = await join(db(), q.qrToken, phone(1));
      await db().root.query("update app_public.queue_entries set phone = null where entry_token = $1", [a.entry_token]);
      await call(q.userId, q.queueId);
      const logs = await smsLogs(db(), "business_id = $1", [q.businessId]);
      expect(logs.map((log) => log.message_type)).toEqual(["confirmation"]);
    });
  });
});
