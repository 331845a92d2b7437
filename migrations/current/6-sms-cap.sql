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
