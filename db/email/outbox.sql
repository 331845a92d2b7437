-- The email outbox: enqueue_email records an email and its send_email job in
-- the caller's transaction; the send_email task (tasks/send_email.ts) claims,
-- sends and records it through the three functions below.
--
-- Everything here is in app_private and SECURITY INVOKER with EXECUTE granted
-- to nobody: only the owner runs it (the worker, and SECURITY DEFINER
-- functions such as password reset and billing, which run as the owner).

drop trigger if exists _100_timestamps on app_private.email_logs;
create trigger _100_timestamps before update on app_private.email_logs
  for each row execute function app_private.tg__set_updated_at();

-- Queues one email to an account, in the account's language
-- (app_private.email_language), rendered now (the log keeps the exact text
-- sent) with vars plus first_name and app_url. The send_email job is added in
-- the same transaction, keyed by the log: a rolled-back change sends nothing,
-- a committed one is never forgotten. dedupe_key says what makes the email
-- unique ("invoice_due:in_123"): a second call with the same key queues
-- nothing and returns null, so a replayed webhook or a rerun schedule never
-- sends the same reminder twice. Returns the email_logs id, or null (dedupe
-- key already used, or no such account).
create or replace function app_private.enqueue_email(
  user_id uuid,
  template text,
  vars jsonb default '{}',
  dedupe_key text default null
) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_account app_public.users;
  v_language text;
  v_email record;
  v_log_id uuid;
begin
  if enqueue_email.dedupe_key is not null
     and exists (select 1 from app_private.email_logs l where l.dedupe_key = enqueue_email.dedupe_key) then
    return null;
  end if;
  select u.* into v_account from app_public.users u where u.id = enqueue_email.user_id;
  if not found then
    return null;
  end if;
  v_language := app_private.email_language(v_account.id);
  select r.subject, r.body into v_email
    from app_private.render_email(enqueue_email.template, v_language,
      jsonb_build_object(
        'first_name', v_account.first_name,
        'app_url', app_private.public_url()
      ) || coalesce(enqueue_email.vars, '{}')) r;
  -- A concurrent call with the same key: the unique constraint decides.
  insert into app_private.email_logs (user_id, to_address, template, language, subject, body, dedupe_key)
  values (v_account.id, v_account.email, enqueue_email.template, v_language, v_email.subject, v_email.body,
          enqueue_email.dedupe_key)
  on conflict on constraint email_logs_dedupe_key_key do nothing
  returning id into v_log_id;
  if v_log_id is null then
    return null;
  end if;
  -- Keyed by the log id: adding the same log twice never makes two jobs.
  perform graphile_worker.add_job(
    'send_email',
    json_build_object('email_log_id', v_log_id),
    max_attempts := coalesce(app_private.config_value('email_max_attempts')::integer, 10),
    job_key := 'email:' || v_log_id
  );
  return v_log_id;
end;
$$;
comment on function app_private.enqueue_email(uuid, text, jsonb, text) is
  'Queues an email to an account (its language, rendered now) with its send_email job; null when dedupe_key was used already.';

-- A secret travels in a link's fragment ("#token=…": never sent to a server
-- nor in a Referer). Once the email is sent or has failed for good, the log
-- no longer needs it: what a copy of the database shows is then useless.
create or replace function app_private.email_redact(body text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select regexp_replace(body, '(#token=)[A-Za-z0-9_-]+', '\1…', 'g');
$$;

-- The worker's side (connected as the owner). email_claim starts a send: it
-- returns the log if it is still pending and counts the attempt. Its row lock
-- lasts until the task's transaction ends, after the SMTP server answered,
-- so two jobs for one log never both send: the second waits, then finds the
-- log sent and gets no row.
create or replace function app_private.email_claim(email_log_id uuid) returns setof app_private.email_logs
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return query
    update app_private.email_logs l
       set attempts = l.attempts + 1
     where l.id = email_claim.email_log_id and l.status = 'pending'
    returning l.*;
end;
$$;

-- An email the SMTP server accepted.
create or replace function app_private.email_mark_sent(email_log_id uuid, provider_message_id text) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_private.email_logs l
     set status = 'sent',
         provider_message_id = left(email_mark_sent.provider_message_id, 500),
         sent_at = now(),
         body = app_private.email_redact(l.body)
   where l.id = email_mark_sent.email_log_id and l.status = 'pending';
end;
$$;

-- A refused send. With final (a permanent refusal, or the last attempt) the
-- log is failed; otherwise only the error is kept and the job is retried.
create or replace function app_private.email_mark_failed(email_log_id uuid, error text, final boolean) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_private.email_logs l
     set error = left(coalesce(email_mark_failed.error, 'unknown error'), 2000),
         status = case when email_mark_failed.final then 'failed' else l.status end,
         body = case when email_mark_failed.final then app_private.email_redact(l.body) else l.body end
   where l.id = email_mark_failed.email_log_id and l.status = 'pending';
end;
$$;
