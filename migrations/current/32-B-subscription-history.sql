-- SaaS metrics (issue 10 item 3): the history of every account's subscription.
-- app_private.subscriptions holds only the CURRENT Stripe subscription of an
-- account; MRR movements, churn and conversion need what it was before. Each
-- row is the account's state from changed_at until its next row; written by
-- the trigger of db/admin/metrics-history.sql (which also backfills accounts
-- without history: the backfill uses the one MRR rule, app_private.account_mrr_cents,
-- which db/ defines and a migration may not call). Append-only.
create table if not exists app_private.subscription_changes (
  id bigint generated always as identity primary key,
  user_id uuid not null references app_public.users (id),
  changed_at timestamptz not null default clock_timestamp(),
  plan_id uuid references app_public.subscription_plans (id),
  billing_interval text check (billing_interval in ('month', 'year')),
  stripe_status text not null check (stripe_status in (
    'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
  -- Normalised monthly recurring revenue of this state (app_private.account_mrr_cents
  -- when it was written; overage excluded), frozen: a later price change does not rewrite the past.
  mrr_cents integer not null check (mrr_cents >= 0)
);
-- The account's state at a date: its latest row before it. Covering, so the
-- metrics read the history in its order from the index alone (no sort, no heap).
create index if not exists subscription_changes_user_id_idx on app_private.subscription_changes (user_id, changed_at, id)
  include (plan_id, billing_interval, mrr_cents);
alter table app_private.subscription_changes enable row level security;

-- LTV = ARPU × gross margin ÷ monthly revenue churn: the margin is the operator's figure.
insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('saas_gross_margin_pct', '80', 'decimal', 'Gross margin (percent of revenue) used by the LTV of the back office''s SaaS metrics', false)
on conflict (key) do nothing;

-- What the back office's metric functions return (db/admin/metrics.sql).
drop type if exists app_public.saas_metrics cascade;
create type app_public.saas_metrics as (
  month date,
  mrr_cents bigint,
  arr_cents bigint,
  overage_cents bigint,
  paying_accounts integer,
  arpu_cents integer,
  start_mrr_cents bigint,
  new_mrr_cents bigint,
  reactivation_mrr_cents bigint,
  expansion_mrr_cents bigint,
  contraction_mrr_cents bigint,
  churned_mrr_cents bigint,
  net_new_mrr_cents bigint,
  start_paying_accounts integer,
  churned_accounts integer,
  logo_churn_pct double precision,
  revenue_churn_pct double precision,
  ltv_revenue_churn_pct double precision,
  gross_margin_pct double precision,
  ltv_cents bigint,
  ltv_note text
);
drop type if exists app_public.mrr_month cascade;
create type app_public.mrr_month as (
  month date,
  mrr_cents bigint,
  arr_cents bigint,
  paying_accounts integer,
  overage_cents bigint
);
drop type if exists app_public.mrr_movement cascade;
create type app_public.mrr_movement as (
  month date,
  start_mrr_cents bigint,
  new_mrr_cents bigint,
  reactivation_mrr_cents bigint,
  expansion_mrr_cents bigint,
  contraction_mrr_cents bigint,
  churned_mrr_cents bigint,
  net_new_mrr_cents bigint,
  end_mrr_cents bigint,
  start_paying_accounts integer,
  new_accounts integer,
  reactivated_accounts integer,
  churned_accounts integer,
  end_paying_accounts integer,
  logo_churn_pct double precision,
  revenue_churn_pct double precision
);
drop type if exists app_public.mrr_by_plan cascade;
create type app_public.mrr_by_plan as (
  plan_id uuid,
  plan_name text,
  paying_accounts integer,
  monthly_accounts integer,
  yearly_accounts integer,
  mrr_cents bigint,
  share_pct double precision
);
drop type if exists app_public.trial_cohort cascade;
create type app_public.trial_cohort as (
  cohort_month date,
  accounts integer,
  converted integer,
  conversion_pct double precision,
  converted_within_trial integer,
  median_days_to_paid double precision,
  average_days_to_paid double precision
);
