-- The queue engine's tables: customers in queues (queue_entries) and the
-- append-only log of every state change (queue_events), the input of SMS and
-- analytics. Nobody writes them directly: the functions in 230/240/250-*.sql
-- do, under a lock on the queue row (see 220-queue-helpers.sql).

create table if not exists app_public.queue_entries (
  id uuid primary key default gen_random_uuid(),
  queue_id uuid not null,
  business_id uuid not null,
  -- Tenant key: the business owner (RLS, and a future distribution by tenant).
  user_id uuid not null,
  -- E.164, from app_hidden.phone_to_e164.
  phone text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  client_name text check (length(client_name) between 1 and 100),
  status text not null default 'waiting'
    check (status in ('waiting', 'called', 'served', 'missed', 'cancelled')),
  -- The number on the customer's screen: 1, 2, 3… per queue and local day.
  ticket_day date not null,
  ticket_number integer not null check (ticket_number > 0),
  -- Ordering key: position = waiting entries of the queue with a smaller
  -- joined_seq + 1. Computed on read, never rewritten row by row.
  joined_seq bigint generated always as identity,
  -- What the customer was told at join time (analytics compare it with reality).
  quoted_wait_minutes integer not null check (quoted_wait_minutes >= 0),
  position_at_join integer not null check (position_at_join > 0),
  joined_at timestamptz not null default now(),
  called_at timestamptz,
  served_at timestamptz,
  missed_at timestamptz,
  cancelled_at timestamptz,
  -- Seconds from call to served; feeds the learned service time.
  actual_service_time integer check (actual_service_time >= 0),
  -- Maintained by the SMS feature.
  sms_sent_count integer not null default 0 check (sms_sent_count >= 0),
  last_sms_sent_at timestamptz,
  -- The customer's secret (192 random bits, URL-safe): sees and cancels their own place.
  entry_token text not null
    default translate(encode(gen_random_bytes(24), 'base64'), '+/', '-_')
    check (entry_token ~ '^[A-Za-z0-9_-]{32}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Each timestamp belongs to its status, so a row cannot tell two stories.
  constraint queue_entries_called_at_check check ((status = 'waiting') = (called_at is null) or status = 'cancelled'),
  constraint queue_entries_served_check check ((status = 'served') = (served_at is not null)),
  constraint queue_entries_missed_check check ((status = 'missed') = (missed_at is not null)),
  constraint queue_entries_cancelled_check check ((status = 'cancelled') = (cancelled_at is not null)),
  constraint queue_entries_served_after_called check (served_at is null or served_at >= called_at),
  -- The tenant key cannot drift from the queue's / business's.
  constraint queue_entries_queue_fkey foreign key (queue_id, user_id)
    references app_public.queues (id, user_id) on delete cascade,
  constraint queue_entries_business_fkey foreign key (business_id, user_id)
    references app_public.businesses (id, user_id) on delete cascade
);

-- A unique index, not a constraint: PostGraphile would otherwise generate a
-- lookup by token for the merchant, who must never see tokens.
create unique index if not exists queue_entries_entry_token_key on app_public.queue_entries (entry_token);
-- Daily ticket numbers; max() + 1 under the queue lock reads it backwards.
create unique index if not exists queue_entries_ticket_key
  on app_public.queue_entries (queue_id, ticket_day, ticket_number);
-- Positions, capacity and "call next": the waiting part of a queue, in order.
-- Small (only waiting rows) so its cost follows the waiting count, not history.
create index if not exists queue_entries_waiting_idx
  on app_public.queue_entries (queue_id, joined_seq) where status = 'waiting';
-- The same phone at most once among the active entries of a queue (backstop
-- of the check done under the queue lock in join_queue).
create unique index if not exists queue_entries_active_phone_key
  on app_public.queue_entries (queue_id, phone) where status in ('waiting', 'called');
-- The learned service time reads the last services of a queue.
create index if not exists queue_entries_served_idx
  on app_public.queue_entries (queue_id, served_at) where status = 'served';
-- RLS (user_id), the merchant's reads of one queue by status in join order,
-- and the queue → entries relation (PostGraphile wants an index on both FK columns).
create index if not exists queue_entries_user_queue_idx
  on app_public.queue_entries (user_id, queue_id, status, joined_seq);
-- Per-business day reports, and the business FK's cascade.
create index if not exists queue_entries_business_idx on app_public.queue_entries (business_id, joined_at);

drop trigger if exists _100_timestamps on app_public.queue_entries;
create trigger _100_timestamps before update on app_public.queue_entries
  for each row execute function app_private.tg__set_updated_at();

create table if not exists app_public.queue_events (
  id bigint generated always as identity primary key,
  queue_id uuid not null,
  business_id uuid not null,
  -- Tenant key.
  user_id uuid not null,
  -- No foreign key: the log outlives the entries that retention removes.
  entry_id uuid,
  event_type text not null check (event_type in (
    'entry_joined', 'entry_called', 'entry_served', 'entry_missed', 'entry_cancelled',
    'queue_opened', 'queue_closed', 'queue_paused', 'queue_resumed')),
  actor text not null check (actor in ('customer', 'merchant', 'system')),
  actor_user_id uuid,
  -- Waiting entries in the queue right after this change.
  waiting_count integer not null check (waiting_count >= 0),
  created_at timestamptz not null default now(),
  constraint queue_events_entry_check check ((event_type like 'entry\_%') = (entry_id is not null)),
  constraint queue_events_merchant_actor_check check (actor <> 'merchant' or actor_user_id is not null),
  constraint queue_events_queue_fkey foreign key (queue_id, user_id)
    references app_public.queues (id, user_id) on delete cascade
);
-- RLS and the queue → events relation, newest last.
create index if not exists queue_events_user_queue_idx on app_public.queue_events (user_id, queue_id, id);
create index if not exists queue_events_business_idx on app_public.queue_events (business_id, created_at);
create index if not exists queue_events_entry_idx on app_public.queue_events (entry_id);

alter table app_public.queue_entries enable row level security;
alter table app_public.queue_events enable row level security;

-- A merchant reads the entries and events of their own queues. Anonymous
-- customers have no table access at all: they go through join_queue /
-- entry_status / cancel_entry / queue_status, which show only their own entry.
drop policy if exists select_own on app_public.queue_entries;
create policy select_own on app_public.queue_entries for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists select_own on app_public.queue_events;
create policy select_own on app_public.queue_events for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

-- Read-only for the merchant, every column but the customer's secret token.
-- No insert/update/delete for any request role: changes go through functions,
-- and queue_events is append-only for everyone but the owner (retention).
revoke all on app_public.queue_entries, app_public.queue_events from waitify_anonymous, waitify_merchant, waitify_admin;
grant select (id, queue_id, business_id, user_id, phone, client_name, status, ticket_day, ticket_number, joined_seq,
  quoted_wait_minutes, position_at_join, joined_at, called_at, served_at, missed_at, cancelled_at,
  actual_service_time, sms_sent_count, last_sms_sent_at, created_at, updated_at)
  on app_public.queue_entries to waitify_merchant;
grant select on app_public.queue_events to waitify_merchant;

comment on table app_public.queue_entries is
  E'@behavior -insert -update -delete\nA customer in a queue. Changed only through joinQueue, cancelEntry, callNext, markServed, markMissed and the timeout.';
comment on column app_public.queue_entries.entry_token is
  E'@behavior -*\nThe customer''s secret; never shown to the merchant.';
comment on column app_public.queue_entries.joined_seq is
  'Join order within the queue (position = waiting entries with a smaller joined_seq + 1).';
comment on column app_public.queue_entries.quoted_wait_minutes is 'The wait estimate given to the customer when they joined.';
comment on column app_public.queue_entries.actual_service_time is 'Seconds from being called to being served.';
comment on constraint queue_entries_queue_fkey on app_public.queue_entries is
  E'@fieldName queue\n@foreignFieldName entries';
comment on constraint queue_entries_business_fkey on app_public.queue_entries is
  E'@fieldName business\n@foreignFieldName queueEntries';
comment on table app_public.queue_events is
  E'@behavior -insert -update -delete\nAppend-only log of every queue and entry state change, written in the same transaction as the change.';
comment on column app_public.queue_events.waiting_count is 'Waiting entries in the queue right after the change.';
comment on constraint queue_events_queue_fkey on app_public.queue_events is
  E'@fieldName queue\n@foreignFieldName events';
