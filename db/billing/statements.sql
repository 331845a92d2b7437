-- Monthly statements: what an account owes for a calendar month (UTC), from
-- our own ledger, the source of truth that Stripe's invoice must match:
--
--   plan price (monthly plans every month, prorated by the second in the
--   month the subscription began; a yearly plan in the month its year
--   starts, at yearly_price_months × the monthly price)
-- + SMS parts beyond the plan's monthly quota × sms_cost_cents
--   (parts sent or delivered, app_private.sms_usage_of)
--
-- Written by the monthly_statements job on the 1st (tasks/monthly_statements.ts)
-- for the month just ended; idempotent: recomputing a month rewrites the
-- figures of a statement still pending and leaves an invoiced one alone. Its
-- number (WTF-2026-000123, printed on the PDF) is drawn once, when the row is
-- created (the sequence and the numbering of older rows: migration 000013),
-- and never changes.

create or replace function app_private.compute_statement(user_id uuid, month date)
  returns app_public.billing_statements
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_start date := date_trunc('month', month)::date;
  v_month_start timestamptz := date_trunc('month', month)::timestamp at time zone 'UTC';
  v_month_end timestamptz := (date_trunc('month', month) + interval '1 month')::timestamp at time zone 'UTC';
  v_from timestamptz;
  v_plan app_public.subscription_plans;
  v_subscription app_private.subscriptions;
  v_plan_price integer;
  v_usage jsonb;
  v_used integer;
  v_unit_cost integer := coalesce(app_private.config_value('sms_cost_cents')::integer, 3);
  v_statement app_public.billing_statements;
begin
  select p.* into v_plan from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id
   where u.id = compute_statement.user_id;
  select s.* into v_subscription from app_private.subscriptions s where s.user_id = compute_statement.user_id;
  -- The month subscribed: from the subscription's start when it began within
  -- the month (periods are anchored on the 1st, so Stripe bills that first,
  -- shorter period prorated by the second, and meters its SMS from then on;
  -- the quota, a tier of the price, stays whole), else the whole month.
  v_from := greatest(v_month_start, coalesce(v_subscription.stripe_created, v_month_start));
  v_plan_price := case
    when v_subscription.billing_interval = 'year' then
      case when date_trunc('month', v_subscription.current_period_start at time zone 'UTC')::date = v_start
        then v_plan.price_cents * coalesce(app_private.config_value('yearly_price_months')::integer, 10) else 0 end
    else round(v_plan.price_cents * extract(epoch from (v_month_end - v_from))
                                  / extract(epoch from (v_month_end - v_month_start)))::integer
  end;
  select coalesce(jsonb_agg(jsonb_build_object('businessId', u.business_id, 'name', u.business_name, 'parts', u.parts)
                    order by u.business_name), '[]'),
         coalesce(sum(u.parts), 0)::integer
    into v_usage, v_used
    from app_private.sms_usage_between(compute_statement.user_id, v_from, v_month_end) u;
  -- An existing statement is rewritten while pending (never renumbered);
  -- only a new one is inserted, so a recomputed month does not draw a
  -- statement number (the column's default) it would throw away.
  update app_public.billing_statements s set
    plan_id = v_plan.id,
    plan_price_cents = v_plan_price,
    active_businesses = (select count(*) from app_public.businesses b where b.user_id = compute_statement.user_id and b.is_active),
    sms_included = v_plan.sms_quota_monthly,
    sms_used = v_used,
    sms_overage = greatest(v_used - v_plan.sms_quota_monthly, 0),
    overage_cost_cents = greatest(v_used - v_plan.sms_quota_monthly, 0) * v_unit_cost,
    usage_by_business = v_usage,
    total_cents = v_plan_price + greatest(v_used - v_plan.sms_quota_monthly, 0) * v_unit_cost,
    due_date = (v_start + interval '1 month')::date
   where s.user_id = compute_statement.user_id and s.period_start = v_start and s.status = 'pending'
  returning s.* into v_statement;
  if v_statement.id is null and not exists (
    select 1 from app_public.billing_statements s where s.user_id = compute_statement.user_id and s.period_start = v_start
  ) then
    insert into app_public.billing_statements as s (user_id, period_start, plan_id, plan_price_cents, active_businesses,
        sms_included, sms_used, sms_overage, overage_cost_cents, usage_by_business, total_cents, due_date)
    values (compute_statement.user_id, v_start, v_plan.id, v_plan_price,
        (select count(*) from app_public.businesses b where b.user_id = compute_statement.user_id and b.is_active),
        v_plan.sms_quota_monthly, v_used, greatest(v_used - v_plan.sms_quota_monthly, 0),
        greatest(v_used - v_plan.sms_quota_monthly, 0) * v_unit_cost, v_usage,
        v_plan_price + greatest(v_used - v_plan.sms_quota_monthly, 0) * v_unit_cost,
        (v_start + interval '1 month')::date)
    -- Another run created it meanwhile: theirs stands (the next run rewrites it).
    on conflict on constraint billing_statements_user_id_period_start_key do nothing
    returning s.* into v_statement;
    -- The Stripe invoice of the month may already be mirrored (db/billing/documents.sql).
    perform app_private.link_statement_invoices(compute_statement.user_id);
    perform app_private.sync_statement_statuses(compute_statement.user_id);
  end if;
  -- Read back: another run may have written it, and linking may have moved its status.
  select s.* into v_statement from app_public.billing_statements s
   where s.user_id = compute_statement.user_id and s.period_start = v_start;
  return v_statement;
end;
$$;
comment on function app_private.compute_statement(uuid, date) is
  'Writes (or rewrites, while pending) the statement of an account for the month containing `month`.';

-- Every account that was subscribed during the month.
create or replace function app_private.compute_statements(month date) returns integer
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  select count(app_private.compute_statement(s.user_id, month))::integer
    from app_private.subscriptions s
   where s.stripe_created < (date_trunc('month', month) + interval '1 month')
     and (s.canceled_at is null or s.canceled_at >= date_trunc('month', month));
$$;
comment on function app_private.compute_statements(date) is
  'Statements of every account subscribed during the month containing `month`; returns how many.';
