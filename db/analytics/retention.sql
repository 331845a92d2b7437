-- Retention (the daily analytics_retention job; seed 001's
-- cleanup_old_queue_entries, fixed): finished visits and their events older
-- than system_configs.analytics_retention_days (90) are deleted — only once
-- every local day they touched is in analytics_daily, so no figure is lost.
-- A day older than the retention period is then final: its row is marked
-- (raw_data_removed_at) and a rebuild leaves it as it is. Queue-level events
-- (opened, closed, paused) of such days go too. SMS logs stay: they are the
-- billing ledger (db/billing/statements.sql and usage-reports.sql read their
-- business, status, parts and times); their numbers went with the phone
-- erasure (privacy.sql) and their link to the deleted visit becomes null.
--
-- "Older than N days" is in the business's zone: a visit goes once it ended
-- before the local day that began N days ago. At most `max_rows` visits per
-- call, in short transactions (the job calls again while there are more).
create or replace function app_private.run_analytics_retention(at timestamptz default now(), max_rows integer default 10000)
  returns table (entries_deleted integer, events_deleted integer, days_final integer)
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_days integer := coalesce(app_private.config_value('analytics_retention_days')::integer, 90);
  -- Every zone's cut-off is before this instant (UTC+14 is the earliest).
  v_latest_cutoff timestamptz := ((run_analytics_retention.at at time zone 'UTC')::date - v_days + 1)::timestamp at time zone 'UTC'
                                 + interval '12 hours';
begin
  create temporary table if not exists pg_temp.retention_cutoffs (
    business_id uuid primary key, time_zone text, cutoff_day date, cutoff timestamptz
  ) on commit drop;
  truncate pg_temp.retention_cutoffs;
  insert into pg_temp.retention_cutoffs
  select b.id, b.time_zone, c.day, c.day::timestamp at time zone b.time_zone
    from app_public.businesses b
   cross join lateral (select (run_analytics_retention.at at time zone b.time_zone)::date - v_days as day) c;

  with doomed as (
    select e.id
      from app_public.queue_entries e
      join pg_temp.retention_cutoffs c on c.business_id = e.business_id
     where e.joined_at < v_latest_cutoff
       and e.joined_at < c.cutoff
       and e.status in ('served', 'missed', 'cancelled')
       and coalesce(e.served_at, e.missed_at, e.cancelled_at) < c.cutoff
       -- Every day from the join to the end of the visit is stored.
       and (select count(*) from app_public.analytics_daily a
             where a.business_id = e.business_id
               and a.date between (e.joined_at at time zone c.time_zone)::date
                              and (coalesce(e.served_at, e.missed_at, e.cancelled_at) at time zone c.time_zone)::date)
           = (coalesce(e.served_at, e.missed_at, e.cancelled_at) at time zone c.time_zone)::date
             - (e.joined_at at time zone c.time_zone)::date + 1
     limit run_analytics_retention.max_rows
  ), events as (
    delete from app_public.queue_events ev using doomed where ev.entry_id = doomed.id
    returning 1
  ), entries as (
    delete from app_public.queue_entries e using doomed where e.id = doomed.id
    returning 1
  )
  select (select count(*) from entries), (select count(*) from events) into entries_deleted, events_deleted;

  with queue_events as (
    delete from app_public.queue_events ev
     using pg_temp.retention_cutoffs c
     where ev.business_id = c.business_id
       and ev.entry_id is null
       and ev.created_at < v_latest_cutoff
       and ev.created_at < c.cutoff
       and exists (select 1 from app_public.analytics_daily a
                    where a.business_id = ev.business_id and a.date = (ev.created_at at time zone c.time_zone)::date)
    returning 1
  )
  select events_deleted + count(*) into events_deleted from queue_events;

  -- Older days are final once nothing of them is left to delete.
  if entries_deleted < run_analytics_retention.max_rows then
    update app_public.analytics_daily a set raw_data_removed_at = run_analytics_retention.at
      from pg_temp.retention_cutoffs c
     where a.business_id = c.business_id and a.date < c.cutoff_day and a.raw_data_removed_at is null;
    get diagnostics days_final = row_count;
  else
    days_final := 0;
  end if;
  return next;
end;
$$;
comment on function app_private.run_analytics_retention(timestamptz, integer) is
  'Deletes finished visits and events older than analytics_retention_days whose days are stored; marks older days final. At most max_rows visits per call.';
