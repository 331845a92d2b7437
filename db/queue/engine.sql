-- The queue engine's internals: locks, counts, estimates, events, calls and timeouts,
-- shared by the customer's side (customer.sql) and the counter's (merchant.sql).
-- app_private: not reachable by the request roles; called from the SECURITY
-- DEFINER functions of those files.
--
-- The helpers on the hot path are plpgsql rather than SQL: PostgreSQL < 18
-- plans a non-inlined SQL function's body again on every call, plpgsql keeps
-- its plans for the session (measured: 0.4 ms → 0.05 ms per estimate).
--
-- Concurrency protocol: every change to a queue or its entries first locks
-- the queue row (FOR NO KEY UPDATE: it does not block the foreign-key checks
-- of inserted entries), then the entry. One order everywhere, so no
-- deadlocks; capacity, duplicate phones, ticket numbers and "call next" are
-- decided by one transaction at a time per queue while other queues run in
-- parallel.

-- Why a transition is refused, in the business's language.
create or replace function app_private.transition_detail(status text, lang text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case when lang = 'en' then
    case status
      when 'waiting' then 'the customer has not been called'
      when 'called' then 'the customer has been called'
      when 'served' then 'the customer has already been served'
      when 'missed' then 'the customer has been marked missed'
      when 'cancelled' then 'this place has been cancelled'
      when 'closed' then 'the queue is closed'
      else status end
  else
    case status
      when 'waiting' then 'le client n''a pas encore été appelé'
      when 'called' then 'le client a déjà été appelé'
      when 'served' then 'le client a déjà été servi'
      when 'missed' then 'le client a été marqué absent'
      when 'cancelled' then 'cette inscription est annulée'
      when 'closed' then 'la file d''attente est fermée'
      else status end
  end;
$$;

-- Customers may join when the business is active and its owner's account is
-- active and not suspended/cancelled (BUSINESS_SUSPENDED, 4004).
create or replace function app_private.business_accepts_customers(business_id uuid) returns boolean
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return coalesce((
    select b.is_active and u.is_active and u.subscription_status not in ('suspended', 'cancelled')
      from app_public.businesses b
      join app_public.users u on u.id = b.user_id
     where b.id = business_accepts_customers.business_id
  ), false);
end;
$$;

-- "Today" for ticket numbers, in the business's country.
create or replace function app_private.local_date(country text) returns date
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (now() at time zone case country when 'SN' then 'Africa/Dakar' else 'Europe/Paris' end)::date;
end;
$$;

create or replace function app_private.waiting_count(queue_id uuid) returns integer
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select count(*)::integer from app_public.queue_entries e
           where e.queue_id = waiting_count.queue_id and e.status = 'waiting');
end;
$$;

-- Seconds per customer for the estimates of one queue. Learned: the mean of
-- the last 20 actual service times of the last 12 hours once there are at
-- least 3 (fewer is noise); before that the queue's configured average; the
-- business type's default (system_configs.default_service_times) if a queue
-- had none; 15 minutes as the last resort.
create or replace function app_private.queue_service_seconds(queue_id uuid) returns numeric
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (
  with recent as (
    select e.actual_service_time
      from app_public.queue_entries e
     where e.queue_id = queue_service_seconds.queue_id
       and e.status = 'served'
       and e.served_at > now() - interval '12 hours'
       and e.actual_service_time is not null
     order by e.served_at desc
     limit 20
  ), learned as (
    select avg(actual_service_time) as seconds from recent having count(*) >= 3
  )
  select coalesce(
    (select seconds from learned),
    q.average_service_time::numeric,
    (select (c.value::jsonb ->> b.business_type::text)::numeric
       from app_public.system_configs c where c.key = 'default_service_times'),
    900)
    from app_public.queues q
    join app_public.businesses b on b.id = q.business_id
   where q.id = queue_service_seconds.queue_id);
end;
$$;

-- Minutes of wait for someone with `ahead` people in front of them.
create or replace function app_private.wait_minutes(ahead integer, service_seconds numeric) returns integer
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return ceil(greatest(ahead, 0) * service_seconds / 60.0)::integer;
end;
$$;

create or replace function app_private.log_queue_event(
  queue app_public.queues, entry_id uuid, event_type text, actor text, actor_user_id uuid, waiting_count integer
) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.queue_events (queue_id, business_id, user_id, entry_id, event_type, actor, actor_user_id, waiting_count)
  values ((queue).id, (queue).business_id, (queue).user_id, log_queue_event.entry_id, log_queue_event.event_type,
          log_queue_event.actor, log_queue_event.actor_user_id, log_queue_event.waiting_count);
end;
$$;

-- Whether a locked queue takes a new customer now: the business and its
-- account accept customers (BUSINESS_SUSPENDED, 4004), the queue is open
-- (QUEUE_CLOSED, 4001) and not paused (QUEUE_PAUSED, 4001). One rule for the
-- QR code (join_queue) and the counter (add_walk_in).
create or replace function app_private.assert_queue_accepts(queue app_public.queues, business app_public.businesses)
  returns void
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not app_private.business_accepts_customers((business).id) then
    perform app_hidden.raise_error('BUSINESS_SUSPENDED', (business).language);
  end if;
  if not (queue).is_queue_active then
    perform app_hidden.raise_error('QUEUE_CLOSED', (business).language);
  end if;
  if (queue).is_queue_paused then
    perform app_hidden.raise_error('QUEUE_PAUSED', (business).language);
  end if;
end;
$$;

-- Puts a new customer at the end of a locked queue that accepts customers
-- (assert_queue_accepts): the capacity check (QUEUE_FULL, 4002), the ticket
-- number of the business's day (one sequence for QR customers and walk-ins),
-- the quoted wait and position, and the entry_joined event. The caller has
-- locked the queue row, so the count, the capacity and the ticket number are
-- decided by one transaction at a time. Returns the entry with the waiting
-- count before it and the service time used, which the customer's view reuses.
create or replace function app_private.admit_entry(
  queue app_public.queues, business app_public.businesses, phone text, client_name text, is_walk_in boolean,
  actor text, actor_user_id uuid,
  out entry app_public.queue_entries, out waiting integer, out service_seconds numeric)
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  waiting := app_private.waiting_count((queue).id);
  if waiting >= (queue).max_queue_size then
    perform app_hidden.raise_error('QUEUE_FULL', (business).language);
  end if;
  service_seconds := app_private.queue_service_seconds((queue).id);
  insert into app_public.queue_entries (
    queue_id, business_id, user_id, phone, client_name, is_walk_in, ticket_day, ticket_number,
    quoted_wait_minutes, position_at_join)
  select (queue).id, (queue).business_id, (queue).user_id, admit_entry.phone, admit_entry.client_name,
    admit_entry.is_walk_in, d.day,
    coalesce((select max(e.ticket_number) from app_public.queue_entries e
               where e.queue_id = (queue).id and e.ticket_day = d.day), 0) + 1,
    app_private.wait_minutes(waiting, service_seconds),
    waiting + 1
    from (select app_private.local_date((business).country) as day) d
  returning * into entry;
  perform app_private.log_queue_event(queue, (entry).id, 'entry_joined', actor, actor_user_id, waiting + 1);
end;
$$;

-- The queue of the signed-in merchant, locked for a change. Someone else's
-- queue is NOT_FOUND, like a queue that does not exist: no existence leak.
create or replace function app_private.lock_merchant_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_public.current_user_id();
  v_queue app_public.queues;
begin
  if v_user is null then
    perform app_hidden.raise_error('UNAUTHENTICATED', 'fr');
  end if;
  select q.* into v_queue from app_public.queues q
   where q.id = lock_merchant_queue.queue_id and q.user_id = v_user
     for no key update;
  if not found then
    perform app_hidden.raise_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  return v_queue;
end;
$$;

create or replace function app_private.business_language(business_id uuid) returns text
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return coalesce((select b.language from app_public.businesses b where b.id = business_language.business_id), 'fr');
end;
$$;

-- How much longer "I need 5 more minutes" (request_more_time) gives a called
-- customer. Once per call: the product promises five minutes, not a snooze.
create or replace function app_private.more_time_minutes() returns integer
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select 5;
$$;

-- When a called customer who has not come is marked missed: the queue's
-- timeout after the call, plus the extra minutes once asked for. The one rule
-- behind the job's schedule (call, request for more time), the job's own
-- check (expire_called_entry, which reads the current rows, so an old job that
-- runs anyway reschedules itself) and the customer's view (call_expires_at).
create or replace function app_private.call_deadline(entry app_public.queue_entries, queue app_public.queues)
  returns timestamptz
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select (entry).called_at
       + make_interval(mins => (queue).client_timeout_minutes
           + case when (entry).more_time_requested_at is null then 0 else app_private.more_time_minutes() end);
$$;

-- The timeout of a called customer: a graphile-worker job at run_at, one per
-- entry (job_key), so rescheduling replaces it. plpgsql, so the body is only
-- resolved when it runs (graphile_worker's schema is installed outside these
-- migrations, by lib/db/install-worker-schema.ts). SECURITY DEFINER: the owner
-- owns graphile_worker; callers are our own functions (app_private is out of
-- reach of the request roles).
create or replace function app_private.schedule_entry_timeout(p_entry_id uuid, p_run_at timestamptz) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the queue engine's SECURITY DEFINER functions only (request roles have no USAGE on app_private, EXECUTE is revoked from PUBLIC).
  perform graphile_worker.add_job(
    'queue_timeout',
    json_build_object('entry_id', p_entry_id),
    run_at => p_run_at,
    max_attempts => 10,
    job_key => 'queue_timeout:' || p_entry_id::text
  );
end;
$$;

-- Served, missed or cancelled before the timeout: drop the job (if it is
-- already running, it finds the entry no longer 'called' and does nothing).
create or replace function app_private.cancel_entry_timeout(p_entry_id uuid) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the queue engine's SECURITY DEFINER functions only (request roles have no USAGE on app_private, EXECUTE is revoked from PUBLIC).
  perform graphile_worker.remove_job('queue_timeout:' || p_entry_id::text);
end;
$$;

-- Calls the first waiting entry of a locked queue (or returns null when
-- nobody waits): status, event, timeout job. Used by call_next and by the
-- timeout's auto-advance.
create or replace function app_private.call_first_waiting(
  queue app_public.queues, actor text, actor_user_id uuid
) returns app_public.queue_entries
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_entry app_public.queue_entries;
begin
  -- Plain FOR UPDATE, not SKIP LOCKED: the queue lock already serialises the
  -- desks, and skipping a row that something else (an SMS counter update)
  -- holds for a moment would call customers out of order.
  select e.* into v_entry from app_public.queue_entries e
   where e.queue_id = (queue).id and e.status = 'waiting'
   order by e.joined_seq
   limit 1
     for update;
  if not found then
    return null;
  end if;
  update app_public.queue_entries e set status = 'called', called_at = now()
   where e.id = v_entry.id
  returning e.* into v_entry;
  perform app_private.log_queue_event(queue, v_entry.id, 'entry_called', actor, actor_user_id,
    app_private.waiting_count((queue).id));
  perform app_private.schedule_entry_timeout(v_entry.id, app_private.call_deadline(v_entry, queue));
  return v_entry;
end;
$$;

-- The entry of the signed-in merchant and its queue, locked in the engine's
-- order (queue, then entry); NOT_FOUND when it is not theirs.
create or replace function app_private.lock_merchant_entry(entry_id uuid, out queue app_public.queues, out entry app_public.queue_entries)
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue_id uuid;
begin
  select e.queue_id into v_queue_id from app_public.queue_entries e
   where e.id = lock_merchant_entry.entry_id and e.user_id = app_public.current_user_id();
  if not found then
    if app_public.current_user_id() is null then
      perform app_hidden.raise_error('UNAUTHENTICATED', 'fr');
    end if;
    perform app_hidden.raise_error('ENTRY_NOT_FOUND', 'fr');
  end if;
  queue := app_private.lock_merchant_queue(v_queue_id);
  select e.* into entry from app_public.queue_entries e where e.id = lock_merchant_entry.entry_id for update;
end;
$$;

-- Ends a called entry as served or missed (by the merchant).
create or replace function app_private.finish_called_entry(entry_id uuid, outcome text) returns app_public.queue_entries
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_locked record := app_private.lock_merchant_entry(finish_called_entry.entry_id);
  v_queue app_public.queues := v_locked.queue;
  v_entry app_public.queue_entries := v_locked.entry;
  v_lang text;
begin
  if v_entry.status <> 'called' then
    v_lang := app_private.business_language(v_entry.business_id);
    perform app_hidden.raise_error('INVALID_TRANSITION', v_lang, app_private.transition_detail(v_entry.status, v_lang));
  end if;
  if outcome = 'served' then
    update app_public.queue_entries e
       set status = 'served', served_at = now(),
           actual_service_time = greatest(0, round(extract(epoch from now() - e.called_at)))::integer
     where e.id = v_entry.id
    returning e.* into v_entry;
  else
    update app_public.queue_entries e set status = 'missed', missed_at = now()
     where e.id = v_entry.id
    returning e.* into v_entry;
  end if;
  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_' || outcome, 'merchant', app_public.current_user_id(),
    app_private.waiting_count(v_queue.id));
  perform app_private.cancel_entry_timeout(v_entry.id);
  return v_entry;
end;
$$;

-- 2. pause_queue and resume_queue were the same function but for the flag and
--    the event: one private helper now holds the rule.
create or replace function app_private.set_queue_paused(queue_id uuid, paused boolean) returns app_public.queues
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(set_queue_paused.queue_id);
  v_lang text;
begin
  -- Pausing or resuming a closed queue makes no sense; repeating the current
  -- state is a no-op that logs nothing (a double click is harmless).
  if not v_queue.is_queue_active then
    v_lang := app_private.business_language(v_queue.business_id);
    perform app_hidden.raise_error('INVALID_TRANSITION', v_lang, app_private.transition_detail('closed', v_lang));
  end if;
  if v_queue.is_queue_paused = paused then
    return v_queue;
  end if;
  update app_public.queues q set is_queue_paused = paused where q.id = v_queue.id returning q.* into v_queue;
  perform app_private.log_queue_event(v_queue, null, case when paused then 'queue_paused' else 'queue_resumed' end,
    'merchant', app_public.current_user_id(), app_private.waiting_count(v_queue.id));
  return v_queue;
end;
$$;
comment on function app_private.set_queue_paused(uuid, boolean) is
  'pause_queue / resume_queue: the signed-in merchant''s queue (NOT_FOUND otherwise), open, paused or not.';
revoke all on function app_private.set_queue_paused(uuid, boolean) from public;

-- Closing a locked queue, by its merchant (close_queue) or by the system (an
-- account suspended for non-payment, db/billing/account.sql): everyone still
-- waiting is cancelled, one event each (each gets its SMS), in join order.
-- Called customers stay called: the desk serves or misses them.
create or replace function app_private.close_locked_queue(queue app_public.queues, actor text, actor_user_id uuid)
  returns app_public.queues
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues := queue;
  v_waiting integer;
  v_entry_id uuid;
begin
  if not v_queue.is_queue_active then
    return v_queue;
  end if;
  v_waiting := app_private.waiting_count(v_queue.id);
  for v_entry_id in
    select e.id from app_public.queue_entries e
     where e.queue_id = v_queue.id and e.status = 'waiting'
     order by e.joined_seq
       for update
  loop
    update app_public.queue_entries e set status = 'cancelled', cancelled_at = now() where e.id = v_entry_id;
    v_waiting := v_waiting - 1;
    perform app_private.log_queue_event(v_queue, v_entry_id, 'entry_cancelled', actor, actor_user_id, v_waiting);
  end loop;
  update app_public.queues q set is_queue_active = false, is_queue_paused = false
   where q.id = v_queue.id
  returning q.* into v_queue;
  perform app_private.log_queue_event(v_queue, null, 'queue_closed', actor, actor_user_id, 0);
  return v_queue;
end;
$$;
comment on function app_private.close_locked_queue(app_public.queues, text, uuid) is
  'Closes a queue already locked by the caller: waiting customers cancelled (and told), called ones kept.';
