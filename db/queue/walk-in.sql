-- Walk-ins: customers without a phone, added by the merchant at the counter.
--
-- Someone who asks at the counter (no phone, or no wish to scan) gets a place
-- and a ticket like everyone else: the same rules as join_queue
-- (app_private.assert_queue_accepts and admit_entry: suspended, closed,
-- paused, full; the ticket from the same daily sequence; the quoted wait; an
-- entry_joined event, by the merchant). They have no phone, so no SMS is ever
-- recorded for them (app_private.enqueue_sms skips entries without a phone),
-- and no entry token is given out: the counter calls them by name.

create or replace function app_public.add_walk_in(queue_id uuid, client_name text) returns app_public.queue_entries
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(add_walk_in.queue_id);
  v_business app_public.businesses;
  -- One line, as the counter and the TV show it: blanks (tabs, line breaks)
  -- collapsed to one space.
  v_name text := btrim(regexp_replace(coalesce(add_walk_in.client_name, ''), '[[:space:]]+', ' ', 'g'));
begin
  -- Caller: the queue's owner: lock_merchant_queue raises UNAUTHENTICATED / NOT_FOUND otherwise.
  select b.* into v_business from app_public.businesses b where b.id = v_queue.business_id;
  perform app_private.assert_queue_accepts(v_queue, v_business);
  if v_name = '' then
    perform app_hidden.raise_error('WALK_IN_NAME_REQUIRED', v_business.language);
  end if;
  if length(v_name) > 100 then
    perform app_hidden.raise_error('INVALID_NAME', v_business.language);
  end if;
  return (app_private.admit_entry(v_queue, v_business, null, v_name, true, 'merchant', app_public.current_user_id())).entry;
end;
$$;
comment on function app_public.add_walk_in(uuid, text) is
  E'Adds a customer without a phone to one of your queues (someone who asks at the counter): a ticket from the same daily sequence, the quoted wait, no SMS. The name is required (at most 100 characters). Errors: QUEUE_CLOSED / QUEUE_PAUSED (4001), QUEUE_FULL (4002), BUSINESS_SUSPENDED (4004), VALIDATION (name), NOT_FOUND.';

grant execute on function app_public.add_walk_in(uuid, text) to waitify_merchant;
