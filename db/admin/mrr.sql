-- MRR, the one definition every back-office figure builds on.
--
-- Monthly recurring revenue of a subscription: the plan's licensed price
-- normalised to a month — a monthly plan its price, a yearly plan its yearly
-- price (price × system_configs.yearly_price_months, 10 by default) ÷ 12,
-- rounded to the cent — counted only while Stripe says the subscription is
-- active or past_due (past_due is still owed and usually recovered; trialing,
-- incomplete, unpaid, paused and canceled count 0). SMS overage is usage,
-- not recurring: it is never in MRR (the metrics report it beside it).
-- Promotion discounts are not deducted: MRR is list-price MRR.

create or replace function app_private.mrr_cents(plan_price_cents integer, billing_interval text, stripe_status text) returns integer
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case
    when mrr_cents.stripe_status not in ('active', 'past_due') or mrr_cents.plan_price_cents is null then 0
    when mrr_cents.billing_interval = 'year' then
      round(mrr_cents.plan_price_cents * coalesce(app_private.config_value('yearly_price_months')::integer, 10) / 12.0)::integer
    else mrr_cents.plan_price_cents
  end;
$$;
comment on function app_private.mrr_cents(integer, text, text) is
  'A subscription''s normalised monthly recurring revenue in cents (see db/admin/mrr.sql).';

-- The account's MRR now, from its mirrored Stripe subscription; 0 without one.
create or replace function app_private.account_mrr_cents(user_id uuid) returns integer
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce((
    select app_private.mrr_cents(p.price_cents, s.billing_interval, s.stripe_status)
      from app_private.subscriptions s
      join app_public.subscription_plans p on p.id = s.plan_id
     where s.user_id = account_mrr_cents.user_id
  ), 0);
$$;
comment on function app_private.account_mrr_cents(uuid) is
  'The account''s normalised monthly recurring revenue now, in cents (0 without a paying subscription).';
