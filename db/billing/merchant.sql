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

-- The descriptions of the types these functions return (GraphQL: SubscriptionSummary,
-- InvoiceSummary, PaymentStat, SmsQuotaUsage). The types are history (migration 000007);
-- their comments are definitions and live here.
comment on type app_public.subscription_summary is
  'Your plan and subscription, as mySubscription and the billing mutations (cancelSubscription, resumeSubscription, changePlan) return them.';
comment on column app_public.subscription_summary.plan_name is 'The plan: basic, pro or enterprise.';
comment on column app_public.subscription_summary.status is 'The account''s billing state: trial, active, past_due, read_only, suspended or cancelled.';
comment on column app_public.subscription_summary.billing_interval is 'month or year; null before the first subscription.';
comment on column app_public.subscription_summary.current_period_start is 'Start of the plan''s current billing period (periods start on the 1st of a month, UTC, after the first one).';
comment on column app_public.subscription_summary.current_period_end is 'End of the plan''s current billing period: the next renewal, or the end of the subscription when a cancellation is scheduled.';
comment on column app_public.subscription_summary.cancel_at_period_end is 'True when a cancellation is scheduled: the subscription ends at currentPeriodEnd (resumeSubscription undoes it).';
comment on column app_public.subscription_summary.trial_ends_at is 'End of the free trial (the trial of Stripe''s subscription, else the sign-up trial).';
comment on column app_public.subscription_summary.sms_quota is 'SMS parts included each calendar month.';

comment on type app_public.invoice_summary is 'One of your Stripe invoices.';
comment on column app_public.invoice_summary.number is 'The invoice number printed on it.';
comment on column app_public.invoice_summary.status is 'open (to be paid), paid, uncollectible or void.';
comment on column app_public.invoice_summary.currency is 'ISO currency code (eur).';
comment on column app_public.invoice_summary.amount_due_cents is 'Amount of the invoice, in cents.';
comment on column app_public.invoice_summary.amount_paid_cents is 'Amount paid so far, in cents.';
comment on column app_public.invoice_summary.period_start is 'Start of the period the invoice covers.';
comment on column app_public.invoice_summary.period_end is 'End of the period the invoice covers.';
comment on column app_public.invoice_summary.due_date is 'When payment is due (or the next automatic attempt).';
comment on column app_public.invoice_summary.paid_at is 'When it was paid; null while unpaid.';
comment on column app_public.invoice_summary.hosted_invoice_url is 'Stripe''s page where the invoice can be read and paid.';
comment on column app_public.invoice_summary.invoice_pdf_url is 'The invoice as a PDF.';
comment on column app_public.invoice_summary.created_at is 'When Stripe created the invoice.';

comment on type app_public.payment_stats is 'Your payments at a glance.';
comment on column app_public.payment_stats.total_paid_cents is 'Everything paid so far, in cents.';
comment on column app_public.payment_stats.failed_payments is 'Failed payment attempts, all invoices together.';
comment on column app_public.payment_stats.next_invoice_at is 'When the next invoice comes (end of the current period, or of the trial).';
comment on column app_public.payment_stats.estimated_next_amount_cents is 'Estimate of the next invoice: a monthly plan''s price (none for a yearly plan) plus this month''s SMS overage so far; 0 when a cancellation is scheduled.';

comment on type app_public.sms_quota_usage is 'This calendar month''s SMS against your plan''s quota.';
comment on column app_public.sms_quota_usage.period_start is 'The first day of the calendar month (UTC).';
comment on column app_public.sms_quota_usage.sms_quota is 'SMS parts included each month by your plan.';
comment on column app_public.sms_quota_usage.parts_used is 'SMS parts sent or delivered this month (a long message counts several parts).';
comment on column app_public.sms_quota_usage.parts_over_quota is 'Parts beyond the quota, billed as overage.';
comment on column app_public.sms_quota_usage.overage_cost_cents is 'What the overage costs so far, in cents.';
