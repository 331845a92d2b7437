// What the counter screen reads, in SQL (db/queue/counter.sql): the masked
// phone, the time waited, the deadline of a called customer, the list of
// called and waiting customers in the counter's order, the last ticket
// called and the waiting count; a merchant reads their own queues only, even
// when handed another's row.
import { describe, expect, it } from "vitest";
import { asAdmin, asMerchant, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, join, phone, queueCalls } from "../../helpers/fixtures.ts";

describe("the counter's reads (SQL)", () => {
  const db = useTestDatabase();
  const { call, merchantCall, entryByToken } = queueCalls(db);

  const walkIn = async (userId: string, queueId: string, name: string) =>
    (await merchantQuery<{ id: string }>(db(), userId, "select id from app_public.add_walk_in($1, $2)", [queueId, name]))[0]!;

  /** The counter's list of a queue as its merchant reads it: ids and computed columns. */
  const activeEntries = (userId: string, queueId: string) =>
    merchantQuery<{ id: string; status: string; masked: string | null; waited: number; expires: Date | null }>(
      db(),
      userId,
      `select e.id, e.status, app_public.queue_entries_masked_phone(e) as masked,
              app_public.queue_entries_waited_seconds(e) as waited, app_public.queue_entries_call_expires_at(e) as expires
         from app_public.queues q, app_public.queues_active_entries(q) e where q.id = $1`,
      [queueId],
    );

  it("masks phones to their country, first digit(s) and last two digits", async () => {
    const masked = async (value: string | null) =>
      (
        await db().root.query<{ m: string | null }>(
          "select app_public.queue_entries_masked_phone(jsonb_populate_record(null::app_public.queue_entries, jsonb_build_object('phone', $1::text))) as m",
          [value],
        )
      ).rows[0]!.m;
    expect(await masked("+33612345678")).toBe("+33 6 •• •• •• 78");
    expect(await masked("+33145678912")).toBe("+33 1 •• •• •• 12");
    expect(await masked("+221771234567")).toBe("+221 77 ••• •• 67");
    expect(await masked("+4915112345678")).toBe("•• •• 78");
    expect(await masked(null)).toBeNull();
  });

  it("lists called customers in call order, then waiting ones in join order, with what the counter shows", async () => {
    const q = await createBusiness(db(), { clientTimeoutMinutes: 7 });
    const a = await join(db(), q.qrToken, phone(12345678));
    const b = await join(db(), q.qrToken, phone(2));
    const w = await walkIn(q.userId, q.queueId, "Martin");
    const c = await join(db(), q.qrToken, phone(3));
    const d = await join(db(), q.qrToken, phone(4));
    const [idA, idB, idC, idD] = await Promise.all([a, b, c, d].map(async (e) => (await entryByToken(e.entry_token)).id));
    // A and B called (B first would be impossible: calls follow join order); A served, D cancelled.
    await call(q.userId, q.queueId);
    await call(q.userId, q.queueId);
    await merchantCall(q.userId, "mark_served", idA!);
    await db().root.query("update app_public.queue_entries set status = 'cancelled', cancelled_at = now() where id = $1", [idD]);
    // B waited 10 minutes before being called 2 minutes ago; W and C joined 15 and 5 minutes ago.
    await db().root.query(
      `update app_public.queue_entries set joined_at = now() - interval '12 minutes', called_at = now() - interval '2 minutes' where id = $1`,
      [idB],
    );
    await db().root.query("update app_public.queue_entries set joined_at = now() - interval '15 minutes' where id = $1", [w.id]);
    await db().root.query("update app_public.queue_entries set joined_at = now() - interval '5 minutes' where id = $1", [idC]);

    const list = await activeEntries(q.userId, q.queueId);
    expect(list.map((e) => [e.id, e.status, e.masked])).toEqual([
      [idB, "called", "+33 6 •• •• •• 02"],
      [w.id, "waiting", null],
      [idC, "waiting", "+33 6 •• •• •• 03"],
    ]);
    // Waited: frozen at the call for B, running for the others.
    expect(list[0]!.waited).toBe(600);
    expect(list[1]!.waited).toBeGreaterThanOrEqual(900);
    expect(list[1]!.waited).toBeLessThan(910);
    expect(list[2]!.waited).toBeGreaterThanOrEqual(300);
    expect(list[2]!.waited).toBeLessThan(310);
    // The deadline of the called one: called_at + 7 minutes.
    const { rows } = await db().root.query<{ due: Date }>(
      "select called_at + interval '7 minutes' as due from app_public.queue_entries where id = $1",
      [idB],
    );
    expect(list[0]!.expires).toEqual(rows[0]!.due);
    expect(list[1]!.expires).toBeNull();
  });

  it("names the last ticket called, whatever became of it, and counts who waits", async () => {
    const q = await createBusiness(db());
    const read = () =>
      merchantQuery<{ last: string | null; ticket: number | null; waiting: number }>(
        db(),
        q.userId,
        `select (app_public.queues_last_called_entry(q)).id as last, (app_public.queues_last_called_entry(q)).ticket_number as ticket,
                app_public.queues_waiting_count(q) as waiting
           from app_public.queues q where q.id = $1`,
        [q.queueId],
      );
    expect(await read()).toEqual([{ last: null, ticket: null, waiting: 0 }]);
    await join(db(), q.qrToken, phone(1));
    const w = await walkIn(q.userId, q.queueId, "Martin");
    await join(db(), q.qrToken, phone(3));
    const first = await call(q.userId, q.queueId);
    expect(await read()).toEqual([{ last: first.id, ticket: 1, waiting: 2 }]);
    await merchantCall(q.userId, "mark_served", first.id);
    expect(await read()).toEqual([{ last: first.id, ticket: 1, waiting: 2 }]);
    await call(q.userId, q.queueId);
    expect(await read()).toEqual([{ last: w.id, ticket: 2, waiting: 1 }]);
  });

  it("keeps to one's own rows: another merchant reads nothing of a queue, even handed its row", async () => {
    const q = await createBusiness(db());
    await join(db(), q.qrToken, phone(1));
    await walkIn(q.userId, q.queueId, "Martin");
    const called = await call(q.userId, q.queueId);
    const other = await createMerchant(db());
    // The deadline of someone else's called customer, from a forged row.
    const deadline = `select app_public.queue_entries_call_expires_at(jsonb_populate_record(null::app_public.queue_entries,
      jsonb_build_object('id', $1::uuid, 'status', 'called', 'user_id', $2::uuid, 'queue_id', $3::uuid, 'called_at', now()))) as due`;
    const deadlineAs = (userId: string) =>
      asMerchant(db(), userId, async (client) => (await client.query(deadline, [called.id, userId, q.queueId])).rows[0]!.due);
    expect(await deadlineAs(other.userId)).toBeNull();
    expect(await deadlineAs(q.userId)).toBeInstanceOf(Date);
    // The row of someone else's queue, as a caller could forge it.
    const forged = `jsonb_populate_record(null::app_public.queues, jsonb_build_object('id', $1::uuid, 'user_id', $2::uuid))`;
    const reads = `select (select count(*)::int from app_public.queues_active_entries(${forged})) as entries,
                          (app_public.queues_last_called_entry(${forged})).id as last,
                          app_public.queues_waiting_count(${forged}) as waiting`;
    expect(await asMerchant(db(), other.userId, async (client) => (await client.query(reads, [q.queueId, q.userId])).rows)).toEqual([
      { entries: 0, last: null, waiting: 0 },
    ]);
    const owner = await asMerchant(db(), q.userId, async (client) => (await client.query(reads, [q.queueId, q.userId])).rows[0]);
    expect(owner).toMatchObject({ entries: 2, waiting: 1 });
    expect(owner.last).not.toBeNull();
    // The back office counts through RLS (select_all_admin); the counter's lists are not its own.
    const admin = await asAdmin(db(), async (client) =>
      (await client.query(`select app_public.queues_waiting_count(${forged}) as waiting`, [q.queueId, q.userId])).rows[0],
    );
    expect(admin).toEqual({ waiting: 1 });
    expect(await failure(asAdmin(db(), (client) => client.query(reads, [q.queueId, q.userId])))).toMatchObject({ code: "42501" });
  });
});
