-- Realtime, part 1: every change a live page shows is NOTIFYed in the transaction
-- that makes it. PostgreSQL delivers a NOTIFY only when that transaction commits
-- (never on rollback), so a subscriber never hears of a change it cannot read yet.
-- Payloads carry ids only: the server re-reads what the subscriber may see (RLS,
-- or the customer's entry token), so a payload never leaks anything.
--
-- Channels (well under PostgreSQL's 63-byte limit: 14 + 36 characters):
--   waitify:queue:<queue id>     {"event": <queue_events.event_type or "queue_updated">, "entryId": <uuid or null>}
--   waitify:account:<user id>    {"id": <account_events.id>}

-- The one spelling of a channel name, for the triggers below and the channel
-- functions that subscriptions call (channels.sql). Pure: anyone may run it.
create or replace function app_hidden.channel_name(kind text, id uuid) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select 'waitify:' || channel_name.kind || ':' || channel_name.id::text;
$$;
comment on function app_hidden.channel_name(text, uuid) is
  'The LISTEN/NOTIFY channel of a queue (kind "queue") or an account (kind "account").';
grant execute on function app_hidden.channel_name(text, uuid) to waitify_anonymous, waitify_merchant, waitify_admin;

-- Every queue event (joins, calls, served, missed, cancelled, open / close /
-- pause / resume, and whatever event types come later): one notification on
-- the queue's channel. A customer's position moves when anyone ahead leaves,
-- so the customers' subscriptions listen on the queue's channel too.
create or replace function app_private.tg_queue_events__notify() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform pg_notify(
    app_hidden.channel_name('queue', new.queue_id),
    jsonb_build_object('event', new.event_type, 'entryId', new.entry_id)::text);
  return null;
end;
$$;
comment on function app_private.tg_queue_events__notify() is
  'NOTIFYs waitify:queue:<queue id> with {"event", "entryId"} for each queue event (delivered at commit).';

drop trigger if exists _900_notify on app_public.queue_events;
create trigger _900_notify after insert on app_public.queue_events
  for each row execute function app_private.tg_queue_events__notify();

-- A change of the queue's settings or QR token. Opening, closing, pausing and
-- resuming also flip is_queue_active / is_queue_paused, but each of those is
-- logged as a queue event in the same transaction, which notifies already:
-- a flag-only update would only make every subscriber read the queue twice.
-- The comparison drops those columns (and updated_at) from the whole row, so a
-- column added later notifies without anyone remembering to list it here.
create or replace function app_private.tg_queues__notify() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if to_jsonb(old) - '{is_queue_active,is_queue_paused,updated_at}'::text[]
     is distinct from to_jsonb(new) - '{is_queue_active,is_queue_paused,updated_at}'::text[] then
    perform pg_notify(
      app_hidden.channel_name('queue', new.id),
      jsonb_build_object('event', 'queue_updated', 'entryId', null)::text);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_queues__notify() is
  'NOTIFYs waitify:queue:<queue id> with {"event": "queue_updated"} when its settings or QR token change (delivered at commit).';

drop trigger if exists _900_notify on app_public.queues;
create trigger _900_notify after update on app_public.queues
  for each row execute function app_private.tg_queues__notify();

-- The merchant's notification feed: each account event, as it is inserted.
create or replace function app_private.tg_account_events__notify() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform pg_notify(app_hidden.channel_name('account', new.user_id), jsonb_build_object('id', new.id)::text);
  return null;
end;
$$;
comment on function app_private.tg_account_events__notify() is
  'NOTIFYs waitify:account:<user id> with {"id"} for each account event (delivered at commit).';

drop trigger if exists _900_notify on app_public.account_events;
create trigger _900_notify after insert on app_public.account_events
  for each row execute function app_private.tg_account_events__notify();
