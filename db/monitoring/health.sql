-- What the API's /metrics and /health read from the database at scrape time
-- (lib/http/metrics.ts, lib/http/health.ts): the job queue and the SMS and
-- email delivery backlogs. The API's connection (the authenticator, no
-- request role) may read them through these functions only; each query is
-- cheap: graphile-worker's jobs table holds the backlog only (done jobs are
-- deleted), and the delivery figures use the partial indexes on pending and
-- failed logs.

create or replace function app_private.job_queue_stats()
  returns table (task text, waiting bigint, scheduled bigint, running bigint, failed bigint, oldest_waiting_seconds double precision)
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: only the server's own connection (the authenticator with no request
  -- role), for /metrics; request roles are refused.
  perform app_private.assert_server_connection();
  return query
    select t.identifier::text,
           count(*) filter (where j.is_available and j.run_at <= now()),
           count(*) filter (where j.is_available and j.run_at > now()),
           count(*) filter (where j.locked_at is not null),
           count(*) filter (where j.locked_at is null and j.attempts >= j.max_attempts),
           coalesce(extract(epoch from now() - min(j.run_at) filter (where j.is_available and j.run_at <= now())), 0)::double precision
      from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id
     group by t.identifier;
end;
$$;
comment on function app_private.job_queue_stats() is
  'Jobs per task: waiting (due), scheduled (later), running (locked), failed for good, and the age of the oldest waiting job; for /metrics.';
revoke all on function app_private.job_queue_stats() from public;
grant execute on function app_private.job_queue_stats() to :DATABASE_AUTHENTICATOR;

create or replace function app_private.delivery_health() returns jsonb
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_sms jsonb;
  v_email jsonb;
begin
  -- Caller: only the server's own connection, for /health and /metrics.
  perform app_private.assert_server_connection();
  select jsonb_build_object(
           'pending', (select count(*) from app_public.sms_logs where status = 'pending'),
           'oldestPendingSeconds', (select round(extract(epoch from now() - min(created_at)))::bigint from app_public.sms_logs where status = 'pending'),
           'lastFailureSeconds', (select round(extract(epoch from now() - max(updated_at)))::bigint from app_public.sms_logs where status = 'failed'),
           'failuresLastHour', (select count(*) from app_public.sms_logs where status = 'failed' and updated_at > now() - interval '1 hour'),
           -- Kept back by the daily cap (db/sms/cap.sql), by message type.
           'cappedLastHour', (select coalesce(jsonb_object_agg(c.message_type, c.n), '{}'::jsonb)
                                from (select l.message_type, count(*) as n from app_public.sms_logs l
                                       where l.status = 'capped' and l.created_at > now() - interval '1 hour'
                                       group by l.message_type) c))
    into v_sms;
  select jsonb_build_object(
           'pending', (select count(*) from app_private.email_logs where status = 'pending'),
           'oldestPendingSeconds', (select round(extract(epoch from now() - min(created_at)))::bigint from app_private.email_logs where status = 'pending'),
           'lastFailureSeconds', (select round(extract(epoch from now() - max(updated_at)))::bigint from app_private.email_logs where status = 'failed'),
           'failuresLastHour', (select count(*) from app_private.email_logs where status = 'failed' and updated_at > now() - interval '1 hour'))
    into v_email;
  return jsonb_build_object('sms', v_sms, 'email', v_email);
end;
$$;
comment on function app_private.delivery_health() is
  'SMS and email delivery backlog and failures (pending count, oldest pending age, last failure age, failures in the last hour; for SMS also the messages the daily cap kept back in the last hour, by type), from the partial indexes; for /health and /metrics.';
revoke all on function app_private.delivery_health() from public;
grant execute on function app_private.delivery_health() to :DATABASE_AUTHENTICATOR;
