-- What merchants (and the back office) read of analytics, as GraphQL fields.
-- Every function is SECURITY INVOKER: RLS decides what is read — a merchant
-- their own businesses, the admin all of them — and a business the caller
-- cannot see is BUSINESS_NOT_FOUND, like one that does not exist.
--
-- History is the stored rows of analytics_daily, plus the days not stored
-- yet (today so far, a day the job has not reached) computed from the queue
-- by the same pass (analytics_figures): the two always agree, and a view is
-- never empty because the job runs at night. Weeks run Monday to Sunday
-- (ISO), months by the calendar; a day is the business's local day.

-- Days of the given businesses (null: all the caller sees) in [from, to].
create or replace function app_hidden.analytics_days(business_ids uuid[], "from" date, "to" date)
  returns setof app_public.analytics_day
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select a.business_id, b.name, a.date, a.time_zone, true,
         a.clients_registered, a.clients_served, a.clients_missed, a.clients_cancelled,
         a.average_wait_minutes, a.average_service_seconds, a.peak_hour, a.peak_queue_size, a.abandonment_rate,
         a.sms_messages, a.sms_parts, a.average_ticket_cents, a.revenue_potential_lost_cents,
         a.busiest_window_start, a.busiest_window_end, a.busiest_window_joins,
         a.estimate_sample, a.estimate_error_minutes, a.estimate_within_25_percent
    from app_public.analytics_daily a
    join app_public.businesses b on b.id = a.business_id
   where (analytics_days.business_ids is null or a.business_id = any (analytics_days.business_ids))
     and a.date between analytics_days."from" and analytics_days."to"
  union all
  select f.business_id, f.business_name, f.date, f.time_zone, f.is_complete,
         f.clients_registered, f.clients_served, f.clients_missed, f.clients_cancelled,
         f.average_wait_minutes, f.average_service_seconds, f.peak_hour, f.peak_queue_size, f.abandonment_rate,
         f.sms_messages, f.sms_parts, f.average_ticket_cents, f.revenue_potential_lost_cents,
         f.busiest_window_start, f.busiest_window_end, f.busiest_window_joins,
         f.estimate_sample, f.estimate_error_minutes, f.estimate_within_25_percent
    from app_hidden.analytics_figures(analytics_days.business_ids, analytics_days."from", analytics_days."to", true) f;
$$;
comment on function app_hidden.analytics_days(uuid[], date, date) is
  'Daily figures in [from, to]: stored rows, and the days not stored yet computed live (today so far).';
grant execute on function app_hidden.analytics_days(uuid[], date, date) to waitify_merchant, waitify_admin;

-- The caller's business, or BUSINESS_NOT_FOUND (someone else's is invisible under RLS).
create or replace function app_hidden.analytics_business(business_id uuid) returns app_public.businesses
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses;
begin
  select b.* into v_business from app_public.businesses b where b.id = analytics_business.business_id;
  if v_business.id is null then
    perform app_hidden.raise_error('BUSINESS_NOT_FOUND', 'fr');
  end if;
  return v_business;
end;
$$;
comment on function app_hidden.analytics_business(uuid) is
  'The business if the caller can see it, else BUSINESS_NOT_FOUND.';
grant execute on function app_hidden.analytics_business(uuid) to waitify_merchant, waitify_admin;

-- Seed 000's "today", live: the figures of the business's local day so far
-- and the customers waiting now.
create or replace function app_public.business_analytics_today(business_id uuid) returns app_public.analytics_today
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses := app_hidden.analytics_business(business_analytics_today.business_id);
  v_today date := (now() at time zone v_business.time_zone)::date;
  v_result app_public.analytics_today;
begin
  select v_business.id, v_today, v_business.time_zone, now(),
         (select count(*)::integer from app_public.queues q
            join app_public.queue_entries e on e.queue_id = q.id and e.status = 'waiting'
           where q.business_id = v_business.id),
         f.clients_registered, f.clients_served, f.clients_missed, f.clients_cancelled,
         f.average_wait_minutes, f.peak_hour, f.peak_queue_size, f.abandonment_rate, f.sms_messages
    into v_result
    from app_hidden.analytics_figures(array[v_business.id], v_today, v_today) f;
  if v_result.business_id is null then
    -- Created today after… nothing to count yet (the day began before it existed).
    v_result := row(v_business.id, v_today, v_business.time_zone, now(), 0, 0, 0, 0, 0, null, null, 0, null, 0);
  end if;
  return v_result;
end;
$$;
comment on function app_public.business_analytics_today(uuid) is
  'Today so far for one business, live (seed 000''s "today"): clients served, missed, waiting now, average wait, peak hour, abandonment rate. BUSINESS_NOT_FOUND for a business not yours.';
grant execute on function app_public.business_analytics_today(uuid) to waitify_merchant, waitify_admin;

-- Seed 000's "week": the ISO week (Monday to Sunday) containing `day`
-- (default: the business's today), today included so far.
create or replace function app_public.business_analytics_week(business_id uuid, day date default null)
  returns app_public.analytics_week
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses := app_hidden.analytics_business(business_analytics_week.business_id);
  v_monday date := date_trunc('week', coalesce(business_analytics_week.day, (now() at time zone v_business.time_zone)::date))::date;
  v_result app_public.analytics_week;
begin
  select v_business.id, v_monday, v_monday + 6,
         coalesce(sum(d.clients_registered), 0)::integer,
         coalesce(sum(d.clients_served), 0)::integer,
         round(100.0 * sum(d.clients_missed + d.clients_cancelled) / nullif(sum(d.clients_registered), 0), 2)::double precision,
         -- The day with the most customers (registered); the earliest on a tie; null for an empty week.
         (select lower(trim(to_char(b.date, 'FMDay'))) from unnest(array_agg(d)) b
           where b.clients_registered > 0 order by b.clients_registered desc, b.date limit 1),
         (select b.date from unnest(array_agg(d)) b
           where b.clients_registered > 0 order by b.clients_registered desc, b.date limit 1),
         round(coalesce(sum(d.revenue_potential_lost_cents), 0) / 100.0, 2)::double precision,
         coalesce(sum(d.revenue_potential_lost_cents), 0)::integer
    into v_result
    from app_hidden.analytics_days(array[v_business.id], v_monday, v_monday + 6) d;
  return v_result;
end;
$$;
comment on function app_public.business_analytics_week(uuid, date) is
  'The week (Monday to Sunday) containing `day` (default: today) for one business (seed 000''s "week"): total clients, busiest day (the most registered; earliest on a tie), revenue potential lost (euros and cents).';
grant execute on function app_public.business_analytics_week(uuid, date) to waitify_merchant, waitify_admin;

-- The daily history of one business over [from, to] (366 days at most).
create or replace function app_public.business_analytics_daily(business_id uuid, "from" date, "to" date)
  returns setof app_public.analytics_day
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses := app_hidden.analytics_business(business_analytics_daily.business_id);
begin
  perform app_hidden.check_analytics_range(business_analytics_daily."from", business_analytics_daily."to", v_business.language);
  return query
    select d.* from app_hidden.analytics_days(array[v_business.id], business_analytics_daily."from", business_analytics_daily."to") d
     order by d.date;
end;
$$;
comment on function app_public.business_analytics_daily(uuid, date, date) is
  'One business''s figures for each local day of [from, to] (366 days at most; today so far, not complete). INVALID_DATE_RANGE, DATE_RANGE_TOO_LONG, BUSINESS_NOT_FOUND.';
grant execute on function app_public.business_analytics_daily(uuid, date, date) to waitify_merchant, waitify_admin;

-- The daily history of every business the caller sees over [from, to].
create or replace function app_public.analytics_daily_history("from" date, "to" date)
  returns setof app_public.analytics_day
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_hidden.check_analytics_range(analytics_daily_history."from", analytics_daily_history."to");
  return query
    select d.* from app_hidden.analytics_days(null, analytics_daily_history."from", analytics_daily_history."to") d
     order by d.date, d.business_name, d.business_id;
end;
$$;
comment on function app_public.analytics_daily_history(date, date) is
  'Every business''s figures for each local day of [from, to] (366 days at most), by date then business.';
grant execute on function app_public.analytics_daily_history(date, date) to waitify_merchant, waitify_admin;

-- The dashboard across the caller's active businesses, read live: open or
-- paused, customers waiting now, served today (the business's local day).
-- Each count is an index range per queue (queue_entries_waiting_idx,
-- queue_entries_served_idx); bench/README.md measures it for 100 and for
-- 10 000 businesses — fast enough that seed 001's materialised view
-- (refreshed every 5 minutes, so up to 5 minutes stale) is not needed.
create or replace function app_public.analytics_dashboard() returns setof app_public.analytics_dashboard_row
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select b.id, b.name, b.business_type, b.time_zone,
         coalesce(bool_or(q.is_queue_active), false),
         coalesce(bool_and(q.is_queue_paused) filter (where q.is_queue_active), false),
         coalesce(sum(waiting.n), 0)::integer,
         coalesce(sum(served.n), 0)::integer
    from app_public.businesses b
    left join app_public.queues q on q.business_id = b.id and q.user_id = b.user_id
    left join lateral (
      select count(*) as n from app_public.queue_entries e where e.queue_id = q.id and e.status = 'waiting'
    ) waiting on true
    left join lateral (
      select count(*) as n from app_public.queue_entries e
       where e.queue_id = q.id and e.status = 'served'
         and e.served_at >= (now() at time zone b.time_zone)::date::timestamp at time zone b.time_zone
    ) served on true
   where b.is_active
   group by b.id
   order by b.name, b.id;
$$;
comment on function app_public.analytics_dashboard() is
  'Your active businesses at a glance, live: open, paused, customers waiting now, served today (local day).';
grant execute on function app_public.analytics_dashboard() to waitify_merchant, waitify_admin;

-- Each business over [from, to] (seed 001's "comparison" metrics). The
-- average wait is the daily averages weighted by the customers called each
-- day; peak hours are the two hours that were most often the day's peak
-- ("08:00", the earlier on a tie).
create or replace function app_hidden.analytics_compare("from" date, "to" date)
  returns setof app_public.analytics_business_comparison
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select d.business_id, min(d.business_name),
         row(sum(d.clients_registered)::integer, sum(d.clients_served)::integer,
             sum(d.clients_missed)::integer, sum(d.clients_cancelled)::integer, sum(d.estimate_sample)::integer,
             round(100.0 * sum(d.clients_missed + d.clients_cancelled) / nullif(sum(d.clients_registered), 0), 2)::double precision,
             round((sum(d.average_wait_minutes * d.estimate_sample) / nullif(sum(d.estimate_sample), 0))::numeric, 2)::double precision,
             coalesce((select array_agg(to_char(p.hour, 'FM00') || ':00' order by p.days desc, p.hour)
                         from (select h.peak_hour as hour, count(*) as days
                                 from unnest(array_agg(d.peak_hour)) h(peak_hour)
                                where h.peak_hour is not null
                                group by h.peak_hour
                                order by count(*) desc, h.peak_hour
                                limit 2) p), '{}'),
             sum(d.sms_messages)::integer, sum(d.sms_parts)::integer,
             sum(d.revenue_potential_lost_cents)::integer)::app_public.analytics_metrics
    from app_hidden.analytics_days(null, analytics_compare."from", analytics_compare."to") d
   group by d.business_id;
$$;
comment on function app_hidden.analytics_compare(date, date) is
  'Per-business totals over [from, to] for every business the caller sees.';
grant execute on function app_hidden.analytics_compare(date, date) to waitify_merchant, waitify_admin;

-- Totals over the businesses compared (seed 001's "consolidated" and
-- calculate_user_consolidated_stats, whose best and worst were swapped).
-- Best performer: the lowest abandonment rate among the businesses that had
-- customers; a tie goes to the one that served more, then by name. Worst:
-- the highest abandonment rate; a tie goes to the one that lost more
-- customers (missed + cancelled), then by name.
create or replace function app_hidden.analytics_consolidate(
  businesses app_public.analytics_business_comparison[], "from" date, "to" date
) returns app_public.analytics_consolidated
  language sql immutable
  set search_path to pg_catalog, public, pg_temp
as $$
  with c as (select b.business_id, b.business_name, (b.metrics).* from unnest(analytics_consolidate.businesses) b)
  select analytics_consolidate."from", analytics_consolidate."to",
         t.businesses, t.clients, t.served, t.missed, t.cancelled,
         round(100.0 * (t.missed + t.cancelled) / nullif(t.clients, 0), 2)::double precision,
         round((t.wait_minutes_called / nullif(t.called, 0))::numeric, 2)::double precision,
         t.sms_sent, t.sms_parts, t.revenue_lost,
         best.business_name, best.business_id, worst.business_name, worst.business_id
    from (select count(*)::integer as businesses,
                 coalesce(sum(c.total_clients), 0)::integer as clients, coalesce(sum(c.clients_served), 0)::integer as served,
                 coalesce(sum(c.clients_missed), 0)::integer as missed, coalesce(sum(c.clients_cancelled), 0)::integer as cancelled,
                 sum(c.average_wait_time * c.clients_called) as wait_minutes_called, sum(c.clients_called) as called,
                 coalesce(sum(c.sms_sent), 0)::integer as sms_sent, coalesce(sum(c.sms_parts), 0)::integer as sms_parts,
                 coalesce(sum(c.revenue_potential_lost_cents), 0)::integer as revenue_lost
            from c) t
    left join lateral (
      select b.business_name, b.business_id from c b where b.total_clients > 0
       order by b.abandonment_rate, b.clients_served desc, b.business_name, b.business_id limit 1
    ) best on true
    left join lateral (
      select w.business_name, w.business_id from c w where w.total_clients > 0
       order by w.abandonment_rate desc, w.clients_missed + w.clients_cancelled desc, w.business_name, w.business_id limit 1
    ) worst on true;
$$;
comment on function app_hidden.analytics_consolidate(app_public.analytics_business_comparison[], date, date) is
  'Totals, best and worst performer of per-business figures.';
grant execute on function app_hidden.analytics_consolidate(app_public.analytics_business_comparison[], date, date)
  to waitify_merchant, waitify_admin;

-- Seed 001's GET /analytics/comparison: every business over [from, to] and
-- the consolidated totals (366 days at most).
create or replace function app_public.analytics_comparison("from" date, "to" date) returns app_public.analytics_comparison
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_businesses app_public.analytics_business_comparison[];
begin
  perform app_hidden.check_analytics_range(analytics_comparison."from", analytics_comparison."to");
  select coalesce(array_agg(c order by c.business_name, c.business_id), '{}') into v_businesses
    from app_hidden.analytics_compare(analytics_comparison."from", analytics_comparison."to") c;
  return row(analytics_comparison."from", analytics_comparison."to", v_businesses,
             app_hidden.analytics_consolidate(v_businesses, analytics_comparison."from", analytics_comparison."to")
            )::app_public.analytics_comparison;
end;
$$;
comment on function app_public.analytics_comparison(date, date) is
  E'Your businesses compared over [from, to] (366 days at most), with the consolidated totals and the best performer: the lowest abandonment rate among businesses that had customers (a tie goes to the one that served more, then by name).';
grant execute on function app_public.analytics_comparison(date, date) to waitify_merchant, waitify_admin;

-- Seed 001's GET /analytics/consolidated/:period: the day, ISO week or
-- calendar month containing `day` (default: today, the latest local date
-- among the caller's businesses), all businesses together.
create or replace function app_public.analytics_consolidated(period app_public.analytics_period, day date default null)
  returns app_public.analytics_consolidated
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_day date := coalesce(analytics_consolidated.day,
    (select max((now() at time zone b.time_zone)::date) from app_public.businesses b),
    (now() at time zone 'Europe/Paris')::date);
  v_from date;
  v_to date;
  v_businesses app_public.analytics_business_comparison[];
begin
  if analytics_consolidated.period is null then
    perform app_hidden.raise_error('INVALID_DATE_RANGE', 'fr', '?', '?');
  end if;
  v_from := case analytics_consolidated.period
              when 'day' then v_day
              when 'week' then date_trunc('week', v_day)::date
              else date_trunc('month', v_day)::date end;
  v_to := case analytics_consolidated.period
            when 'day' then v_day
            when 'week' then v_from + 6
            else (v_from + interval '1 month')::date - 1 end;
  select coalesce(array_agg(c), '{}') into v_businesses from app_hidden.analytics_compare(v_from, v_to) c;
  return app_hidden.analytics_consolidate(v_businesses, v_from, v_to);
end;
$$;
comment on function app_public.analytics_consolidated(app_public.analytics_period, date) is
  'All your businesses together over the day, week (Monday to Sunday) or month containing `day` (default: today), with the best and worst performers (rule: see analyticsComparison).';
grant execute on function app_public.analytics_consolidated(app_public.analytics_period, date) to waitify_merchant, waitify_admin;

comment on type app_public.analytics_day is
  E'One business''s figures for one local day (definitions: db/analytics/daily.sql). isComplete is false for today so far.';
comment on type app_public.analytics_today is
  E'Today so far for one business (seed 000''s "today"); averageWaitTime in minutes.';
comment on type app_public.analytics_week is
  E'One business''s week, Monday to Sunday (seed 000''s "week"); busiestDay is a lower-case English weekday ("saturday"), revenuePotential in euros.';
comment on type app_public.analytics_dashboard_row is
  E'One active business at a glance, live: isQueueActive when a queue is open, isQueuePaused when every open queue is paused.';
comment on type app_public.analytics_business_comparison is
  E'One business over a period (seed 001''s comparison entry).';
comment on type app_public.analytics_metrics is
  E'A business''s figures over a period (seed 001''s metrics): totalClients registered; averageWaitTime in minutes (the daily averages weighted by customers called); peakHours the two hours most often the day''s peak ("08:00").';
comment on type app_public.analytics_consolidated is
  E'All the businesses together over a period (seed 001''s consolidated); bestPerformer has the lowest abandonment rate among businesses that had customers (ties: more served, then name), worstPerformer the highest (ties: more lost, then name).';
comment on type app_public.analytics_comparison is
  E'Seed 001''s comparison: each business over the period and the consolidated totals.';

-- The rows of the CSV export (lib/http/analytics-export.ts): one business's
-- days (only_business given) or every business the caller sees, over [from,
-- to] as typed in the query string (YYYY-MM-DD), dates and times as text in
-- ISO form. Bad dates, periods and someone else's business are the coded
-- errors of the reads above, raised before the first row.
create or replace function app_hidden.analytics_csv_rows(only_business uuid, "from" text, "to" text)
  returns table (
    date text, business_id uuid, business_name text, time_zone text, complete boolean,
    clients_registered integer, clients_served integer, clients_missed integer, clients_cancelled integer,
    average_wait_minutes double precision, average_service_seconds integer, peak_hour integer, peak_queue_size integer,
    abandonment_rate double precision, sms_messages integer, sms_parts integer,
    average_ticket_cents integer, revenue_potential_lost_cents integer,
    busiest_window_start text, busiest_window_end text, busiest_window_joins integer,
    estimate_sample integer, estimate_error_minutes double precision, estimate_within_25_percent double precision
  )
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_from date := app_hidden.parse_analytics_date(analytics_csv_rows."from");
  v_to date := app_hidden.parse_analytics_date(analytics_csv_rows."to");
begin
  return query
    select to_char(d.date, 'YYYY-MM-DD'), d.business_id, d.business_name, d.time_zone, d.is_complete,
           d.clients_registered, d.clients_served, d.clients_missed, d.clients_cancelled,
           d.average_wait_minutes, d.average_service_seconds, d.peak_hour, d.peak_queue_size,
           d.abandonment_rate, d.sms_messages, d.sms_parts, d.average_ticket_cents, d.revenue_potential_lost_cents,
           to_char(d.busiest_window_start, 'HH24:MI'), to_char(d.busiest_window_end, 'HH24:MI'), d.busiest_window_joins,
           d.estimate_sample, d.estimate_error_minutes, d.estimate_within_25_percent
      from (select * from app_public.business_analytics_daily(analytics_csv_rows.only_business, v_from, v_to)
             where analytics_csv_rows.only_business is not null
            union all
            select * from app_public.analytics_daily_history(v_from, v_to)
             where analytics_csv_rows.only_business is null) d
     order by d.date, d.business_name, d.business_id;
end;
$$;
comment on function app_hidden.analytics_csv_rows(uuid, text, text) is
  'The CSV export''s rows: one business (or all the caller sees) over [from, to] given as YYYY-MM-DD text.';
grant execute on function app_hidden.analytics_csv_rows(uuid, text, text) to waitify_merchant, waitify_admin;
