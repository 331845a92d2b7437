--! Previous: sha1:55de351585800094e062f5bf8e3e2cdeebb7d3f8
--! Hash: sha1:39fd5144f00de8c74733eb17394f1f1a46018443

--! split: 1-queue-state-changes.sql
-- Two mends of the queue's state changes.
--
-- 1. Deleting a business closes its queues through close_queue, like a merchant
--    would: waiting customers are cancelled with one event each (and so get
--    their "cancelled" SMS) and a queue_closed event is written. Before, the
--    queues were switched off in place, leaving customers "waiting" in a
--    closed queue with no news.
create or replace function app_public.delete_business(business_id uuid) returns app_public.businesses
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  business app_public.businesses;
  v_queue_id uuid;
begin
  update app_public.businesses b set is_active = false
  where b.id = delete_business.business_id and b.user_id = app_public.current_user_id()
  returning b.* into business;
  if business.id is null then
    raise exception using errcode = 'WTNFD', message = 'Établissement introuvable.';
  end if;
  -- A deleted business takes no customers. close_queue checks ownership again
  -- (same caller) and locks each queue in the engine's order.
  for v_queue_id in
    select q.id from app_public.queues q
     where q.business_id = business.id and q.user_id = business.user_id and q.is_queue_active
     order by q.id
  loop
    perform app_public.close_queue(v_queue_id);
  end loop;
  return business;
end;
$$;

-- 2. pause_queue and resume_queue were the same function but for the flag and
--    the event: one private helper now holds the rule.
create or replace function app_private.set_queue_paused(queue_id uuid, paused boolean) returns app_public.queues
  language plpgsql volatile
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(set_queue_paused.queue_id);
  v_lang text;
begin
  -- Pausing or resuming a closed queue makes no sense; repeating the current
  -- state is a no-op that logs nothing (a double click is harmless).
  if not v_queue.is_queue_active then
    v_lang := app_private.business_language(v_queue.business_id);
    perform app_private.queue_error('INVALID_TRANSITION', v_lang, app_private.transition_detail('closed', v_lang));
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

create or replace function app_public.pause_queue(queue_id uuid) returns app_public.queues
  language sql volatile security definer
  set search_path to pg_catalog, public
as $$
  select app_private.set_queue_paused(pause_queue.queue_id, true);
$$;

create or replace function app_public.resume_queue(queue_id uuid) returns app_public.queues
  language sql volatile security definer
  set search_path to pg_catalog, public
as $$
  select app_private.set_queue_paused(resume_queue.queue_id, false);
$$;
