-- Who sees queue entries and events: owners read their own, the admin reads all,
-- nobody writes them but the queue functions. Never the customer's entry token.

drop trigger if exists _100_timestamps on app_public.queue_entries;
create trigger _100_timestamps before update on app_public.queue_entries
  for each row execute function app_private.tg__set_updated_at();

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
  actual_service_time, wait_seconds, service_seconds, estimate_error_seconds, estimate_within_25, last_event_at,
  sms_sent_count, last_sms_sent_at, more_time_requested_at, is_walk_in, created_at, updated_at)
  on app_public.queue_entries to waitify_merchant;

grant select on app_public.queue_events to waitify_merchant;

comment on table app_public.queue_entries is
  E'@behavior -insert -update -delete
A customer in a queue. Changed only through joinQueue, addWalkIn, cancelEntry, requestMoreTime, callNext, markServed, markMissed and the timeout.';

comment on column app_public.queue_entries.entry_token is
  E'@behavior -*\nThe customer''s secret; never shown to the merchant.';

comment on column app_public.queue_entries.phone is
  'E.164; null for a walk-in added at the counter (addWalkIn), who gets no SMS, and once erased (see erasedAt: phone_retention_hours after the visit, or forgetCustomer).';

comment on column app_public.queue_entries.is_walk_in is
  'Added at the counter without a phone (addWalkIn) rather than through the QR code.';

comment on column app_public.queue_entries.joined_seq is
  'Join order within the queue (position = waiting entries with a smaller joined_seq + 1).';

comment on column app_public.queue_entries.quoted_wait_minutes is 'The wait estimate given to the customer when they joined.';

comment on column app_public.queue_entries.actual_service_time is 'Seconds from being called to being served.';

comment on column app_public.queue_entries.wait_seconds is
  'Seconds from joining to being called (stored, computed by PostgreSQL); null until called.';

comment on column app_public.queue_entries.service_seconds is
  'Seconds from being called to being served (stored, computed by PostgreSQL); null until served.';

comment on column app_public.queue_entries.estimate_error_seconds is
  'How far the wait quoted at joining was from the actual wait, in seconds (stored); null until called or without a quote.';

comment on column app_public.queue_entries.estimate_within_25 is
  'Whether the actual wait was within 25 % of the quoted one (at least 1 minute either way; stored); null until called or without a quote.';

comment on column app_public.queue_entries.last_event_at is
  'When the visit last changed: called, served, missed or cancelled (stored); null while waiting.';

comment on column app_public.queue_entries.more_time_requested_at is
  'When the called customer asked for 5 more minutes (requestMoreTime, once per call): their deadline is that much later.';

comment on constraint queue_entries_queue_fkey on app_public.queue_entries is
  E'@fieldName queue\n@foreignFieldName entries';

comment on constraint queue_entries_business_fkey on app_public.queue_entries is
  E'@fieldName business\n@foreignFieldName queueEntries';

comment on table app_public.queue_events is
  E'@behavior -insert -update -delete\nAppend-only log of every queue and entry state change, written in the same transaction as the change.';

comment on column app_public.queue_events.waiting_count is 'Waiting entries in the queue right after the change.';

comment on constraint queue_events_queue_fkey on app_public.queue_events is
  E'@fieldName queue\n@foreignFieldName events';

-- The back office (admin role) reads everything (issue 3's rule), which
-- includes the queue engine's customers and audit trail. Like the merchant,
-- it never sees a customer's secret entry token, and it writes nothing here:
-- changes go through the queue functions.
grant select (id, queue_id, business_id, user_id, phone, client_name, status, ticket_day, ticket_number, joined_seq,
  quoted_wait_minutes, position_at_join, joined_at, called_at, served_at, missed_at, cancelled_at,
  actual_service_time, wait_seconds, service_seconds, estimate_error_seconds, estimate_within_25, last_event_at,
  sms_sent_count, last_sms_sent_at, more_time_requested_at, is_walk_in, created_at, updated_at)
  on app_public.queue_entries to waitify_admin;

grant select on app_public.queue_events to waitify_admin;

drop policy if exists select_all_admin on app_public.queue_entries;
create policy select_all_admin on app_public.queue_entries for select to waitify_admin using (true);

drop policy if exists select_all_admin on app_public.queue_events;
create policy select_all_admin on app_public.queue_events for select to waitify_admin using (true);
