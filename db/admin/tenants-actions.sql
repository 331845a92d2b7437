-- Back office, tenants (writes): suspend, reactivate, change of plan.
--
-- The account's status moves only through the billing state machine
-- (app_private.refresh_account_status, db/billing/stripe.sql), the one the
-- Stripe webhooks and the daily dunning pass use, so an admin's change has the
-- same effects (account.sql: an account event, the open queues closed with
-- their customers told) and cannot be undone behind the admin's back:
--
--   suspend     records a hold (app_private.admin_suspensions) that the state
--               machine reads first: suspended, whatever Stripe says, until
--               an admin reactivates. Refused when already suspended
--               (ACCOUNT_ALREADY_SUSPENDED), by the dunning or by an admin.
--   reactivate  deletes the hold and lets the state machine decide: with a
--               Stripe subscription, what it and the unpaid invoices imply
--               (active, trial while Stripe's trial runs, past_due,
--               read_only, cancelled); never subscribed, the trial while it
--               runs, else read_only. An account the dunning still suspends
--               (unpaid invoices) cannot be reactivated here (ACCOUNT_UNPAID):
--               a payment or a voided invoice at Stripe brings it back.
--               Refused when not suspended (ACCOUNT_NOT_SUSPENDED).
--   change plan only for an account without a live Stripe subscription
--               (PLAN_MANAGED_BY_STRIPE otherwise): a paying account's plan
--               is what Stripe bills, and the next webhook would set it back
--               (mirror_stripe_subscription); the admin changes those in
--               Stripe's dashboard, whose webhook updates the plan here. The
--               business limit is the checkout's own check
--               (app_private.plan_for_account) and the users trigger's
--               (PLAN_LIMIT_DOWNGRADE).
--
-- Each takes the account row's lock first (as refresh_account_status does):
-- two admins acting at once are served one after the other, the second sees
-- the first's result (one suspension, one ACCOUNT_ALREADY_SUSPENDED). Each
-- needs a reason (3 to 500 characters), written in the account event and the
-- audit log with the account's state before and after.

-- The reason an admin gives: trimmed, 3 to 500 characters (ADMIN_REASON_INVALID).
create or replace function app_private.admin_reason(reason text) returns text
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if reason is null or length(btrim(reason)) not between 3 and 500 then
    perform app_hidden.raise_error('ADMIN_REASON_INVALID');
  end if;
  return btrim(reason);
end;
$$;

-- The account row, locked; ACCOUNT_NOT_FOUND when there is none.
create or replace function app_private.lock_account(user_id uuid) returns app_public.users
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user app_public.users;
begin
  select u.* into v_user from app_public.users u where u.id = lock_account.user_id for update;
  if v_user.id is null then
    perform app_hidden.raise_error('ACCOUNT_NOT_FOUND');
  end if;
  return v_user;
end;
$$;

-- What the audit log keeps of the account before and after an admin's change.
create or replace function app_private.admin_account_state(user_id uuid) returns jsonb
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'status', u.subscription_status,
    'plan', p.name,
    'suspendedByAdmin', exists (select 1 from app_private.admin_suspensions h where h.user_id = u.id))
    from app_public.users u
    join app_public.subscription_plans p on p.id = u.subscription_plan_id
   where u.id = admin_account_state.user_id;
$$;

-- The admin's change is the admin's in the account events (current_actor)
-- and carries the reason (tg_users__account_events), for this transaction.
create or replace function app_private.act_as_admin(reason text) returns void
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  select set_config('waitify.actor', 'admin', true), set_config('waitify.reason', coalesce(reason, ''), true);
$$;

create or replace function app_public.admin_suspend_account(user_id uuid, reason text) returns app_public.users
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_reason text;
  v_before jsonb;
  v_user app_public.users;
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  v_reason := app_private.admin_reason(admin_suspend_account.reason);
  v_user := app_private.lock_account(admin_suspend_account.user_id);
  if v_user.subscription_status = 'suspended' then
    perform app_hidden.raise_error('ACCOUNT_ALREADY_SUSPENDED');
  end if;
  v_before := app_private.admin_account_state(v_user.id);
  insert into app_private.admin_suspensions as h (user_id, reason) values (v_user.id, v_reason)
  on conflict on constraint admin_suspensions_pkey do update set reason = excluded.reason, created_at = now();
  perform app_private.act_as_admin(v_reason);
  perform app_private.refresh_account_status(v_user.id);
  perform app_private.act_as_admin(null);
  perform app_private.record_admin_action('suspend_account', 'account', v_user.id::text,
    v_before, app_private.admin_account_state(v_user.id), v_reason);
  select u.* into v_user from app_public.users u where u.id = v_user.id;
  return v_user;
end;
$$;
comment on function app_public.admin_suspend_account(uuid, text) is
  'Back office: suspends the account (customers cannot join, its open queues close, the merchant only reads and pays) until an admin reactivates it. `reason`: 3 to 500 characters. Errors: ACCOUNT_ALREADY_SUSPENDED, NOT_FOUND, VALIDATION.';
grant execute on function app_public.admin_suspend_account(uuid, text) to waitify_admin;

create or replace function app_public.admin_reactivate_account(user_id uuid, reason text) returns app_public.users
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_reason text;
  v_before jsonb;
  v_user app_public.users;
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  v_reason := app_private.admin_reason(admin_reactivate_account.reason);
  v_user := app_private.lock_account(admin_reactivate_account.user_id);
  if v_user.subscription_status <> 'suspended' then
    perform app_hidden.raise_error('ACCOUNT_NOT_SUSPENDED');
  end if;
  v_before := app_private.admin_account_state(v_user.id);
  delete from app_private.admin_suspensions h where h.user_id = v_user.id;
  perform app_private.act_as_admin(v_reason);
  if app_private.refresh_account_status(v_user.id) = 'suspended' then
    -- The dunning suspends it (an invoice unpaid after three attempts or 30
    -- days): everything above is rolled back, the hold included.
    perform app_hidden.raise_error('ACCOUNT_UNPAID');
  end if;
  perform app_private.act_as_admin(null);
  perform app_private.record_admin_action('reactivate_account', 'account', v_user.id::text,
    v_before, app_private.admin_account_state(v_user.id), v_reason);
  select u.* into v_user from app_public.users u where u.id = v_user.id;
  return v_user;
end;
$$;
comment on function app_public.admin_reactivate_account(uuid, text) is
  'Back office: lifts a suspension; the account returns to the state its subscription implies (active, trial while it runs, read-only after an unpaid trial…). `reason`: 3 to 500 characters. Errors: ACCOUNT_NOT_SUSPENDED, ACCOUNT_UNPAID (the dunning suspends it: unpaid invoices), NOT_FOUND, VALIDATION.';
grant execute on function app_public.admin_reactivate_account(uuid, text) to waitify_admin;

create or replace function app_public.admin_change_account_plan(user_id uuid, plan text, reason text) returns app_public.users
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_reason text;
  v_before jsonb;
  v_user app_public.users;
  v_plan app_public.subscription_plans;
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  v_reason := app_private.admin_reason(admin_change_account_plan.reason);
  v_user := app_private.lock_account(admin_change_account_plan.user_id);
  if exists (select 1 from app_private.subscriptions s
              where s.user_id = v_user.id and s.stripe_status not in ('canceled', 'incomplete_expired')) then
    perform app_hidden.raise_error('PLAN_MANAGED_BY_STRIPE');
  end if;
  v_plan := app_private.plan_for_account(v_user.id, admin_change_account_plan.plan);
  if v_plan.id = v_user.subscription_plan_id then
    -- Already on it: nothing changes, nothing is recorded.
    return v_user;
  end if;
  v_before := app_private.admin_account_state(v_user.id);
  perform app_private.act_as_admin(v_reason);
  update app_public.users u set subscription_plan_id = v_plan.id where u.id = v_user.id
  returning u.* into v_user;
  perform app_private.act_as_admin(null);
  perform app_private.record_admin_action('change_plan', 'account', v_user.id::text,
    v_before, app_private.admin_account_state(v_user.id), v_reason);
  return v_user;
end;
$$;
comment on function app_public.admin_change_account_plan(uuid, text, text) is
  'Back office: moves an account without a Stripe subscription (a trial, a comped account) to another plan (basic, pro, enterprise). `reason`: 3 to 500 characters. Errors: PLAN_MANAGED_BY_STRIPE (a paying account: change it at Stripe), PLAN_LIMIT (more active businesses than the plan allows), NOT_FOUND, VALIDATION.';
grant execute on function app_public.admin_change_account_plan(uuid, text, text) to waitify_admin;
