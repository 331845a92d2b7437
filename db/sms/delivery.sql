-- Sending: the send_sms task claims a log and records the provider's answer.

-- The worker's side (tasks/send_sms.ts, connected as the owner; no grants).
-- sms_claim starts a send: it returns the log if it is still pending and
-- counts the attempt. Its row lock lasts until the task's transaction ends,
-- after the provider answered, so two jobs for one log never both send: the
-- second waits, then finds the log sent and gets no row.
create or replace function app_private.sms_claim(sms_log_id uuid) returns setof app_public.sms_logs
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return query
    update app_public.sms_logs l
       set attempts = l.attempts + 1
     where l.id = sms_claim.sms_log_id and l.status = 'pending'
    returning l.*;
end;
$$;

-- A message the provider accepted: sent, its parts and cost (parts ×
-- system_configs.sms_cost_cents), and the entry's SMS counters.
create or replace function app_private.sms_mark_sent(
  sms_log_id uuid,
  provider_message_id text,
  parts integer,
  provider_response jsonb
) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_entry_id uuid;
  v_unit_cost integer;
begin
  select coalesce(value::integer, 3) into v_unit_cost from app_public.system_configs where key = 'sms_cost_cents';
  update app_public.sms_logs l
    set status = 'sent',
        provider_message_id = sms_mark_sent.provider_message_id,
        parts = sms_mark_sent.parts,
        cost_cents = sms_mark_sent.parts * coalesce(v_unit_cost, 3),
        provider_response = sms_mark_sent.provider_response,
        sent_at = now()
    where l.id = sms_mark_sent.sms_log_id and l.status = 'pending'
    returning l.queue_entry_id into v_entry_id;
  if v_entry_id is not null then
    update app_public.queue_entries
      set sms_sent_count = sms_sent_count + 1, last_sms_sent_at = now()
      where id = v_entry_id;
  end if;
end;
$$;

-- A refused send. With final (a permanent refusal, or the last attempt) the
-- log is failed with 5001; otherwise only the answer is kept and the job is
-- retried.
create or replace function app_private.sms_mark_failed(sms_log_id uuid, provider_response jsonb, final boolean)
  returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.sms_logs l
     set provider_response = sms_mark_failed.provider_response,
         status = case when sms_mark_failed.final then 'failed' else l.status end,
         error_code = case when sms_mark_failed.final then 5001 else l.error_code end
   where l.id = sms_mark_failed.sms_log_id and l.status = 'pending';
end;
$$;
