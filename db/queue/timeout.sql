-- The called customer who does not come: the queue_timeout job's SQL.

-- The timeout of a called customer, run by the graphile-worker task
-- `queue_timeout` (tasks/queue_timeout.ts) that call_next scheduled for
-- called_at + client_timeout_minutes (app_private.call_deadline). Everything is decided here, under the
-- queue lock, so the job is safe to run late, twice, or after the merchant
-- already served or missed the customer.
--
-- Returns what happened: 'missed' (and the next customer was called when
-- auto-advance is on and the queue open), 'not_due' (rescheduled: the timeout
-- was lengthened since the call, or the customer asked for more time), or
-- 'noop' (no longer called, or gone).
create or replace function app_private.expire_called_entry(entry_id uuid) returns text
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue_id uuid;
  v_queue app_public.queues;
  v_entry app_public.queue_entries;
  v_due timestamptz;
begin
  select e.queue_id into v_queue_id from app_public.queue_entries e where e.id = expire_called_entry.entry_id;
  if not found then
    return 'noop';
  end if;
  select q.* into v_queue from app_public.queues q where q.id = v_queue_id for no key update;
  select e.* into v_entry from app_public.queue_entries e where e.id = expire_called_entry.entry_id for update;
  if v_entry.status <> 'called' then
    return 'noop';
  end if;
  -- The current rows say how long a customer has: a merchant who shortened
  -- the timeout, or a customer who asked for more time after this job was
  -- scheduled (or while it was already running), is taken into account.
  v_due := app_private.call_deadline(v_entry, v_queue);
  if v_due > now() then
    perform app_private.schedule_entry_timeout(v_entry.id, v_due);
    return 'not_due';
  end if;

  update app_public.queue_entries e set status = 'missed', missed_at = now()
   where e.id = v_entry.id;
  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_missed', 'system', null,
    app_private.waiting_count(v_queue.id));
  if v_queue.auto_advance_enabled and v_queue.is_queue_active and not v_queue.is_queue_paused then
    perform app_private.call_first_waiting(v_queue, 'system', null);
  end if;
  return 'missed';
end;
$$;
comment on function app_private.expire_called_entry(uuid) is
  'The queue_timeout job: marks a still-called entry missed once its timeout has passed and, with auto-advance, calls the next.';
