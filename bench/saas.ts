// SaaS metrics benchmark (`npm run bench -- saas`): the back office's metric
// reads (db/admin/metrics.sql) over BENCH_ACCOUNTS (10,000) accounts created
// across the last 24 months, each changing its subscription about every
// 20 days since it signed up (plan, interval, Stripe status: random, seeded).
// The history is written by the real trigger (MRR through
// app_private.account_mrr_cents), one round of subscription changes at a time,
// then dated back. Each read runs BENCH_RUNS (7) times as an admin after one
// warm-up: median and max, SQL only (what the HTTP layer adds is PostGraphile's
// usual per-request cost, measured in the analytics bench).
//
// Its own embedded PostgreSQL in .data/bench-saas-pg on BENCH_PG_PORT (54380),
// dropped and recreated; never the development or test cluster.
import os from "node:os";
import pg from "pg";
import { embeddedUrls, openEmbeddedDatabase } from "../lib/db/database.ts";
import { migrateDatabase } from "../lib/db/migrate.ts";
import { setupDatabase } from "../lib/db/setup.ts";
import { ident, withDatabase } from "../lib/db/urls.ts";

const DATA_DIR = ".data/bench-saas-pg";
const DATABASE = "waitify_bench_saas";
const accounts = Number(process.env.BENCH_ACCOUNTS ?? 10_000);
const runs = Number(process.env.BENCH_RUNS ?? 7);
const ROUNDS = 36; // at most one change per ~20 days over 24 months

const f = (value: number, digits = 0) => value.toFixed(digits);

async function load(client: pg.Client): Promise<void> {
  await client.query("select setseed(0.42)");
  await client.query(
    `insert into app_public.users (email, subscription_plan_id, created_at)
     select 'bench' || i || '@saas.bench', (select id from app_public.subscription_plans where name = 'basic'),
            now() - interval '730 days' * random()
       from generate_series(1, $1::integer) i`,
    [accounts],
  );
  // Round k: every account old enough gets a state; the trigger appends its
  // history row (if the state changed), which is then dated k × 20 days (± 5)
  // after the sign-up, the first a few days after it.
  for (let round = 0; round < ROUNDS; round++) {
    const before = await client.query<{ id: string | null }>("select max(id) as id from app_private.subscription_changes");
    const written = await client.query(
      `with chosen as (
         select u.id as user_id, random() as p, random() as q, random() as s
           from app_public.users u
          where u.created_at + make_interval(days => 3 + 20 * $1::integer) < now() - interval '1 day'
       )
       insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval, stripe_created)
       select c.user_id, 'sub_' || md5(c.user_id::text),
              case when $1::integer = 0 and c.s < 0.3 then 'trialing'
                   when c.s < 0.85 then 'active' when c.s < 0.9 then 'past_due' when c.s < 0.97 then 'canceled' else 'unpaid' end,
              (select id from app_public.subscription_plans
                where name = case when c.p < 0.6 then 'basic' when c.p < 0.9 then 'pro' else 'enterprise' end),
              case when c.q < 0.2 then 'year' else 'month' end, now()
         from chosen c
       on conflict (user_id) do update set stripe_status = excluded.stripe_status, plan_id = excluded.plan_id,
         billing_interval = excluded.billing_interval`,
      [round],
    );
    await client.query(
      `update app_private.subscription_changes h
          set changed_at = least(u.created_at + make_interval(days => 3 + 20 * $2::integer) + interval '5 days' * (random() - 0.5),
                                 now() - interval '1 hour')
         from app_public.users u
        where u.id = h.user_id and h.id > coalesce($1::bigint, 0)`,
      [before.rows[0].id, round],
    );
    if (written.rowCount === 0) break;
  }
  await client.query("vacuum analyze app_private.subscription_changes");
  await client.query("vacuum analyze app_public.users");
}

export default async function saasBench(): Promise<void> {
  console.log(`saas metrics bench: ${accounts} accounts, ${runs} runs per read; load average ${os.loadavg().map((n) => f(n, 1)).join(" ")}`);
  const port = Number(process.env.BENCH_PG_PORT ?? 54380);
  const cluster = await openEmbeddedDatabase(
    { dataDir: DATA_DIR, port, settings: { synchronous_commit: "off", fsync: "off" } },
    DATABASE,
  );
  try {
    const rootUrl = cluster.rootUrl!;
    const admin = new pg.Client({ connectionString: rootUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${ident(DATABASE)} with (force)`);
    await admin.end();
    const urls = embeddedUrls(rootUrl, DATABASE);
    await setupDatabase(rootUrl, urls);
    await migrateDatabase(urls, { current: true, force: true });

    const client = new pg.Client({ connectionString: withDatabase(rootUrl, DATABASE) });
    await client.connect();
    try {
      const started = performance.now();
      await load(client);
      const { rows } = await client.query(
        `select count(*)::int as rows, count(distinct user_id)::int as accounts,
                min(changed_at)::date::text as first, max(changed_at)::date::text as last
           from app_private.subscription_changes`,
      );
      console.log(
        `history: ${rows[0].rows} rows for ${rows[0].accounts} accounts, ${rows[0].first} to ${rows[0].last} (loaded through the trigger in ${f((performance.now() - started) / 1000)} s)`,
      );

      // As an administrator, the way a request runs: the role and its claim.
      const adminId = (await client.query<{ id: string }>("insert into app_private.admins (email) values ('bench@saas.bench') returning id")).rows[0].id;
      await client.query("begin");
      await client.query("select set_config('jwt.claims.admin_id', $1, true)", [adminId]);
      await client.query("set local role waitify_admin");
      const month = (await client.query<{ m: string }>("select date_trunc('month', now() - interval '1 month')::date::text as m")).rows[0].m;
      const reads: [string, string][] = [
        // A yardstick measured in the same conditions: one plain pass over the whole history.
        ["(yardstick) one GROUP BY over the history, as the owner", "reset role; select user_id, max(mrr_cents) from app_private.subscription_changes group by user_id; set local role waitify_admin"],
        ["adminSaasMetrics(last month)", `select * from app_public.admin_saas_metrics('${month}')`],
        ["adminSaasMetrics(current month)", "select * from app_public.admin_saas_metrics()"],
        ["adminMrrSeries(12)", "select * from app_public.admin_mrr_series(12)"],
        ["adminMrrSeries(60)", "select * from app_public.admin_mrr_series(60)"],
        ["adminMrrMovements(24 months)", `select * from app_public.admin_mrr_movements(('${month}'::date - interval '23 months')::date, '${month}')`],
        ["adminMrrByPlan()", "select * from app_public.admin_mrr_by_plan()"],
        ["adminTrialConversion(24 cohorts)", `select * from app_public.admin_trial_conversion(('${month}'::date - interval '23 months')::date, '${month}')`],
      ];
      console.log("\n| read | median | max | rows |\n|---|---|---|---|");
      for (const [name, sql] of reads) {
        const rowsOf = (result: pg.QueryResult | pg.QueryResult[]) => (Array.isArray(result) ? result[1]!.rowCount : result.rowCount);
        let count = rowsOf(await client.query(sql));
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t = performance.now();
          count = rowsOf(await client.query(sql));
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        console.log(`| ${name} | ${f(times[Math.floor(times.length / 2)]!, 1)} ms | ${f(times[times.length - 1]!, 1)} ms | ${count} |`);
      }
      const sample = await client.query(`select * from app_public.admin_saas_metrics('${month}')`);
      console.log("\nlast month's figures:", JSON.stringify(sample.rows[0]));
      await client.query("rollback");
    } finally {
      await client.end();
    }
    console.log(`load average ${os.loadavg().map((n) => f(n, 1)).join(" ")}`);
  } finally {
    await cluster.stop();
  }
}
