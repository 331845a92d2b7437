-- sms_logs: every SMS, readable by its owner and the admin, written only by SQL.

drop trigger if exists _100_timestamps on app_public.sms_logs;
create trigger _100_timestamps before update on app_public.sms_logs
  for each row execute function app_private.tg__set_updated_at();

-- The owner reads the logs of their businesses; the back office reads all;
-- customers (anonymous) read nothing: their status page shows the entry itself.
-- Rows are written only by SECURITY DEFINER functions and the worker (owner).
drop policy if exists select_own on app_public.sms_logs;
create policy select_own on app_public.sms_logs for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

drop policy if exists select_all_admin on app_public.sms_logs;
create policy select_all_admin on app_public.sms_logs for select to waitify_admin using (true);

grant select on app_public.sms_logs to waitify_merchant, waitify_admin;

comment on table app_public.sms_logs is E'@behavior -insert -update -delete\nEvery SMS: pending until the worker sends it, then sent (or failed, 5001); capped when over the business''s daily cap (smsDailyCap): never sent, never billed.';

comment on constraint sms_logs_business_id_user_id_fkey on app_public.sms_logs is
  E'@fieldName business\n@foreignFieldName smsLogs';

comment on constraint sms_logs_queue_entry_id_fkey on app_public.sms_logs is
  E'@fieldName queueEntry\n@foreignFieldName smsLogs';

comment on column app_public.sms_logs.parts is
  'SMS parts of the text (GSM-7 160/153, UCS-2 70/67): counted when recorded (the daily cap), confirmed when sent; billed only once sent or delivered.';
