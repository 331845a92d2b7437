-- SMS notifications, part 2: rendering, the outbox helper, the worker's
-- record of a send, and usage. Tables: 300-sms-tables.sql.

-- Drop the previous signature (entry id, type) of render_sms.
drop function if exists app_private.render_sms(uuid, text);

-- Replaces {name} placeholders from a JSON object. An empty value (no custom
-- message) must not leave a double space behind.
create or replace function app_private.sms_fill(template text, vars jsonb) returns text
  language plpgsql immutable strict parallel safe
  set search_path to pg_catalog
as $$
declare
  k text;
  v text;
  result text := template;
begin
  for k, v in select key, value from jsonb_each_text(vars) loop
    result := replace(result, '{' || k || '}', coalesce(v, ''));
  end loop;
  return btrim(regexp_replace(result, '[ ]{2,}', ' ', 'g'));
end;
$$;

-- The text of one message for one entry, in the business's language: the
-- business's own template if it has one, else the default (French if the
-- language has none). The link is PUBLIC_URL/e/<entry token>: the customer's
-- status page, from which they can cancel. Takes the rows the caller already
-- read (enqueue_sms runs in the transaction of every queue change).
create or replace function app_private.render_sms(
  e app_public.queue_entries,
  b app_public.businesses,
  message_type text
) returns text
  language sql stable
  set search_path to pg_catalog, public, app_public, app_private
as $$
  select app_private.sms_fill(
    (select t.body
       from app_public.sms_templates t
      where t.message_type = render_sms.message_type
        and (t.business_id = (b).id or t.business_id is null)
      order by t.business_id nulls last, (t.language = (b).language) desc, (t.language = 'fr') desc
      limit 1),
    jsonb_build_object(
      'business', (b).name,
      'position', (e).position_at_join,
      'ticket', (e).ticket_number,
      'wait', coalesce((e).quoted_wait_minutes, 0),
      'ahead', 2,
      'custom_message', nullif(btrim(coalesce((b).custom_message, '')), ''),
      'link', coalesce(
        (select rtrim(c.value, '/') from app_public.system_configs c where c.key = 'public_url'),
        'http://localhost:3000') || '/e/' || (e).entry_token
    ));
$$;

-- The outbox: records one SMS for an entry and enqueues its send_sms job in
-- the caller's transaction, so a rolled-back change sends nothing and a
-- committed one is never forgotten. Returns the sms_logs id, or null when
-- nothing is to be sent: SMS turned off by the business, this type already
-- recorded for the entry, or the entry's cap of 5 reached.
-- SECURITY DEFINER: called from triggers that fire in a customer's or a
-- merchant's request; EXECUTE is granted to nobody (the committed migration
-- revokes it from PUBLIC), and the body refuses any direct call but the
-- owner's.
create or replace function app_private.enqueue_sms(entry_id uuid, message_type text) returns uuid
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, app_public, app_private
as $$
declare
  e app_public.queue_entries;
  b app_public.businesses;
  log_id uuid;
  attempts_allowed integer;
begin
  if pg_trigger_depth() = 0 and session_user <> current_user
     and not (select rolsuper from pg_roles where rolname = session_user) then
    raise exception using errcode = 'WTFRB', message = 'enqueue_sms is internal';
  end if;
  select * into e from app_public.queue_entries where id = enqueue_sms.entry_id;
  if not found then
    return null;
  end if;
  select * into b from app_public.businesses where id = e.business_id;
  if not coalesce(b.sms_notifications_enabled, false) then
    -- The customer's status page still shows the change; only the SMS is skipped.
    return null;
  end if;
  -- Five types, one of each: the cap is also structural, this keeps it explicit.
  if (select count(*) from app_public.sms_logs l where l.queue_entry_id = e.id) >= 5 then
    return null;
  end if;
  insert into app_public.sms_logs (business_id, user_id, queue_entry_id, phone, message_type, message_content)
    values (e.business_id, e.user_id, e.id, e.phone, enqueue_sms.message_type,
            app_private.render_sms(e, b, enqueue_sms.message_type))
    on conflict on constraint sms_logs_one_per_type do nothing
    returning id into log_id;
  if log_id is null then
    return null;
  end if;
  select value::integer into attempts_allowed from app_public.system_configs where key = 'sms_max_attempts';
  -- Keyed by the log id: adding the same log twice never makes two jobs.
  perform graphile_worker.add_job(
    'send_sms',
    json_build_object('sms_log_id', log_id),
    max_attempts := coalesce(attempts_allowed, 6),
    job_key := 'sms:' || log_id
  );
  return log_id;
end;
$$;

-- The worker's side (tasks/send_sms.ts, connected as the owner; no grants).
-- sms_claim starts a send: it returns the log if it is still pending and
-- counts the attempt. Its row lock lasts until the task's transaction ends,
-- after the provider answered, so two jobs for one log never both send: the
-- second waits, then finds the log sent and gets no row.
create or replace function app_private.sms_claim(sms_log_id uuid) returns setof app_public.sms_logs
  language sql volatile
  set search_path to pg_catalog, public, app_public, app_private
as $$
  update app_public.sms_logs
    set attempts = attempts + 1
    where id = sms_claim.sms_log_id and status = 'pending'
    returning *;
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
  set search_path to pg_catalog, public, app_public, app_private
as $$
declare
  entry_id uuid;
  unit_cost integer;
begin
  select coalesce(value::integer, 3) into unit_cost from app_public.system_configs where key = 'sms_cost_cents';
  update app_public.sms_logs l
    set status = 'sent',
        provider_message_id = sms_mark_sent.provider_message_id,
        parts = sms_mark_sent.parts,
        cost_cents = sms_mark_sent.parts * coalesce(unit_cost, 3),
        provider_response = sms_mark_sent.provider_response,
        sent_at = now()
    where l.id = sms_mark_sent.sms_log_id and l.status = 'pending'
    returning l.queue_entry_id into entry_id;
  if entry_id is not null then
    update app_public.queue_entries
      set sms_sent_count = sms_sent_count + 1, last_sms_sent_at = now()
      where id = entry_id;
  end if;
end;
$$;

-- A refused send. With final (a permanent refusal, or the last attempt) the
-- log is failed with 5001; otherwise only the answer is kept and the job is
-- retried.
create or replace function app_private.sms_mark_failed(sms_log_id uuid, provider_response jsonb, final boolean)
  returns void
  language sql volatile
  set search_path to pg_catalog, public, app_public, app_private
as $$
  update app_public.sms_logs l
    set provider_response = sms_mark_failed.provider_response,
        status = case when sms_mark_failed.final then 'failed' else l.status end,
        error_code = case when sms_mark_failed.final then 5001 else l.error_code end
    where l.id = sms_mark_failed.sms_log_id and l.status = 'pending';
$$;

-- Usage for billing: SMS parts of the current user's businesses in a calendar
-- month (UTC), counting every successful status (sent and delivered), zero for
-- a business that sent none. Invoker's rights: RLS shows a merchant only
-- their own businesses and logs.
create or replace function app_public.sms_usage_by_business(month date default null)
  returns table (business_id uuid, business_name text, messages integer, parts integer)
  language sql stable
  set search_path to pg_catalog, public, app_public
as $$
  with bounds as (
    select date_trunc('month', coalesce(month, (now() at time zone 'UTC')::date))::timestamp at time zone 'UTC' as start
  )
  select b.id, b.name, count(l.id)::integer, coalesce(sum(l.parts), 0)::integer
    from bounds
    cross join app_public.businesses b
    left join app_public.sms_logs l
      on l.business_id = b.id
     and l.user_id = b.user_id
     and l.status in ('sent', 'delivered')
     and l.sent_at >= bounds.start
     and l.sent_at < bounds.start + interval '1 month'
    where b.user_id = (select app_public.current_user_id())
    group by b.id, b.name, b.created_at
    order by b.created_at, b.id;
$$;

create or replace function app_public.sms_usage_total(month date default null) returns integer
  language sql stable
  set search_path to pg_catalog, public, app_public
as $$
  select coalesce(sum(u.parts), 0)::integer from app_public.sms_usage_by_business(month) u;
$$;

comment on function app_public.sms_usage_by_business(date) is
  'SMS messages and parts per business of the signed-in merchant for the month containing `month` (UTC; default: this month).';
comment on function app_public.sms_usage_total(date) is
  'SMS parts of all the signed-in merchant''s businesses for the month containing `month` (UTC; default: this month).';
grant execute on function app_public.sms_usage_by_business(date) to waitify_merchant;
grant execute on function app_public.sms_usage_total(date) to waitify_merchant;
