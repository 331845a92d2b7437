-- Demo history for `npm run db:seed` (development): a business gets a few
-- finished days of visits, as the queue engine and the phone erasure would
-- have left them (numbers already erased), and their daily figures — so the
-- analytics have something to show on a first look. Owner only (app_private).

-- Writes `days` past local days of visits for the business unless it has any
-- visit before today; returns the visits written (0 the second time). The
-- pattern is fixed (no randomness): the same every run.
create or replace function app_private.seed_demo_history(business_id uuid, days integer default 7) returns integer
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses;
  v_queue_id uuid;
  v_today date;
  v_written integer;
begin
  select b.* into v_business from app_public.businesses b where b.id = seed_demo_history.business_id;
  if v_business.id is null then
    perform app_hidden.raise_error('BUSINESS_NOT_FOUND', 'fr');
  end if;
  -- Two seeds at once: one writes, the other then finds the history.
  perform pg_advisory_xact_lock(hashtext('waitify:seed_demo_history:' || v_business.id::text));
  v_today := (now() at time zone v_business.time_zone)::date;
  if exists (select 1 from app_public.queue_entries e
              where e.business_id = v_business.id
                and e.joined_at < v_today::timestamp at time zone v_business.time_zone) then
    return 0;
  end if;
  select q.id into v_queue_id from app_public.queues q
   where q.business_id = v_business.id order by q.created_at, q.id limit 1;
  -- The business existed on those days.
  update app_public.businesses b
     set created_at = least(b.created_at, (v_today - seed_demo_history.days)::timestamp at time zone v_business.time_zone)
   where b.id = v_business.id;

  with visits as (
    -- 12 to 20 customers a day from 08:00, a rush around noon; most served,
    -- some missed, a few cancelled.
    select d.day, i,
           (d.day::timestamp + interval '8 hours'
              + i * interval '31 minutes' - case when i between 7 and 11 then (i - 6) * interval '18 minutes' else interval '0' end
              + ((i * 7 + d.n) % 11) * interval '1 minute') at time zone v_business.time_zone as joined,
           (3 + (i * 5 + d.n) % 13) * interval '1 minute' as wait,
           (2 + (i + d.n) % 4) * interval '1 minute' + ((i * 13) % 50) * interval '1 second' as service,
           case when (i + d.n) % 9 = 4 then 'missed' when (i * 3 + d.n) % 11 = 5 then 'cancelled' else 'served' end as outcome,
           1 + case when i between 7 and 11 then i - 6 else 0 end as position
      from (select v_today - k as day, k as n from generate_series(1, seed_demo_history.days) k) d
     cross join lateral generate_series(1, 12 + (d.n * 5) % 9) i
  ), written as (
    insert into app_public.queue_entries (queue_id, business_id, user_id, phone, client_name, status, ticket_day, ticket_number,
      quoted_wait_minutes, position_at_join, joined_at, called_at, served_at, missed_at, cancelled_at, actual_service_time, erased_at)
    select v_queue_id, v_business.id, v_business.user_id, null, null, v.outcome, v.day, v.i,
           v.position * 4, v.position, v.joined,
           case when v.outcome <> 'cancelled' then v.joined + v.wait end,
           case when v.outcome = 'served' then v.joined + v.wait + v.service end,
           case when v.outcome = 'missed' then v.joined + v.wait + interval '5 minutes' end,
           case when v.outcome = 'cancelled' then v.joined + v.wait / 2 end,
           case when v.outcome = 'served' then extract(epoch from v.service)::integer end,
           v.joined + interval '1 day'
      from visits v
    returning 1
  )
  select count(*) into v_written from written;
  perform app_private.compute_analytics_daily(v_today - seed_demo_history.days, v_today - 1, array[v_business.id]);
  return v_written;
end;
$$;
comment on function app_private.seed_demo_history(uuid, integer) is
  'Development: `days` past days of finished visits (numbers erased) and their daily figures for a business without history; 0 when it has some.';
