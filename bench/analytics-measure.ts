// The analytics benchmark's measurements.
//
// 1. The daily job (app_private.compute_analytics_daily for the day of the
//    million visits, every business, its rows deleted first so each run
//    computes and writes them all) against one plain GROUP BY over the same
//    rows (per business: visits, served, missed, cancelled, average wait and
//    service — what a naive daily aggregation reads), on the same connection,
//    alternating which goes first. Peak memory of the PostgreSQL backend
//    (its private memory, RssAnon, sampled every 10 ms from /proc, above what
//    it held before) and temporary files written.
// 2. The live dashboard (app_public.analytics_dashboard) as a merchant with
//    100 businesses and as the admin over all of them: at the SQL level (the
//    authenticator switched to the role with its claims, as PostGraphile does)
//    and over HTTP (GraphQL analyticsDashboard): p50 / p99.
import { readFileSync } from "node:fs";
import pg from "pg";
import { signToken } from "../lib/auth/jwt.ts";
import type { AnalyticsBenchEnvironment } from "./analytics-env.ts";

export interface JobRound {
  jobMs: number;
  groupByMs: number;
  /** The same GROUP BY with PostgreSQL's parallel workers (2). */
  parallelGroupByMs: number;
  /** A plain GROUP BY of the day's SMS logs (which the job reads too). */
  smsGroupByMs: number;
  jobPeakMiB: number;
  groupByPeakMiB: number;
  jobTempMiB: number;
  rows: number;
}

export interface Latency {
  p50: number;
  p99: number;
  calls: number;
}

const ms = (started: number) => performance.now() - started;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Private resident memory of a process, in KiB (the backend runs on this machine). */
function rssAnonKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Runs `work` while sampling the backend's private memory; its peak above the start, in MiB. */
async function withPeakMemory<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  const before = rssAnonKiB(pid);
  let peak = before;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssAnonKiB(pid));
    } catch {
      // The process went away: nothing more to sample.
    }
  }, 10);
  try {
    const result = await work();
    peak = Math.max(peak, rssAnonKiB(pid));
    return { result, peakMiB: (peak - before) / 1024 };
  } finally {
    clearInterval(timer);
  }
}

async function tempBytes(client: pg.Client): Promise<number> {
  await client.query("select pg_stat_force_next_flush()").catch(() => {});
  await client.query("select pg_stat_clear_snapshot()");
  const { rows } = await client.query<{ bytes: string }>("select temp_bytes as bytes from pg_stat_database where datname = current_database()");
  return Number(rows[0]!.bytes);
}

export async function measureDailyJob(env: AnalyticsBenchEnvironment, day: string, rounds: number): Promise<JobRound[]> {
  const client = new pg.Client({ connectionString: env.urls.ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    const pid = rows[0]!.pid;
    const job = async () => {
      await client.query("delete from app_public.analytics_daily where date = $1", [day]);
      const tempBefore = await tempBytes(client);
      // In one process, as the GROUP BY below: the pass's aggregate could
      // otherwise take PostgreSQL's parallel workers.
      await client.query("begin");
      await client.query("set local max_parallel_workers_per_gather = 0");
      const started = performance.now();
      const { result, peakMiB } = await withPeakMemory(pid, () =>
        client.query<{ written: number }>("select app_private.compute_analytics_daily($1, $1) as written", [day]),
      );
      await client.query("commit");
      const elapsed = ms(started);
      await new Promise((resolve) => setTimeout(resolve, 600));
      const tempMiB = ((await tempBytes(client)) - tempBefore) / 2 ** 20;
      return { elapsed, peakMiB, tempMiB, rows: result.rows[0]!.written };
    };
    // Single process, as the job runs: PostgreSQL would otherwise split this
    // scan over parallel workers (reported separately), which the job's
    // INSERT … SELECT cannot use.
    const groupBy = async (parallel = false) => {
      await client.query("begin");
      await client.query(`set local max_parallel_workers_per_gather = ${parallel ? 2 : 0}`);
      const started = performance.now();
      const { peakMiB } = await withPeakMemory(pid, () =>
        client.query(
          `select business_id, count(*), count(*) filter (where status = 'served'), count(*) filter (where status = 'missed'),
                  count(*) filter (where status = 'cancelled'), avg(called_at - joined_at), avg(served_at - called_at)
             from app_public.queue_entries
            where joined_at >= $1::date::timestamp at time zone 'UTC' - interval '2 hours'
              and joined_at < ($1::date + 1)::timestamp at time zone 'UTC'
            group by business_id`,
          [day],
        ),
      );
      const elapsed = ms(started);
      await client.query("commit");
      return { elapsed, peakMiB };
    };
    // The day's SMS logs, which the job reads too, grouped the same plain way.
    const smsGroupBy = async () => {
      await client.query("begin");
      await client.query("set local max_parallel_workers_per_gather = 0");
      const started = performance.now();
      await client.query(
        `select business_id, count(*), sum(parts) from app_public.sms_logs
          where status in ('sent', 'delivered')
            and sent_at >= $1::date::timestamp at time zone 'UTC' - interval '2 hours'
            and sent_at < ($1::date + 1)::timestamp at time zone 'UTC'
          group by business_id`,
        [day],
      );
      const elapsed = ms(started);
      await client.query("commit");
      return elapsed;
    };
    // Warm the caches once, untimed.
    await groupBy();
    await smsGroupBy();
    await job();
    const results: JobRound[] = [];
    for (let round = 0; round < rounds; round++) {
      const jobFirst = round % 2 === 0;
      const a = jobFirst ? await job() : undefined;
      const b = await groupBy();
      const c = jobFirst ? a! : await job();
      const parallel = await groupBy(true);
      const sms = await smsGroupBy();
      results.push({ jobMs: c.elapsed, groupByMs: b.elapsed, parallelGroupByMs: parallel.elapsed, smsGroupByMs: sms, jobPeakMiB: c.peakMiB, groupByPeakMiB: b.peakMiB, jobTempMiB: c.tempMiB, rows: c.rows });
    }
    return results;
  } finally {
    await client.end();
  }
}

async function sqlLatency(env: AnalyticsBenchEnvironment, role: string, userId: string | null, calls: number): Promise<Latency> {
  const client = new pg.Client({ connectionString: env.urls.authUrl });
  await client.connect();
  try {
    const once = async () => {
      const started = performance.now();
      await client.query("begin");
      await client.query("select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true)", [role, userId ?? ""]);
      await client.query("select * from app_public.analytics_dashboard()");
      await client.query("commit");
      return ms(started);
    };
    for (let i = 0; i < 5; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < calls; i++) samples.push(await once());
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), calls };
  } finally {
    await client.end();
  }
}

// The whole dashboard over HTTP, as a client reads it since the query limits
// (README "Limits and client errors"): pages of PAGE_SIZE_MAX (1,000) rows,
// cursor after cursor — one request for a merchant's 100 businesses, ten for
// the admin's 10,000. A sample is the time to read them all.
const DASHBOARD_PAGE = 1000;

async function httpLatency(env: AnalyticsBenchEnvironment, token: string, calls: number, expected: number): Promise<Latency> {
  const query = `query Dashboard($after: Cursor) {
    analyticsDashboard(first: ${DASHBOARD_PAGE}, after: $after) {
      nodes { businessId businessName isQueueActive isQueuePaused currentQueueSize todayServed }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  type Page = { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  const once = async () => {
    const started = performance.now();
    let rows = 0;
    let after: string | null = null;
    for (;;) {
      const response = await fetch(env.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: { after } }),
      });
      const body = (await response.json()) as { data?: { analyticsDashboard: Page }; errors?: unknown[] };
      const page = body.data?.analyticsDashboard;
      if (!page) throw new Error(`dashboard over HTTP: ${JSON.stringify(body.errors)}`);
      rows += page.nodes.length;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    if (rows !== expected) throw new Error(`dashboard over HTTP: ${rows} rows, expected ${expected}`);
    return ms(started);
  };
  for (let i = 0; i < 5; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) samples.push(await once());
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), calls };
}

export interface DashboardLatencies {
  merchantSql: Latency;
  merchantHttp: Latency;
  adminSql: Latency;
  adminHttp: Latency;
}

export async function measureDashboard(
  env: AnalyticsBenchEnvironment,
  merchantId: string,
  businessesOfMerchant: number,
  allBusinesses: number,
  calls: { merchant: number; admin: number },
): Promise<DashboardLatencies> {
  const merchantToken = signToken({ role: "waitify_merchant", user_id: merchantId, sub: merchantId }, env.jwt);
  const adminToken = signToken({ role: "waitify_admin", user_id: null, sub: null }, env.jwt);
  return {
    merchantSql: await sqlLatency(env, "waitify_merchant", merchantId, calls.merchant),
    merchantHttp: await httpLatency(env, merchantToken, calls.merchant, businessesOfMerchant),
    adminSql: await sqlLatency(env, "waitify_admin", null, calls.admin),
    adminHttp: await httpLatency(env, adminToken, calls.admin, allBusinesses),
  };
}
