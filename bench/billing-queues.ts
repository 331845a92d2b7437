// Why app_private.record_stripe_event puts a customer's events in one of 64
// graphile-worker queues rather than in a queue of its own: each job fetch
// locks every idle named queue row (graphile-worker 0.18, "strategy 2" of
// dist/sql/getJobs.js), so its cost grows with the number of named queues,
// and graphile-worker never deletes one. This step times that fetch, the
// statement copied from graphile-worker, with one job ready in a named
// queue, as the run left the database, then with 1 000, 10 000 and 50 000
// more idle queues: what one queue per Stripe customer would cost with that
// many customers. In a transaction rolled back each time; the job is of a task no
// worker runs, so the bench's worker never takes it.
import type pg from "pg";
import { ms } from "./billing-common.ts";

const JOB_FETCH = `with j as (
  select jobs.job_queue_id, jobs.priority, jobs.run_at, jobs.id
    from graphile_worker._private_jobs as jobs
   where jobs.is_available = true and run_at <= now() and task_id = any($1::int[])
     and (jobs.job_queue_id is null or jobs.job_queue_id in (
           select id from graphile_worker._private_job_queues as job_queues
            where job_queues.is_available = true for update skip locked))
   order by priority asc, run_at asc limit 1 for update skip locked
), q as (
  update graphile_worker._private_job_queues as job_queues set locked_by = 'bench', locked_at = now()
    from j where job_queues.id = j.job_queue_id
)
update graphile_worker._private_jobs as jobs set attempts = jobs.attempts + 1, locked_by = 'bench', locked_at = now()
  from j where jobs.id = j.id returning jobs.id`;

export async function jobFetchVsQueues(owner: pg.Pool): Promise<Array<{ namedQueues: number; jobFetchMs: number }>> {
  const client = await owner.connect();
  try {
    await client.query("select graphile_worker.add_job('bench_probe', '{}', queue_name := 'bench:probe')");
    const { rows } = await client.query<{ ids: number[] }>("select array_agg(id) as ids from graphile_worker._private_tasks");
    const results = [];
    let added = 0;
    for (const extra of [0, 1_000, 10_000, 50_000]) {
      await client.query("insert into graphile_worker._private_job_queues (queue_name) select 'bench:idle:' || g from generate_series($1::int, $2::int) g", [
        added + 1,
        extra,
      ]);
      added = Math.max(added, extra);
      const count = await client.query<{ n: number }>("select count(*)::int as n from graphile_worker._private_job_queues");
      const rounds = 20;
      const start = performance.now();
      for (let i = 0; i < rounds; i++) {
        await client.query("begin");
        const fetched = await client.query(JOB_FETCH, [rows[0]!.ids]);
        await client.query("rollback");
        if (fetched.rowCount !== 1) throw new Error("the probe job was not fetched");
      }
      results.push({ namedQueues: count.rows[0]!.n, jobFetchMs: ms((performance.now() - start) / rounds) });
    }
    return results;
  } finally {
    await client.query("rollback").catch(() => {});
    await client.query("delete from graphile_worker._private_jobs where task_id = (select id from graphile_worker._private_tasks where identifier = 'bench_probe')");
    await client.query("delete from graphile_worker._private_job_queues where queue_name like 'bench:%'");
    client.release();
  }
}
