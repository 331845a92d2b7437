-- Privacy: customers' phone numbers (and names) are erased a number of hours
-- after their visit ends (businesses.phone_retention_hours), and at once on a
-- merchant's request (forget_customer), recorded in customer_erasures without
-- the number. Counts stay: the rows remain, only the personal data goes.

-- When the entry's personal data was erased (null: not yet, or never had any).
grant select (erased_at) on app_public.queue_entries to waitify_merchant, waitify_admin;
comment on column app_public.queue_entries.erased_at is
  'When the phone number and name were erased (phone_retention_hours after the visit ended, or forgetCustomer).';
grant select on app_public.customer_erasures to waitify_merchant, waitify_admin;

drop policy if exists select_own on app_public.customer_erasures;
create policy select_own on app_public.customer_erasures for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

drop policy if exists select_all on app_public.customer_erasures;
create policy select_all on app_public.customer_erasures for select to waitify_admin using (true);

comment on table app_public.customer_erasures is
  E'@behavior -insert -update -delete\nThe audit of erasures on request (forgetCustomer): when, and how much was erased; never the number itself.';
comment on column app_public.customer_erasures.visits_in_progress is
  'Visits of that number still waiting or called when asked: their number is erased with the automatic erasure once they end.';

-- Privacy by default (the hourly analytics_phone_erasure job): the phone
-- number and name of every finished visit are erased once its business's
-- phone_retention_hours have passed since it ended. The row stays (counts,
-- times, analytics); its SMS logs lose the number too, and keep what billing
-- counts (status, parts, cost, times). A visit whose last SMS is still
-- pending waits for it (sending needs the number): it is erased at the next
-- run after the send ended. At most `max_rows` visits per call (the job
-- calls again while there are more); returns the visits erased.
create or replace function app_private.erase_expired_phones(at timestamptz default now(), max_rows integer default 5000)
  returns integer
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_erased integer;
begin
  with due as (
    select e.id
      from app_public.queue_entries e
      join app_public.businesses b on b.id = e.business_id
     where e.erased_at is null
       and e.status in ('served', 'missed', 'cancelled')
       -- The shortest setting (1 hour) bounds the scan of queue_entries_to_erase_idx.
       and coalesce(e.served_at, e.missed_at, e.cancelled_at) < erase_expired_phones.at - interval '1 hour'
       and coalesce(e.served_at, e.missed_at, e.cancelled_at)
           < erase_expired_phones.at - make_interval(hours => b.phone_retention_hours)
       and not exists (select 1 from app_public.sms_logs l where l.queue_entry_id = e.id and l.status = 'pending')
     order by coalesce(e.served_at, e.missed_at, e.cancelled_at)
     limit erase_expired_phones.max_rows
       for update of e skip locked
  ), erased as (
    update app_public.queue_entries e set phone = null, client_name = null, erased_at = erase_expired_phones.at
      from due where e.id = due.id
    returning e.id
  ), sms as (
    update app_public.sms_logs l set phone = null
      from erased where l.queue_entry_id = erased.id and l.phone is not null
    returning l.id
  )
  select count(*) into v_erased from erased;
  return v_erased;
end;
$$;
comment on function app_private.erase_expired_phones(timestamptz, integer) is
  'Erases the phone number and name of finished visits older than their business''s phone_retention_hours (and the number in their SMS logs); returns the visits erased.';

-- Erasure on request: a merchant erases a customer's number from every
-- finished visit and SMS log of all their businesses at once. The number is
-- read as each of their businesses' countries would read it (06… is French,
-- 77… Senegalese). A visit still waiting or called keeps it until it ends
-- (SMS must reach the customer until then) and is erased by the hourly job
-- after the business's retention; the count is in the audit row, which never
-- holds the number. Works for any account status: privacy is not a feature
-- of the plan.
create or replace function app_public.forget_customer(phone text) returns app_public.customer_erasures
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_public.current_user_id();
  v_numbers text[];
  v_entries integer;
  v_sms integer;
  v_in_progress integer;
  v_erasure app_public.customer_erasures;
begin
  -- Caller: a signed-in merchant; every statement below is limited to rows with user_id = current_user_id().
  if v_user is null then
    perform app_hidden.raise_error('UNAUTHENTICATED', 'fr');
  end if;
  select array_agg(distinct n.number) into v_numbers
    from (select distinct b.country from app_public.businesses b where b.user_id = v_user
          union select 'FR') c
   cross join lateral (select app_hidden.phone_to_e164(forget_customer.phone, c.country) as number) n
   where n.number is not null;
  if v_numbers is null then
    perform app_hidden.raise_error('INVALID_PHONE', 'fr');
  end if;
  with erased as (
    update app_public.queue_entries e set phone = null, client_name = null, erased_at = now()
     where e.user_id = v_user and e.phone = any (v_numbers) and e.status in ('served', 'missed', 'cancelled')
    returning 1
  )
  select count(*) into v_entries from erased;
  with erased as (
    update app_public.sms_logs l set phone = null
     where l.user_id = v_user and l.phone = any (v_numbers) and l.status <> 'pending'
    returning 1
  )
  select count(*) into v_sms from erased;
  select count(*) into v_in_progress from app_public.queue_entries e
   where e.user_id = v_user and e.phone = any (v_numbers) and e.status in ('waiting', 'called');
  insert into app_public.customer_erasures (user_id, entries_erased, sms_logs_erased, visits_in_progress)
  values (v_user, v_entries, v_sms, v_in_progress)
  returning * into v_erasure;
  return v_erasure;
end;
$$;
comment on function app_public.forget_customer(text) is
  E'@resultFieldName erasure\nErases a customer''s phone number (and name) from every finished visit and SMS log of all your businesses; returns the audit row (counts, never the number). Visits still in progress keep it until they end. INVALID_PHONE for a number that is not one.';
grant execute on function app_public.forget_customer(text) to waitify_merchant;
