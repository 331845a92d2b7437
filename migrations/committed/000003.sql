--! Previous: sha1:91d1124d86a003e6dd8e8d665c05b6a756052f76
--! Hash: sha1:55de351585800094e062f5bf8e3e2cdeebb7d3f8

--! split: 1-admin-reads-queues.sql
-- The back office (admin role) reads everything (issue 3's rule), which
-- includes the queue engine's customers and audit trail. Like the merchant,
-- it never sees a customer's secret entry token, and it writes nothing here:
-- changes go through the queue functions.
grant select (id, queue_id, business_id, user_id, phone, client_name, status, ticket_day, ticket_number, joined_seq,
  quoted_wait_minutes, position_at_join, joined_at, called_at, served_at, missed_at, cancelled_at,
  actual_service_time, sms_sent_count, last_sms_sent_at, created_at, updated_at)
  on app_public.queue_entries to waitify_admin;
grant select on app_public.queue_events to waitify_admin;

drop policy if exists select_all_admin on app_public.queue_entries;
create policy select_all_admin on app_public.queue_entries for select to waitify_admin using (true);
drop policy if exists select_all_admin on app_public.queue_events;
create policy select_all_admin on app_public.queue_events for select to waitify_admin using (true);
