-- The account's billing state (users.subscription_status) and its effects.
--
--   trial      the 14 days after sign-up, until the first invoice is paid
--   active     paid up
--   past_due   one failed payment: everything works, the merchant is reminded
--   read_only  two failed payments: the merchant reads everything and still
--              runs the queues that are open (call, serve, miss, pause, close:
--              no customer is stranded) but changes no setting, creates no
--              business or queue and opens no queue (ACCOUNT_READ_ONLY)
--   suspended  three failed payments, or unpaid 30 days after the due date,
--              or an admin's suspension (held until an admin reactivates);
--   cancelled  the subscription ended: customers cannot join (4004), the open
--              queues are closed (customers told, as closeQueue does), the
--              merchant only reads and pays (ACCOUNT_SUSPENDED)
--
-- Every change is an account event (the merchant's notification feed), with
-- who caused it (app_private.current_actor, db/core/session.sql).

-- Refuses a merchant's change of settings while the account may not make one.
create or replace function app_private.assert_account_writable(user_id uuid, lang text default null) returns void
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_status app_public.subscription_status;
begin
  select u.subscription_status into v_status from app_public.users u where u.id = assert_account_writable.user_id;
  if v_status = 'read_only' then
    perform app_hidden.raise_error('ACCOUNT_READ_ONLY', lang);
  elsif v_status = 'suspended'
        and exists (select 1 from app_private.admin_suspensions h where h.user_id = assert_account_writable.user_id) then
    -- Suspended by an admin (db/admin/tenants-actions.sql): paying changes nothing, say so.
    perform app_hidden.raise_error('ACCOUNT_SUSPENDED_BY_ADMIN', lang);
  elsif v_status in ('suspended', 'cancelled') then
    perform app_hidden.raise_error('ACCOUNT_SUSPENDED', lang);
  end if;
end;
$$;
comment on function app_private.assert_account_writable(uuid, text) is
  'ACCOUNT_READ_ONLY / ACCOUNT_SUSPENDED unless the account may change its settings.';

-- Settings are businesses and queues. Only a merchant's own requests are
-- checked: the system (closing queues of a suspended account) and the worker
-- act without a session.
create or replace function app_private.tg_businesses__account_writable() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: a trigger (never called directly) on the merchant's own business row; SECURITY DEFINER to read the account's status, which a merchant may not.
  if app_public.current_user_id() is not null then
    perform app_private.assert_account_writable(new.user_id, new.language);
  end if;
  return new;
end;
$$;
drop trigger if exists _050_account_writable on app_public.businesses;
create trigger _050_account_writable before insert or update on app_public.businesses
  for each row execute function app_private.tg_businesses__account_writable();

-- Opening, pausing and closing change other columns of queues and stay allowed
-- (open_queue checks on its own): only the settings and the QR token count.
create or replace function app_private.tg_queues__account_writable() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: a trigger (never called directly) on the merchant's own queue row; SECURITY DEFINER to read the account's status.
  if app_public.current_user_id() is not null then
    perform app_private.assert_account_writable(new.user_id, app_private.business_language(new.business_id));
  end if;
  return new;
end;
$$;
drop trigger if exists _050_account_writable on app_public.queues;
create trigger _050_account_writable
  before insert or update of name, max_queue_size, client_timeout_minutes, auto_advance_enabled, average_service_time,
    qr_code_token
  on app_public.queues
  for each row execute function app_private.tg_queues__account_writable();

-- The feed: one event per change of status or plan, with the reason an admin
-- gave when an admin made it (`waitify.reason`, set for the transaction by
-- db/admin/tenants-actions.sql).
create or replace function app_private.tg_users__account_events() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_reason jsonb := jsonb_strip_nulls(jsonb_build_object('reason', nullif(current_setting('waitify.reason', true), '')));
begin
  if new.subscription_status is distinct from old.subscription_status then
    insert into app_public.account_events (user_id, event_type, actor, detail)
    values (new.id, 'status_changed', app_private.current_actor(),
            jsonb_build_object('from', old.subscription_status, 'to', new.subscription_status) || v_reason);
  end if;
  if new.subscription_plan_id is distinct from old.subscription_plan_id then
    insert into app_public.account_events (user_id, event_type, actor, detail)
    values (new.id, 'plan_changed', app_private.current_actor(), jsonb_build_object(
      'from', (select p.name from app_public.subscription_plans p where p.id = old.subscription_plan_id),
      'to', (select p.name from app_public.subscription_plans p where p.id = new.subscription_plan_id)) || v_reason);
  end if;
  return null;
end;
$$;
drop trigger if exists _500_account_events on app_public.users;
create trigger _500_account_events after update of subscription_status, subscription_plan_id on app_public.users
  for each row execute function app_private.tg_users__account_events();

-- Suspended or cancelled: customers cannot join (business_accepts_customers)
-- and the queues that are open close now, their customers told by SMS.
create or replace function app_private.tg_users__close_queues_when_suspended() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues;
begin
  for v_queue in
    select q.* from app_public.queues q
     where q.user_id = new.id and q.is_queue_active
     order by q.id
       for no key update
  loop
    perform app_private.close_locked_queue(v_queue, 'system', null);
  end loop;
  return null;
end;
$$;
drop trigger if exists _510_close_queues_when_suspended on app_public.users;
create trigger _510_close_queues_when_suspended after update of subscription_status on app_public.users
  for each row
  when (new.subscription_status in ('suspended', 'cancelled') and old.subscription_status not in ('suspended', 'cancelled'))
  execute function app_private.tg_users__close_queues_when_suspended();

-- Sets the account's status (no-op when unchanged); the triggers above record
-- it and apply its effects.
create or replace function app_private.set_account_status(user_id uuid, status app_public.subscription_status) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.users u set subscription_status = set_account_status.status
   where u.id = set_account_status.user_id and u.subscription_status is distinct from set_account_status.status;
end;
$$;
