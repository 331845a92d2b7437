-- The transactional outbox: queue events become SMS logs and send_sms jobs.

-- The outbox: records one SMS for an entry and enqueues its send_sms job in
-- the caller's transaction, so a rolled-back change sends nothing and a
-- committed one is never forgotten. Returns the sms_logs id, or null when
-- nothing is to be sent: an entry without a phone (a walk-in), SMS turned off
-- by the business, this type already recorded for the entry, or the entry's
-- cap of 5 reached. A message beyond the business's daily cap of parts
-- (cap.sql) is recorded as `capped`, with its parts, and gets no job: never
-- sent, never billed; its id is returned too.
-- SECURITY DEFINER: called from triggers that fire in a customer's or a
-- merchant's request; EXECUTE is granted to nobody (default
-- privileges revoke it from PUBLIC), and the body refuses any direct call but the
-- owner's.
create or replace function app_private.enqueue_sms(entry_id uuid, message_type text) returns uuid
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_entry app_public.queue_entries;
  v_business app_public.businesses;
  v_log_id uuid;
  v_max_attempts integer;
  v_content text;
  v_parts integer;
begin
  -- Caller: the outbox triggers, or the owner itself; a direct call from any other session role is refused.
  if pg_trigger_depth() = 0 and session_user <> current_user
     and not (select rolsuper from pg_roles where rolname = session_user) then
    perform app_hidden.raise_error('INTERNAL_ONLY');
  end if;
  select * into v_entry from app_public.queue_entries where id = enqueue_sms.entry_id;
  -- No phone, no SMS, whatever the event: a walk-in added at the counter
  -- (db/queue/walk-in.sql), or a number already erased for privacy. Every
  -- message type passes here (confirmation, reminder, your_turn, missed,
  -- cancelled), so this one check covers them all.
  if not found or v_entry.phone is null then
    return null;
  end if;
  select * into v_business from app_public.businesses where id = v_entry.business_id;
  if not coalesce(v_business.sms_notifications_enabled, false) then
    -- The customer's status page still shows the change; only the SMS is skipped.
    return null;
  end if;
  -- Five types, one of each: the cap is also structural, this keeps it explicit.
  if (select count(*) from app_public.sms_logs l where l.queue_entry_id = v_entry.id) >= 5 then
    return null;
  end if;
  v_content := app_private.render_sms(v_entry, v_business, enqueue_sms.message_type);
  v_parts := app_private.sms_parts(v_content);
  insert into app_public.sms_logs (business_id, user_id, queue_entry_id, phone, message_type, message_content, parts)
    values (v_entry.business_id, v_entry.user_id, v_entry.id, v_entry.phone, enqueue_sms.message_type, v_content, v_parts)
    on conflict on constraint sms_logs_one_per_type do nothing
    returning id into v_log_id;
  if v_log_id is null then
    return null;
  end if;
  -- Counted only once the log exists: a replayed event spends nothing.
  if not app_private.sms_take_parts(v_business, v_parts) then
    update app_public.sms_logs l set status = 'capped' where l.id = v_log_id;
    return v_log_id;
  end if;
  select value::integer into v_max_attempts from app_public.system_configs where key = 'sms_max_attempts';
  -- Keyed by the log id: adding the same log twice never makes two jobs.
  perform graphile_worker.add_job(
    'send_sms',
    json_build_object('sms_log_id', v_log_id),
    max_attempts := coalesce(v_max_attempts, 6),
    job_key := 'sms:' || v_log_id
  );
  return v_log_id;
end;
$$;

-- SMS notifications, part 3: which queue events text whom. The queue engine
-- (db/queue/) appends one app_public.queue_events row per change in the
-- change's own transaction; these triggers turn them into sms_logs rows and
-- send_sms jobs in that same transaction (the transactional outbox).

-- One message per entry event: joined → confirmation, called → your_turn,
-- missed → missed, cancelled (by the customer, or by closing the queue) →
-- cancelled. SECURITY DEFINER: the event is inserted by a customer's or a
-- merchant's request, which may not read sms_logs nor enqueue jobs itself.
-- A trigger function cannot be called directly, which is the caller check.
create or replace function app_private.tg_queue_events__sms() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: a trigger on queue_events (never called directly).
  if new.entry_id is not null then
    case new.event_type
      when 'entry_joined' then perform app_private.enqueue_sms(new.entry_id, 'confirmation');
      when 'entry_called' then perform app_private.enqueue_sms(new.entry_id, 'your_turn');
      when 'entry_missed' then perform app_private.enqueue_sms(new.entry_id, 'missed');
      when 'entry_cancelled' then perform app_private.enqueue_sms(new.entry_id, 'cancelled');
      else null;
    end case;
  end if;
  return null;
end;
$$;

drop trigger if exists _300_sms on app_public.queue_events;
create trigger _300_sms after insert on app_public.queue_events
  for each row execute function app_private.tg_queue_events__sms();

-- The reminder: when someone leaves the waiting set (called, cancelled,
-- missed, served), the waiting entry that now has exactly two people ahead is
-- told so, once, unless it joined with two or fewer ahead (its confirmation
-- already said so). Deferred to commit so that it looks at the final state of
-- the transaction: closing a queue cancels every waiting entry one event at a
-- time, and must not remind people whose place is cancelled a moment later.
-- Joins only add at the end of the line, so they never change anyone's count.
create or replace function app_private.tg_queue_events__sms_reminder() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_third app_public.queue_entries;
begin
  -- Caller: a trigger on queue_events (never called directly).
  select * into v_third
    from app_public.queue_entries e
    where e.queue_id = new.queue_id and e.status = 'waiting'
    order by e.joined_seq
    offset 2 limit 1;
  if found and v_third.position_at_join > 3 then
    perform app_private.enqueue_sms(v_third.id, 'reminder');
  end if;
  return null;
end;
$$;

drop trigger if exists _310_sms_reminder on app_public.queue_events;
create constraint trigger _310_sms_reminder after insert on app_public.queue_events
  deferrable initially deferred
  for each row
  when (new.event_type in ('entry_called', 'entry_cancelled', 'entry_missed', 'entry_served'))
  execute function app_private.tg_queue_events__sms_reminder();
