-- The counter: open, close, pause, resume, call next, served, missed.

-- The merchant's counter: open, pause, resume and close a queue; call the
-- next customer; mark them served or missed. SECURITY DEFINER (merchants
-- cannot write these tables directly) with the ownership check in
-- app_private.lock_merchant_queue: someone else's queue or entry is NOT_FOUND.
--
-- Re-applying the state a queue is already in (open an open queue, pause a
-- paused one…) is a no-op that logs nothing, so a double click is harmless;
-- pausing or resuming a closed queue is INVALID_TRANSITION.
create or replace function app_public.open_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(open_queue.queue_id);
begin
  -- Caller: the queue's owner: lock_merchant_queue raises UNAUTHENTICATED / NOT_FOUND otherwise.
  if v_queue.is_queue_active then
    return v_queue;
  end if;
  if not app_private.business_accepts_customers(v_queue.business_id) then
    perform app_hidden.raise_error('BUSINESS_SUSPENDED', app_private.business_language(v_queue.business_id));
  end if;
  -- Read-only after a failed payment: the queues already open keep running, no new one opens.
  perform app_private.assert_account_writable(v_queue.user_id, app_private.business_language(v_queue.business_id));
  update app_public.queues q set is_queue_active = true, is_queue_paused = false
   where q.id = v_queue.id
  returning q.* into v_queue;
  perform app_private.log_queue_event(v_queue, null, 'queue_opened', 'merchant', app_public.current_user_id(),
    app_private.waiting_count(v_queue.id));
  return v_queue;
end;
$$;
comment on function app_public.open_queue(uuid) is
  'Opens one of your queues to new customers. BUSINESS_SUSPENDED (4004) while the business or account is suspended, ACCOUNT_READ_ONLY after a failed payment.';

create or replace function app_public.close_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the queue's owner: lock_merchant_queue raises UNAUTHENTICATED / NOT_FOUND otherwise.
  return app_private.close_locked_queue(
    app_private.lock_merchant_queue(close_queue.queue_id), 'merchant', app_public.current_user_id());
end;
$$;
comment on function app_public.close_queue(uuid) is
  'Closes one of your queues: waiting customers are cancelled (and told), called customers stay to be served or missed.';

create or replace function app_public.pause_queue(queue_id uuid) returns app_public.queues
  language sql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: the queue's owner (set_queue_paused → lock_merchant_queue).
  select app_private.set_queue_paused(pause_queue.queue_id, true);
$$;
comment on function app_public.pause_queue(uuid) is
  'Pauses an open queue: no new customers (QUEUE_PAUSED), no calls, places kept.';

create or replace function app_public.resume_queue(queue_id uuid) returns app_public.queues
  language sql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: the queue's owner (set_queue_paused → lock_merchant_queue).
  select app_private.set_queue_paused(resume_queue.queue_id, false);
$$;
comment on function app_public.resume_queue(uuid) is 'Resumes a paused queue.';

create or replace function app_public.call_next(queue_id uuid) returns app_public.queue_entries
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(call_next.queue_id);
begin
  -- Caller: the queue's owner: lock_merchant_queue raises UNAUTHENTICATED / NOT_FOUND otherwise.
  -- The queue lock makes two desks calling at once get two different customers.
  if not v_queue.is_queue_active then
    perform app_hidden.raise_error('QUEUE_CLOSED', app_private.business_language(v_queue.business_id));
  end if;
  if v_queue.is_queue_paused then
    perform app_hidden.raise_error('QUEUE_PAUSED_CALL', app_private.business_language(v_queue.business_id));
  end if;
  return app_private.call_first_waiting(v_queue, 'merchant', app_public.current_user_id());
end;
$$;
comment on function app_public.call_next(uuid) is
  E'Calls the first waiting customer of one of your queues and starts their timeout; null when nobody waits. QUEUE_CLOSED / QUEUE_PAUSED (4001) when the queue is closed or paused.';

create or replace function app_public.mark_served(entry_id uuid) returns app_public.queue_entries
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the entry's owner: lock_merchant_entry raises UNAUTHENTICATED / NOT_FOUND otherwise.
  return app_private.finish_called_entry(mark_served.entry_id, 'served');
end;
$$;
comment on function app_public.mark_served(uuid) is
  'A called customer has been served (records the actual service time). INVALID_TRANSITION unless called.';

create or replace function app_public.mark_missed(entry_id uuid) returns app_public.queue_entries
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the entry's owner: lock_merchant_entry raises UNAUTHENTICATED / NOT_FOUND otherwise.
  return app_private.finish_called_entry(mark_missed.entry_id, 'missed');
end;
$$;
comment on function app_public.mark_missed(uuid) is
  'A called customer did not come. INVALID_TRANSITION unless called.';

grant execute on function
  app_public.open_queue(uuid),
  app_public.close_queue(uuid),
  app_public.pause_queue(uuid),
  app_public.resume_queue(uuid),
  app_public.call_next(uuid),
  app_public.mark_served(uuid),
  app_public.mark_missed(uuid)
  to waitify_merchant;
