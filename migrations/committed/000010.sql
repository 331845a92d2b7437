--! Previous: sha1:e630ec97018ae13b1164177ecf1e8dbb4c1e767b
--! Hash: sha1:8bdca01181af76ce661791a6775835b5c923c7b8

--! split: 1-current.sql
-- Enter migration here

--! split: 5-analytics.sql
-- Analytics, retention and privacy (issue 9): the business's time zone and
-- privacy settings, the daily figures table, the erasure audit, phone numbers
-- that can be erased, and the indexes the daily pass and the erasure job use.
-- Idempotent while it is current (graphile-migrate runs it again and again).

-- The business's time zone: its days (analytics, "today") begin at its local
-- midnight. Filled from the country when not given (db/analytics/settings.sql:
-- Europe/Paris, Africa/Dakar for Senegal) and validated there.
-- Added with a constant default (no table rewrite, no trigger: the rows stay
-- as they were), then Senegal's businesses get theirs; the default goes, so
-- that the trigger decides for new rows. Only the first time: re-applying
-- must not undo a zone chosen since.
do $$
begin
  if not exists (select 1 from information_schema.columns
                  where table_schema = 'app_public' and table_name = 'businesses' and column_name = 'time_zone') then
    alter table app_public.businesses add column time_zone text not null default 'Europe/Paris';
    update app_public.businesses set time_zone = 'Africa/Dakar' where country = 'SN';
    alter table app_public.businesses alter column time_zone drop default;
  end if;
end
$$;
alter table app_public.businesses drop constraint if exists businesses_time_zone_check;
alter table app_public.businesses add constraint businesses_time_zone_check
  check (length(time_zone) between 1 and 64 and time_zone ~ '^[A-Za-z][A-Za-z0-9_+/-]*$');

-- Privacy by default: a customer's phone number (and name) is erased this
-- many hours after the visit ends.
alter table app_public.businesses add column if not exists phone_retention_hours integer not null default 24;
alter table app_public.businesses drop constraint if exists businesses_phone_retention_hours_check;
alter table app_public.businesses add constraint businesses_phone_retention_hours_check
  check (phone_retention_hours between 1 and 720);

-- What a customer spends on average, for "revenue potential lost"; null:
-- system_configs.default_average_ticket_cents.
alter table app_public.businesses add column if not exists average_ticket_cents integer;
alter table app_public.businesses drop constraint if exists businesses_average_ticket_cents_check;
alter table app_public.businesses add constraint businesses_average_ticket_cents_check
  check (average_ticket_cents between 0 and 10000000);

insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('analytics_retention_days', '90', 'integer',
   'Jours pendant lesquels les passages terminés et leurs événements sont gardés (une fois comptés dans analytics_daily)', true),
  ('default_average_ticket_cents', '1000', 'integer',
   'Panier moyen par défaut (centimes) pour le manque à gagner des abandons', true)
on conflict (key) do nothing;

-- Phone numbers can be erased (privacy): null once erased, with the time in
-- erased_at. Walk-in customers (a later issue) have none to begin with.
alter table app_public.queue_entries alter column phone drop not null;
alter table app_public.queue_entries add column if not exists erased_at timestamptz;
-- A walk-in's name is personal data too: erased with the rest, so the walk-in
-- rule (a name while there is no phone) holds only until the erasure.
alter table app_public.queue_entries drop constraint if exists queue_entries_walk_in_name_check;
alter table app_public.queue_entries add constraint queue_entries_walk_in_name_check
  check (not is_walk_in or client_name is not null or erased_at is not null);
alter table app_public.sms_logs alter column phone drop not null;

-- One row per business and local day (the business's time zone).
-- Definitions of every figure: db/analytics/daily.sql.
create table if not exists app_public.analytics_daily (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null,
  user_id uuid not null,
  date date not null,
  time_zone text not null,
  clients_registered integer not null default 0 check (clients_registered >= 0),
  clients_served integer not null default 0 check (clients_served >= 0),
  clients_missed integer not null default 0 check (clients_missed >= 0),
  clients_cancelled integer not null default 0 check (clients_cancelled >= 0),
  average_wait_minutes double precision check (average_wait_minutes >= 0),
  average_service_seconds integer check (average_service_seconds >= 0),
  peak_hour integer check (peak_hour between 0 and 23),
  peak_queue_size integer not null default 0 check (peak_queue_size >= 0),
  abandonment_rate double precision check (abandonment_rate >= 0),
  sms_messages integer not null default 0 check (sms_messages >= 0),
  sms_parts integer not null default 0 check (sms_parts >= 0),
  average_ticket_cents integer not null check (average_ticket_cents >= 0),
  revenue_potential_lost_cents integer not null default 0 check (revenue_potential_lost_cents >= 0),
  busiest_window_start time,
  busiest_window_end time,
  busiest_window_joins integer not null default 0 check (busiest_window_joins >= 0),
  estimate_sample integer not null default 0 check (estimate_sample >= 0),
  estimate_error_minutes double precision check (estimate_error_minutes >= 0),
  estimate_within_25_percent double precision check (estimate_within_25_percent between 0 and 100),
  raw_data_removed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_daily_business_date_key unique (business_id, date),
  constraint analytics_daily_business_fkey foreign key (business_id, user_id)
    references app_public.businesses (id, user_id) on delete cascade,
  constraint analytics_daily_busiest_window_check check ((busiest_window_start is null) = (busiest_window_end is null))
);
alter table app_public.analytics_daily enable row level security;
create index if not exists analytics_daily_user_id_date_idx on app_public.analytics_daily (user_id, date);
create index if not exists analytics_daily_date_idx on app_public.analytics_daily (date);

-- The audit of erasures on request (forgetCustomer): who asked, when, how
-- much was erased; never the number itself.
create table if not exists app_public.customer_erasures (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (id) on delete cascade,
  entries_erased integer not null check (entries_erased >= 0),
  sms_logs_erased integer not null check (sms_logs_erased >= 0),
  visits_in_progress integer not null check (visits_in_progress >= 0),
  created_at timestamptz not null default now()
);
alter table app_public.customer_erasures enable row level security;
create index if not exists customer_erasures_user_id_idx on app_public.customer_erasures (user_id, created_at);

-- The daily pass reads the entries that joined during the day or the hour
-- before (queue_entries_business_idx); a visit that began earlier still
-- counts when it reaches into the day. Those are either still in progress or
-- longer than an hour: this small partial index finds them without reading
-- every earlier entry of the business.
create index if not exists queue_entries_long_visits_idx on app_public.queue_entries (business_id, joined_at)
  where status in ('waiting', 'called')
     or coalesce(served_at, missed_at, cancelled_at) - joined_at > interval '1 hour';

-- The daily job reads a day of every business at once: a range of joins
-- (and of sends), which rows inserted in time order keep together on disk. A
-- BRIN index finds that range for a few kilobytes.
create index if not exists queue_entries_joined_at_brin on app_public.queue_entries using brin (joined_at);
create index if not exists sms_logs_sent_at_brin on app_public.sms_logs using brin (sent_at);

-- Finished visits whose personal data is still there, by when they ended:
-- what the hourly erasure looks at. Rows leave it once erased.
create index if not exists queue_entries_to_erase_idx on app_public.queue_entries (coalesce(served_at, missed_at, cancelled_at))
  where erased_at is null and status in ('served', 'missed', 'cancelled');

-- Erasure on request finds a number among a merchant's SMS logs.
create index if not exists sms_logs_user_id_phone_idx on app_public.sms_logs (user_id, phone) where phone is not null;

-- What the analytics reads return (db/analytics/reads.sql). Composite types:
-- the drop cascades to the functions returning them, which db/ re-creates.
drop type if exists app_public.analytics_period cascade;
create type app_public.analytics_period as enum ('day', 'week', 'month');

-- One business's figures for one local day: a stored row of analytics_daily,
-- or computed from the queue for a day not stored yet (today so far).
drop type if exists app_public.analytics_day cascade;
create type app_public.analytics_day as (
  business_id uuid,
  business_name text,
  date date,
  time_zone text,
  is_complete boolean,
  clients_registered integer,
  clients_served integer,
  clients_missed integer,
  clients_cancelled integer,
  average_wait_minutes double precision,
  average_service_seconds integer,
  peak_hour integer,
  peak_queue_size integer,
  abandonment_rate double precision,
  sms_messages integer,
  sms_parts integer,
  average_ticket_cents integer,
  revenue_potential_lost_cents integer,
  busiest_window_start time,
  busiest_window_end time,
  busiest_window_joins integer,
  estimate_sample integer,
  estimate_error_minutes double precision,
  estimate_within_25_percent double precision
);

-- Seed 000's "today" (clients_served, clients_missed, average_wait_time,
-- peak_hour, abandonment_rate) and more, live.
drop type if exists app_public.analytics_today cascade;
create type app_public.analytics_today as (
  business_id uuid,
  date date,
  time_zone text,
  as_of timestamptz,
  waiting_now integer,
  clients_registered integer,
  clients_served integer,
  clients_missed integer,
  clients_cancelled integer,
  average_wait_time double precision,
  peak_hour integer,
  peak_queue_size integer,
  abandonment_rate double precision,
  sms_sent integer
);

-- Seed 000's "week" (total_clients, busiest_day, revenue_potential) and more.
drop type if exists app_public.analytics_week cascade;
create type app_public.analytics_week as (
  business_id uuid,
  week_start date,
  week_end date,
  total_clients integer,
  clients_served integer,
  abandonment_rate double precision,
  busiest_day text,
  busiest_date date,
  revenue_potential double precision,
  revenue_potential_cents integer
);

-- A row of the cross-business dashboard (seed 001's businesses_stats_realtime,
-- read live).
drop type if exists app_public.analytics_dashboard_row cascade;
create type app_public.analytics_dashboard_row as (
  business_id uuid,
  business_name text,
  business_type app_public.business_type,
  time_zone text,
  is_queue_active boolean,
  is_queue_paused boolean,
  current_queue_size integer,
  today_served integer
);

-- Seed 001's /analytics/comparison: one business over a period, its
-- figures under "metrics" as in the seed…
drop type if exists app_public.analytics_metrics cascade;
create type app_public.analytics_metrics as (
  total_clients integer,
  clients_served integer,
  clients_missed integer,
  clients_cancelled integer,
  clients_called integer,
  abandonment_rate double precision,
  average_wait_time double precision,
  peak_hours text[],
  sms_sent integer,
  sms_parts integer,
  revenue_potential_lost_cents integer
);
drop type if exists app_public.analytics_business_comparison cascade;
create type app_public.analytics_business_comparison as (
  business_id uuid,
  business_name text,
  metrics app_public.analytics_metrics
);

-- … and the totals over the caller's businesses ("consolidated"; seed 001's
-- calculate_user_consolidated_stats), also the answer of day / week / month.
drop type if exists app_public.analytics_consolidated cascade;
create type app_public.analytics_consolidated as (
  period_start date,
  period_end date,
  total_businesses integer,
  total_clients integer,
  total_served integer,
  total_missed integer,
  total_cancelled integer,
  overall_abandonment_rate double precision,
  average_wait_time double precision,
  total_sms_sent integer,
  total_sms_parts integer,
  revenue_potential_lost_cents integer,
  best_performer text,
  best_performer_id uuid,
  worst_performer text,
  worst_performer_id uuid
);

drop type if exists app_public.analytics_comparison cascade;
create type app_public.analytics_comparison as (
  period_start date,
  period_end date,
  comparison app_public.analytics_business_comparison[],
  consolidated app_public.analytics_consolidated
);

-- The join page states the business's own retention in its consent text.
do $$
begin
  if not exists (select 1 from pg_attribute
                  where attrelid = 'app_public.queue_public_status'::regclass and attname = 'phone_retention_hours'
                    and not attisdropped) then
    alter type app_public.queue_public_status add attribute phone_retention_hours integer;
  end if;
end;
$$;

--! split: 6-sms-cap.sql
-- SMS spend protection (issue 11, item 3): a daily cap of SMS parts per
-- business, messages beyond it recorded as `capped` (never sent, never
-- billed), the merchant told once a day, and a phone number in a few queues
-- at most. The rules are in db/sms/cap.sql and db/queue/customer.sql.

-- `capped`: over the business's daily cap, recorded but never sent (no job),
-- so it costs nothing and no usage query counts it (they count sent and
-- delivered only).
alter table app_public.sms_logs drop constraint if exists sms_logs_status_check;
alter table app_public.sms_logs add constraint sms_logs_status_check
  check (status in ('pending', 'sent', 'delivered', 'failed', 'capped'));
alter table app_public.sms_logs drop constraint if exists sms_logs_capped_never_sent;
alter table app_public.sms_logs add constraint sms_logs_capped_never_sent
  check (status <> 'capped' or (sent_at is null and provider_message_id is null and cost_cents = 0 and parts is not null));

alter table app_public.account_events drop constraint if exists account_events_event_type_check;
alter table app_public.account_events add constraint account_events_event_type_check check (event_type in (
  'status_changed', 'subscription_activated', 'subscription_cancel_scheduled', 'subscription_resumed',
  'subscription_cancelled', 'plan_changed', 'payment_succeeded', 'payment_failed', 'reminder_sent',
  'sms_cap_reached'));

-- The merchant's own daily cap for one business (null: the plan's default).
-- Its bounds depend on the plan, so the trigger checks them with a coded
-- error; this CHECK only keeps impossible values out.
alter table app_public.businesses add column if not exists sms_daily_cap_override integer;
alter table app_public.businesses drop constraint if exists businesses_sms_daily_cap_override_check;
alter table app_public.businesses add constraint businesses_sms_daily_cap_override_check
  check (sms_daily_cap_override is null or sms_daily_cap_override >= 1);

-- SMS parts reserved per business and local day (the business's country's
-- date, app_private.local_date): the atomic counter the cap is checked
-- against, in the transaction that records the message. cap_reached_at: the
-- first message capped that day (the merchant is told once).
create table if not exists app_private.sms_daily_usage (
  business_id uuid not null,
  user_id uuid not null,
  day date not null,
  parts integer not null default 0 check (parts >= 0),
  cap_reached_at timestamptz,
  primary key (business_id, day),
  constraint sms_daily_usage_business_id_user_id_fkey
    foreign key (business_id, user_id) references app_public.businesses (id, user_id) on delete cascade
);
create index if not exists sms_daily_usage_user_id_idx on app_private.sms_daily_usage (user_id);
alter table app_private.sms_daily_usage enable row level security;

-- The places a phone number holds now, across every business (the per-phone rule of join_queue).
create index if not exists queue_entries_active_phone_idx on app_public.queue_entries (phone)
  where status in ('waiting', 'called');

insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('sms_daily_cap_quota_percent', '30', 'integer',
   'Default daily SMS cap of a business, in parts: this percentage of its plan''s monthly quota (basic 300, pro 750, enterprise 1500)', true),
  ('max_places_per_phone', '3', 'integer',
   'Queues a phone number may wait in at once, across every business', true)
on conflict (key) do nothing;

-- The merchant's email when a business reaches its cap. Vars: {business}
-- {cap_parts} {cap_date} (formatted in the email's language) {link} (the app).
insert into app_private.email_templates (template, language, subject, body) values
  ('sms_cap_reached', 'fr', 'Plafond quotidien de SMS atteint pour {business}',
'{greeting}

{business} a atteint aujourd''hui ({cap_date}) son plafond de {cap_parts} parts de SMS. Jusqu''à minuit, les SMS suivants ne sont pas envoyés ni facturés ; vos clients voient toujours leur place et leur tour sur leur page de suivi.

Si cette affluence est normale, vous pouvez relever ce plafond dans les réglages de l''établissement :

{link}

L''équipe Waitify'),
  ('sms_cap_reached', 'en', 'Daily SMS cap reached for {business}',
'{greeting}

{business} reached its cap of {cap_parts} SMS parts today ({cap_date}). Until midnight, further SMS are neither sent nor billed; your customers still see their place and their turn on their status page.

If this many customers is normal for you, you can raise the cap in the business''s settings:

{link}

The Waitify team')
on conflict (template, language) do update
  set subject = excluded.subject, body = excluded.body, updated_at = now()
  where (email_templates.subject, email_templates.body) is distinct from (excluded.subject, excluded.body);
