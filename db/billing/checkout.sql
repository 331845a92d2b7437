-- The SQL side of the merchant's billing operations (lib/billing/plugin.ts:
-- createCheckoutSession, createBillingPortalSession, cancelSubscription,
-- resumeSubscription, changePlan). Stripe is called from TypeScript; the rules
-- are here. Like Google sign-in, these run on the authenticator's own
-- connection (no request role) with the merchant's id taken from their
-- verified session token: EXECUTE is granted to the authenticator alone and
-- each function refuses a request role, so no GraphQL caller reaches them
-- with someone else's id.

-- The plan an account asks for, refused when unknown (PLAN_NOT_FOUND) or too
-- small for its active businesses (PLAN_LIMIT_DOWNGRADE): the one check of a
-- checkout and of a change of plan.
create or replace function app_private.plan_for_account(user_id uuid, plan text) returns app_public.subscription_plans
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_plan app_public.subscription_plans;
  v_active integer;
begin
  select p.* into v_plan from app_public.subscription_plans p where p.name = plan_for_account.plan and p.is_active;
  if v_plan.id is null then
    perform app_hidden.raise_error('PLAN_NOT_FOUND');
  end if;
  select count(*) into v_active from app_public.businesses b where b.user_id = plan_for_account.user_id and b.is_active;
  if v_plan.max_businesses <> -1 and v_active > v_plan.max_businesses then
    perform app_hidden.raise_error('PLAN_LIMIT_DOWNGRADE', null, v_plan.name, v_plan.max_businesses::text, v_active::text);
  end if;
  return v_plan;
end;
$$;

-- What a checkout for `plan` and `billing_interval` needs: the account's email
-- and Stripe customer (null the first time), and the prices. Refuses a plan
-- that does not fit the account's active businesses (PLAN_LIMIT_DOWNGRADE), a
-- second subscription (ALREADY_SUBSCRIBED: change plan instead), and a
-- database where `npm run stripe:sync` has not recorded the prices
-- (BILLING_NOT_CONFIGURED).
create or replace function app_private.checkout_context(user_id uuid, plan text, billing_interval text)
  returns table (email text, stripe_customer_id text, licensed_price_id text, overage_price_id text)
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_plan app_public.subscription_plans;
begin
  -- Caller: the server's own connection only (assert_server_connection), for the signed-in merchant's id.
  perform app_private.assert_server_connection();
  if checkout_context.billing_interval not in ('month', 'year') then
    perform app_hidden.raise_error('PLAN_NOT_FOUND');
  end if;
  v_plan := app_private.plan_for_account(checkout_context.user_id, checkout_context.plan);
  if exists (select 1 from app_private.subscriptions s
              where s.user_id = checkout_context.user_id and s.stripe_status not in ('canceled', 'incomplete_expired')) then
    perform app_hidden.raise_error('ALREADY_SUBSCRIBED');
  end if;
  return query
    select u.email::text, c.stripe_customer_id,
           (select sp.stripe_price_id from app_private.stripe_prices sp
             where sp.plan_id = v_plan.id and sp.kind = 'licensed' and sp.billing_interval = checkout_context.billing_interval),
           (select sp.stripe_price_id from app_private.stripe_prices sp
             where sp.plan_id = v_plan.id and sp.kind = 'overage' and sp.billing_interval = 'month')
      from app_public.users u
      left join app_private.stripe_customers c on c.user_id = u.id
     where u.id = checkout_context.user_id;
  if not found then
    perform app_hidden.raise_error('UNAUTHENTICATED');
  end if;
  if not exists (select 1 from app_private.stripe_prices sp where sp.plan_id = v_plan.id and sp.kind = 'licensed'
                   and sp.billing_interval = checkout_context.billing_interval) then
    perform app_hidden.raise_error('BILLING_NOT_CONFIGURED');
  end if;
end;
$$;
revoke all on function app_private.checkout_context(uuid, text, text) from public;
grant execute on function app_private.checkout_context(uuid, text, text) to :DATABASE_AUTHENTICATOR;

-- Keeps the Stripe customer created for an account at its first checkout.
create or replace function app_private.link_stripe_customer(user_id uuid, stripe_customer_id text) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the server's own connection only (assert_server_connection), for the signed-in merchant's id.
  perform app_private.assert_server_connection();
  perform app_private.record_stripe_customer(link_stripe_customer.user_id, link_stripe_customer.stripe_customer_id);
end;
$$;
revoke all on function app_private.link_stripe_customer(uuid, text) from public;
grant execute on function app_private.link_stripe_customer(uuid, text) to :DATABASE_AUTHENTICATOR;

-- The account's Stripe customer and current subscription (portal, cancel,
-- resume, change of plan). NO_SUBSCRIPTION when there is none to act on.
create or replace function app_private.subscription_context(user_id uuid)
  returns table (stripe_customer_id text, stripe_subscription_id text, cancel_at_period_end boolean)
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the server's own connection only (assert_server_connection), for the signed-in merchant's id.
  perform app_private.assert_server_connection();
  return query
    select c.stripe_customer_id, s.stripe_subscription_id, coalesce(s.cancel_at_period_end, false)
      from app_private.stripe_customers c
      left join app_private.subscriptions s on s.user_id = c.user_id and s.stripe_status not in ('canceled', 'incomplete_expired')
     where c.user_id = subscription_context.user_id;
  if not found then
    perform app_hidden.raise_error('NO_SUBSCRIPTION');
  end if;
end;
$$;
revoke all on function app_private.subscription_context(uuid) from public;
grant execute on function app_private.subscription_context(uuid) to :DATABASE_AUTHENTICATOR;

-- The price of a change of plan, refused like a checkout when the plan does
-- not fit the account's businesses.
create or replace function app_private.plan_change_price(user_id uuid, plan text, billing_interval text) returns text
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_plan app_public.subscription_plans;
  v_price text;
begin
  -- Caller: the server's own connection only (assert_server_connection), for the signed-in merchant's id.
  perform app_private.assert_server_connection();
  v_plan := app_private.plan_for_account(plan_change_price.user_id, plan_change_price.plan);
  select sp.stripe_price_id into v_price from app_private.stripe_prices sp
   where sp.plan_id = v_plan.id and sp.kind = 'licensed' and sp.billing_interval = plan_change_price.billing_interval;
  if v_price is null then
    perform app_hidden.raise_error('BILLING_NOT_CONFIGURED');
  end if;
  return v_price;
end;
$$;
revoke all on function app_private.plan_change_price(uuid, text, text) from public;
grant execute on function app_private.plan_change_price(uuid, text, text) to :DATABASE_AUTHENTICATOR;

-- The plan's SMS overage price, which a change of plan moves the metered item
-- to (every plan has its own graduated price: its quota is the free tier).
-- One price per plan whatever the interval (lib/stripe/catalog.ts).
create or replace function app_private.plan_overage_price(plan text) returns text
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_price text;
begin
  -- Caller: the server's own connection only (assert_server_connection); the price ids are no secret from it.
  perform app_private.assert_server_connection();
  select sp.stripe_price_id into v_price
    from app_private.stripe_prices sp
    join app_public.subscription_plans p on p.id = sp.plan_id
   where p.name = plan_overage_price.plan and p.is_active and sp.kind = 'overage' and sp.billing_interval = 'month';
  if v_price is null then
    perform app_hidden.raise_error('BILLING_NOT_CONFIGURED');
  end if;
  return v_price;
end;
$$;
revoke all on function app_private.plan_overage_price(text) from public;
grant execute on function app_private.plan_overage_price(text) to :DATABASE_AUTHENTICATOR;

-- Refusals the server decides from what Stripe or the mirrors answered (a
-- promotion code Stripe does not know or no longer honours; no live
-- subscription to cancel, resume or change), raised here so that their code
-- and message come from the one catalogue like every other rule's. Only these
-- codes: the server connection cannot raise arbitrary ones through it.
create or replace function app_private.raise_billing_error(code text) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the server's own connection only (assert_server_connection).
  perform app_private.assert_server_connection();
  if raise_billing_error.code not in ('PROMOTION_CODE_INVALID', 'PROMOTION_CODE_EXPIRED', 'PROMOTION_CODE_EXHAUSTED',
                                      'NO_SUBSCRIPTION') then
    perform app_hidden.raise_error('INTERNAL_ONLY');
  end if;
  perform app_hidden.raise_error(raise_billing_error.code);
end;
$$;
revoke all on function app_private.raise_billing_error(text) from public;
grant execute on function app_private.raise_billing_error(text) to :DATABASE_AUTHENTICATOR;

-- After the merchant changed their subscription at Stripe (cancel, resume,
-- change of plan): the object Stripe returned is applied now, so the answer
-- shows it; the webhook that follows applies it again, harmlessly. The
-- subscription must be the caller's own.
create or replace function app_private.apply_own_subscription(user_id uuid, subscription jsonb, event_type text)
  returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: the server's own connection only (assert_server_connection), for the signed-in merchant's id.
  perform app_private.assert_server_connection();
  if app_private.stripe_customer_user(app_private.stripe_id(subscription -> 'customer')) is distinct from apply_own_subscription.user_id
     or event_type not in ('subscription_cancel_scheduled', 'subscription_resumed', 'plan_changed') then
    perform app_hidden.raise_error('FORBIDDEN');
  end if;
  perform set_config('waitify.actor', 'merchant', true);
  perform app_private.apply_stripe_subscription(subscription);
  if event_type <> 'plan_changed' then
    insert into app_public.account_events (user_id, event_type, actor, detail)
    values (apply_own_subscription.user_id, event_type, 'merchant',
            -- The plan's period as mirrored (its licensed item's; the first item may be the monthly overage),
            -- and when the subscription ends (yearly plans are cancelled with cancel_at).
            jsonb_build_object('currentPeriodEnd', (select s.current_period_end from app_private.subscriptions s
                                                     where s.user_id = apply_own_subscription.user_id),
                               'cancelAt', app_private.stripe_time(subscription -> 'cancel_at')));
  end if;
end;
$$;
revoke all on function app_private.apply_own_subscription(uuid, jsonb, text) from public;
grant execute on function app_private.apply_own_subscription(uuid, jsonb, text) to :DATABASE_AUTHENTICATOR;
