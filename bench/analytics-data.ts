// The analytics benchmark's data, written by the superuser in a few large
// statements: 100 merchants × 100 businesses (one in five in Senegal, Dakar
// time), each with a day of visits two days ago (100 each: 1,000,000 in all,
// 08:00–19:00 local, 85 % served, 8 % missed, 7 % cancelled, an SMS each) and
// today so far (20 served and 3 waiting each, for the live dashboard).
// Foreign keys and triggers are off while loading (session_replication_role =
// replica): the rows are consistent by construction, and loading them one
// check at a time would take longer than the benchmark.
import pg from "pg";

export interface BenchData {
  /** The day of the million visits (two days ago, UTC date). */
  day: string;
  /** A merchant with 100 businesses. */
  merchantId: string;
  businesses: number;
  entries: number;
  sms: number;
}

export const MERCHANTS = Number(process.env.BENCH_MERCHANTS ?? 100);
export const BUSINESSES_PER_MERCHANT = Number(process.env.BENCH_BUSINESSES_PER_MERCHANT ?? 100);
export const VISITS_PER_BUSINESS = Number(process.env.BENCH_VISITS ?? 100);

export async function loadBenchData(rootUrl: string, log: (line: string) => void): Promise<BenchData> {
  const client = new pg.Client({ connectionString: rootUrl });
  await client.connect();
  try {
    await client.query("set synchronous_commit = off");
    const step = async (what: string, sql: string, values: unknown[] = []) => {
      const started = performance.now();
      const result = await client.query(sql, values);
      log(`  ${what}: ${result.rowCount ?? 0} rows, ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return result;
    };
    const { rows } = await client.query<{ day: string }>("select to_char((now() at time zone 'UTC')::date - 2, 'YYYY-MM-DD') as day");
    const day = rows[0]!.day;
    await step(
      "merchants",
      `insert into app_public.users (email, first_name, last_name, subscription_plan_id, subscription_status)
       select 'bench' || i || '@example.test', 'Bench', 'Merchant', (select id from app_public.subscription_plans where name = 'enterprise'), 'active'
         from generate_series(1, $1) i`,
      [MERCHANTS],
    );
    // Through the triggers: each business gets its queue and its zone.
    await step(
      "businesses",
      `insert into app_public.businesses (user_id, name, country, business_type, created_at)
       select u.id, 'Shop ' || lpad(j::text, 3, '0') || ' ' || u.email, case when j % 5 = 0 then 'SN' else 'FR' end, 'bakery',
              now() - interval '30 days'
         from app_public.users u cross join generate_series(1, $1) j where u.email like 'bench%@example.test'`,
      [BUSINESSES_PER_MERCHANT],
    );
    await client.query("update app_public.queues set is_queue_active = true");
    await client.query("set session_replication_role = replica");
    await step(
      "visits of the day",
      `insert into app_public.queue_entries (queue_id, business_id, user_id, phone, status, ticket_day, ticket_number,
         quoted_wait_minutes, position_at_join, joined_at, called_at, served_at, missed_at, cancelled_at, actual_service_time)
       with shops as materialized (
         select row_number() over (order by b.id) - 1 as k, b.id, b.user_id, b.time_zone, q.id as queue_id
           from app_public.businesses b join app_public.queues q on q.business_id = b.id
       ), draws as materialized (
         select n, random() as at, random() as outcome, random() as wait, random() as service, random() as quote
           from generate_series(0, (select count(*) from shops) * $2 - 1) n
       ), visits as (
         select s.*, d.n, d.outcome,
                ($1::date + interval '8 hours' + d.at * interval '11 hours') at time zone s.time_zone as joined,
                d.wait * interval '40 minutes' as wait, d.service * interval '9 minutes' + interval '1 minute' as service,
                (d.quote * 30)::integer as quoted
           from draws d join shops s on s.k = d.n / $2
       )
       select v.queue_id, v.id, v.user_id, '+3361' || lpad(v.n::text, 7, '0'),
              case when v.outcome < 0.85 then 'served' when v.outcome < 0.93 then 'missed' else 'cancelled' end,
              $1::date, v.n % $2 + 1, v.quoted, 1 + (v.n % 12),
              v.joined,
              case when v.outcome < 0.965 then v.joined + v.wait end,
              case when v.outcome < 0.85 then v.joined + v.wait + v.service end,
              case when v.outcome >= 0.85 and v.outcome < 0.93 then v.joined + v.wait + interval '5 minutes' end,
              case when v.outcome >= 0.93 then v.joined + v.wait + v.service end,
              case when v.outcome < 0.85 then extract(epoch from v.service)::integer end
         from visits v`,
      [day, VISITS_PER_BUSINESS],
    );
    await step(
      "SMS of the day",
      `insert into app_public.sms_logs (business_id, user_id, queue_entry_id, phone, message_type, message_content, status,
         provider_message_id, parts, cost_cents, sent_at, created_at)
       select e.business_id, e.user_id, e.id, e.phone, 'confirmation', 'Votre place est confirmée', 'sent',
              'bench-' || e.id, 1, 3, e.joined_at + interval '2 seconds', e.joined_at
         from app_public.queue_entries e where e.ticket_day = $1::date`,
      [day],
    );
    // Today: 20 customers served and 3 waiting per business, at times already past.
    await step(
      "today so far",
      `insert into app_public.queue_entries (queue_id, business_id, user_id, phone, status, ticket_day, ticket_number,
         quoted_wait_minutes, position_at_join, joined_at, called_at, served_at)
       select q.id, b.id, b.user_id, '+3362' || lpad((row_number() over ())::text, 7, '0'),
              case when i <= 20 then 'served' else 'waiting' end, (now() at time zone 'UTC')::date, 1000 + i, 5, 1,
              now() - (24 - i) * interval '1 minute',
              case when i <= 20 then now() - (24 - i) * interval '1 minute' + interval '20 seconds' end,
              case when i <= 20 then now() - (24 - i) * interval '1 minute' + interval '40 seconds' end
         from app_public.businesses b join app_public.queues q on q.business_id = b.id
        cross join generate_series(1, 23) i`,
    );
    await client.query("set session_replication_role = origin");
    await step("vacuum analyze", "vacuum analyze");
    const merchant = await client.query<{ id: string }>("select id from app_public.users where email = 'bench1@example.test'");
    const counts = await client.query<{ businesses: number; entries: number; sms: number }>(
      `select (select count(*) from app_public.businesses)::int as businesses,
              (select count(*) from app_public.queue_entries where ticket_day = $1::date)::int as entries,
              (select count(*) from app_public.sms_logs)::int as sms`,
      [day],
    );
    return { day, merchantId: merchant.rows[0]!.id, ...counts.rows[0]! };
  } finally {
    await client.end();
  }
}
