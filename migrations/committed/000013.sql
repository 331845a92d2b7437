--! Previous: sha1:3c4362803af90bfb28f2d9047a56aadbd4ae1a0f
--! Hash: sha1:6289c93e7413b1fb599db622e626c41f06cdb321

--! split: 1-current.sql
-- Enter migration here

--! split: 2-admins.sql
-- Back office: the administrators (not merchant accounts: they have no plan,
-- no businesses, and must never count as tenants in the SaaS metrics) and the
-- append-only log of every admin write. Idempotent: graphile-migrate re-runs
-- current/ on every change.
create table if not exists app_private.admins (
  id uuid primary key default gen_random_uuid(),
  email citext not null,
  password_hash text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  disabled_at timestamptz,
  constraint admins_email_key unique (email),
  constraint admins_email_check check (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$' and length(email::text) <= 255)
);
alter table app_private.admins enable row level security;

create table if not exists app_public.admin_audit_log (
  id bigint generated always as identity primary key,
  admin_id uuid not null references app_private.admins (id),
  admin_email citext not null,
  action text not null,
  target_type text not null,
  target_id text,
  reason text,
  before jsonb,
  after jsonb,
  created_at timestamptz not null default now(),
  constraint admin_audit_log_action_check check (action ~ '^[a-z][a-z0-9_]{1,62}$'),
  constraint admin_audit_log_target_type_check check (target_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  constraint admin_audit_log_target_id_check check (length(target_id) between 1 and 200),
  constraint admin_audit_log_reason_check check (length(reason) <= 500)
);
create index if not exists admin_audit_log_target_idx on app_public.admin_audit_log (target_type, target_id, id desc);
create index if not exists admin_audit_log_admin_id_idx on app_public.admin_audit_log (admin_id, id desc);
alter table app_public.admin_audit_log enable row level security;

-- The session token names the admin (admin_id) beside the merchant (user_id).
do $$
begin
  if not exists (
    select 1 from pg_attribute a join pg_type t on t.typrelid = a.attrelid
     where t.oid = 'app_public.jwt_token'::regtype and a.attname = 'admin_id' and not a.attisdropped
  ) then
    alter type app_public.jwt_token add attribute admin_id uuid;
  end if;
end
$$;

--! split: 31-tenants.sql
-- Back office, tenants (issue 10 item 2): the admin's suspension hold and the
-- indexes of the account list and its search.

-- A suspension decided by an admin: while this row exists the account's status
-- is suspended whatever Stripe says (app_private.refresh_account_status reads
-- it), so a webhook or the daily billing pass cannot lift it; reactivation
-- deletes it and recomputes the status. The admin, the reason and the before /
-- after are in app_public.admin_audit_log.
create table if not exists app_private.admin_suspensions (
  user_id uuid primary key references app_public.users (id) on delete cascade,
  reason text not null check (length(btrim(reason)) between 3 and 500),
  created_at timestamptz not null default now()
);
alter table app_private.admin_suspensions enable row level security;

-- The search: a case-insensitive substring of email or name (LIKE '%…%' with
-- the wildcards escaped) is what a trigram index serves. Lowercased with the
-- ICU root collation, not the database's: under the C locale (the embedded
-- server's) lower() leaves É as it is. pg_trgm is a trusted extension: the
-- database's owner may create it.
create extension if not exists pg_trgm with schema public;
create index if not exists users_search_idx on app_public.users using gin (
  (lower((email::text || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '')) collate "und-x-icu"))
  public.gin_trgm_ops);

--! split: 32-B-subscription-history.sql
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

--! split: 33-C-overdue.sql
-- Back office, overdue accounts (issue 10 item 4): the row the admin's list
-- reads (db/admin/overdue.sql computes it), and a manual reminder kind.
-- Idempotent: graphile-migrate re-runs current/ on every change.

-- A reminder an admin sends by hand ("send a reminder now") is recorded
-- beside the scheduled ones, under its own kind: its reference (the UTC day)
-- never takes one of the ladder's (account, kind, reference) keys, so the
-- J+1 / J+7 / J+30 reminders still go out on schedule.
do $$
begin
  if not exists (
    select 1 from pg_constraint c
     where c.conrelid = 'app_private.billing_reminders'::regclass and c.conname = 'billing_reminders_kind_check'
       and pg_get_constraintdef(c.oid) like '%manual%'
  ) then
    alter table app_private.billing_reminders drop constraint if exists billing_reminders_kind_check;
    alter table app_private.billing_reminders add constraint billing_reminders_kind_check check (kind in (
      'trial_ending', 'invoice_due', 'unpaid_1d', 'unpaid_7d', 'suspended_30d', 'payment_failed', 'manual'));
  end if;
end
$$;
-- "When was this account last reminded": the newest row of one account.
create index if not exists billing_reminders_user_id_sent_at_idx on app_private.billing_reminders (user_id, sent_at desc);

-- What accounts owe (db/admin/overdue.sql, app_private.overdue_invoices):
-- a few rows beside the paid history, read for all accounts or for one.
create index if not exists invoices_owed_idx on app_private.invoices (user_id)
  where status in ('open', 'uncollectible') and amount_due_cents > amount_paid_cents;

-- One overdue account as the back office lists it: what is owed, the
-- account's record, and the risk score with each rule's points beside it.
drop type if exists app_public.overdue_account cascade;
create type app_public.overdue_account as (
  user_id uuid,
  email text,
  plan_name text,
  subscription_status app_public.subscription_status,
  unpaid_invoices integer,
  amount_due_cents bigint,
  currency text,
  oldest_due_date timestamptz,
  days_overdue integer,
  failed_attempts integer,
  paid_invoices integer,
  paid_amount_cents bigint,
  failed_payments_ever integer,
  usual_invoice_cents integer,
  tenure_months integer,
  last_reminder_at timestamptz,
  last_reminder_kind text,
  days_points integer,
  amount_points integer,
  attempt_points integer,
  history_points integer,
  past_failure_points integer,
  tenure_points integer,
  status_points integer,
  risk_score integer
);

--! split: 34-D-promo-codes.sql
-- Promo codes (issue 10 item 5): created by an admin, mirrored to a Stripe
-- coupon (restricted to the plan products) and promotion code, applied by a
-- merchant at checkout; each account's use is counted once.
-- Rules, policies and grants: db/admin/promo-codes.sql, db/billing/promotions.sql.

create table if not exists app_public.promo_codes (
  id uuid primary key default gen_random_uuid(),
  -- Stored in capitals: Stripe's codes are case-insensitive, so are ours.
  code text not null unique check (code ~ '^[A-Z0-9-]{3,40}$'),
  kind text not null check (kind in ('percentage', 'fixed_amount', 'free_months')),
  -- percentage: 1..100 (%); fixed_amount: cents (> 0); free_months: 1..24 months.
  value integer not null,
  -- fixed_amount only (the catalog's currency).
  currency text check (currency ~ '^[a-z]{3}$'),
  duration text not null check (duration in ('once', 'repeating', 'forever')),
  duration_months integer,
  max_uses integer check (max_uses > 0),
  valid_from timestamptz not null default now(),
  valid_until timestamptz,
  active boolean not null default true,
  disabled_at timestamptz,
  times_used integer not null default 0,
  stripe_coupon_id text not null unique,
  stripe_promotion_code_id text not null unique check (stripe_promotion_code_id ~ '^promo_'),
  created_by uuid references app_private.admins (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint promo_codes_value check (case kind
    when 'percentage' then value between 1 and 100
    when 'fixed_amount' then value > 0
    else value between 1 and 24 end),
  constraint promo_codes_currency check ((kind = 'fixed_amount') = (currency is not null)),
  -- free months: N months at 100 %, i.e. a repeating coupon of N months.
  constraint promo_codes_free_months check (kind <> 'free_months' or (duration = 'repeating' and duration_months = value)),
  constraint promo_codes_duration_months check ((duration = 'repeating') = (duration_months is not null)
                                                and (duration_months is null or duration_months between 1 and 24)),
  constraint promo_codes_validity check (valid_until is null or valid_until > valid_from),
  constraint promo_codes_times_used check (times_used >= 0 and (max_uses is null or times_used <= max_uses)),
  constraint promo_codes_disabled check (active = (disabled_at is null))
);
alter table app_public.promo_codes enable row level security;
create index if not exists promo_codes_created_by_idx on app_public.promo_codes (created_by);

-- One row per account that started a subscription with a code: the count is
-- idempotent whatever the number of webhooks that show the discount.
create table if not exists app_private.promo_code_redemptions (
  promo_code_id uuid not null references app_public.promo_codes (id) on delete cascade,
  user_id uuid not null references app_public.users (id) on delete cascade,
  stripe_subscription_id text not null,
  -- False when the row would have taken times_used past max_uses (never, while Stripe's
  -- max_redemptions holds; kept so that the over-use is visible rather than lost).
  counted boolean not null,
  created_at timestamptz not null default now(),
  primary key (promo_code_id, user_id)
);
alter table app_private.promo_code_redemptions enable row level security;
create index if not exists promo_code_redemptions_user_id_idx on app_private.promo_code_redemptions (user_id);

--! split: 35-E-statement-numbers.sql
-- Invoice documents (issue 10 item 6): every monthly statement gets a number
-- printed on its PDF, unique and stable: "WTF-<year of issue>-<000123>", the
-- counter from one sequence (increasing across years, never reused). It is
-- assigned when the statement row is created (the column default) and never
-- changes: compute_statement rewrites a pending statement's figures, not its
-- number. A sequence is not transactional, so a creation rolled back (or a
-- raced one) leaves a gap; numbers are never reused.
create sequence if not exists app_private.billing_statement_number_seq as bigint;

alter table app_public.billing_statements add column if not exists number text;

-- Existing statements, in the order they were created, numbered with the year
-- they were created in.
do $$
declare
  v_row record;
begin
  for v_row in
    select s.id, s.created_at from app_public.billing_statements s where s.number is null order by s.created_at, s.id
  loop
    update app_public.billing_statements
       set number = 'WTF-' || to_char(v_row.created_at at time zone 'UTC', 'YYYY') || '-'
                    || lpad(nextval('app_private.billing_statement_number_seq')::text, 6, '0')
     where id = v_row.id;
  end loop;
end $$;

alter table app_public.billing_statements
  alter column number set default 'WTF-' || to_char(now() at time zone 'UTC', 'YYYY') || '-'
    || lpad(nextval('app_private.billing_statement_number_seq')::text, 6, '0'),
  alter column number set not null;

do $$ begin
  alter table app_public.billing_statements add constraint billing_statements_number_key unique (number);
exception when duplicate_table or duplicate_object then null;
end $$;
do $$ begin
  alter table app_public.billing_statements add constraint billing_statements_number_check
    check (number ~ '^WTF-[0-9]{4}-[0-9]{6,}$');
exception when duplicate_object then null;
end $$;

-- What the PDF prints about the seller, and the VAT rate (settings an admin
-- changes, not code). Placeholders until the operator sets the real ones.
insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('invoice_seller_name', 'Waitify SAS', 'string', 'Seller''s legal name printed on invoices', false),
  ('invoice_seller_address', E'1 rue de l''Exemple\n75001 Paris\nFrance', 'string', 'Seller''s postal address printed on invoices (lines separated by newlines)', false),
  ('invoice_seller_vat_number', 'FR00000000000', 'string', 'Seller''s intra-EU VAT number printed on invoices', false),
  ('invoice_seller_legal_mentions', E'SAS au capital de 1 000 € – RCS Paris 000 000 000 – SIRET 000 000 000 00000.\nPaiement à réception. Pas d''escompte pour paiement anticipé. En cas de retard : pénalités au taux d''intérêt légal × 3 et indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 du Code de commerce).', 'string', 'Legal mentions printed at the foot of invoices', false),
  ('vat_rate_percent', '20', 'decimal', 'VAT rate (percent) applied to statements on invoices', false)
on conflict (key) do nothing;
