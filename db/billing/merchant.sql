-- What a merchant reads of their billing: subscription, invoices, payment
-- figures and this month's SMS against the quota. SECURITY DEFINER because
-- the mirrors (with their Stripe ids) are in app_private; each function
-- returns the signed-in merchant's own data only.

create or replace function app_public.my_subscription() returns app_public.subscription_summary
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: a signed-in merchant; the row is their own (u.id = current_user_id()).
  select p.name, u.subscription_status, s.billing_interval, s.current_period_start, s.current_period_end,
         coalesce(s.cancel_at_period_end, false), coalesce(s.trial_end, u.trial_ends_at), p.sms_quota_monthly
    from app_public.users u
    join app_public.subscription_plans p on p.id = u.subscription_plan_id
    left join app_private.subscriptions s on s.user_id = u.id
   where u.id = app_public.current_user_id();
$$;
comment on function app_public.my_subscription() is
  'Your plan, account status, billing period, scheduled cancellation, trial end and monthly SMS quota.';
grant execute on function app_public.my_subscription() to waitify_merchant;

create or replace function app_public.my_invoices() returns setof app_public.invoice_summary
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: a signed-in merchant; only their invoices (i.user_id = current_user_id()).
  select i.number, i.status, i.currency, i.amount_due_cents, i.amount_paid_cents, i.period_start, i.period_end,
         i.due_date, i.paid_at, i.hosted_invoice_url, i.invoice_pdf_url, i.stripe_created
    from app_private.invoices i
   where i.user_id = app_public.current_user_id() and i.status <> 'draft'
   order by i.stripe_created desc;
$$;
comment on function app_public.my_invoices() is
  'Your invoices, newest first: number, period, amounts, status, and links to the hosted page and the PDF.';
grant execute on function app_public.my_invoices() to waitify_merchant;

create or replace function app_public.my_sms_quota() returns app_public.sms_quota_usage
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: a signed-in merchant; their own account (current_user_id()).
  with used as (
    select coalesce(sum(u.parts), 0)::integer as parts
      from app_private.sms_usage_of(app_public.current_user_id(), null) u
  )
  select date_trunc('month', now() at time zone 'UTC')::date, p.sms_quota_monthly, used.parts,
         greatest(used.parts - p.sms_quota_monthly, 0),
         greatest(used.parts - p.sms_quota_monthly, 0) * coalesce(app_private.config_value('sms_cost_cents')::integer, 3)
    from used, app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id
   where u.id = app_public.current_user_id();
$$;
comment on function app_public.my_sms_quota() is
  'This calendar month''s SMS parts (sent or delivered, one unit per part) against your plan''s quota, and the overage so far.';
grant execute on function app_public.my_sms_quota() to waitify_merchant;

create or replace function app_public.my_payment_stats() returns app_public.payment_stats
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: a signed-in merchant; their own account (current_user_id()).
  select (select coalesce(sum(i.amount_paid_cents), 0)::bigint from app_private.invoices i
           where i.user_id = u.id and i.status = 'paid'),
         (select count(*)::integer from app_private.payment_failures f where f.user_id = u.id),
         coalesce(s.current_period_end, u.trial_ends_at),
         case when s.user_id is null or s.stripe_status = 'canceled' or s.cancel_at_period_end then 0
              else case when s.billing_interval = 'year' then 0 else p.price_cents end
                   + (app_public.my_sms_quota()).overage_cost_cents end
    from app_public.users u
    join app_public.subscription_plans p on p.id = u.subscription_plan_id
    left join app_private.subscriptions s on s.user_id = u.id
   where u.id = app_public.current_user_id();
$$;
comment on function app_public.my_payment_stats() is
  'Total paid, failed payment attempts, the next invoice date and its estimated amount (plan + SMS overage so far).';
grant execute on function app_public.my_payment_stats() to waitify_merchant;
