-- Promo codes on the merchant's side: the check of a code typed at checkout
-- (before Stripe is called), and the count of the accounts that started a
-- subscription with one (from the subscriptions Stripe returns). The codes
-- themselves are the admin's (db/admin/promo-codes.sql).

-- The code a merchant typed at checkout, checked against our table before
-- anything is asked of Stripe: unknown or disabled → PROMOTION_CODE_INVALID;
-- before valid_from or from valid_until on → PROMOTION_CODE_EXPIRED; used
-- max_uses times → PROMOTION_CODE_EXHAUSTED; free months on a yearly plan
-- (a repeating coupon would make the whole first year free) and a code this
-- account already started a subscription with are refused too. Stripe still
-- has the last word (lib/billing/operations.ts reads the promotion code's
-- own state): two merchants may pass this check for the last use, and
-- Stripe's max_redemptions lets only one of them pay with it.
create or replace function app_private.checkout_promo_code(user_id uuid, code text, billing_interval text)
  returns table (promo_code_id uuid, stripe_promotion_code_id text)
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_code app_public.promo_codes;
begin
  -- Caller: the server's own connection only (assert_server_connection), for the signed-in merchant's id.
  perform app_private.assert_server_connection();
  select p.* into v_code from app_public.promo_codes p where p.code = upper(btrim(coalesce(checkout_promo_code.code, '')));
  if v_code.id is null or not v_code.active then
    perform app_hidden.raise_error('PROMOTION_CODE_INVALID');
  end if;
  if v_code.kind = 'free_months' and checkout_promo_code.billing_interval <> 'month' then
    perform app_hidden.raise_error('PROMOTION_CODE_MONTHLY_ONLY');
  end if;
  if now() < v_code.valid_from or now() >= v_code.valid_until then
    perform app_hidden.raise_error('PROMOTION_CODE_EXPIRED');
  end if;
  if v_code.times_used >= v_code.max_uses then
    perform app_hidden.raise_error('PROMOTION_CODE_EXHAUSTED');
  end if;
  if exists (select 1 from app_private.promo_code_redemptions r
              where r.promo_code_id = v_code.id and r.user_id = checkout_promo_code.user_id) then
    perform app_hidden.raise_error('PROMOTION_CODE_ALREADY_USED');
  end if;
  return query select v_code.id, v_code.stripe_promotion_code_id;
end;
$$;
revoke all on function app_private.checkout_promo_code(uuid, text, text) from public;
grant execute on function app_private.checkout_promo_code(uuid, text, text) to :DATABASE_AUTHENTICATOR;

-- One account's use of one of our promo codes (Stripe's promotion code id),
-- counted once: whichever webhook shows it first counts, the others find
-- the redemption and count nothing. The code's row is locked first, so two
-- accounts redeeming the last use at once are counted one after the other,
-- and times_used never passes max_uses (the CHECK says so too): a
-- redemption beyond it (Stripe's max_redemptions prevents one) is kept with
-- counted = false. A promotion code that is not ours is ignored.
create or replace function app_private.record_promo_redemption(user_id uuid, stripe_promotion_code_id text, stripe_subscription_id text)
  returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_code app_public.promo_codes;
  v_counted boolean;
begin
  select p.* into v_code from app_public.promo_codes p
   where p.stripe_promotion_code_id = record_promo_redemption.stripe_promotion_code_id
     for update;
  if v_code.id is null
     or exists (select 1 from app_private.promo_code_redemptions r
                 where r.promo_code_id = v_code.id and r.user_id = record_promo_redemption.user_id) then
    return;
  end if;
  v_counted := v_code.max_uses is null or v_code.times_used < v_code.max_uses;
  insert into app_private.promo_code_redemptions (promo_code_id, user_id, stripe_subscription_id, counted)
  values (v_code.id, record_promo_redemption.user_id, coalesce(record_promo_redemption.stripe_subscription_id, ''), v_counted);
  if v_counted then
    update app_public.promo_codes p set times_used = p.times_used + 1 where p.id = v_code.id;
  end if;
end;
$$;
revoke all on function app_private.record_promo_redemption(uuid, text, text) from public;

-- The promo codes a subscription carries, counted once it has started (an
-- incomplete one, whose first payment failed, counts nothing yet). Called by
-- mirror_stripe_subscription for every subscription Stripe returns, with its
-- `discounts` expanded (tasks/stripe_event.ts); ids alone say nothing.
create or replace function app_private.record_promo_redemptions(user_id uuid, subscription jsonb) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_promotion_code text;
begin
  if coalesce(subscription ->> 'status', 'incomplete') in ('incomplete', 'incomplete_expired') then
    return;
  end if;
  for v_promotion_code in
    select distinct app_private.stripe_id(d.value -> 'promotion_code')
      from jsonb_array_elements(case jsonb_typeof(subscription -> 'discounts') when 'array' then subscription -> 'discounts' else '[]' end) d
     where jsonb_typeof(d.value) = 'object' and app_private.stripe_id(d.value -> 'promotion_code') is not null
  loop
    perform app_private.record_promo_redemption(record_promo_redemptions.user_id, v_promotion_code, subscription ->> 'id');
  end loop;
end;
$$;
revoke all on function app_private.record_promo_redemptions(uuid, jsonb) from public;
comment on function app_private.record_promo_redemptions(uuid, jsonb) is
  'Counts, once per account, the promo codes of a started subscription (discounts expanded) whose promotion code is ours.';

-- The promo codes of a completed, paid checkout session (checkout.session.
-- completed): the subscription started with them. Needed beside the
-- subscription's own discounts because a "once" discount leaves the
-- subscription with its first invoice, before any webhook is handled.
-- Returns the account, or null for a customer we do not know.
create or replace function app_private.record_checkout_promo_redemptions(session jsonb) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_private.stripe_customer_user(app_private.stripe_id(session -> 'customer'));
  v_promotion_code text;
begin
  if v_user is null or session ->> 'mode' is distinct from 'subscription' or session ->> 'status' is distinct from 'complete'
     or coalesce(session ->> 'payment_status', '') not in ('paid', 'no_payment_required') then
    return v_user;
  end if;
  for v_promotion_code in
    select distinct app_private.stripe_id(d.value -> 'promotion_code')
      from jsonb_array_elements(case jsonb_typeof(session -> 'discounts') when 'array' then session -> 'discounts' else '[]' end) d
     where app_private.stripe_id(d.value -> 'promotion_code') is not null
  loop
    perform app_private.record_promo_redemption(v_user, v_promotion_code, app_private.stripe_id(session -> 'subscription'));
  end loop;
  return v_user;
end;
$$;
revoke all on function app_private.record_checkout_promo_redemptions(jsonb) from public;
comment on function app_private.record_checkout_promo_redemptions(jsonb) is
  'Counts, once per account, the promo codes of a completed and paid checkout session whose promotion code is ours.';
