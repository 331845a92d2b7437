-- SMS notifications, part 1: the message templates and the outbox.
-- Every SMS is first a row of app_public.sms_logs, written in the same
-- transaction as the queue change that causes it (triggers in 320-sms-*.sql),
-- then sent by the send_sms task (tasks/send_sms.ts). Functions: 310-sms-*.sql.

-- Settings SQL needs when it renders and enqueues messages. public_url is
-- upserted by every API/worker process at start from PUBLIC_URL
-- (lib/sms/settings.ts), so SQL renders links without the job carrying them.
insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('public_url', 'http://localhost:3000', 'string', 'Base URL of the links in SMS (PUBLIC_URL, set at start)', false),
  ('sms_max_attempts', '6', 'integer', 'Attempts per SMS before it is marked failed (5001); backoff e^n s: about 4 minutes in all', false)
on conflict (key) do nothing;

-- Texts of the messages, per language. Rows with business_id null are the
-- defaults; a business's own row (merchant editing comes later) wins.
-- Placeholders: {business} {position} {ticket} {wait} {ahead} {custom_message} {link}.
create table if not exists app_public.sms_templates (
  id uuid primary key default gen_random_uuid(),
  business_id uuid,
  user_id uuid,
  language text not null check (language in ('fr', 'en')),
  message_type text not null check (message_type in ('confirmation', 'reminder', 'your_turn', 'missed', 'cancelled')),
  body text not null check (length(btrim(body)) between 1 and 480),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- An override belongs to a business and to its owner (tenant key), or to nobody (default).
  check ((business_id is null) = (user_id is null)),
  constraint sms_templates_business_id_user_id_fkey
    foreign key (business_id, user_id) references app_public.businesses (id, user_id) on delete cascade,
  -- PostgreSQL 15+: one default per (language, type) as well as one override per business.
  unique nulls not distinct (business_id, language, message_type)
);
create index if not exists sms_templates_user_id_idx on app_public.sms_templates (user_id);

-- Default texts. Kept in the GSM-7 alphabet (é è à ù are in it; ê ç ’ are
-- not) so that a message without a long custom message is one part.
insert into app_public.sms_templates (language, message_type, body) values
  ('fr', 'confirmation', 'Votre place #{position} chez {business} est confirmée, temps d''attente: {wait}min. {custom_message} Suivi: {link}'),
  ('fr', 'reminder', 'Plus que {ahead} clients devant vous chez {business}. Suivi: {link}'),
  ('fr', 'your_turn', 'C''est votre tour chez {business} ! Présentez-vous au comptoir. {custom_message} {link}'),
  ('fr', 'missed', 'Votre tour chez {business} est passé. Rescannez le QR code. {link}'),
  ('fr', 'cancelled', 'Votre place chez {business} a été annulée. {link}'),
  ('en', 'confirmation', 'Your place #{position} at {business} is confirmed, estimated wait: {wait}min. {custom_message} Status: {link}'),
  ('en', 'reminder', 'Only {ahead} customers ahead of you at {business}. Status: {link}'),
  ('en', 'your_turn', 'It''s your turn at {business}! Please come to the counter. {custom_message} {link}'),
  ('en', 'missed', 'Your turn at {business} has passed. Scan the QR code again. {link}'),
  ('en', 'cancelled', 'Your place at {business} has been cancelled. {link}')
on conflict (business_id, language, message_type) do nothing;

create table if not exists app_public.sms_logs (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null,
  -- Tenant key (the business owner): RLS and billing per user need no join.
  user_id uuid not null,
  -- Kept when retention deletes the entry: the log is what billing counts.
  queue_entry_id uuid constraint sms_logs_queue_entry_id_fkey references app_public.queue_entries (id) on delete set null,
  phone text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  message_type text not null check (message_type in ('confirmation', 'reminder', 'your_turn', 'missed', 'cancelled')),
  -- The exact text sent, rendered when the change happened.
  message_content text not null check (length(message_content) between 1 and 1600),
  status text not null default 'pending' check (status in ('pending', 'sent', 'delivered', 'failed')),
  provider_message_id text,
  -- Billed parts (GSM-7 160/153, UCS-2 70/67), known once sent.
  parts integer check (parts >= 1),
  cost_cents integer not null default 0 check (cost_cents >= 0),
  -- Send attempts started (one per job attempt that found the log pending).
  attempts integer not null default 0 check (attempts >= 0),
  -- 5001 SMS_FAILURE once the log is failed.
  error_code integer check (error_code in (5001)),
  provider_response jsonb,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  delivered_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint sms_logs_business_id_user_id_fkey
    foreign key (business_id, user_id) references app_public.businesses (id, user_id) on delete cascade,
  -- At most one message of each type per entry (a retried job, a replayed
  -- event or a concurrent trigger cannot add a second one).
  constraint sms_logs_one_per_type unique (queue_entry_id, message_type),
  check (status not in ('sent', 'delivered') or (sent_at is not null and provider_message_id is not null and parts is not null)),
  check (status <> 'failed' or error_code is not null),
  check (status <> 'delivered' or delivered_at is not null)
);
-- Usage per business and per user per month count by sent_at.
create index if not exists sms_logs_business_id_sent_at_idx on app_public.sms_logs (business_id, sent_at);
create index if not exists sms_logs_user_id_sent_at_idx on app_public.sms_logs (user_id, sent_at);
-- Monitoring: what is still waiting to go out.
create index if not exists sms_logs_pending_idx on app_public.sms_logs (created_at) where status = 'pending';

drop trigger if exists _100_timestamps on app_public.sms_templates;
create trigger _100_timestamps before update on app_public.sms_templates
  for each row execute function app_private.tg__set_updated_at();
drop trigger if exists _100_timestamps on app_public.sms_logs;
create trigger _100_timestamps before update on app_public.sms_logs
  for each row execute function app_private.tg__set_updated_at();

alter table app_public.sms_templates enable row level security;
alter table app_public.sms_logs enable row level security;

-- A merchant reads the default texts and their own; nobody writes through the
-- API yet (editing is a later feature: it will add grants and a policy).
drop policy if exists select_own_or_default on app_public.sms_templates;
create policy select_own_or_default on app_public.sms_templates for select to waitify_merchant
  using (user_id is null or user_id = (select app_public.current_user_id()));
grant select on app_public.sms_templates to waitify_merchant;

-- The owner reads the logs of their businesses; the back office reads all;
-- customers (anonymous) read nothing: their status page shows the entry itself.
-- Rows are written only by SECURITY DEFINER functions and the worker (owner).
drop policy if exists select_own on app_public.sms_logs;
create policy select_own on app_public.sms_logs for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists select_all_admin on app_public.sms_logs;
create policy select_all_admin on app_public.sms_logs for select to waitify_admin using (true);
grant select on app_public.sms_logs to waitify_merchant, waitify_admin;

comment on table app_public.sms_logs is E'@behavior -insert -update -delete\nEvery SMS: pending until the worker sends it, then sent (or failed, 5001).';
comment on table app_public.sms_templates is E'@behavior -insert -update -delete\nTexts of the SMS per language; rows without a business are the defaults.';
comment on constraint sms_logs_business_id_user_id_fkey on app_public.sms_logs is
  E'@fieldName business\n@foreignFieldName smsLogs';
comment on constraint sms_logs_queue_entry_id_fkey on app_public.sms_logs is
  E'@fieldName queueEntry\n@foreignFieldName smsLogs';
comment on constraint sms_templates_business_id_user_id_fkey on app_public.sms_templates is
  E'@fieldName business\n@foreignFieldName smsTemplates';
