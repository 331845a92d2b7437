// "I need 5 more minutes" in SQL (app_public.request_more_time, db/queue/customer.sql,
// and the deadline rule app_private.call_deadline, db/queue/engine.sql): a
// called customer pushes their deadline back once; the timeout job follows,
// and an old job that runs anyway respects the new deadline; the merchant
// reads when it was asked; the customer's view says so.
import { beforeAll, describe, expect, it } from "vitest";
import { customerQuery, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { allowManyPlacesPerPhone, createBusiness, createMerchant, join, phone, queueCalls, smsLogs, type CustomerEntry } from "../../helpers/fixtures.ts";

interface MoreTimeView extends CustomerEntry {
  more_time_requested: boolean;
  can_request_more_time: boolean;
}

const MINUTE = 60_000;

describe("queue engine (SQL): more time for a called customer", () => {
  const db = useTestDatabase();
  beforeAll(() => allowManyPlacesPerPhone(db()));
  const { status, call, merchantCall, events, entryByToken } = queueCalls(db);

  const requestMoreTime = async (token: string) =>
    (await customerQuery<MoreTimeView>(db(), "select * from app_public.request_more_time($1)", [token]))[0]!;
  const view = async (token: string) => (await status(token)) as MoreTimeView;
  const job = async (entryId: string) =>
    (await db().root.query<{ run_at: Date }>("select run_at from graphile_worker._private_jobs where key = $1", [
      `queue_timeout:${entryId}`,
    ])).rows[0];
  const expire = async (entryId: string) =>
    (await db().root.query<{ outcome: string }>("select app_private.expire_called_entry($1) as outcome", [entryId])).rows[0]!
      .outcome;
  /** Moves the call back in time (and the request with it, which cannot precede the call). */
  const calledMinutesAgo = (entryId: string, minutes: number) =>
    db().root.query(
      `update app_public.queue_entries
          set called_at = now() - make_interval(mins => $2),
              more_time_requested_at = case when more_time_requested_at is null then null
                                            else now() - make_interval(mins => $2) end
        where id = $1`,
      [entryId, minutes],
    );

  it("extends the deadline by 5 minutes once: view, entry, event, timeout job", async () => {
    const q = await createBusiness(db(), { clientTimeoutMinutes: 3 });
    const customer = await join(db(), q.qrToken, phone(1));
    await join(db(), q.qrToken, phone(2));
    expect(await view(customer.entry_token)).toMatchObject({ more_time_requested: false, can_request_more_time: false });
    const called = await call(q.userId, q.queueId);
    const before = await view(customer.entry_token);
    expect(before).toMatchObject({ status: "called", more_time_requested: false, can_request_more_time: true });
    expect(before.call_expires_at!.getTime() - called.called_at!.getTime()).toBe(3 * MINUTE);
    expect((await job(called.id))!.run_at.getTime()).toBe(before.call_expires_at!.getTime());

    const after = await requestMoreTime(customer.entry_token);
    expect(after).toMatchObject({ status: "called", more_time_requested: true, can_request_more_time: false });
    expect(after.call_expires_at!.getTime() - called.called_at!.getTime()).toBe(8 * MINUTE);
    expect(await view(customer.entry_token)).toMatchObject({ call_expires_at: after.call_expires_at, more_time_requested: true });
    // The keyed job moved to the new deadline (still one job).
    expect((await job(called.id))!.run_at.getTime()).toBe(after.call_expires_at!.getTime());
    const jobs = await db().root.query("select 1 from graphile_worker._private_jobs where key = $1", [`queue_timeout:${called.id}`]);
    expect(jobs.rowCount).toBe(1);

    const stored = await entryByToken(customer.entry_token);
    const requestedAt = (stored as unknown as { more_time_requested_at: Date }).more_time_requested_at;
    expect(requestedAt).toBeInstanceOf(Date);
    expect((await events(q.queueId)).at(-1)).toEqual({
      event_type: "entry_more_time_requested",
      actor: "customer",
      waiting_count: 1,
      entry_id: called.id,
    });
    // No SMS for it: the customer asked, they know.
    expect((await smsLogs(db(), "queue_entry_id = $1", [called.id])).map((log) => log.message_type).sort()).toEqual([
      "confirmation",
      "your_turn",
    ]);
  });

  it("a second request is refused with MORE_TIME_ALREADY_USED in the business's language, and changes nothing", async () => {
    for (const [language, message] of [
      ["fr", "Vous avez déjà demandé 5 minutes de plus : ce délai ne se prolonge qu'une fois."],
      ["en", "You have already asked for 5 more minutes: this can only be done once."],
    ] as const) {
      const q = await createBusiness(db(), { language });
      const customer = await join(db(), q.qrToken, phone(1));
      const called = await call(q.userId, q.queueId);
      const first = await requestMoreTime(customer.entry_token);
      expect(await failure(requestMoreTime(customer.entry_token))).toEqual({ code: "WTMTU", message });
      expect((await view(customer.entry_token)).call_expires_at).toEqual(first.call_expires_at);
      expect((await job(called.id))!.run_at).toEqual(first.call_expires_at);
      expect((await events(q.queueId)).filter((e) => e.event_type === "entry_more_time_requested")).toHaveLength(1);
    }
  });

  it("only while called: waiting, served, missed or cancelled → INVALID_TRANSITION; unknown token → NOT_FOUND", async () => {
    const q = await createBusiness(db(), { language: "en" });
    const waiting = await join(db(), q.qrToken, phone(1));
    const second = await join(db(), q.qrToken, phone(2));
    expect(await failure(requestMoreTime(second.entry_token))).toEqual({
      code: "WTTRN",
      message: "This action is not possible: the customer has not been called.",
    });
    const called = await call(q.userId, q.queueId);
    expect(called.id).toBe((await entryByToken(waiting.entry_token)).id);
    await merchantCall(q.userId, "mark_served", called.id);
    expect(await failure(requestMoreTime(waiting.entry_token))).toMatchObject({ code: "WTTRN" });
    await customerQuery(db(), "select app_public.cancel_entry($1)", [second.entry_token]);
    expect(await failure(requestMoreTime(second.entry_token))).toMatchObject({ code: "WTTRN" });
    expect(await failure(requestMoreTime("no-such-token-aaaaaaaaaaaaaaaaaaa"))).toMatchObject({ code: "WTNFD" });
    expect((await view(waiting.entry_token)).can_request_more_time).toBe(false);
    expect((await events(q.queueId)).map((e) => e.event_type)).not.toContain("entry_more_time_requested");
  });

  it("the timeout respects the new deadline even when the old job runs", async () => {
    const q = await createBusiness(db(), { clientTimeoutMinutes: 5, autoAdvance: true });
    const customer = await join(db(), q.qrToken, phone(1));
    const next = await join(db(), q.qrToken, phone(2));
    const called = await call(q.userId, q.queueId);
    await requestMoreTime(customer.entry_token);
    // Six minutes after the call: past the queue's timeout, within the extra
    // time. The job scheduled at the call (a worker had already picked it)
    // runs now: it must not mark the customer missed, and puts itself at the
    // new deadline.
    await calledMinutesAgo(called.id, 6);
    expect(await expire(called.id)).toBe("not_due");
    expect(await view(customer.entry_token)).toMatchObject({ status: "called" });
    const rescheduled = (await job(called.id))!.run_at.getTime();
    expect(Math.abs(rescheduled - (Date.now() + 4 * MINUTE))).toBeLessThan(MINUTE / 2);
    // Eleven minutes after the call: past the extended deadline.
    await calledMinutesAgo(called.id, 11);
    expect(await expire(called.id)).toBe("missed");
    expect(await view(customer.entry_token)).toMatchObject({ status: "missed", can_request_more_time: false });
    expect(await view(next.entry_token)).toMatchObject({ status: "called", more_time_requested: false });
  });

  it("cancelling after asking for more time drops the job", async () => {
    const q = await createBusiness(db());
    const customer = await join(db(), q.qrToken, phone(1));
    const called = await call(q.userId, q.queueId);
    await requestMoreTime(customer.entry_token);
    await customerQuery(db(), "select app_public.cancel_entry($1)", [customer.entry_token]);
    expect(await job(called.id)).toBeUndefined();
  });

  it("the merchant reads when more time was asked for, on their own entries only", async () => {
    const q = await createBusiness(db());
    const customer = await join(db(), q.qrToken, phone(1));
    const called = await call(q.userId, q.queueId);
    const read = (userId: string) =>
      merchantQuery<{ more_time_requested_at: Date | null }>(
        db(),
        userId,
        "select more_time_requested_at from app_public.queue_entries where id = $1",
        [called.id],
      );
    expect(await read(q.userId)).toEqual([{ more_time_requested_at: null }]);
    await requestMoreTime(customer.entry_token);
    const [row] = await read(q.userId);
    expect(row!.more_time_requested_at!.getTime()).toBeGreaterThanOrEqual(called.called_at!.getTime());
    const stranger = await createMerchant(db());
    expect(await read(stranger.userId)).toEqual([]);
    // Customers never read the table, the column included.
    expect(await failure(customerQuery(db(), "select more_time_requested_at from app_public.queue_entries"))).toMatchObject({
      code: "42501",
    });
  });
});
