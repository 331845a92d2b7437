-- Daily figures: one row of analytics_daily per business and local day,
-- computed for any number of businesses and days by one set-based pass over
-- queue_entries and sms_logs (app_hidden.analytics_figures), stored by the
-- daily job (app_private.compute_analytics_daily, tasks/analytics_daily.ts).
--
-- The day. A business's day d is [d 00:00, d+1 00:00) in its time zone
-- (businesses.time_zone; 23 or 25 hours when summer time begins or ends).
-- Everything is counted on the day it HAPPENED: a customer who joins at 23:50
-- and is served at 00:10 is registered on day d and served on day d+1. So a
-- day's figures only read what happened inside it: once the day is over they
-- never change, and recomputing a day gives the same row.
--
-- The figures (the columns of analytics_daily and of app_public.analytics_day):
--   clients_registered   customers who joined (joined_at in the day);
--   clients_served       customers served (served_at in the day);
--   clients_missed       customers marked missed: did not come when called (missed_at in the day);
--   clients_cancelled    places cancelled, by the customer or by closing the queue (cancelled_at in the day);
--   average_wait_minutes mean of called_at − joined_at over the customers called in the day, in
--                        minutes, 2 decimals; null when nobody was called;
--   average_service_seconds  mean of served_at − called_at over the customers served in the day,
--                        whole seconds; null when nobody was served;
--   peak_queue_size      the longest any of the business's queues got: the most customers waiting
--                        in one queue at once. A queue is longest right after a join, and its
--                        length then is the newcomer's position (position_at_join); customers
--                        still waiting from the day before count from the day's start. 0 when
--                        nobody waited;
--   peak_hour            the local hour (0–23) in which peak_queue_size was first reached; null
--                        when nobody waited;
--   abandonment_rate     (missed + cancelled) / registered × 100, 2 decimals; null when nobody
--                        registered. Counted by day, it can exceed 100 on a day when more visits
--                        ended without service than began (a queue closed just after midnight);
--   sms_messages, sms_parts  SMS sent or delivered (sent_at in the day): messages and billed
--                        parts, as billing counts them (db/sms/usage.sql);
--   average_ticket_cents the business's average ticket when computed (businesses.average_ticket_cents,
--                        else system_configs.default_average_ticket_cents);
--   revenue_potential_lost_cents  (missed + cancelled) × average_ticket_cents;
--   busiest_window_start / _end  the busiest hour: the hour of the day (counted from local
--                        midnight, so on the hour in local time) in which the most customers
--                        joined, all queues together; the earliest on a tie; busiest_window_joins:
--                        its joins. Null / 0 when nobody joined;
--   estimate_sample      customers called in the day: the ones whose quote can be checked;
--   estimate_error_minutes  mean absolute error between the wait quoted at join
--                        (quoted_wait_minutes) and the actual wait (called_at − joined_at), in
--                        minutes, 2 decimals; null when nobody was called;
--   estimate_within_25_percent  share (%, 2 decimals) of them called within ±25 % of their
--                        quote. Quotes are whole minutes (0 = "you are next"), so the tolerance
--                        is at least one minute: |actual − quoted| ≤ max(25 % × quoted, 1 min).
--                        Both per visit are its stored columns estimate_error_seconds and
--                        estimate_within_25 (db/queue/access.sql, migration 000019).
--
-- Cost: the pass reads each visit of the period once, into one hash
-- aggregate by business and UTC hour of joining — no join, no day bounds
-- and no sort per visit; each visit's durations are stored on it — and the
-- SMS logs once (ranges of sms_logs_sent_day_idx: the stretch every zone's
-- day shares counted per business, the rest by UTC hour); a day is then
-- the sum of its parts (see analytics_figures). bench/README.md
-- ("Analytics") compares it with a plain GROUP BY over the same rows.
--
-- A row exists for every day of an active business since the day it was
-- created, activity or not (an empty day is a row of zeros: "computed, nothing
-- happened" differs from "not computed"), and for the days of a deleted
-- business that still had activity.

drop trigger if exists _100_timestamps on app_public.analytics_daily;
create trigger _100_timestamps before update on app_public.analytics_daily
  for each row execute function app_private.tg__set_updated_at();

grant select on app_public.analytics_daily to waitify_merchant, waitify_admin;

drop policy if exists select_own on app_public.analytics_daily;
create policy select_own on app_public.analytics_daily for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

drop policy if exists select_all on app_public.analytics_daily;
create policy select_all on app_public.analytics_daily for select to waitify_admin using (true);

-- The stored rows are read through the functions of reads.sql, which also
-- fill in the days not stored yet (today): the table itself is not a
-- GraphQL field.
comment on table app_public.analytics_daily is
  E'@behavior -*\nOne row per business and local day: the figures of the day (definitions in db/analytics/daily.sql).';
comment on column app_public.analytics_daily.time_zone is 'The zone the day was computed in (the business''s when computed).';
comment on column app_public.analytics_daily.raw_data_removed_at is
  'Set by the retention job once the entries behind this row were deleted: the row is final, a rebuild leaves it.';

-- The figures of the given businesses (null: every business the caller can
-- see) for every local day of [from, to] that has begun, in one set-based
-- pass. SECURITY INVOKER: the daily job runs it as the owner; a merchant's
-- read runs it under RLS and sees only their own queues. A day still under
-- way is computed up to now (is_complete false). skip_stored leaves out the
-- days already in analytics_daily (reads fill in only what is missing).
--
-- How (bench/README.md "Analytics" measures it):
--   1. `hours`: the period's visits read once, with no join and nothing
--      computed per visit but its UTC hour: sums per business and UTC hour
--      of joining (the hour's joins, calls, waits…, its highest position at
--      join, its visits still going and its last event).
--   2. A day whose bounds fall on UTC hours — every zone but the half- and
--      quarter-hour ones, so nearly all — is the sum of its hours (`fast`):
--      its local hours are UTC hours. That holds when every visit of its
--      hours happened within it; a day where one did not — a visit still
--      going, one crossing a local midnight, a long one that began earlier
--      (queue_entries_long_visits_idx) — and a day of a half-hour zone are
--      computed visit by visit instead (`exact`: the day's visits through
--      queue_entries_business_idx, each event checked against the day's
--      bounds), as is today so far while visits are under way.
--   3. The SMS logs: each date's core (the whole UTC hours inside that
--      date's day in every zone computed) counted per business, the rest of
--      the period per business and UTC hour like the visits; or the day's
--      range in sms_logs_business_id_sent_at_idx for a day not on UTC hours.
-- Both ways give the same figures (test/db/analytics/figures-property.test.ts
-- checks it on random days against an independent replay).
create or replace function app_hidden.analytics_figures(
  business_ids uuid[], "from" date, "to" date, skip_stored boolean default false
) returns table (
  business_id uuid, user_id uuid, business_name text, date date, time_zone text, is_complete boolean,
  clients_registered integer, clients_served integer, clients_missed integer, clients_cancelled integer,
  average_wait_minutes double precision, average_service_seconds integer,
  peak_hour integer, peak_queue_size integer, abandonment_rate double precision,
  sms_messages integer, sms_parts integer, average_ticket_cents integer, revenue_potential_lost_cents integer,
  busiest_window_start time, busiest_window_end time, busiest_window_joins integer,
  estimate_sample integer, estimate_error_minutes double precision, estimate_within_25_percent double precision
)
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
  -- A day of every business is a million visits: hash them in memory.
  set work_mem to '64MB'
  -- Planned for the values of each call: one business or ten thousand,
  -- every business or a merchant's read for very different plans (the
  -- fifth call in one session, when plpgsql may switch to a cached generic
  -- plan, once took five times as long for the daily job).
  set plan_cache_mode to force_custom_plan
  -- Turned off below for wide calls only; this clause keeps that change
  -- inside the function (PostgreSQL restores the value on return).
  set enable_sort to on
as $$
#variable_conflict use_column
declare
  v_default_ticket integer := coalesce(
    (select c.value::integer from app_public.system_configs c where c.key = 'default_average_ticket_cents'), 1000);
  -- The days to compute: (business, date) pairs, listed once.
  v_business uuid[];
  v_day date[];
  -- Bounds that hold every zone's days (UTC−12 to UTC+14) and the hour of
  -- look-back: for many businesses the planner reads the whole range once.
  v_earliest timestamptz;
  v_latest timestamptz;
  -- Whose rows to read: the businesses given; for a caller under RLS (a
  -- merchant, the admin) the ones whose days are computed, so that a
  -- merchant's read is an index range per business, not the period of every
  -- merchant. The job (the owner) reads the period whole.
  v_scan uuid[];
begin
  -- Every business asked for (or that the caller sees), every date of the
  -- period, less the days stored when skip_stored.
  select coalesce(array_agg(b.id), '{}'), coalesce(array_agg(g.day), '{}'),
         (min(g.day)::timestamp at time zone 'UTC') - interval '15 hours',
         ((max(g.day) + 1)::timestamp at time zone 'UTC') + interval '12 hours'
    into v_business, v_day, v_earliest, v_latest
    from app_public.businesses b
   cross join lateral (
     select analytics_figures."from" + n as day
       from generate_series(0, analytics_figures."to" - analytics_figures."from") n
   ) g
   where (analytics_figures.business_ids is null or b.id = any (analytics_figures.business_ids))
     and not (analytics_figures.skip_stored and exists (
           select 1 from app_public.analytics_daily a where a.business_id = b.id and a.date = g.day));
  if cardinality(v_business) = 0 then
    return;
  end if;
  v_scan := coalesce(analytics_figures.business_ids,
    case when row_security_active('app_public.queue_entries') then
      array(select distinct u.id from unnest(v_business) u(id)) end);
  -- A wide call (the nightly job or a rebuild: every business, as the
  -- owner) rolls about ten hours of each of thousands of business-days up
  -- into days. The planner cannot size that join (the days come from
  -- arrays: it expects a few thousand rows, gets over a hundred thousand)
  -- and sorts it; hashing it saves ~7 % of the pass (bench/README.md). Only
  -- there: for a merchant's few businesses over months, PostgreSQL 15
  -- picked plans 30× slower without sorts (CI's retention test caught it).
  if v_scan is null and cardinality(v_business) >= 1000 then
    perform set_config('enable_sort', 'off', true);
  end if;

  return query
  with zone_days as materialized (
    -- Each zone's days: bounds, and the local hour and time at each whole
    -- hour since the day's start (hour k is element k + 1; a day has at
    -- most 25 hours, and the busiest window ends one hour after it
    -- starts). Computed once per zone and date, not per business: AT TIME
    -- ZONE looks the zone's rules up, a few microseconds a call.
    select z.time_zone, z.day, t.day_start, t.day_end,
           (date_part('epoch', t.day_start) / 3600)::integer as first_hour_number,
           date_bin('1 hour', t.day_start, timestamptz 'epoch') = t.day_start
             and date_bin('1 hour', t.day_end, timestamptz 'epoch') = t.day_end as on_the_hour,
           array(select extract(hour from (t.day_start + k * interval '1 hour') at time zone z.time_zone)::integer
                   from generate_series(0, 25) k order by k) as local_hours,
           array(select ((t.day_start + k * interval '1 hour') at time zone z.time_zone)::time
                   from generate_series(0, 25) k order by k) as local_times
      from (select distinct b.time_zone, g.day
              from unnest(v_business, v_day) g(business_id, day)
              join app_public.businesses b on b.id = g.business_id) z
     cross join lateral (
       select z.day::timestamp at time zone z.time_zone as day_start,
              (z.day + 1)::timestamp at time zone z.time_zone as day_end
     ) t
  ), days as materialized (
    -- Each business's days. Days not begun yet, or over before the business
    -- was created, are dropped at the end.
    select b.id as business_id, b.user_id, b.name as business_name, b.time_zone, b.is_active, b.created_at,
           coalesce(b.average_ticket_cents, v_default_ticket) as ticket,
           g.day, zd.day_start, zd.day_end, zd.day_start - interval '1 hour' as look_back, zd.on_the_hour,
           zd.local_hours, zd.local_times, zd.first_hour_number,
           zd.day_start < now() and zd.day_end > b.created_at as wanted
      from unnest(v_business, v_day) g(business_id, day)
      join app_public.businesses b on b.id = g.business_id
      join zone_days zd on zd.time_zone = b.time_zone and zd.day = g.day
  ), hours as (
    -- The one pass over the visits: each visit that joined during the
    -- period (or the hour before it), by business and UTC hour of joining.
    -- Durations, the estimate check (|actual wait − quoted wait| in seconds,
    -- and whether it is within max(25 % of the quote, 1 minute)) and the last
    -- event are the visit's stored columns (computed once, when the visit
    -- changed: db/queue/access.sql). last_event: when the hour's last visit
    -- last changed (called, served, missed, cancelled).
    select e.business_id,
           date_bin('1 hour', e.joined_at, timestamptz 'epoch') as hour_start,
           -- The hour as a number (hours since 1970), once per hour: `fast`
           -- numbers the hours of a day by subtracting its first.
           (date_part('epoch', date_bin('1 hour', e.joined_at, timestamptz 'epoch')) / 3600)::integer as hour_number,
           -- Integers: their sums over a day are sum(integer), cheaper than sum(bigint).
           count(*)::integer as registered,
           count(e.called_at)::integer as called,
           count(e.served_at)::integer as served,
           count(e.missed_at)::integer as missed,
           count(e.cancelled_at)::integer as cancelled,
           sum(e.wait_seconds) as wait_seconds,
           sum(e.service_seconds) as service_seconds,
           sum(e.estimate_error_seconds) as estimate_error_seconds,
           (count(*) filter (where e.estimate_within_25))::integer as within_25,
           max(e.position_at_join) as peak,
           max(e.last_event_at) as last_event
      from app_public.queue_entries e
     where e.joined_at >= v_earliest
       and e.joined_at < v_latest
       and (v_scan is null or e.business_id = any (v_scan))
     group by e.business_id, date_bin('1 hour', e.joined_at, timestamptz 'epoch')
  ), fast as (
    -- The days on UTC hours, as sums of their hours (h: the hour of the day
    -- since local midnight, −1 for the hour before). Peak and busiest window
    -- are encoded as value × 100 + (99 − h), so that max() finds the
    -- largest, then the earliest. reaches_out: a visit of these hours is
    -- still going or has an event outside the day — the day goes to `exact`.
    select dy.business_id, dy.day,
           -- Still going: neither served, missed nor cancelled (each status
           -- has its time, and only its own: the table's checks).
           bool_or(j.registered > j.served + j.missed + j.cancelled
                   or j.last_event >= case when j.h < 0 then dy.day_start else dy.day_end end) as reaches_out,
           sum(j.registered) filter (where j.h >= 0) as registered,
           sum(j.served) filter (where j.h >= 0) as served,
           sum(j.missed) filter (where j.h >= 0) as missed,
           sum(j.cancelled) filter (where j.h >= 0) as cancelled,
           sum(j.called) filter (where j.h >= 0) as called,
           sum(j.wait_seconds) filter (where j.h >= 0) as wait_seconds,
           sum(j.service_seconds) filter (where j.h >= 0) as service_seconds,
           sum(j.estimate_error_seconds) filter (where j.h >= 0) as estimate_error_seconds,
           sum(j.within_25) filter (where j.h >= 0) as within_25,
           max(j.peak::bigint * 100 + 99 - j.h) filter (where j.h >= 0) as peak_key,
           max(j.registered * 100 + 99 - j.h) filter (where j.h >= 0) as window_key
      from days dy
      join lateral (
        -- h is used a dozen times below: an integer subtraction, not a date_part each time.
        select hr.*, hr.hour_number - dy.first_hour_number as h
          from hours hr
         where hr.business_id = dy.business_id
           and hr.hour_start >= dy.look_back
           and hr.hour_start < dy.day_end
      ) j on true
     where dy.on_the_hour
     group by dy.business_id, dy.day
  ), exact_days as materialized (
    -- The days computed visit by visit: not on UTC hours, a visit of theirs
    -- reaching out of them, or one that began before the hour of look-back
    -- and reaches into them (in progress, or longer than an hour:
    -- queue_entries_long_visits_idx holds exactly those).
    select dy.*
      from days dy
     where dy.wanted
       and (not dy.on_the_hour
            or (dy.business_id, dy.day) in (select f.business_id, f.day from fast f where f.reaches_out)
            or (dy.business_id, dy.day) in (
                 select dl.business_id, dl.day
                   from days dl
                   join app_public.queue_entries e
                     on e.business_id = dl.business_id
                    and e.joined_at < dl.look_back
                    and (e.status in ('waiting', 'called')
                         or coalesce(e.served_at, e.missed_at, e.cancelled_at) - e.joined_at > interval '1 hour')
                    and (e.status in ('waiting', 'called')
                         or coalesce(e.served_at, e.missed_at, e.cancelled_at) >= dl.day_start)))
  ), exact as (
    -- Each such day from its visits (an index range each): what happened
    -- in each queue during the day, by the hour since local midnight its
    -- customers joined in (−1: joined before the day), each thing counted
    -- on the day it happened. Peaks encoded by the second of the day.
    select x.business_id, x.day, d.*
      from exact_days x
     cross join lateral (
       with visits as (
         -- Every visit that touches the day: joined during it or in the
         -- hour before, or joined earlier and still going at its start.
         -- Durations in seconds, computed once per visit.
         select e.queue_id, e.position_at_join,
                e.joined_at >= x.day_start as joined_in_day,
                e.called_at >= x.day_start and e.called_at < x.day_end as called_in_day,
                e.served_at >= x.day_start and e.served_at < x.day_end as served_in_day,
                e.missed_at >= x.day_start and e.missed_at < x.day_end as missed_in_day,
                e.cancelled_at >= x.day_start and e.cancelled_at < x.day_end as cancelled_in_day,
                -- Still waiting when the day began.
                e.joined_at < x.day_start and coalesce(e.called_at, e.cancelled_at, 'infinity') > x.day_start as carried,
                date_part('epoch', e.joined_at - x.day_start) as joined_second,
                e.wait_seconds, e.service_seconds, e.estimate_error_seconds, e.estimate_within_25
           from app_public.queue_entries e
          where e.business_id = x.business_id
            and e.joined_at >= x.look_back
            and e.joined_at < x.day_end
         union all
         select e.queue_id, e.position_at_join,
                false,
                e.called_at >= x.day_start and e.called_at < x.day_end,
                e.served_at >= x.day_start and e.served_at < x.day_end,
                e.missed_at >= x.day_start and e.missed_at < x.day_end,
                e.cancelled_at >= x.day_start and e.cancelled_at < x.day_end,
                coalesce(e.called_at, e.cancelled_at, 'infinity') > x.day_start,
                date_part('epoch', e.joined_at - x.day_start),
                e.wait_seconds, e.service_seconds, e.estimate_error_seconds, e.estimate_within_25
           from app_public.queue_entries e
          where e.business_id = x.business_id
            and e.joined_at < x.look_back
            and (e.status in ('waiting', 'called')
                 or coalesce(e.served_at, e.missed_at, e.cancelled_at) - e.joined_at > interval '1 hour')
            and (e.status in ('waiting', 'called') or coalesce(e.served_at, e.missed_at, e.cancelled_at) >= x.day_start)
       ), per_hour as materialized (
         select v.queue_id,
                case when v.joined_in_day then floor(v.joined_second / 3600)::integer else -1 end as hour,
                count(*) filter (where v.joined_in_day) as registered,
                count(*) filter (where v.served_in_day) as served,
                count(*) filter (where v.missed_in_day) as missed,
                count(*) filter (where v.cancelled_in_day) as cancelled,
                count(*) filter (where v.called_in_day) as called,
                sum(v.wait_seconds) filter (where v.called_in_day) as wait_seconds,
                sum(v.service_seconds) filter (where v.served_in_day) as service_seconds,
                sum(v.estimate_error_seconds) filter (where v.called_in_day) as estimate_error_seconds,
                count(*) filter (where v.called_in_day and v.estimate_within_25) as within_25,
                -- A queue is longest right after a join (its length then is
                -- the newcomer's position, customers waiting since before the
                -- day included), or at the day's start, when only those are
                -- waiting.
                greatest(
                  max(v.position_at_join::bigint * 100000 + 99999 - floor(v.joined_second)::bigint) filter (where v.joined_in_day),
                  nullif(count(*) filter (where v.carried), 0) * 100000 + 99999
                ) as peak
           from visits v
          group by v.queue_id, case when v.joined_in_day then floor(v.joined_second / 3600)::integer else -1 end
       )
       select sum(p.registered) as registered, sum(p.served) as served, sum(p.missed) as missed,
              sum(p.cancelled) as cancelled, sum(p.called) as called,
              sum(p.wait_seconds) as wait_seconds, sum(p.service_seconds) as service_seconds,
              sum(p.estimate_error_seconds) as estimate_error_seconds, sum(p.within_25) as within_25,
              max(p.peak) as peak_key,
              (select max(w.joins * 100000 + 99999 - w.hour)
                 from (select p2.hour, sum(p2.registered)::bigint as joins from per_hour p2
                        where p2.hour >= 0 group by p2.hour) w) as window_key
         from per_hour p
       having count(*) > 0
     ) d
  ), figures as (
    -- Both kinds of day in one shape: the peak's size and its second of the
    -- day, the busiest window's joins and its hour of the day.
    select f.business_id, f.day, f.registered, f.served, f.missed, f.cancelled, f.called,
           f.wait_seconds, f.service_seconds, f.estimate_error_seconds, f.within_25,
           f.peak_key / 100 as peak_size, (99 - f.peak_key % 100) * 3600 as peak_second,
           f.window_key / 100 as window_joins, 99 - f.window_key % 100 as window_hour
      from fast f
     where (f.business_id, f.day) not in (select x.business_id, x.day from exact_days x)
    union all
    select x.business_id, x.day, x.registered, x.served, x.missed, x.cancelled, x.called,
           x.wait_seconds, x.service_seconds, x.estimate_error_seconds, x.within_25,
           x.peak_key / 100000, 99999 - x.peak_key % 100000,
           x.window_key / 100000, 99999 - x.window_key % 100000
      from exact x
  ), sms_cores as (
    -- The SMS logs are read in two parts. A date's core is a stretch of
    -- whole UTC hours inside that date's day in every zone computed (from
    -- the latest start to the earliest end, rounded inwards to the hour: 23
    -- hours for Paris and Dakar). An SMS sent in a core belongs to that date
    -- for every business computed on it, so it is counted per business alone
    -- (sms_core: one small group per business). The rest of the period, the
    -- edges between the cores, is summed by business and UTC hour
    -- (sms_edge_hours), and a day takes the edge hours inside it, as it
    -- takes its visits' hours. Every zone counts, on every date asked for,
    -- so that no core reaches into another date's day of any business.
    select d.day, date_bin('1 hour', max(t.day_start) + interval '1 hour' - interval '1 microsecond',
                           timestamptz 'epoch') as core_start,
           date_bin('1 hour', min(t.day_end), timestamptz 'epoch') as core_end
      from (select distinct u.day from unnest(v_day) u(day)) d
     cross join (select distinct zd.time_zone from zone_days zd) z
     cross join lateral (
       select d.day::timestamp at time zone z.time_zone as day_start,
              (d.day + 1)::timestamp at time zone z.time_zone as day_end
     ) t
     group by d.day
    having date_bin('1 hour', max(t.day_start) + interval '1 hour' - interval '1 microsecond', timestamptz 'epoch')
           < date_bin('1 hour', min(t.day_end), timestamptz 'epoch')
  ), sms_edges as (
    -- [v_earliest, v_latest) less the cores: the gaps before, between and
    -- after them (cores of successive dates follow each other in order).
    select g.edge_start, g.edge_end
      from (select coalesce(lag(c.core_end) over (order by c.core_start), v_earliest) as edge_start,
                   c.core_start as edge_end
              from sms_cores c
            union all
            select coalesce(max(c.core_end), v_earliest), v_latest from sms_cores c) g
     where g.edge_start < g.edge_end
  ), sms_core as (
    -- Two scans of their own ranges rather than one of both grouped on
    -- (date, business, hour or null): the combined key costs more than
    -- the second range descent (~8 % of the pass, bench/README.md).
    select c.day, l.business_id, count(*) as messages, sum(l.parts) as parts
      from sms_cores c
      join app_public.sms_logs l
        on l.sent_at >= c.core_start
       and l.sent_at < c.core_end
     where l.status in ('sent', 'delivered')
       and (v_scan is null or l.business_id = any (v_scan))
     group by c.day, l.business_id
  ), sms_edge_hours as (
    select l.business_id, date_bin('1 hour', l.sent_at, timestamptz 'epoch') as hour_start,
           count(*) as messages, sum(l.parts) as parts
      from sms_edges g
      join app_public.sms_logs l
        on l.sent_at >= g.edge_start
       and l.sent_at < g.edge_end
     where l.status in ('sent', 'delivered')
       and (v_scan is null or l.business_id = any (v_scan))
     group by l.business_id, date_bin('1 hour', l.sent_at, timestamptz 'epoch')
  ), sms as (
    -- SMS sent in the day: its core and its edge hours, or its range of
    -- sms_logs_business_id_sent_at_idx for a day not on UTC hours.
    select dy.business_id, dy.day,
           coalesce(max(sc.messages), 0) + coalesce(sum(se.messages), 0) as messages,
           coalesce(max(sc.parts), 0) + coalesce(sum(se.parts), 0) as parts
      from days dy
      left join sms_core sc on sc.business_id = dy.business_id and sc.day = dy.day
      left join sms_edge_hours se
        on se.business_id = dy.business_id
       and se.hour_start >= dy.day_start
       and se.hour_start < dy.day_end
     where dy.on_the_hour
       and (sc.business_id is not null or se.business_id is not null)
     group by dy.business_id, dy.day
    union all
    select dy.business_id, dy.day, t.messages, t.parts
      from days dy
     cross join lateral (
       select count(*) as messages, coalesce(sum(l.parts), 0) as parts
         from app_public.sms_logs l
        where l.business_id = dy.business_id
          and l.status in ('sent', 'delivered')
          and l.sent_at >= dy.day_start
          and l.sent_at < dy.day_end
       having count(*) > 0
     ) t
     where not dy.on_the_hour and dy.wanted
  )
  select dy.business_id, dy.user_id, dy.business_name, dy.day, dy.time_zone, dy.day_end <= now(),
         coalesce(c.registered, 0)::integer,
         coalesce(c.served, 0)::integer,
         coalesce(c.missed, 0)::integer,
         coalesce(c.cancelled, 0)::integer,
         round((c.wait_seconds / nullif(c.called, 0) / 60)::numeric, 2)::double precision,
         round((c.service_seconds / nullif(c.served, 0))::numeric)::integer,
         case when c.peak_size > 0 then
           case when c.peak_second % 3600 = 0 then dy.local_hours[c.peak_second / 3600 + 1]
                else extract(hour from (dy.day_start + c.peak_second * interval '1 second') at time zone dy.time_zone)::integer end
         end,
         coalesce(c.peak_size, 0)::integer,
         case when c.registered > 0 then round(100.0 * (c.missed + c.cancelled) / c.registered, 2)::double precision end,
         coalesce(sm.messages, 0)::integer,
         coalesce(sm.parts, 0)::integer,
         dy.ticket,
         ((coalesce(c.missed, 0) + coalesce(c.cancelled, 0)) * dy.ticket)::integer,
         dy.local_times[c.window_hour + 1],
         dy.local_times[c.window_hour + 2],
         coalesce(c.window_joins, 0)::integer,
         coalesce(c.called, 0)::integer,
         round((c.estimate_error_seconds / nullif(c.called, 0) / 60)::numeric, 2)::double precision,
         round(100.0 * c.within_25 / nullif(c.called, 0), 2)::double precision
    from days dy
    left join figures c on c.business_id = dy.business_id and c.day = dy.day
    left join sms sm on sm.business_id = dy.business_id and sm.day = dy.day
   where dy.wanted
     and (dy.is_active or c.business_id is not null or sm.business_id is not null);
end;
$$;
comment on function app_hidden.analytics_figures(uuid[], date, date, boolean) is
  'The daily figures of the given businesses (null: all the caller sees) for each local day of [from, to] that has begun; definitions in db/analytics/daily.sql.';
grant execute on function app_hidden.analytics_figures(uuid[], date, date, boolean) to waitify_merchant, waitify_admin;

-- Stores the figures of every day of [from, to] that is over in each
-- business's zone (a day still under way is never stored), for the given
-- businesses or all. Idempotent: one row per business and date, updated only
-- when a figure changed, so rerunning a day leaves its row untouched. A row
-- whose entries retention has deleted is final and left as it is. Returns
-- the rows written. Run by the analytics_daily job and analytics:rebuild.
create or replace function app_private.compute_analytics_daily("from" date, "to" date, business_ids uuid[] default null)
  returns integer
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_written integer;
begin
  if compute_analytics_daily."from" is null or compute_analytics_daily."to" is null
     or compute_analytics_daily."from" > compute_analytics_daily."to" then
    perform app_hidden.raise_error('INVALID_DATE_RANGE', 'fr',
      coalesce(compute_analytics_daily."from"::text, '?'), coalesce(compute_analytics_daily."to"::text, '?'));
  end if;
  insert into app_public.analytics_daily as a (
    business_id, user_id, date, time_zone,
    clients_registered, clients_served, clients_missed, clients_cancelled,
    average_wait_minutes, average_service_seconds, peak_hour, peak_queue_size, abandonment_rate,
    sms_messages, sms_parts, average_ticket_cents, revenue_potential_lost_cents,
    busiest_window_start, busiest_window_end, busiest_window_joins,
    estimate_sample, estimate_error_minutes, estimate_within_25_percent)
  select f.business_id, f.user_id, f.date, f.time_zone,
         f.clients_registered, f.clients_served, f.clients_missed, f.clients_cancelled,
         f.average_wait_minutes, f.average_service_seconds, f.peak_hour, f.peak_queue_size, f.abandonment_rate,
         f.sms_messages, f.sms_parts, f.average_ticket_cents, f.revenue_potential_lost_cents,
         f.busiest_window_start, f.busiest_window_end, f.busiest_window_joins,
         f.estimate_sample, f.estimate_error_minutes, f.estimate_within_25_percent
    from app_hidden.analytics_figures(compute_analytics_daily.business_ids,
                                      compute_analytics_daily."from", compute_analytics_daily."to") f
   where f.is_complete
  on conflict (business_id, date) do update set
    time_zone = excluded.time_zone,
    clients_registered = excluded.clients_registered,
    clients_served = excluded.clients_served,
    clients_missed = excluded.clients_missed,
    clients_cancelled = excluded.clients_cancelled,
    average_wait_minutes = excluded.average_wait_minutes,
    average_service_seconds = excluded.average_service_seconds,
    peak_hour = excluded.peak_hour,
    peak_queue_size = excluded.peak_queue_size,
    abandonment_rate = excluded.abandonment_rate,
    sms_messages = excluded.sms_messages,
    sms_parts = excluded.sms_parts,
    average_ticket_cents = excluded.average_ticket_cents,
    revenue_potential_lost_cents = excluded.revenue_potential_lost_cents,
    busiest_window_start = excluded.busiest_window_start,
    busiest_window_end = excluded.busiest_window_end,
    busiest_window_joins = excluded.busiest_window_joins,
    estimate_sample = excluded.estimate_sample,
    estimate_error_minutes = excluded.estimate_error_minutes,
    estimate_within_25_percent = excluded.estimate_within_25_percent
  where a.raw_data_removed_at is null
    and (a.time_zone, a.clients_registered, a.clients_served, a.clients_missed, a.clients_cancelled,
         a.average_wait_minutes, a.average_service_seconds, a.peak_hour, a.peak_queue_size, a.abandonment_rate,
         a.sms_messages, a.sms_parts, a.average_ticket_cents, a.revenue_potential_lost_cents,
         a.busiest_window_start, a.busiest_window_end, a.busiest_window_joins,
         a.estimate_sample, a.estimate_error_minutes, a.estimate_within_25_percent)
        is distinct from
        (excluded.time_zone, excluded.clients_registered, excluded.clients_served, excluded.clients_missed,
         excluded.clients_cancelled, excluded.average_wait_minutes, excluded.average_service_seconds,
         excluded.peak_hour, excluded.peak_queue_size, excluded.abandonment_rate,
         excluded.sms_messages, excluded.sms_parts, excluded.average_ticket_cents, excluded.revenue_potential_lost_cents,
         excluded.busiest_window_start, excluded.busiest_window_end, excluded.busiest_window_joins,
         excluded.estimate_sample, excluded.estimate_error_minutes, excluded.estimate_within_25_percent);
  get diagnostics v_written = row_count;
  return v_written;
end;
$$;
comment on function app_private.compute_analytics_daily(date, date, uuid[]) is
  'Stores (upserts) the figures of every day of [from, to] that is over in each business''s zone; returns the rows written.';

-- The daily job (tasks/analytics_daily.ts, crontab): the three local days up
-- to the UTC date it was scheduled for. Whatever the zone (UTC−12 to
-- UTC+14), the day that ended last is among them once the job runs after
-- 00:00 UTC; the two before catch visits that ended late and runs the
-- worker missed. Days not over are skipped (compute_analytics_daily).
create or replace function app_private.run_analytics_day(at timestamptz default now()) returns integer
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.compute_analytics_daily((run_analytics_day.at at time zone 'UTC')::date - 2,
                                             (run_analytics_day.at at time zone 'UTC')::date);
$$;
comment on function app_private.run_analytics_day(timestamptz) is
  'The analytics_daily job: stores the days over among the three UTC dates up to `at`; returns the rows written.';
