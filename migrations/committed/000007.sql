--! Previous: sha1:d8f1f52f231eb46e305b0d5c3d80d8d79b8dc1a6
--! Hash: sha1:e2650227c652d8d641bf1472f816b3de0e92699d

--! split: 1-current.sql
-- Billing (issue 12): Stripe mirrors, the webhook event log, dunning, account
-- events and monthly statements. Stripe ids live in app_private (DESIGN.md
-- §3); merchants read their billing through functions of db/billing/.

-- The Stripe objects each plan maps to, written by `npm run stripe:sync`
-- (found or created by lookup_key) or from the environment.
create table if not exists app_private.stripe_prices (
  lookup_key text primary key check (lookup_key ~ '^waitify_[a-z0-9_]{1,90}$'),
  plan_id uuid not null references app_public.subscription_plans (id),
  kind text not null check (kind in ('licensed', 'overage')),
  billing_interval text not null check (billing_interval in ('month', 'year')),
  stripe_product_id text not null check (stripe_product_id ~ '^prod_'),
  stripe_price_id text not null unique check (stripe_price_id ~ '^price_'),
  updated_at timestamptz not null default now(),
  unique (plan_id, kind, billing_interval)
);
alter table app_private.stripe_prices enable row level security;

-- Other Stripe objects of the account (the SMS billing meter).
create table if not exists app_private.stripe_settings (
  key text primary key check (key ~ '^[a-z][a-z0-9_]{1,62}$'),
  value text not null,
  updated_at timestamptz not null default now()
);
alter table app_private.stripe_settings enable row level security;

-- A merchant's Stripe customer, created on first checkout.
create table if not exists app_private.stripe_customers (
  user_id uuid primary key references app_public.users (id),
  stripe_customer_id text not null unique check (stripe_customer_id ~ '^cus_'),
  created_at timestamptz not null default now()
);
alter table app_private.stripe_customers enable row level security;

-- The merchant's subscription as Stripe last showed it (re-fetched on every event).
create table if not exists app_private.subscriptions (
  user_id uuid primary key references app_public.users (id),
  stripe_subscription_id text not null unique check (stripe_subscription_id ~ '^sub_'),
  stripe_status text not null check (stripe_status in (
    'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
  plan_id uuid references app_public.subscription_plans (id),
  billing_interval text check (billing_interval in ('month', 'year')),
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  trial_end timestamptz,
  canceled_at timestamptz,
  -- Stripe's `created`: a newer subscription of the same customer replaces an older one.
  stripe_created timestamptz not null,
  updated_at timestamptz not null default now()
);
alter table app_private.subscriptions enable row level security;

-- Invoices as Stripe last showed them.
create table if not exists app_private.invoices (
  stripe_invoice_id text primary key check (stripe_invoice_id ~ '^in_'),
  user_id uuid not null references app_public.users (id),
  number text,
  status text not null check (status in ('draft', 'open', 'paid', 'uncollectible', 'void')),
  currency text not null default 'eur' check (currency ~ '^[a-z]{3}$'),
  amount_due_cents integer not null check (amount_due_cents >= 0),
  amount_paid_cents integer not null default 0 check (amount_paid_cents >= 0),
  attempt_count integer not null default 0 check (attempt_count >= 0),
  period_start timestamptz,
  period_end timestamptz,
  due_date timestamptz,
  paid_at timestamptz,
  hosted_invoice_url text,
  invoice_pdf_url text,
  stripe_created timestamptz not null,
  updated_at timestamptz not null default now()
);
create index if not exists invoices_user_id_idx on app_private.invoices (user_id, stripe_created desc);
create index if not exists invoices_unpaid_idx on app_private.invoices (user_id) where status = 'open';
alter table app_private.invoices enable row level security;

-- Every Stripe event delivered to /webhooks/stripe, once (the id is Stripe's).
create table if not exists app_private.stripe_events (
  id text primary key check (id ~ '^evt_'),
  type text not null check (length(type) <= 100),
  stripe_created timestamptz not null,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  outcome text check (outcome in ('applied', 'ignored'))
);
create index if not exists stripe_events_unprocessed_idx on app_private.stripe_events (received_at) where processed_at is null;
alter table app_private.stripe_events enable row level security;

-- Dunning: one row per failed attempt of an invoice, so a redelivered
-- failure never counts twice nor sends a second reminder.
create table if not exists app_private.payment_failures (
  stripe_invoice_id text not null references app_private.invoices (stripe_invoice_id),
  attempt integer not null check (attempt > 0),
  user_id uuid not null references app_public.users (id),
  failed_at timestamptz not null default now(),
  primary key (stripe_invoice_id, attempt)
);
create index if not exists payment_failures_user_id_idx on app_private.payment_failures (user_id);
alter table app_private.payment_failures enable row level security;

-- Reminders sent (trial ending, invoice due, unpaid J+1 / J+7, suspension at
-- J+30): each exactly once per account, kind and reference.
create table if not exists app_private.billing_reminders (
  user_id uuid not null references app_public.users (id),
  kind text not null check (kind in ('trial_ending', 'invoice_due', 'unpaid_1d', 'unpaid_7d', 'suspended_30d', 'payment_failed')),
  reference text not null check (length(reference) between 1 and 200),
  sent_at timestamptz not null default now(),
  primary key (user_id, kind, reference)
);
alter table app_private.billing_reminders enable row level security;

-- The merchant's notification feed: every change of the account's billing state.
create table if not exists app_public.account_events (
  id bigint generated always as identity primary key,
  user_id uuid not null references app_public.users (id),
  event_type text not null check (event_type in (
    'status_changed', 'subscription_activated', 'subscription_cancel_scheduled', 'subscription_resumed',
    'subscription_cancelled', 'plan_changed', 'payment_succeeded', 'payment_failed', 'reminder_sent')),
  actor text not null check (actor in ('stripe', 'system', 'merchant', 'admin')),
  detail jsonb not null default '{}' check (jsonb_typeof(detail) = 'object'),
  created_at timestamptz not null default now()
);
create index if not exists account_events_user_id_idx on app_public.account_events (user_id, id desc);
alter table app_public.account_events enable row level security;

-- Monthly statements (the source's `billings`, with its defects fixed: every
-- successful SMS status counts, a business that sent nothing counts zero).
create table if not exists app_public.billing_statements (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (id),
  -- The calendar month (UTC) billed: its first day.
  period_start date not null check (extract(day from period_start) = 1),
  plan_id uuid not null references app_public.subscription_plans (id),
  plan_price_cents integer not null check (plan_price_cents >= 0),
  active_businesses integer not null check (active_businesses >= 0),
  sms_included integer not null check (sms_included >= 0),
  sms_used integer not null check (sms_used >= 0),
  sms_overage integer not null check (sms_overage >= 0),
  overage_cost_cents integer not null check (overage_cost_cents >= 0),
  usage_by_business jsonb not null default '[]' check (jsonb_typeof(usage_by_business) = 'array'),
  total_cents integer not null check (total_cents >= 0),
  status text not null default 'pending' check (status in ('pending', 'invoiced', 'paid', 'failed', 'void')),
  due_date date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, period_start),
  check (sms_overage = greatest(sms_used - sms_included, 0))
);
alter table app_public.billing_statements enable row level security;
-- The Stripe invoice of a statement (private: a Stripe id).
create table if not exists app_private.statement_invoices (
  statement_id uuid primary key references app_public.billing_statements (id),
  stripe_invoice_id text not null check (stripe_invoice_id ~ '^in_')
);
alter table app_private.statement_invoices enable row level security;

-- SMS parts reported to the Stripe billing meter, per account and hour: the
-- identifier makes a retried report count once at Stripe.
create table if not exists app_private.sms_usage_reports (
  user_id uuid not null references app_public.users (id),
  hour timestamptz not null check (date_trunc('hour', hour) = hour),
  parts integer not null check (parts >= 0),
  identifier text not null unique,
  reported_at timestamptz,
  primary key (user_id, hour)
);
alter table app_private.sms_usage_reports enable row level security;

insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('yearly_price_months', '10', 'integer', 'A yearly subscription costs this many months', true),
  ('dunning_suspend_after_days', '30', 'integer', 'Days after an unpaid due date before suspension', false)
on conflict (key) do nothing;

-- What a merchant reads of their billing (db/billing/merchant.sql).
drop type if exists app_public.subscription_summary cascade;
create type app_public.subscription_summary as (
  plan_name text,
  status app_public.subscription_status,
  billing_interval text,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean,
  trial_ends_at timestamptz,
  sms_quota integer
);
drop type if exists app_public.invoice_summary cascade;
create type app_public.invoice_summary as (
  number text,
  status text,
  currency text,
  amount_due_cents integer,
  amount_paid_cents integer,
  period_start timestamptz,
  period_end timestamptz,
  due_date timestamptz,
  paid_at timestamptz,
  hosted_invoice_url text,
  invoice_pdf_url text,
  created_at timestamptz
);
drop type if exists app_public.payment_stats cascade;
create type app_public.payment_stats as (
  total_paid_cents bigint,
  failed_payments integer,
  next_invoice_at timestamptz,
  estimated_next_amount_cents integer
);
drop type if exists app_public.sms_quota_usage cascade;
create type app_public.sms_quota_usage as (
  period_start date,
  sms_quota integer,
  parts_used integer,
  parts_over_quota integer,
  overage_cost_cents integer
);
