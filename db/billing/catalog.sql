-- The Stripe catalog: what `npm run stripe:sync` reads (the active plans and
-- the prices they derive from) and writes (the ids of the Stripe products,
-- prices and meter it found or created). The sync runs as the owner, so these
-- functions are granted to nobody: no request role reaches app_private, and
-- EXECUTE stays revoked from PUBLIC by the default privileges.

-- The plans to sell, with the settings their prices derive from. One query,
-- so the sync sees one consistent snapshot of plans and configuration.
create or replace function app_private.stripe_catalog_plans()
  returns table (
    plan_id uuid,
    name text,
    price_cents integer,
    sms_quota_monthly integer,
    yearly_price_months integer,
    sms_unit_cents integer
  )
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select p.id, p.name, p.price_cents, p.sms_quota_monthly,
         -- The seeded values are the fallbacks, as send_sms does for the unit cost.
         coalesce(app_private.config_value('yearly_price_months')::integer, 10),
         coalesce(app_private.config_value('sms_cost_cents')::integer, 3)
    from app_public.subscription_plans p
   where p.is_active
   order by p.price_cents, p.name;
$$;
comment on function app_private.stripe_catalog_plans() is
  'Active plans with the yearly multiplier and the SMS unit price: the input of npm run stripe:sync.';

-- Records one Stripe price of a plan. Idempotent: a second sync that found
-- the same objects changes nothing (not even updated_at). A plan renamed
-- gets new lookup keys: its row for the same (plan, kind, interval) is
-- replaced rather than left to break the unique constraint.
create or replace function app_private.record_stripe_price(
  lookup_key text,
  plan_id uuid,
  kind text,
  billing_interval text,
  stripe_product_id text,
  stripe_price_id text
) returns text
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_previous app_private.stripe_prices;
begin
  select * into v_previous from app_private.stripe_prices p where p.lookup_key = record_stripe_price.lookup_key;
  if found
     and v_previous.plan_id = record_stripe_price.plan_id
     and v_previous.kind = record_stripe_price.kind
     and v_previous.billing_interval = record_stripe_price.billing_interval
     and v_previous.stripe_product_id = record_stripe_price.stripe_product_id
     and v_previous.stripe_price_id = record_stripe_price.stripe_price_id then
    return 'unchanged';
  end if;

  delete from app_private.stripe_prices p
   where p.plan_id = record_stripe_price.plan_id
     and p.kind = record_stripe_price.kind
     and p.billing_interval = record_stripe_price.billing_interval
     and p.lookup_key <> record_stripe_price.lookup_key;

  insert into app_private.stripe_prices as p (lookup_key, plan_id, kind, billing_interval, stripe_product_id, stripe_price_id)
  values (record_stripe_price.lookup_key, record_stripe_price.plan_id, record_stripe_price.kind,
          record_stripe_price.billing_interval, record_stripe_price.stripe_product_id, record_stripe_price.stripe_price_id)
  on conflict on constraint stripe_prices_pkey do update set
    plan_id = excluded.plan_id,
    kind = excluded.kind,
    billing_interval = excluded.billing_interval,
    stripe_product_id = excluded.stripe_product_id,
    stripe_price_id = excluded.stripe_price_id,
    updated_at = now();
  return case when v_previous.lookup_key is null then 'created' else 'updated' end;
end;
$$;
comment on function app_private.record_stripe_price(text, uuid, text, text, text, text) is
  'Stores the Stripe product and price of a plan''s lookup key; returns created, updated or unchanged.';

-- Records another Stripe object of the account (the SMS meter and its event
-- name), with the same "unchanged means untouched" rule.
create or replace function app_private.record_stripe_setting(key text, value text) returns text
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_previous text;
begin
  select s.value into v_previous from app_private.stripe_settings s where s.key = record_stripe_setting.key;
  if v_previous is not distinct from record_stripe_setting.value then
    return 'unchanged';
  end if;
  insert into app_private.stripe_settings as s (key, value)
  values (record_stripe_setting.key, record_stripe_setting.value)
  on conflict on constraint stripe_settings_pkey do update set value = excluded.value, updated_at = now();
  return case when v_previous is null then 'created' else 'updated' end;
end;
$$;
comment on function app_private.record_stripe_setting(text, text) is
  'Stores a Stripe setting (e.g. sms_meter_id); returns created, updated or unchanged.';
