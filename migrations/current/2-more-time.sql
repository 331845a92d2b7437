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
