-- SMS overage at Stripe: the parts of each subscribed account are reported to
-- the Stripe billing meter hour by hour (tasks/report_sms_usage.ts), and the
-- metered graduated price of the plan turns the month's sum into the overage
-- (the first <quota> parts free, then sms_cost_cents each). Our ledger stays
-- the truth: each report is recorded here first with an identifier that
-- Stripe deduplicates on, so a retried or repeated job never counts twice.
--
-- An hour is reported once it has been over for `lag`, so that a message
-- whose send committed just after the hour turned is in it. A message
-- recorded later still (a worker down across the hour) is caught by the
-- month's reconciliation: the statement's parts minus what was reported.
--
-- Stripe refuses a meter event more than 35 days old, for good: such a report
-- (a worker that ran without a Stripe key for weeks) stays recorded and
-- unreported, left to that reconciliation, and is no longer returned, so it
-- cannot stop every later report behind it. 34 days leaves room for a run
-- that is late or backfilled by the crontab.
--
-- Stripe bills a meter event in the billing period its timestamp falls in.
-- An hour's report is stamped at the hour's start, except the hour in which
-- the subscription began: its start precedes the first period (a checkout at
-- 09:40 opens the period at 09:40, not 09:00), and Stripe would bill those
-- parts in no period at all. That report is stamped at the subscription's
-- start instead. Later periods begin on the 1st at 00:00 UTC, on an hour.

-- Records the reports due up to `at` (one per account and finished hour with
-- parts) and returns every report not yet acknowledged by Stripe that Stripe
-- still accepts, oldest first.
create or replace function app_private.due_usage_reports(at timestamptz default now(), lag interval default '5 minutes')
  returns table (user_id uuid, hour timestamptz, parts integer, identifier text, stripe_customer_id text, stamped_at timestamptz)
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_private.sms_usage_reports (user_id, hour, parts, identifier)
  select l.user_id, date_trunc('hour', l.sent_at) as hour, sum(l.parts)::integer,
         format('sms:%s:%s', l.user_id, to_char(date_trunc('hour', l.sent_at) at time zone 'UTC', 'YYYYMMDD"T"HH24'))
    from app_public.sms_logs l
    join app_private.subscriptions s on s.user_id = l.user_id and s.stripe_status not in ('canceled', 'incomplete_expired')
   where l.status in ('sent', 'delivered')
     and l.sent_at >= date_trunc('month', at - lag) - interval '1 month'
     and l.sent_at < date_trunc('hour', at - lag)
     and l.sent_at >= s.stripe_created
   group by l.user_id, date_trunc('hour', l.sent_at)
  on conflict on constraint sms_usage_reports_pkey do nothing;
  return query
    select r.user_id, r.hour, r.parts, r.identifier, c.stripe_customer_id,
           greatest(r.hour, s.stripe_created)
      from app_private.sms_usage_reports r
      join app_private.stripe_customers c on c.user_id = r.user_id
      left join app_private.subscriptions s on s.user_id = r.user_id
     where r.reported_at is null and r.parts > 0
       and r.hour >= due_usage_reports.at - interval '34 days'
     order by r.hour, r.user_id;
end;
$$;
comment on function app_private.due_usage_reports(timestamptz, interval) is
  'Records the hourly SMS usage reports due and returns those Stripe has not acknowledged yet.';

create or replace function app_private.usage_reported(identifier text) returns void
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  update app_private.sms_usage_reports r set reported_at = now()
   where r.identifier = usage_reported.identifier and r.reported_at is null;
$$;

-- The meter event name the reports go to (written by stripe:sync).
create or replace function app_private.sms_meter_event_name() returns text
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select s.value from app_private.stripe_settings s where s.key = 'sms_meter_event_name';
$$;
