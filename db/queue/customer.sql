-- The customer's side: join, see and cancel one's place, see a queue before joining.

comment on type app_public.customer_entry is
  'A customer''s own place in a queue: position and estimate while waiting, the deadline once called.';

comment on column app_public.customer_entry.entry_token is
  'The customer''s secret for entryStatus and cancelEntry (keep it in the status page URL).';

comment on column app_public.customer_entry.position is '1 = next to be called; null unless waiting.';

comment on column app_public.customer_entry.estimated_wait_minutes is 'People ahead × learned service time; null unless waiting.';

comment on column app_public.customer_entry.call_expires_at is 'When a called customer who has not come is marked missed.';

comment on column app_public.customer_entry.more_time_requested is
  'The customer asked for more time (requestMoreTime) during this call; it can be asked once.';

comment on column app_public.customer_entry.can_request_more_time is
  'requestMoreTime would be accepted now: called, and no extra time asked for yet.';

comment on type app_public.queue_public_status is 'What the QR page shows before joining.';

comment on column app_public.queue_public_status.estimated_wait_minutes is 'The wait of someone joining now.';

comment on column app_public.queue_public_status.phone_retention_hours is
  'Hours after the visit when the phone number and name are erased (the consent text of the join page).';

-- The customer's view of an entry. `ahead` and `service_seconds`, when the
-- caller already knows them (join_queue), save computing them again.
create or replace function app_private.customer_view(
  entry app_public.queue_entries, ahead integer default null, service_seconds numeric default null)
  returns app_public.customer_entry
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues;
  v_business app_public.businesses;
  v_ahead integer := ahead;
  v_view app_public.customer_entry;
begin
  select q.* into v_queue from app_public.queues q where q.id = (entry).queue_id;
  select b.* into v_business from app_public.businesses b where b.id = (entry).business_id;
  if (entry).status = 'waiting' and v_ahead is null then
    select count(*)::integer into v_ahead from app_public.queue_entries e
     where e.queue_id = (entry).queue_id and e.status = 'waiting' and e.joined_seq < (entry).joined_seq;
  end if;
  v_view.entry_token := (entry).entry_token;
  v_view.status := (entry).status;
  v_view.ticket_number := (entry).ticket_number;
  if (entry).status = 'waiting' then
    v_view.position := v_ahead + 1;
    v_view.people_ahead := v_ahead;
    v_view.estimated_wait_minutes :=
      app_private.wait_minutes(v_ahead, coalesce(service_seconds, app_private.queue_service_seconds(v_queue.id)));
  end if;
  v_view.client_name := (entry).client_name;
  v_view.business_name := v_business.name;
  v_view.queue_name := v_queue.name;
  v_view.language := v_business.language;
  v_view.custom_message := v_business.custom_message;
  v_view.joined_at := (entry).joined_at;
  v_view.called_at := (entry).called_at;
  if (entry).status = 'called' then
    v_view.call_expires_at := app_private.call_deadline(entry, v_queue);
  end if;
  v_view.more_time_requested := (entry).more_time_requested_at is not null;
  v_view.can_request_more_time := (entry).status = 'called' and (entry).more_time_requested_at is null;
  return v_view;
end;
$$;

-- One phone number holds places (waiting or called) in at most
-- system_configs.max_places_per_phone queues at once, across every business
-- (TOO_MANY_QUEUES): one number cannot be used to fill many queues, each
-- place costing SMS. Joins of one number to different queues hold different
-- queue locks, so the count is serialised per number by a transaction-level
-- advisory lock on it, taken after the queue lock (the engine's order: queue,
-- then this, then the SMS counter; nothing takes them the other way round).
-- Once a concurrent join commits and releases it, the next count sees its place.
create or replace function app_private.assert_phone_may_join(phone text, lang text) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_max integer := coalesce(app_private.config_value('max_places_per_phone')::integer, 3);
begin
  -- The key's namespace (first half) keeps it apart from other advisory locks.
  perform pg_advisory_xact_lock(hashtext('waitify:phone'), hashtext(assert_phone_may_join.phone));
  if (select count(*) from app_public.queue_entries e
       where e.phone = assert_phone_may_join.phone and e.status in ('waiting', 'called')) >= v_max then
    perform app_hidden.raise_error('TOO_MANY_QUEUES', lang, v_max::text);
  end if;
end;
$$;

create or replace function app_public.join_queue(qr_token text, phone text, client_name text default null)
  returns app_public.customer_entry
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues;
  v_business app_public.businesses;
  v_phone text;
  v_name text := nullif(btrim(join_queue.client_name), '');
  v_admitted record;
begin
  -- Caller: anyone, anonymous or signed in: the QR token is the credential.
  -- The queue lock makes the capacity and duplicate checks exact under
  -- concurrent joins (and walk-ins added at the counter).
  select q.* into v_queue from app_public.queues q where q.qr_code_token = join_queue.qr_token
     for no key update;
  if not found then
    perform app_hidden.raise_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  select b.* into v_business from app_public.businesses b where b.id = v_queue.business_id;

  perform app_private.assert_queue_accepts(v_queue, v_business);
  v_phone := app_hidden.phone_to_e164(join_queue.phone, v_business.country);
  if v_phone is null then
    perform app_hidden.raise_error('INVALID_PHONE', v_business.language);
  end if;
  if length(v_name) > 100 then
    perform app_hidden.raise_error('INVALID_NAME', v_business.language);
  end if;
  if exists (select 1 from app_public.queue_entries e
              where e.queue_id = v_queue.id and e.phone = v_phone and e.status in ('waiting', 'called')) then
    perform app_hidden.raise_error('ALREADY_IN_QUEUE', v_business.language);
  end if;
  perform app_private.assert_phone_may_join(v_phone, v_business.language);

  v_admitted := app_private.admit_entry(v_queue, v_business, v_phone, v_name, false, 'customer', null);
  return app_private.customer_view(v_admitted.entry, v_admitted.waiting, v_admitted.service_seconds);
end;
$$;
comment on function app_public.join_queue(text, text, text) is
  E'Joins the queue of a QR code with a phone number (06 12 34 56 78, +33…, or +221… for Senegal) and an optional name. Returns the customer''s place, estimate and secret entry token. Errors: QUEUE_CLOSED / QUEUE_PAUSED (4001), QUEUE_FULL (4002), ALREADY_IN_QUEUE (4003), BUSINESS_SUSPENDED (4004), TOO_MANY_QUEUES (this number already waits in max_places_per_phone queues), INVALID_PHONE, NOT_FOUND.';

create or replace function app_public.entry_status(entry_token text) returns app_public.customer_entry
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_entry app_public.queue_entries;
begin
  -- Caller: anyone holding the entry's secret token; it shows that one entry.
  -- The secret token is the only credential: it shows that one entry.
  select e.* into v_entry from app_public.queue_entries e where e.entry_token = entry_status.entry_token;
  if not found then
    perform app_hidden.raise_error('ENTRY_NOT_FOUND', 'fr');
  end if;
  return app_private.customer_view(v_entry);
end;
$$;
comment on function app_public.entry_status(text) is
  'A customer''s own place (status, position, estimate) from their secret entry token.';

-- The entry a customer's secret token names, locked for a change: queue
-- first, then the entry (the one lock order of the engine; the timeout job
-- takes the same locks, so it sees the change or precedes it). An unknown
-- token → ENTRY_NOT_FOUND.
create or replace function app_private.lock_customer_entry(
  entry_token text, out queue app_public.queues, out entry app_public.queue_entries)
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_entry_id uuid;
  v_queue_id uuid;
begin
  select e.id, e.queue_id into v_entry_id, v_queue_id from app_public.queue_entries e
   where e.entry_token = lock_customer_entry.entry_token;
  if not found then
    perform app_hidden.raise_error('ENTRY_NOT_FOUND', 'fr');
  end if;
  select q.* into queue from app_public.queues q where q.id = v_queue_id for no key update;
  select e.* into entry from app_public.queue_entries e where e.id = v_entry_id for update;
end;
$$;

create or replace function app_public.cancel_entry(entry_token text) returns app_public.customer_entry
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_locked record;
  v_entry app_public.queue_entries;
  v_queue app_public.queues;
  v_lang text;
  v_was_called boolean;
begin
  -- Caller: anyone holding the entry's secret token; it cancels that one entry.
  v_locked := app_private.lock_customer_entry(cancel_entry.entry_token);
  v_queue := v_locked.queue;
  v_entry := v_locked.entry;
  v_lang := app_private.business_language(v_entry.business_id);
  if v_entry.status not in ('waiting', 'called') then
    perform app_hidden.raise_error('INVALID_TRANSITION', v_lang, app_private.transition_detail(v_entry.status, v_lang));
  end if;
  v_was_called := v_entry.status = 'called';
  update app_public.queue_entries e set status = 'cancelled', cancelled_at = now()
   where e.id = v_entry.id
  returning e.* into v_entry;
  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_cancelled', 'customer', null,
    app_private.waiting_count(v_queue.id));
  if v_was_called then
    perform app_private.cancel_entry_timeout(v_entry.id);
  end if;
  return app_private.customer_view(v_entry);
end;
$$;
comment on function app_public.cancel_entry(text) is
  'Gives up a place (waiting or called) with the secret entry token. INVALID_TRANSITION once served, missed or cancelled.';

-- "I need 5 more minutes": a called customer pushes their deadline back by
-- app_private.more_time_minutes(), once per call. The request is stamped on
-- the entry (the counter shows it), logged as an event (the counter's live
-- list and the customer's page hear of it), and the keyed timeout job is
-- moved to the new deadline. Should the old job run anyway (already picked
-- by a worker), expire_called_entry reads the new deadline and reschedules.
create or replace function app_public.request_more_time(entry_token text) returns app_public.customer_entry
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_locked record;
  v_entry app_public.queue_entries;
  v_queue app_public.queues;
  v_lang text;
begin
  -- Caller: anyone holding the entry's secret token; it extends that one entry's deadline.
  v_locked := app_private.lock_customer_entry(request_more_time.entry_token);
  v_queue := v_locked.queue;
  v_entry := v_locked.entry;
  v_lang := app_private.business_language(v_entry.business_id);
  if v_entry.status <> 'called' then
    perform app_hidden.raise_error('INVALID_TRANSITION', v_lang, app_private.transition_detail(v_entry.status, v_lang));
  end if;
  if v_entry.more_time_requested_at is not null then
    perform app_hidden.raise_error('MORE_TIME_ALREADY_USED', v_lang, app_private.more_time_minutes()::text);
  end if;
  update app_public.queue_entries e set more_time_requested_at = now()
   where e.id = v_entry.id
  returning e.* into v_entry;
  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_more_time_requested', 'customer', null,
    app_private.waiting_count(v_queue.id));
  perform app_private.schedule_entry_timeout(v_entry.id, app_private.call_deadline(v_entry, v_queue));
  return app_private.customer_view(v_entry);
end;
$$;
comment on function app_public.request_more_time(text) is
  'A called customer asks for 5 more minutes before being marked missed, with the secret entry token; once per call. Errors: MORE_TIME_ALREADY_USED (asked already), INVALID_TRANSITION (not called), NOT_FOUND.';

create or replace function app_public.queue_status(qr_token text) returns app_public.queue_public_status
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues;
  v_business app_public.businesses;
  v_status app_public.queue_public_status;
  v_accepts boolean;
begin
  -- Caller: anyone holding the QR token; only counts are shown.
  -- The QR token is the credential; only counts are shown, never entries.
  select q.* into v_queue from app_public.queues q where q.qr_code_token = queue_status.qr_token;
  if not found then
    perform app_hidden.raise_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  select b.* into v_business from app_public.businesses b where b.id = v_queue.business_id;
  v_accepts := app_private.business_accepts_customers(v_business.id);
  v_status.business_name := v_business.name;
  v_status.queue_name := v_queue.name;
  v_status.language := v_business.language;
  v_status.custom_message := v_business.custom_message;
  v_status.phone_retention_hours := v_business.phone_retention_hours;
  -- A suspended business shows as closed: the reason is the merchant's business.
  v_status.is_open := v_queue.is_queue_active and v_accepts;
  v_status.is_paused := v_queue.is_queue_paused;
  v_status.waiting_count := app_private.waiting_count(v_queue.id);
  v_status.max_queue_size := v_queue.max_queue_size;
  v_status.is_full := v_status.waiting_count >= v_queue.max_queue_size;
  v_status.can_join := v_status.is_open and not v_status.is_paused and not v_status.is_full;
  v_status.estimated_wait_minutes :=
    app_private.wait_minutes(v_status.waiting_count, app_private.queue_service_seconds(v_queue.id));
  return v_status;
end;
$$;
comment on function app_public.queue_status(text) is
  'The public status of a queue from its QR token: open, paused, full, how many wait and the wait of a newcomer.';

grant execute on function
  app_public.join_queue(text, text, text),
  app_public.entry_status(text),
  app_public.cancel_entry(text),
  app_public.request_more_time(text),
  app_public.queue_status(text)
  to waitify_anonymous;
