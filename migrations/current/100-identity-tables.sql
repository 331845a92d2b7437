-- Identity and tenancy: plans, configuration, merchant accounts, businesses
-- and their queues. Functions, policies and grants: 110-identity-*.sql.
-- Every tenant-scoped table carries its tenant key (user_id) so that RLS and
-- a future distribution by tenant (Citus) need no join.

-- The 35 kinds of business of the source documents.
do $$ begin
  create type app_public.business_type as enum (
    'bakery', 'hairdresser', 'pharmacy', 'garage', 'restaurant',
    'medical_office', 'dentist', 'veterinary', 'optician', 'bank',
    'insurance', 'notary', 'lawyer', 'accountant', 'real_estate',
    'prefecture', 'city_hall', 'family_allowance', 'employment_agency', 'public_service',
    'post_office', 'dry_cleaning', 'cobbler', 'watchmaker', 'phone_repair',
    'beauty_salon', 'massage', 'tattoo', 'nail_salon', 'barber',
    'vehicle_inspection', 'gas_station', 'auto_body', 'tire_service',
    'other'
  );
exception when duplicate_object then null;
end $$;

do $$ begin
  create type app_public.subscription_status as enum ('trial', 'active', 'past_due', 'read_only', 'suspended', 'cancelled');
exception when duplicate_object then null;
end $$;

create table if not exists app_public.subscription_plans (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (name ~ '^[a-z][a-z0-9_]{1,49}$'),
  price_cents integer not null check (price_cents >= 0),
  -- -1 means unlimited.
  max_businesses integer not null check (max_businesses = -1 or max_businesses > 0),
  sms_quota_monthly integer not null default 1000 check (sms_quota_monthly > 0),
  features jsonb not null default '{}' check (jsonb_typeof(features) = 'object'),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

insert into app_public.subscription_plans (name, price_cents, max_businesses, sms_quota_monthly, features) values
  ('basic', 1900, 1, 1000, '{"analytics": "basic", "support": "email", "api_access": false}'),
  ('pro', 4900, 5, 2500, '{"analytics": "advanced", "support": "priority", "api_access": true, "custom_branding": true}'),
  ('enterprise', 9900, -1, 5000, '{"analytics": "advanced", "support": "phone", "api_access": true, "custom_branding": true, "dedicated_manager": true}')
on conflict (name) do update set
  price_cents = excluded.price_cents,
  max_businesses = excluded.max_businesses,
  sms_quota_monthly = excluded.sms_quota_monthly,
  features = excluded.features;

create table if not exists app_public.system_configs (
  id uuid primary key default gen_random_uuid(),
  key text not null unique check (key ~ '^[a-z][a-z0-9_]{1,99}$'),
  value text not null,
  data_type text not null default 'string' check (data_type in ('string', 'integer', 'decimal', 'boolean', 'json')),
  description text,
  is_public boolean not null default false,
  updated_at timestamptz not null default now()
);

insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('sms_cost_cents', '3', 'integer', 'Coût unitaire SMS en centimes', false),
  ('trial_duration_days', '14', 'integer', 'Durée essai gratuit', true),
  ('max_queue_size_default', '50', 'integer', 'Taille max file par défaut', true),
  ('client_timeout_default', '5', 'integer', 'Timeout client par défaut (minutes)', true),
  ('default_service_times', '{"bakery": 120, "hairdresser": 2700, "pharmacy": 180, "garage": 1800, "restaurant": 5400, "medical_office": 900, "dentist": 1800, "veterinary": 1200, "optician": 1500, "bank": 600, "insurance": 1200, "notary": 2400, "lawyer": 3600, "accountant": 1800, "real_estate": 1800, "prefecture": 900, "city_hall": 600, "family_allowance": 1200, "employment_agency": 1800, "public_service": 900, "post_office": 300, "dry_cleaning": 180, "cobbler": 600, "watchmaker": 900, "phone_repair": 1200, "beauty_salon": 3600, "massage": 3600, "tattoo": 7200, "nail_salon": 2400, "barber": 1800, "vehicle_inspection": 1800, "gas_station": 300, "auto_body": 3600, "tire_service": 1200, "other": 900}', 'json', 'Temps service par défaut par type (secondes)', true)
on conflict (key) do nothing;

-- Merchant accounts. Secrets (password hash, Google id) are in app_private.
create table if not exists app_public.users (
  id uuid primary key default gen_random_uuid(),
  email citext not null unique check (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$' and length(email) <= 255),
  first_name text check (length(first_name) <= 100),
  last_name text check (length(last_name) <= 100),
  phone_number text check (phone_number ~ '^\+[1-9][0-9]{7,14}$'),
  profile_picture text check (length(profile_picture) <= 1000),
  is_active boolean not null default true,
  auth_provider text not null default 'password' check (auth_provider in ('password', 'google')),
  subscription_status app_public.subscription_status not null default 'trial',
  subscription_plan_id uuid not null references app_public.subscription_plans (id),
  trial_ends_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login timestamptz
);
create index if not exists users_subscription_plan_id_idx on app_public.users (subscription_plan_id);

create table if not exists app_private.user_secrets (
  user_id uuid primary key references app_public.users (id) on delete cascade,
  password_hash text,
  google_id text unique,
  updated_at timestamptz not null default now()
);

create table if not exists app_public.businesses (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 255),
  business_type app_public.business_type not null default 'other',
  phone_number text check (phone_number ~ '^\+[1-9][0-9]{7,14}$'),
  address text check (length(address) <= 500),
  city text check (length(city) <= 100),
  zip_code text check (length(zip_code) <= 10),
  -- ISO 3166-1 alpha-2; picks the default phone prefix (FR +33, SN +221).
  country text not null default 'FR' check (country in ('FR', 'SN')),
  -- Language of customer messages and errors.
  language text not null default 'fr' check (language in ('fr', 'en')),
  opening_hours jsonb,
  custom_message text check (length(custom_message) <= 160),
  sms_notifications_enabled boolean not null default true,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Lets queues reference (id, user_id) so their tenant key cannot drift.
  unique (id, user_id)
);
create index if not exists businesses_user_id_idx on app_public.businesses (user_id, created_at) where is_active;
create index if not exists businesses_user_id_all_idx on app_public.businesses (user_id);

create table if not exists app_public.queues (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null,
  user_id uuid not null,
  name text not null default 'Principale' check (length(btrim(name)) between 1 and 100),
  -- 192 random bits, URL-safe: printed in the QR code.
  qr_code_token text not null unique
    default translate(encode(gen_random_bytes(24), 'base64'), '+/', '-_')
    check (qr_code_token ~ '^[A-Za-z0-9_-]{22,}$'),
  is_queue_active boolean not null default false,
  is_queue_paused boolean not null default false,
  max_queue_size integer not null default 50 check (max_queue_size between 1 and 200),
  client_timeout_minutes integer not null default 5 check (client_timeout_minutes between 1 and 30),
  auto_advance_enabled boolean not null default true,
  -- Seconds; defaults from the business type (trigger in 110-identity-*.sql).
  average_service_time integer not null check (average_service_time > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, user_id),
  foreign key (business_id, user_id) references app_public.businesses (id, user_id) on delete cascade
);
-- The composite foreign key's own index (also what PostGraphile needs to
-- offer business.queues: it only generates backward relations that are indexed).
drop index if exists app_public.queues_business_id_idx;
create index if not exists queues_business_id_user_id_idx on app_public.queues (business_id, user_id);
create index if not exists queues_user_id_idx on app_public.queues (user_id);

alter table app_public.subscription_plans enable row level security;
alter table app_public.system_configs enable row level security;
alter table app_public.users enable row level security;
alter table app_private.user_secrets enable row level security;
alter table app_public.businesses enable row level security;
alter table app_public.queues enable row level security;

drop trigger if exists _100_timestamps on app_public.subscription_plans;
create trigger _100_timestamps before update on app_public.subscription_plans
  for each row execute function app_private.tg__set_updated_at();
drop trigger if exists _100_timestamps on app_public.system_configs;
create trigger _100_timestamps before update on app_public.system_configs
  for each row execute function app_private.tg__set_updated_at();
drop trigger if exists _100_timestamps on app_public.users;
create trigger _100_timestamps before update on app_public.users
  for each row execute function app_private.tg__set_updated_at();
drop trigger if exists _100_timestamps on app_private.user_secrets;
create trigger _100_timestamps before update on app_private.user_secrets
  for each row execute function app_private.tg__set_updated_at();
drop trigger if exists _100_timestamps on app_public.businesses;
create trigger _100_timestamps before update on app_public.businesses
  for each row execute function app_private.tg__set_updated_at();
drop trigger if exists _100_timestamps on app_public.queues;
create trigger _100_timestamps before update on app_public.queues
  for each row execute function app_private.tg__set_updated_at();
