-- Shared internals of the queue engine (app_private: not reachable by the
-- request roles; called from the SECURITY DEFINER functions of 230–250).
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

-- Business-rule errors with their SQLSTATE (lib/errors.ts maps them to
-- extensions.code / number) and a message in the business's language.
create or replace function app_private.queue_error(code text, lang text, detail text default null) returns void
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_state text;
  v_fr text;
  v_en text;
begin
  case code
    when 'QUEUE_CLOSED' then
      v_state := 'WT401'; v_fr := 'La file d''attente est fermée.'; v_en := 'The queue is closed.';
    when 'QUEUE_PAUSED' then
      v_state := 'WT411';
      v_fr := 'La file d''attente est en pause : les inscriptions reprendront bientôt.';
      v_en := 'The queue is paused: joining will resume shortly.';
    when 'QUEUE_PAUSED_CALL' then
      v_state := 'WT411';
      v_fr := 'La file d''attente est en pause : reprenez-la pour appeler le client suivant.';
      v_en := 'The queue is paused: resume it to call the next customer.';
    when 'QUEUE_FULL' then
      v_state := 'WT402'; v_fr := 'La file d''attente est complète.'; v_en := 'The queue is full.';
    when 'ALREADY_IN_QUEUE' then
      v_state := 'WT403';
      v_fr := 'Ce numéro est déjà inscrit dans cette file d''attente.';
      v_en := 'This phone number is already in this queue.';
    when 'BUSINESS_SUSPENDED' then
      v_state := 'WT404';
      v_fr := 'Cet établissement n''accepte pas de clients pour le moment.';
      v_en := 'This business is not accepting customers at the moment.';
    when 'INVALID_PHONE' then
      v_state := 'WTPHN'; v_fr := 'Numéro de téléphone invalide.'; v_en := 'Invalid phone number.';
    when 'INVALID_NAME' then
      v_state := 'WTVAL'; v_fr := 'Le nom doit faire au plus 100 caractères.'; v_en := 'The name must be at most 100 characters.';
    when 'INVALID_TRANSITION' then
      v_state := 'WTTRN';
      v_fr := format('Action impossible : %s.', coalesce(detail, 'état actuel'));
      v_en := format('This action is not possible: %s.', coalesce(detail, 'current state'));
    when 'QUEUE_NOT_FOUND' then
      v_state := 'WTNFD'; v_fr := 'File d''attente introuvable.'; v_en := 'Queue not found.';
    when 'ENTRY_NOT_FOUND' then
      v_state := 'WTNFD'; v_fr := 'Inscription introuvable.'; v_en := 'Queue entry not found.';
    when 'UNAUTHENTICATED' then
      v_state := 'WTUNA'; v_fr := 'Connexion requise.'; v_en := 'You must be signed in.';
    else
      raise exception 'unknown queue error code %', code;
  end case;
  raise exception using errcode = v_state, message = case when lang = 'en' then v_en else v_fr end;
end;
$$;

-- Why a transition is refused, in the business's language.
create or replace function app_private.transition_detail(status text, lang text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog
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
  set search_path to pg_catalog
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
  set search_path to pg_catalog
as $$
begin
  return (now() at time zone case country when 'SN' then 'Africa/Dakar' else 'Europe/Paris' end)::date;
end;
$$;

create or replace function app_private.waiting_count(queue_id uuid) returns integer
  language plpgsql stable
  set search_path to pg_catalog
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
  set search_path to pg_catalog
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
  set search_path to pg_catalog
as $$
begin
  return ceil(greatest(ahead, 0) * service_seconds / 60.0)::integer;
end;
$$;

create or replace function app_private.log_queue_event(
  queue app_public.queues, entry_id uuid, event_type text, actor text, actor_user_id uuid, waiting_count integer
) returns void
  language plpgsql volatile
  set search_path to pg_catalog
as $$
begin
  insert into app_public.queue_events (queue_id, business_id, user_id, entry_id, event_type, actor, actor_user_id, waiting_count)
  values ((queue).id, (queue).business_id, (queue).user_id, log_queue_event.entry_id, log_queue_event.event_type,
          log_queue_event.actor, log_queue_event.actor_user_id, log_queue_event.waiting_count);
end;
$$;

-- The queue of the signed-in merchant, locked for a change. Someone else's
-- queue is NOT_FOUND, like a queue that does not exist: no existence leak.
create or replace function app_private.lock_merchant_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_user uuid := app_public.current_user_id();
  v_queue app_public.queues;
begin
  if v_user is null then
    perform app_private.queue_error('UNAUTHENTICATED', 'fr');
  end if;
  select q.* into v_queue from app_public.queues q
   where q.id = lock_merchant_queue.queue_id and q.user_id = v_user
     for no key update;
  if not found then
    perform app_private.queue_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  return v_queue;
end;
$$;

create or replace function app_private.business_language(business_id uuid) returns text
  language plpgsql stable
  set search_path to pg_catalog
as $$
begin
  return coalesce((select b.language from app_public.businesses b where b.id = business_language.business_id), 'fr');
end;
$$;

-- The timeout of a called customer: a graphile-worker job at run_at, one per
-- entry (job_key), so rescheduling replaces it. plpgsql, so the body is only
-- resolved when it runs (graphile_worker's schema is installed outside these
-- migrations, by db/install-worker-schema.ts). SECURITY DEFINER: the owner
-- owns graphile_worker; callers are our own functions (app_private is out of
-- reach of the request roles).
create or replace function app_private.schedule_entry_timeout(p_entry_id uuid, p_run_at timestamptz) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
begin
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
  set search_path to pg_catalog, public
as $$
begin
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
  set search_path to pg_catalog
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
  perform app_private.schedule_entry_timeout(v_entry.id,
    v_entry.called_at + make_interval(mins => (queue).client_timeout_minutes));
  return v_entry;
end;
$$;
