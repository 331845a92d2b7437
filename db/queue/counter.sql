-- What the counter screen (/counter) reads: computed columns of queues and
-- queue entries, exposed as GraphQL fields. The values computed from an
-- entry or a count run with the caller's rights (RLS keeps a merchant to
-- their own rows). Those that read whole entries cannot: a whole row
-- includes the customer's secret entry_token, which no request role may
-- select. They are SECURITY DEFINER and keep to the caller's own rows
-- themselves, as RLS would (GraphQL never shows the token: @behavior -*).

-- The phone as a screen may show it to people looking over the counter: the
-- country, the first digit(s) and the last two ("+33 6 •• •• •• 78"). The
-- full number stays a column a merchant can ask for, never what the counter
-- displays. Null for a walk-in (or an erased number).
create or replace function app_public.queue_entries_masked_phone(entry app_public.queue_entries) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case
    when (entry).phone is null then null
    when (entry).phone ~ '^\+33[0-9]{9}$' then '+33 ' || substr((entry).phone, 4, 1) || ' •• •• •• ' || right((entry).phone, 2)
    when (entry).phone ~ '^\+221[0-9]{9}$' then '+221 ' || substr((entry).phone, 5, 2) || ' ••• •• ' || right((entry).phone, 2)
    else '•• •• ' || right((entry).phone, 2)
  end;
$$;
comment on function app_public.queue_entries_masked_phone(app_public.queue_entries) is
  'The phone with all but its country, first digit(s) and last two digits hidden (+33 6 •• •• •• 78), for screens others can see. Null for a walk-in.';

-- Seconds waited: until now while waiting, until the call once called (or
-- until leaving, for a place cancelled before its call). Compared with
-- quoted_wait_minutes, it says whom the estimate let down.
create or replace function app_public.queue_entries_waited_seconds(entry app_public.queue_entries) returns integer
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select greatest(0, floor(extract(epoch from coalesce((entry).called_at, (entry).cancelled_at, now()) - (entry).joined_at)))::integer;
$$;
comment on function app_public.queue_entries_waited_seconds(app_public.queue_entries) is
  'Seconds waited: until now while waiting, until the call once called (compare with quotedWaitMinutes).';

-- The deadline of a called customer, exactly as the customer's own page
-- shows it (app_private.customer_view holds the rule: the call plus the
-- queue's client timeout, and whatever extends it), so the counter and the
-- customer never disagree. SECURITY DEFINER to reach that rule; it re-reads
-- the entry by id among the caller's own, so a row forged by the caller
-- reveals nothing.
create or replace function app_public.queue_entries_call_expires_at(entry app_public.queue_entries) returns timestamptz
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_entry app_public.queue_entries;
begin
  -- Caller: a merchant: only the caller's own entries (user_id = current_user_id()).
  if (entry).status is distinct from 'called' then
    return null;
  end if;
  select e.* into v_entry from app_public.queue_entries e
   where e.id = (entry).id and e.user_id = app_public.current_user_id();
  if not found then
    return null;
  end if;
  return (app_private.customer_view(v_entry)).call_expires_at;
end;
$$;
comment on function app_public.queue_entries_call_expires_at(app_public.queue_entries) is
  'When a called customer who has not come is marked missed (the deadline their own page shows); null unless called.';

-- The counter's list: the called customers first (in call order: they are at
-- the counter or on their way), then everyone waiting in join order. The
-- filter on user_id is the ownership check and matches the (user_id,
-- queue_id, status, joined_seq) index.
create or replace function app_public.queues_active_entries(queue app_public.queues)
  returns setof app_public.queue_entries
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: a merchant: only the caller's own entries (user_id = current_user_id()), whatever row is passed in.
  return query
    select e.* from app_public.queue_entries e
     where e.user_id = app_public.current_user_id() and e.queue_id = (queue).id and e.status in ('called', 'waiting')
     order by e.status = 'waiting', e.called_at, e.joined_seq;
end;
$$;
comment on function app_public.queues_active_entries(app_public.queues) is
  'The called customers (in call order) then the waiting ones (in join order): the counter''s list.';

-- The ticket to show large on the shop's TV: the last one called, by a desk
-- or by auto-advance, whatever happened to it since. Found from the newest
-- entry_called event (an index scan backwards on (user_id, queue_id, id)),
-- not by scanning the queue's entries of the last 90 days.
create or replace function app_public.queues_last_called_entry(queue app_public.queues) returns app_public.queue_entries
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_entry app_public.queue_entries;
begin
  -- Caller: a merchant: only the caller's own entries (user_id = current_user_id()), whatever row is passed in.
  select e.* into v_entry
    from app_public.queue_events ev
    join app_public.queue_entries e on e.id = ev.entry_id
   where ev.user_id = app_public.current_user_id() and ev.queue_id = (queue).id and ev.event_type = 'entry_called'
   order by ev.id desc
   limit 1;
  if not found then
    return null;
  end if;
  return v_entry;
end;
$$;
comment on function app_public.queues_last_called_entry(app_public.queues) is
  'The customer called last (the ticket for the TV), whatever became of them since; null before the first call.';

create or replace function app_public.queues_waiting_count(queue app_public.queues) returns integer
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select count(*)::integer from app_public.queue_entries e
           where e.user_id = (queue).user_id and e.queue_id = (queue).id and e.status = 'waiting');
end;
$$;
comment on function app_public.queues_waiting_count(app_public.queues) is 'How many customers are waiting (not yet called).';

grant execute on function
  app_public.queue_entries_masked_phone(app_public.queue_entries),
  app_public.queue_entries_waited_seconds(app_public.queue_entries),
  app_public.queues_waiting_count(app_public.queues)
  to waitify_merchant, waitify_admin;

-- The counter's own reads, which keep to the caller's rows themselves, are
-- the merchant's (the back office reads entries through allQueueEntries).
grant execute on function
  app_public.queue_entries_call_expires_at(app_public.queue_entries),
  app_public.queues_active_entries(app_public.queues),
  app_public.queues_last_called_entry(app_public.queues)
  to waitify_merchant;
