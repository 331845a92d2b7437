-- Promo codes in the back office: who reads them, and the SQL halves of the
-- admin's two writes (lib/admin/promo-codes.ts). Creating one is: check the
-- input here (coded errors, nothing sent to Stripe yet) → Stripe coupon and
-- promotion code → the row, with their ids, recorded here and audited.
-- Disabling one: the Stripe promotion code first, then the row.
--
-- The writes are app_hidden, not app_public: an app_public function would be
-- a GraphQL mutation of its own, and an admin could record a code that Stripe
-- does not hold. The admin schema's adminCreatePromoCode /
-- adminDisablePromoCode (lib/admin/promo-codes-plugin.ts) call Stripe and
-- these functions, as the admin (role and claims of the verified token), so
-- app_private.assert_admin() decides as for every admin write.

drop trigger if exists _100_timestamps on app_public.promo_codes;
create trigger _100_timestamps before update on app_public.promo_codes
  for each row execute function app_private.tg__set_updated_at();

-- Admins read every code; merchants and anonymous nothing (no grant).
grant select on app_public.promo_codes to waitify_admin;
drop policy if exists select_all on app_public.promo_codes;
create policy select_all on app_public.promo_codes for select to waitify_admin using (true);

comment on table app_public.promo_codes is
  E'@behavior -insert -update -delete\nA promo code: a Stripe coupon restricted to the plan products (never the SMS overage) and its promotion code. Created and disabled with adminCreatePromoCode / adminDisablePromoCode; a merchant types `code` at checkout.';
comment on column app_public.promo_codes.code is 'What the merchant types: 3 to 40 capitals, digits and dashes (case-insensitive).';
comment on column app_public.promo_codes.kind is 'percentage (value = %), fixed_amount (value = cents off, in currency) or free_months (value = months at 100 %).';
comment on column app_public.promo_codes.value is 'Percent (1–100), cents (> 0) or months (1–24), per kind.';
comment on column app_public.promo_codes.currency is 'The currency of a fixed_amount code (the catalog''s, eur); null otherwise.';
comment on column app_public.promo_codes.duration is 'once (the first invoice), repeating (duration_months months) or forever; free_months is repeating for its months.';
comment on column app_public.promo_codes.duration_months is 'Months a repeating code applies (1–24); null otherwise.';
comment on column app_public.promo_codes.max_uses is 'How many accounts may start a subscription with it (Stripe max_redemptions); null = unlimited.';
comment on column app_public.promo_codes.valid_from is 'Refused at checkout before this time.';
comment on column app_public.promo_codes.valid_until is 'Refused at checkout from this time (Stripe expires_at); null = no end.';
comment on column app_public.promo_codes.active is 'False once disabled (then at Stripe too).';
comment on column app_public.promo_codes.disabled_at is 'When an admin disabled it.';
comment on column app_public.promo_codes.times_used is 'Accounts whose subscription started with it (counted once each, from Stripe''s webhooks); never above max_uses.';
comment on column app_public.promo_codes.stripe_coupon_id is 'The Stripe coupon (applies_to: the plan products).';
comment on column app_public.promo_codes.stripe_promotion_code_id is 'The Stripe promotion code (promo_…).';
comment on column app_public.promo_codes.created_by is 'The admin who created it.';

-- The one validation of a new code, shared by the check before Stripe and
-- the insert after it, so both refuse the same inputs with the same codes.
-- Normalises: the code in capitals, valid_from now when absent, free months
-- as a repeating coupon of that many months, the catalog's currency (eur,
-- lib/stripe/catalog.ts CURRENCY) for a fixed amount. The row is not stored.
create or replace function app_private.promo_code_spec(
  code text, kind text, value integer, duration text, duration_months integer,
  max_uses integer, valid_from timestamptz, valid_until timestamptz
) returns app_public.promo_codes
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_row app_public.promo_codes;
begin
  v_row.code := upper(btrim(coalesce(promo_code_spec.code, '')));
  if v_row.code !~ '^[A-Z0-9-]{3,40}$' then
    perform app_hidden.raise_error('PROMO_CODE_FORMAT');
  end if;
  v_row.kind := promo_code_spec.kind;
  if v_row.kind is null or v_row.kind not in ('percentage', 'fixed_amount', 'free_months') then
    perform app_hidden.raise_error('PROMO_CODE_KIND', null, coalesce(promo_code_spec.kind, ''));
  end if;
  v_row.value := promo_code_spec.value;
  if v_row.kind = 'percentage' and (v_row.value is null or v_row.value not between 1 and 100) then
    perform app_hidden.raise_error('PROMO_CODE_PERCENT');
  elsif v_row.kind = 'fixed_amount' and (v_row.value is null or v_row.value <= 0) then
    perform app_hidden.raise_error('PROMO_CODE_AMOUNT');
  elsif v_row.kind = 'free_months' and (v_row.value is null or v_row.value not between 1 and 24) then
    perform app_hidden.raise_error('PROMO_CODE_MONTHS');
  end if;
  v_row.currency := case when v_row.kind = 'fixed_amount' then 'eur' end;
  if v_row.kind = 'free_months' then
    -- N free months: 100 % off for N months; any other duration contradicts it.
    if coalesce(promo_code_spec.duration, 'repeating') <> 'repeating'
       or coalesce(promo_code_spec.duration_months, v_row.value) <> v_row.value then
      perform app_hidden.raise_error('PROMO_CODE_DURATION');
    end if;
    v_row.duration := 'repeating';
    v_row.duration_months := v_row.value;
  else
    v_row.duration := coalesce(promo_code_spec.duration, 'once');
    if v_row.duration not in ('once', 'repeating', 'forever')
       or (v_row.duration = 'repeating') <> (promo_code_spec.duration_months is not null)
       or promo_code_spec.duration_months not between 1 and 24 then
      perform app_hidden.raise_error('PROMO_CODE_DURATION');
    end if;
    v_row.duration_months := promo_code_spec.duration_months;
  end if;
  if promo_code_spec.max_uses is not null and promo_code_spec.max_uses < 1 then
    perform app_hidden.raise_error('PROMO_CODE_MAX_USES');
  end if;
  v_row.max_uses := promo_code_spec.max_uses;
  v_row.valid_from := coalesce(promo_code_spec.valid_from, now());
  v_row.valid_until := promo_code_spec.valid_until;
  if v_row.valid_until <= greatest(v_row.valid_from, now()) then
    perform app_hidden.raise_error('PROMO_CODE_VALIDITY');
  end if;
  -- Disabled codes keep their name: Stripe's promotion codes are never deleted either.
  if exists (select 1 from app_public.promo_codes p where p.code = v_row.code) then
    perform app_hidden.raise_error('PROMO_CODE_TAKEN', null, v_row.code);
  end if;
  v_row.active := true;
  v_row.times_used := 0;
  return v_row;
end;
$$;
revoke all on function app_private.promo_code_spec(text, text, integer, text, integer, integer, timestamptz, timestamptz) from public;

-- Step 1 of adminCreatePromoCode: the input checked and normalised (as JSON:
-- the row's fields that Stripe needs), and the
-- plan products the coupon is restricted to (every plan's licensed prices'
-- product from stripe:sync; the SMS overage product is never among them).
create or replace function app_hidden.admin_prepare_promo_code(
  code text, kind text, value integer, duration text, duration_months integer,
  max_uses integer, valid_from timestamptz, valid_until timestamptz
) returns jsonb
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_spec app_public.promo_codes;
  v_products text[];
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  v_spec := app_private.promo_code_spec(admin_prepare_promo_code.code, admin_prepare_promo_code.kind,
    admin_prepare_promo_code.value, admin_prepare_promo_code.duration, admin_prepare_promo_code.duration_months,
    admin_prepare_promo_code.max_uses, admin_prepare_promo_code.valid_from, admin_prepare_promo_code.valid_until);
  select array_agg(distinct sp.stripe_product_id order by sp.stripe_product_id) into v_products
    from app_private.stripe_prices sp
    join app_public.subscription_plans p on p.id = sp.plan_id
   where sp.kind = 'licensed' and p.is_active;
  if v_products is null then
    perform app_hidden.raise_error('BILLING_NOT_CONFIGURED');
  end if;
  return jsonb_build_object('code', v_spec.code, 'kind', v_spec.kind, 'value', v_spec.value, 'currency', v_spec.currency,
                            'duration', v_spec.duration, 'duration_months', v_spec.duration_months,
                            'max_uses', v_spec.max_uses, 'valid_from', v_spec.valid_from, 'valid_until', v_spec.valid_until,
                            'plan_product_ids', to_jsonb(v_products));
end;
$$;
revoke all on function app_hidden.admin_prepare_promo_code(text, text, integer, text, integer, integer, timestamptz, timestamptz) from public;
grant execute on function app_hidden.admin_prepare_promo_code(text, text, integer, text, integer, integer, timestamptz, timestamptz) to waitify_admin;

-- Step 3 of adminCreatePromoCode: the row, once Stripe holds the coupon and
-- the promotion code. The input is checked again (another admin may have
-- taken the code meanwhile: PROMO_CODE_TAKEN, and the Stripe objects stay
-- unused — the same request retried gets them back by idempotency key).
create or replace function app_hidden.admin_create_promo_code(
  code text, kind text, value integer, duration text, duration_months integer,
  max_uses integer, valid_from timestamptz, valid_until timestamptz,
  stripe_coupon_id text, stripe_promotion_code_id text
) returns app_public.promo_codes
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_admin uuid;
  v_row app_public.promo_codes;
begin
  -- Caller: an admin (app_private.assert_admin()).
  v_admin := app_private.assert_admin();
  v_row := app_private.promo_code_spec(admin_create_promo_code.code, admin_create_promo_code.kind,
    admin_create_promo_code.value, admin_create_promo_code.duration, admin_create_promo_code.duration_months,
    admin_create_promo_code.max_uses, admin_create_promo_code.valid_from, admin_create_promo_code.valid_until);
  insert into app_public.promo_codes (code, kind, value, currency, duration, duration_months, max_uses, valid_from,
                                      valid_until, stripe_coupon_id, stripe_promotion_code_id, created_by)
  values (v_row.code, v_row.kind, v_row.value, v_row.currency, v_row.duration, v_row.duration_months, v_row.max_uses,
          v_row.valid_from, v_row.valid_until, admin_create_promo_code.stripe_coupon_id,
          admin_create_promo_code.stripe_promotion_code_id, v_admin)
  returning * into v_row;
  perform app_private.record_admin_action('create_promo_code', 'promo_code', v_row.id::text, null,
                                          to_jsonb(v_row) - 'updated_at', null);
  return v_row;
end;
$$;
revoke all on function app_hidden.admin_create_promo_code(text, text, integer, text, integer, integer, timestamptz, timestamptz, text, text) from public;
grant execute on function app_hidden.admin_create_promo_code(text, text, integer, text, integer, integer, timestamptz, timestamptz, text, text) to waitify_admin;

-- Step 1 of adminDisablePromoCode: the promotion code to deactivate at
-- Stripe (NOT_FOUND for an unknown id). An already disabled code is
-- deactivated again, harmlessly: a retry after a failure in between ends
-- the same way.
create or replace function app_hidden.admin_promo_code_to_disable(promo_code_id uuid) returns text
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_stripe_id text;
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  select p.stripe_promotion_code_id into v_stripe_id from app_public.promo_codes p
   where p.id = admin_promo_code_to_disable.promo_code_id;
  if v_stripe_id is null then
    perform app_hidden.raise_error('PROMO_CODE_NOT_FOUND');
  end if;
  return v_stripe_id;
end;
$$;
revoke all on function app_hidden.admin_promo_code_to_disable(uuid) from public;
grant execute on function app_hidden.admin_promo_code_to_disable(uuid) to waitify_admin;

-- Step 3 of adminDisablePromoCode, once Stripe's promotion code is inactive:
-- the row, audited with its state before and after. Disabling a disabled
-- code changes and records nothing.
create or replace function app_hidden.admin_disable_promo_code(promo_code_id uuid, reason text default null)
  returns app_public.promo_codes
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_before app_public.promo_codes;
  v_after app_public.promo_codes;
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  select p.* into v_before from app_public.promo_codes p where p.id = admin_disable_promo_code.promo_code_id for update;
  if v_before.id is null then
    perform app_hidden.raise_error('PROMO_CODE_NOT_FOUND');
  end if;
  if not v_before.active then
    return v_before;
  end if;
  update app_public.promo_codes p set active = false, disabled_at = now()
   where p.id = v_before.id
  returning * into v_after;
  perform app_private.record_admin_action('disable_promo_code', 'promo_code', v_after.id::text,
                                          jsonb_build_object('active', v_before.active, 'disabled_at', v_before.disabled_at),
                                          jsonb_build_object('active', v_after.active, 'disabled_at', v_after.disabled_at),
                                          nullif(btrim(coalesce(admin_disable_promo_code.reason, '')), ''));
  return v_after;
end;
$$;
revoke all on function app_hidden.admin_disable_promo_code(uuid, text) from public;
grant execute on function app_hidden.admin_disable_promo_code(uuid, text) to waitify_admin;
