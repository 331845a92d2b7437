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

-- Counts the promo codes a subscription started with, once per account and
-- code. Called by mirror_stripe_subscription for every subscription Stripe
-- returns (checkout.session.completed, customer.subscription.*), with its
-- `discounts` expanded (tasks/stripe_event.ts): whichever event comes first
-- counts, the others find the redemption and count nothing. A subscription
-- that has not started (incomplete: its first payment failed) counts
-- nothing yet. The code's row is locked first, so two accounts redeeming the
-- last use at once are counted one after the other, and times_used never
-- passes max_uses (the CHECK says so too): a redemption beyond it (Stripe's
-- max_redemptions prevents one) is kept with counted = false.
create or replace function app_private.record_promo_redemptions(user_id uuid, subscription jsonb) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_promotion_code text;
  v_code app_public.promo_codes;
  v_counted boolean;
begin
  if coalesce(subscription ->> 'status', 'incomplete') in ('incomplete', 'incomplete_expired') then
    return;
  end if;
  for v_promotion_code in
    select distinct app_private.stripe_id(d.value -> 'promotion_code')
      from jsonb_array_elements(case jsonb_typeof(subscription -> 'discounts') when 'array' then subscription -> 'discounts' else '[]' end) d
     where jsonb_typeof(d.value) = 'object'
  loop
    select p.* into v_code from app_public.promo_codes p where p.stripe_promotion_code_id = v_promotion_code for update;
    continue when v_code.id is null
      or exists (select 1 from app_private.promo_code_redemptions r
                  where r.promo_code_id = v_code.id and r.user_id = record_promo_redemptions.user_id);
    v_counted := v_code.max_uses is null or v_code.times_used < v_code.max_uses;
    insert into app_private.promo_code_redemptions (promo_code_id, user_id, stripe_subscription_id, counted)
    values (v_code.id, record_promo_redemptions.user_id, subscription ->> 'id', v_counted);
    if v_counted then
      update app_public.promo_codes p set times_used = p.times_used + 1 where p.id = v_code.id;
    end if;
  end loop;
end;
$$;
revoke all on function app_private.record_promo_redemptions(uuid, jsonb) from public;
comment on function app_private.record_promo_redemptions(uuid, jsonb) is
  'Counts, once per account, the promo codes of a started subscription (discounts expanded) whose promotion code is ours.';
