// The timeout's SQL side (db/queue/timeout.sql): call_next schedules one
// queue_timeout job per called entry; expire_called_entry marks an overdue
// customer missed and, with auto-advance, calls the next one. The task that
// runs it with a real worker: test/tasks/queue_timeout.test.ts.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone, queueCalls } from "../../helpers/fixtures.ts";

describe("queue engine (SQL): the timeout", () => {
  const db = useTestDatabase();
  const { status, call, merchantCall, events, entryByToken } = queueCalls(db);

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
