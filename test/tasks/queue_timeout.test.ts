// The queue_timeout task with a real graphile-worker runner. Nobody waits
// minutes: the test moves the called customer's call into the past and the
// job's run_at to now, exactly what the clock would have done. The SQL it
// runs: test/db/queue/timeout.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { merchantQuery, useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone } from "../helpers/fixtures.ts";

describe("queue_timeout task", () => {
  const db = useTestDatabase();
  let worker: WorkerHandle;
  beforeAll(async () => {
    worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 2 });
  });
  afterAll(async () => {
    await worker.stop();
  });

  const key = (entryId: string) => `queue_timeout:${entryId}`;
  const entry = async (token: string) =>
    (
      await db().root.query<{ id: string; status: string; called_at: Date | null }>(
        "select id, status, called_at from app_public.queue_entries where entry_token = $1",
        [token],
      )
    ).rows[0]!;
  const jobCount = async (entryId: string) =>
    (await db().root.query("select count(*)::int as n from graphile_worker._private_jobs where key = $1", [key(entryId)]))
      .rows[0].n as number;
  /** The clock moves on: the call is overdue and its job is due now. */
  const timeOut = async (entryId: string) => {
    await db().root.query("update app_public.queue_entries set called_at = now() - interval '10 minutes' where id = $1", [entryId]);
    const moved = await db().root.query("update graphile_worker._private_jobs set run_at = now() where key = $1", [key(entryId)]);
    expect(moved.rowCount).toBe(1);
  };
  /** Polls the database (the worker runs on its own schedule) until check passes. */
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let attempt = 0; attempt < 300; attempt++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for: ${what}`);
  }

  it("marks a called customer who did not come missed and calls the next one (auto-advance)", async () => {
    const q = await createBusiness(db(), { clientTimeoutMinutes: 2, autoAdvance: true });
    const alice = await join(db(), q.qrToken, phone(1));
    const bob = await join(db(), q.qrToken, phone(2));
    const called = (await merchantQuery<{ id: string }>(db(), q.userId, "select id from app_public.call_next($1)", [q.queueId]))[0]!;
    expect(called.id).toBe((await entry(alice.entry_token)).id);

    await timeOut(called.id);
    await eventually(async () => (await entry(alice.entry_token)).status === "missed", "alice missed");
    const next = await entry(bob.entry_token);
    expect(next.status).toBe("called");
    // The job is done and gone; Bob has his own.
    await eventually(async () => (await jobCount(called.id)) === 0, "alice's job completed");
    expect(await jobCount(next.id)).toBe(1);
    const events = await db().root.query(
      "select event_type, actor, entry_id from app_public.queue_events where queue_id = $1 and event_type in ('entry_missed', 'entry_called') order by id",
      [q.queueId],
    );
    expect(events.rows).toEqual([
      { event_type: "entry_called", actor: "merchant", entry_id: called.id },
      { event_type: "entry_missed", actor: "system", entry_id: called.id },
      { event_type: "entry_called", actor: "system", entry_id: next.id },
    ]);
  });

  it("is a no-op for a customer served before the timeout", async () => {
    const q = await createBusiness(db());
    const alice = await join(db(), q.qrToken, phone(1));
    const called = (await merchantQuery<{ id: string }>(db(), q.userId, "select id from app_public.call_next($1)", [q.queueId]))[0]!;
    await merchantQuery(db(), q.userId, "select app_public.mark_served($1)", [called.id]);
    // Serving removed the job; a job that was already running would find this:
    expect(await jobCount(called.id)).toBe(0);
    await db().root.query("select graphile_worker.add_job('queue_timeout', json_build_object('entry_id', $1::text), job_key => $2)", [
      called.id,
      key(called.id),
    ]);
    await eventually(async () => (await jobCount(called.id)) === 0, "the late job ran");
    expect((await entry(alice.entry_token)).status).toBe("served");
    const events = await db().root.query(
      "select count(*)::int as n from app_public.queue_events where entry_id = $1 and event_type = 'entry_missed'",
      [called.id],
    );
    expect(events.rows[0].n).toBe(0);
  });

  it("drops a malformed payload instead of retrying it", async () => {
    const { rows } = await db().root.query<{ id: string }>(
      "select id from graphile_worker.add_job('queue_timeout', '{\"entry_id\": \"not-a-uuid\"}'::json)",
    );
    await eventually(
      async () =>
        (await db().root.query("select 1 from graphile_worker._private_jobs where id = $1", [rows[0]!.id])).rowCount === 0,
      "the malformed job was dropped",
    );
  });
});
