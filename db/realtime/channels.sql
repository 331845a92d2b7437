-- Realtime, part 2: which channel a subscription may listen to. The GraphQL
-- subscriptions (lib/realtime/) call these at subscribe time, as the request's
-- role with its claims, and LISTEN only to the name returned: the refusal is
-- this function's coded error, and everything a notification then leads to is
-- re-read with the same rights.

-- A customer's own place: their entry token is the credential (as
-- entry_status). The channel is the entry's queue: positions move when anyone
-- ahead leaves. Only the name is returned, never anything of the entry.
create or replace function app_hidden.entry_channel(entry_token text) returns text
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue_id uuid;
begin
  -- Caller: anyone holding the entry's secret token; an unknown token is ENTRY_NOT_FOUND, as entryStatus says.
  select e.queue_id into v_queue_id from app_public.queue_entries e where e.entry_token = entry_channel.entry_token;
  if not found then
    perform app_hidden.raise_error('ENTRY_NOT_FOUND', 'fr');
  end if;
  return app_hidden.channel_name('queue', v_queue_id);
end;
$$;
comment on function app_hidden.entry_channel(text) is
  'The channel of the queue of the entry with this secret token (entryChanged). ENTRY_NOT_FOUND otherwise.';

-- A queue's live changes, for whoever may read the queue: its owner, the
-- admin. Invoker's rights, so RLS decides: someone else's queue is
-- QUEUE_NOT_FOUND, exactly as callNext says, and existence does not leak.
-- Anonymous may not read queues at all: UNAUTHENTICATED rather than a bare
-- permission error.
create or replace function app_hidden.queue_channel(queue_id uuid) returns text
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not has_table_privilege('app_public.queues', 'select') then
    perform app_hidden.raise_error('UNAUTHENTICATED', 'fr');
  end if;
  if not exists (select 1 from app_public.queues q where q.id = queue_channel.queue_id) then
    perform app_hidden.raise_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  return app_hidden.channel_name('queue', queue_channel.queue_id);
end;
$$;
comment on function app_hidden.queue_channel(uuid) is
  'The channel of a queue the caller may read (queueChanged). UNAUTHENTICATED for anonymous, QUEUE_NOT_FOUND otherwise.';

-- The signed-in merchant's own account feed, from the session's claims.
create or replace function app_hidden.account_channel() returns text
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_public.current_user_id();
begin
  if v_user is null then
    perform app_hidden.raise_error('UNAUTHENTICATED', 'fr');
  end if;
  return app_hidden.channel_name('account', v_user);
end;
$$;
comment on function app_hidden.account_channel() is
  'The channel of the signed-in user''s account events (accountEvent). UNAUTHENTICATED without a session.';

-- Merchant and admin are members of anonymous: one grant reaches every request role.
grant execute on function
  app_hidden.entry_channel(text),
  app_hidden.queue_channel(uuid),
  app_hidden.account_channel()
  to waitify_anonymous;
