--! Previous: sha1:4411df7087e49a0a7cdf0f60170009aed3b3c5cb
--! Hash: sha1:e630ec97018ae13b1164177ecf1e8dbb4c1e767b

--! split: 1-current.sql
-- Enter migration here

--! split: 2-more-time.sql
-- "I need 5 more minutes" (issue 13): a called customer may ask once for a
-- longer deadline. The request is stamped on the entry (the counter reads it),
-- logged as an entry event, and shown back to the customer.
-- Idempotent: graphile-migrate runs the current migration again and again.

alter table app_public.queue_entries add column if not exists more_time_requested_at timestamptz;

-- Only a called customer asks, so the stamp follows the call.
alter table app_public.queue_entries drop constraint if exists queue_entries_more_time_after_called;
alter table app_public.queue_entries add constraint queue_entries_more_time_after_called
  check (more_time_requested_at is null or (called_at is not null and more_time_requested_at >= called_at));

-- The event of the request; an entry event, so its name starts with entry_
-- (queue_events_entry_check ties entry_* names to an entry id).
alter table app_public.queue_events drop constraint if exists queue_events_event_type_check;
alter table app_public.queue_events add constraint queue_events_event_type_check check (event_type in (
  'entry_joined', 'entry_called', 'entry_served', 'entry_missed', 'entry_cancelled', 'entry_more_time_requested',
  'queue_opened', 'queue_closed', 'queue_paused', 'queue_resumed'));

-- The customer's view says whether the extra time was asked for, and whether
-- it can still be. ALTER TYPE … ADD ATTRIBUTE has no IF NOT EXISTS.
do $$
begin
  if not exists (select 1 from pg_attribute
                  where attrelid = 'app_public.customer_entry'::regclass and attname = 'more_time_requested'
                    and not attisdropped) then
    alter type app_public.customer_entry add attribute more_time_requested boolean;
  end if;
  if not exists (select 1 from pg_attribute
                  where attrelid = 'app_public.customer_entry'::regclass and attname = 'can_request_more_time'
                    and not attisdropped) then
    alter type app_public.customer_entry add attribute can_request_more_time boolean;
  end if;
end;
$$;

--! split: 3-walk-in.sql
-- Walk-ins (issue 13, counter screen): a customer without a phone, added by the
-- merchant at the counter (app_public.add_walk_in, db/queue/walk-in.sql).
--
-- phone becomes nullable: a walk-in has none, so no SMS can ever reach them.
-- is_walk_in says how the entry came in, on its own column rather than
-- "phone is null", because the phone numbers of QR customers are erased some
-- hours after their visit (privacy): an erased phone must not turn a QR
-- customer into a walk-in in the analytics.
--
-- "One active place per phone" (queue_entries_active_phone_key, unique on
-- (queue_id, phone) while waiting or called) keeps working for real phones:
-- a unique index treats NULLs as distinct, so any number of walk-ins may wait
-- together.
alter table app_public.queue_entries alter column phone drop not null;

alter table app_public.queue_entries add column if not exists is_walk_in boolean not null default false;

-- A walk-in never has a phone; a QR customer's phone may only be erased later.
alter table app_public.queue_entries drop constraint if exists queue_entries_walk_in_phone_check;
alter table app_public.queue_entries add constraint queue_entries_walk_in_phone_check
  check (not is_walk_in or phone is null);

-- The counter can only name a walk-in: their name is how they are called.
alter table app_public.queue_entries drop constraint if exists queue_entries_walk_in_name_check;
alter table app_public.queue_entries add constraint queue_entries_walk_in_name_check
  check (not is_walk_in or client_name is not null);
