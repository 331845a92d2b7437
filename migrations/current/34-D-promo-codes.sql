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
