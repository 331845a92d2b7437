--! Previous: sha1:7db854a6c56c8def3b217bae66f51c1c8eed0a53
--! Hash: sha1:91d1124d86a003e6dd8e8d665c05b6a756052f76

--! split: 100-identity-tables.sql
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

--! split: 110-identity-helpers.sql
-- Identity helpers shared by the 1xx files: the session token type, the
-- configuration reader, phone and opening-hours validation. Idempotent.

-- What register / authenticate return. PostGraphile's PgJWTPlugin signs
-- values of this type (graphile.config.ts: pgJwtTypes) with RS256 and adds
-- iss, aud and exp from the configuration: SQL decides who, TS only signs.
do $$ begin
  create type app_public.jwt_token as (
    role text,
    user_id uuid,
    sub text
  );
exception when duplicate_object then null;
end $$;
comment on type app_public.jwt_token is
  'A session: the request role and the merchant account (user_id and sub are the same id).';

-- Typed reads of app_public.system_configs. Private: only SECURITY DEFINER
-- functions (which run as the owner) read configuration through it.
create or replace function app_private.config_value(config_key text) returns text
  language sql stable
  set search_path to pg_catalog, public
as $$
  select c.value from app_public.system_configs c where c.key = config_key;
$$;
comment on function app_private.config_value(text) is
  'The value of a system_configs key, or null.';

-- Seconds a customer of this kind of business usually takes, from
-- system_configs.default_service_times (fallback: "other", then 5 minutes).
create or replace function app_private.default_service_time(kind app_public.business_type) returns integer
  language sql stable
  set search_path to pg_catalog, public
as $$
  select coalesce(
    (times ->> kind::text)::integer,
    (times ->> 'other')::integer,
    300
  )
  from (select coalesce(app_private.config_value('default_service_times'), '{}')::jsonb as times) as config;
$$;
comment on function app_private.default_service_time(app_public.business_type) is
  'Default average_service_time (seconds) for a business type, from system_configs.';

-- Phone numbers of accounts and businesses are stored in E.164, parsed by the
-- same rules as customers' (app_public.normalize_phone, 200-queue-phone.sql;
-- resolved when called, so the file order does not matter). Blank means none.
create or replace function app_hidden.normalize_e164(raw text, country text default 'FR') returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public
as $$
begin
  if raw is null or btrim(raw) = '' then
    return null;
  end if;
  return app_public.normalize_phone(raw, country);
end;
$$;
comment on function app_hidden.normalize_e164(text, text) is
  'A phone number in E.164 (+33612345678), null for a blank one; raises INVALID_PHONE (WTPHN).';
grant execute on function app_hidden.normalize_e164(text, text) to waitify_anonymous, waitify_merchant, waitify_admin;

-- Opening hours: {"monday": {"open": "08:00", "close": "18:00", "closed": false}, …,
-- "sunday": {"closed": true}}. Returns what is wrong, or null when valid, so
-- the trigger can say it in the error message.
create or replace function app_hidden.opening_hours_problem(hours jsonb) returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public
as $$
declare
  day_name text;
  day jsonb;
  key_name text;
begin
  if hours is null then
    return null;
  end if;
  if jsonb_typeof(hours) <> 'object' then
    return 'un objet par jour de la semaine est attendu';
  end if;
  for day_name, day in select * from jsonb_each(hours) loop
    if day_name not in ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday') then
      return format('jour inconnu « %s » (monday … sunday)', day_name);
    end if;
    if jsonb_typeof(day) <> 'object' then
      return format('%s : un objet {"open", "close", "closed"} est attendu', day_name);
    end if;
    for key_name in select jsonb_object_keys(day) loop
      if key_name not in ('open', 'close', 'closed') then
        return format('%s : clé inconnue « %s »', day_name, key_name);
      end if;
    end loop;
    if day ? 'closed' and jsonb_typeof(day -> 'closed') <> 'boolean' then
      return format('%s : "closed" doit être true ou false', day_name);
    end if;
    if coalesce((day ->> 'closed')::boolean, false) then
      continue;
    end if;
    if coalesce(day ->> 'open', '') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
       or coalesce(day ->> 'close', '') !~ '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' then
      return format('%s : "open" et "close" au format HH:MM sont attendus', day_name);
    end if;
    if (day ->> 'open') >= (day ->> 'close') then
      return format('%s : l''ouverture doit précéder la fermeture', day_name);
    end if;
  end loop;
  return null;
end;
$$;
comment on function app_hidden.opening_hours_problem(jsonb) is
  'Null when the opening hours JSON is valid, else what is wrong (French).';
grant execute on function app_hidden.opening_hours_problem(jsonb) to waitify_anonymous, waitify_merchant, waitify_admin;

-- Used by policies and defaults; not an API field (currentUser is).
comment on function app_public.current_user_id() is
  E'@behavior -queryField -mutationField -typeField\nThe id of the user making the request, or null when anonymous.';

--! split: 120-identity-accounts.sql
-- Merchant accounts: registration, password and Google sign-in, the current
-- user, what a merchant may see and change of its own account, and the plan
-- rules that live on the account (trial, downgrade). Idempotent.

comment on table app_public.users is 'A merchant account. Secrets live in app_private.user_secrets.';
comment on column app_public.users.email is 'Unique, case-insensitive (citext).';

-- ---------------------------------------------------------------------------
-- Who sees and changes what. A merchant: its own row, and only its profile
-- columns (plan, status and trial change through billing and functions).
-- The admin (back office): reads every account. Anonymous: nothing.
grant select on app_public.users to waitify_merchant, waitify_admin;
grant update (first_name, last_name, phone_number, profile_picture) on app_public.users to waitify_merchant;

drop policy if exists select_own on app_public.users;
create policy select_own on app_public.users for select to waitify_merchant
  using (id = (select app_public.current_user_id()));
drop policy if exists update_own on app_public.users;
create policy update_own on app_public.users for update to waitify_merchant
  using (id = (select app_public.current_user_id()))
  with check (id = (select app_public.current_user_id()));
drop policy if exists select_all on app_public.users;
create policy select_all on app_public.users for select to waitify_admin using (true);

-- Secrets: no grant to any request role, RLS on and no policy (deny all);
-- only SECURITY DEFINER functions owned by the owner reach them.
revoke all on app_private.user_secrets from waitify_anonymous, waitify_merchant, waitify_admin;

-- Profile phone numbers are stored in E.164 (France by default).
create or replace function app_private.tg_users__normalize() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public
as $$
begin
  new.phone_number := app_hidden.normalize_e164(new.phone_number, 'FR');
  return new;
end;
$$;
drop trigger if exists _200_normalize on app_public.users;
create trigger _200_normalize before insert or update of phone_number on app_public.users
  for each row execute function app_private.tg_users__normalize();

-- ---------------------------------------------------------------------------
-- Plans: moving to a plan that allows fewer active businesses than the
-- account has is refused. The row being updated is locked, and business
-- creation locks the same row (130-identity-businesses.sql), so the check
-- and a concurrent creation cannot both pass.
create or replace function app_private.tg_users__check_plan_change() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public
as $$
declare
  plan app_public.subscription_plans;
  active_count integer;
begin
  select p.* into plan from app_public.subscription_plans p where p.id = new.subscription_plan_id;
  if plan.max_businesses = -1 then
    return new;
  end if;
  select count(*) into active_count from app_public.businesses b where b.user_id = new.id and b.is_active;
  if active_count > plan.max_businesses then
    raise exception using errcode = 'WTPLN',
      message = format(
        'Le forfait « %s » permet %s établissement(s) actif(s) ; vous en avez %s. Supprimez-en avant de changer de forfait.',
        plan.name, plan.max_businesses, active_count);
  end if;
  return new;
end;
$$;
drop trigger if exists _300_check_plan_change on app_public.users;
create trigger _300_check_plan_change before update of subscription_plan_id on app_public.users
  for each row when (new.subscription_plan_id is distinct from old.subscription_plan_id)
  execute function app_private.tg_users__check_plan_change();

-- ---------------------------------------------------------------------------
-- Account creation, shared by password and Google sign-up: the basic plan
-- with a trial whose length comes from system_configs.
create or replace function app_private.create_account(
  email text,
  first_name text,
  last_name text,
  auth_provider text
) returns app_public.users
  language plpgsql volatile
  set search_path to pg_catalog, public
as $$
declare
  account app_public.users;
  clean_email text := lower(btrim(coalesce(email, '')));
begin
  if clean_email !~ '^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$' or length(clean_email) > 255 then
    raise exception using errcode = 'WTVAL', message = 'Adresse e-mail invalide.';
  end if;
  if length(first_name) > 100 or length(last_name) > 100 then
    raise exception using errcode = 'WTVAL', message = 'Le prénom et le nom ne dépassent pas 100 caractères.';
  end if;
  if exists (select 1 from app_public.users u where u.email = clean_email::citext) then
    raise exception using errcode = 'WTDUP', message = 'Un compte existe déjà avec cette adresse e-mail.';
  end if;
  insert into app_public.users as u (email, first_name, last_name, auth_provider, subscription_status,
                                     subscription_plan_id, trial_ends_at)
  values (
    clean_email,
    nullif(btrim(first_name), ''),
    nullif(btrim(last_name), ''),
    auth_provider,
    'trial',
    (select p.id from app_public.subscription_plans p where p.name = 'basic'),
    now() + make_interval(days => coalesce(app_private.config_value('trial_duration_days')::integer, 14))
  )
  returning u.* into account;
  return account;
exception when unique_violation then
  -- Two sign-ups with the same address at the same moment.
  raise exception using errcode = 'WTDUP', message = 'Un compte existe déjà avec cette adresse e-mail.';
end;
$$;
comment on function app_private.create_account(text, text, text, text) is
  'Creates a merchant account on the basic plan with a trial (system_configs.trial_duration_days).';

-- The session token of an account that just proved who it is.
create or replace function app_private.session_for(account app_public.users) returns app_public.jwt_token
  language sql stable
  set search_path to pg_catalog, public
as $$
  select ('waitify_merchant', account.id, account.id::text)::app_public.jwt_token;
$$;

-- ---------------------------------------------------------------------------
-- register(email, password, first_name, last_name) → a session token.
create or replace function app_public.register(
  email text,
  password text,
  first_name text default null,
  last_name text default null
) returns app_public.jwt_token
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  account app_public.users;
begin
  -- Caller: anyone not signed in (signing up is the public door; a signed-in
  -- merchant has an account already).
  if app_public.current_user_id() is not null then
    raise exception using errcode = 'WTFRB', message = 'Vous êtes déjà connecté.';
  end if;
  if password is null or length(password) < 8 then
    raise exception using errcode = 'WTVAL', message = 'Le mot de passe doit contenir au moins 8 caractères.';
  end if;
  -- bcrypt reads at most 72 bytes: refuse rather than silently ignore the rest.
  if octet_length(password) > 72 then
    raise exception using errcode = 'WTVAL', message = 'Le mot de passe ne doit pas dépasser 72 octets.';
  end if;
  account := app_private.create_account(email, first_name, last_name, 'password');
  insert into app_private.user_secrets (user_id, password_hash)
  values (account.id, crypt(password, gen_salt('bf', 10)));
  update app_public.users u set last_login = now() where u.id = account.id;
  return app_private.session_for(account);
end;
$$;
comment on function app_public.register(text, text, text, text) is
  E'@resultFieldName jwtToken\nCreates a merchant account (14-day trial on the basic plan) and returns its session token.';
grant execute on function app_public.register(text, text, text, text) to waitify_anonymous;

-- ---------------------------------------------------------------------------
-- authenticate(email, password) → a session token. A wrong password and an
-- unknown address give the same error and cost the same bcrypt work, so
-- neither the answer nor its timing tells which addresses have accounts.
create or replace function app_public.authenticate(email text, password text) returns app_public.jwt_token
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  account app_public.users;
  stored_hash text;
begin
  -- Caller: anyone; the credentials are the check.
  select u.* into account
  from app_public.users u
  where u.email = lower(btrim(coalesce(authenticate.email, '')))::citext;
  select s.password_hash into stored_hash from app_private.user_secrets s where s.user_id = account.id;
  -- The same bcrypt work whether or not there is a hash to compare with.
  if stored_hash is null or password is null then
    perform crypt(coalesce(password, ''), gen_salt('bf', 10));
    raise exception using errcode = 'WTCRD', message = 'Adresse e-mail ou mot de passe incorrect.';
  end if;
  if crypt(password, stored_hash) <> stored_hash then
    raise exception using errcode = 'WTCRD', message = 'Adresse e-mail ou mot de passe incorrect.';
  end if;
  if not account.is_active then
    raise exception using errcode = 'WTFRB', message = 'Ce compte est désactivé.';
  end if;
  update app_public.users u set last_login = now() where u.id = account.id;
  return app_private.session_for(account);
end;
$$;
comment on function app_public.authenticate(text, text) is
  E'@resultFieldName jwtToken\nSigns in with email and password; returns a session token.';
grant execute on function app_public.authenticate(text, text) to waitify_anonymous;

-- ---------------------------------------------------------------------------
-- current_user() → the signed-in merchant's account (null for anyone else).
-- SECURITY INVOKER: row-level security already limits it to one's own row.
create or replace function app_public.current_user() returns app_public.users
  language sql stable
  set search_path to pg_catalog, public
as $$
  select u.* from app_public.users u where u.id = app_public.current_user_id();
$$;
comment on function app_public.current_user() is 'The signed-in merchant account.';
grant execute on function app_public.current_user() to waitify_merchant, waitify_admin;

-- ---------------------------------------------------------------------------
-- Google sign-in. lib/auth/google.ts verifies the ID token (signature,
-- audience, issuer, expiry) and calls this on the authenticator's own
-- connection, outside any request role. It trusts its arguments, so it must
-- not be reachable from GraphQL: EXECUTE is granted to the authenticator
-- alone and the function refuses any request role explicitly.
grant usage on schema app_private to :DATABASE_AUTHENTICATOR;

create or replace function app_private.google_sign_in(
  google_id text,
  email text,
  email_verified boolean,
  first_name text default null,
  last_name text default null,
  picture text default null
) returns app_public.jwt_token
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  account app_public.users;
  linked_google_id text;
  found_user_id uuid;
begin
  -- Caller: only the server's own connection (no SET ROLE to a request role).
  if coalesce(current_setting('role', true), 'none') <> 'none'
     or app_public.current_user_id() is not null then
    raise exception using errcode = 'WTFRB', message = 'Accès refusé.';
  end if;
  if coalesce(google_id, '') = '' then
    raise exception using errcode = 'WTCRD', message = 'Jeton Google invalide.';
  end if;

  select s.user_id into found_user_id from app_private.user_secrets s where s.google_id = google_sign_in.google_id;
  if found_user_id is null then
    -- Linking by address is only safe when Google vouches for the address.
    if not coalesce(email_verified, false) then
      raise exception using errcode = 'WTCRD', message = 'Adresse e-mail Google non vérifiée.';
    end if;
    select u.id into found_user_id from app_public.users u
    where u.email = lower(btrim(coalesce(google_sign_in.email, '')))::citext
    for update;
    if found_user_id is null then
      account := app_private.create_account(google_sign_in.email, first_name, last_name, 'google');
      found_user_id := account.id;
      insert into app_private.user_secrets (user_id, google_id) values (found_user_id, google_sign_in.google_id);
      if picture is not null and length(picture) <= 1000 then
        update app_public.users u set profile_picture = picture where u.id = found_user_id;
      end if;
    else
      select s.google_id into linked_google_id from app_private.user_secrets s where s.user_id = found_user_id;
      if linked_google_id is not null and linked_google_id <> google_sign_in.google_id then
        raise exception using errcode = 'WTCRD', message = 'Ce compte est lié à un autre compte Google.';
      end if;
      insert into app_private.user_secrets (user_id, google_id) values (found_user_id, google_sign_in.google_id)
      on conflict (user_id) do update set google_id = excluded.google_id;
    end if;
  end if;

  update app_public.users u set last_login = now() where u.id = found_user_id returning u.* into account;
  if not account.is_active then
    raise exception using errcode = 'WTFRB', message = 'Ce compte est désactivé.';
  end if;
  return app_private.session_for(account);
end;
$$;
comment on function app_private.google_sign_in(text, text, boolean, text, text, text) is
  'Creates or links the account of a verified Google identity; returns its session token. Server only.';
revoke all on function app_private.google_sign_in(text, text, boolean, text, text, text) from public;
grant execute on function app_private.google_sign_in(text, text, boolean, text, text, text) to :DATABASE_AUTHENTICATOR;

--! split: 130-identity-businesses.sql
-- Businesses: the merchant's own CRUD through PostGraphile, the plan limit,
-- validation and normalisation, soft delete, and the queue each business is
-- born with. Idempotent.

-- user_id is the tenant key: it comes from the session, never from the client.
alter table app_public.businesses alter column user_id set default app_public.current_user_id();

-- Soft-deleted businesses stay readable by id (to be restored) but the default
-- list is my_businesses(), which hides them; the generated allBusinesses and
-- user.businesses lists would show them, so they are not generated.
comment on table app_public.businesses is
  E'@behavior -query:resource:connection -query:resource:list\nAn establishment of a merchant (a bakery, a pharmacy…). Deleting one is a soft delete (is_active = false).';
comment on constraint businesses_user_id_fkey on app_public.businesses is
  E'@behavior -manyRelation:resource:connection -manyRelation:resource:list';
comment on column app_public.businesses.user_id is 'The owner; set from the session.';
comment on column app_public.businesses.is_active is
  'False once deleted (soft delete); deleteBusiness / restoreBusiness change it.';
comment on column app_public.businesses.opening_hours is
  E'By weekday: {"monday": {"open": "08:00", "close": "18:00", "closed": false}, …, "sunday": {"closed": true}}.';
comment on column app_public.businesses.phone_number is 'E.164; national input is normalised with the country.';

grant select on app_public.businesses to waitify_merchant, waitify_admin;
grant insert (name, business_type, phone_number, address, city, zip_code, country, language, opening_hours,
              custom_message, sms_notifications_enabled)
  on app_public.businesses to waitify_merchant;
grant update (name, business_type, phone_number, address, city, zip_code, country, language, opening_hours,
              custom_message, sms_notifications_enabled)
  on app_public.businesses to waitify_merchant;

drop policy if exists select_own on app_public.businesses;
create policy select_own on app_public.businesses for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists insert_own on app_public.businesses;
create policy insert_own on app_public.businesses for insert to waitify_merchant
  with check (user_id = (select app_public.current_user_id()));
drop policy if exists update_own on app_public.businesses;
create policy update_own on app_public.businesses for update to waitify_merchant
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
drop policy if exists select_all on app_public.businesses;
create policy select_all on app_public.businesses for select to waitify_admin using (true);

-- ---------------------------------------------------------------------------
-- Validation with messages a merchant can act on (CHECKs would only say
-- "out of range"): phone in E.164 for the business's country, opening hours.
create or replace function app_private.tg_businesses__validate() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public
as $$
declare
  problem text;
begin
  new.phone_number := app_hidden.normalize_e164(new.phone_number, new.country);
  problem := app_hidden.opening_hours_problem(new.opening_hours);
  if problem is not null then
    raise exception using errcode = 'WTVAL', message = 'Horaires d''ouverture invalides : ' || problem || '.';
  end if;
  if new.name is null or btrim(new.name) = '' then
    raise exception using errcode = 'WTVAL', message = 'Le nom de l''établissement est obligatoire.';
  end if;
  new.name := btrim(new.name);
  return new;
end;
$$;
drop trigger if exists _200_validate on app_public.businesses;
create trigger _200_validate before insert or update on app_public.businesses
  for each row execute function app_private.tg_businesses__validate();

-- Backstop for the trigger above, should a row ever arrive another way.
do $$ begin
  alter table app_public.businesses add constraint businesses_opening_hours_valid
    check (app_hidden.opening_hours_problem(opening_hours) is null);
exception when duplicate_object then null;
end $$;

-- ---------------------------------------------------------------------------
-- Plan limit: at most max_businesses active businesses (-1 = unlimited),
-- checked when one is created or restored. The account row is locked first
-- (FOR UPDATE), so two creations at once are serialised and the second one
-- counts the first: both cannot pass. SECURITY DEFINER: a merchant may not
-- lock or read plan data itself; the trigger acts on NEW.user_id only.
create or replace function app_private.tg_businesses__enforce_plan_limit() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  plan app_public.subscription_plans;
  active_count integer;
begin
  perform 1 from app_public.users u where u.id = new.user_id for update;
  select p.* into plan
  from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id
  where u.id = new.user_id;
  if plan.id is null or plan.max_businesses = -1 then
    return new;
  end if;
  select count(*) into active_count
  from app_public.businesses b
  where b.user_id = new.user_id and b.is_active and b.id <> new.id;
  if active_count >= plan.max_businesses then
    raise exception using errcode = 'WTPLN',
      message = format(
        'Votre forfait « %s » permet %s établissement(s) actif(s) : passez à un forfait supérieur pour en ajouter.',
        plan.name, plan.max_businesses);
  end if;
  return new;
end;
$$;
drop trigger if exists _100_enforce_plan_limit on app_public.businesses;
create trigger _100_enforce_plan_limit before insert on app_public.businesses
  for each row when (new.is_active)
  execute function app_private.tg_businesses__enforce_plan_limit();
drop trigger if exists _100_enforce_plan_limit_on_restore on app_public.businesses;
create trigger _100_enforce_plan_limit_on_restore before update of is_active on app_public.businesses
  for each row when (new.is_active and not old.is_active)
  execute function app_private.tg_businesses__enforce_plan_limit();

-- ---------------------------------------------------------------------------
-- Every business is born with one queue, its service time defaulting from the
-- business type. SECURITY DEFINER: the merchant may not set queues.user_id
-- itself; the queue gets exactly the business's owner.
create or replace function app_private.tg_businesses__create_queue() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
begin
  insert into app_public.queues (business_id, user_id, average_service_time)
  values (new.id, new.user_id, app_private.default_service_time(new.business_type));
  return null;
end;
$$;
drop trigger if exists _900_create_queue on app_public.businesses;
create trigger _900_create_queue after insert on app_public.businesses
  for each row execute function app_private.tg_businesses__create_queue();

-- ---------------------------------------------------------------------------
-- The default list: the caller's businesses, without the deleted ones unless
-- asked for. SECURITY INVOKER: RLS keeps it to one's own rows.
create or replace function app_public.my_businesses(include_deleted boolean default false)
  returns setof app_public.businesses
  language sql stable
  set search_path to pg_catalog, public
as $$
  select b.*
  from app_public.businesses b
  where b.user_id = app_public.current_user_id()
    and (b.is_active or coalesce(include_deleted, false))
  order by b.created_at, b.id;
$$;
comment on function app_public.my_businesses(boolean) is
  E'@sortable\nThe signed-in merchant''s businesses; deleted ones only with includeDeleted.';
grant execute on function app_public.my_businesses(boolean) to waitify_merchant;

-- Soft delete and its undo. SECURITY DEFINER because is_active is not a column
-- merchants may update directly; the caller check is explicit: the business
-- must belong to the caller (anything else is "not found", which reveals
-- nothing about other merchants' ids).
create or replace function app_public.delete_business(business_id uuid) returns app_public.businesses
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  business app_public.businesses;
begin
  update app_public.businesses b set is_active = false
  where b.id = delete_business.business_id and b.user_id = app_public.current_user_id()
  returning b.* into business;
  if business.id is null then
    raise exception using errcode = 'WTNFD', message = 'Établissement introuvable.';
  end if;
  -- A deleted business takes no customers.
  update app_public.queues q set is_queue_active = false, is_queue_paused = false
  where q.business_id = business.id and q.user_id = business.user_id;
  return business;
end;
$$;
comment on function app_public.delete_business(uuid) is
  E'@resultFieldName business\nDeletes a business softly (is_active = false) and closes its queues; restoreBusiness undoes it.';
grant execute on function app_public.delete_business(uuid) to waitify_merchant;

create or replace function app_public.restore_business(business_id uuid) returns app_public.businesses
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  business app_public.businesses;
begin
  -- The plan limit trigger runs on this update (restoring counts as creating).
  update app_public.businesses b set is_active = true
  where b.id = restore_business.business_id and b.user_id = app_public.current_user_id()
  returning b.* into business;
  if business.id is null then
    raise exception using errcode = 'WTNFD', message = 'Établissement introuvable.';
  end if;
  return business;
end;
$$;
comment on function app_public.restore_business(uuid) is
  E'@resultFieldName business\nUndoes deleteBusiness, within the plan''s limit of active businesses.';
grant execute on function app_public.restore_business(uuid) to waitify_merchant;

-- (id, user_id) exists for the queues' composite foreign key, not as a way to
-- look a business up: no businessByRowIdAndUserId / update…ByRowIdAndUserId.
comment on constraint businesses_id_user_id_key on app_public.businesses is E'@behavior -single -update -delete';

--! split: 140-identity-queues.sql
-- Queues: the owner reads them and changes their settings through the
-- generated mutations; the QR token and the open / paused flags change only
-- through functions (regenerate_qr_token here; open / close / pause / resume
-- in the queue engine, 2xx files). Idempotent.

alter table app_public.queues alter column user_id set default app_public.current_user_id();

comment on table app_public.queues is
  'A queue of a business (a counter, a service). One is created with each business.';
comment on constraint queues_business_id_user_id_fkey on app_public.queues is
  E'@fieldName business\n@foreignFieldName queues';
comment on column app_public.queues.user_id is 'The owner (tenant key); set from the business.';
comment on column app_public.queues.qr_code_token is
  'Unguessable (192 random bits), URL-safe; printed in the QR code. Changes only with regenerateQrToken.';
comment on column app_public.queues.is_queue_active is 'Open to new customers. Changes only through the queue functions.';
comment on column app_public.queues.is_queue_paused is 'No new customers, places kept. Changes only through the queue functions.';
comment on column app_public.queues.average_service_time is
  E'@hasDefault\nSeconds per customer; defaults from the business type (system_configs.default_service_times).';

grant select on app_public.queues to waitify_merchant, waitify_admin;
grant insert (business_id, name, max_queue_size, client_timeout_minutes, auto_advance_enabled, average_service_time)
  on app_public.queues to waitify_merchant;
grant update (name, max_queue_size, client_timeout_minutes, auto_advance_enabled, average_service_time)
  on app_public.queues to waitify_merchant;

drop policy if exists select_own on app_public.queues;
create policy select_own on app_public.queues for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists insert_own on app_public.queues;
create policy insert_own on app_public.queues for insert to waitify_merchant
  with check (user_id = (select app_public.current_user_id()));
drop policy if exists update_own on app_public.queues;
create policy update_own on app_public.queues for update to waitify_merchant
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
drop policy if exists select_all on app_public.queues;
create policy select_all on app_public.queues for select to waitify_admin using (true);

-- A new queue (beyond the first) gets its business's default service time,
-- and only for an active business of the caller. SECURITY DEFINER to read the
-- business and configuration; it changes nothing but NEW.
create or replace function app_private.tg_queues__defaults() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  business app_public.businesses;
begin
  select b.* into business from app_public.businesses b
  where b.id = new.business_id and b.user_id = new.user_id;
  if business.id is null then
    raise exception using errcode = 'WTNFD', message = 'Établissement introuvable.';
  end if;
  if not business.is_active then
    raise exception using errcode = 'WTVAL', message = 'Cet établissement est supprimé : restaurez-le d''abord.';
  end if;
  if new.average_service_time is null then
    new.average_service_time := app_private.default_service_time(business.business_type);
  end if;
  return new;
end;
$$;
drop trigger if exists _100_defaults on app_public.queues;
create trigger _100_defaults before insert on app_public.queues
  for each row execute function app_private.tg_queues__defaults();

-- A queue never moves to another business (its tenant key follows the business).
create or replace function app_private.tg_queues__keep_business() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public
as $$
begin
  if new.business_id is distinct from old.business_id or new.user_id is distinct from old.user_id then
    raise exception using errcode = 'WTVAL', message = 'Une file ne change pas d''établissement.';
  end if;
  return new;
end;
$$;
drop trigger if exists _100_keep_business on app_public.queues;
create trigger _100_keep_business before update on app_public.queues
  for each row execute function app_private.tg_queues__keep_business();

-- A new QR token, e.g. after a printed code leaked: the old one stops working.
create or replace function app_public.regenerate_qr_token(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  queue app_public.queues;
begin
  -- Caller: the queue's owner only; other ids are "not found".
  update app_public.queues q
  set qr_code_token = translate(encode(gen_random_bytes(24), 'base64'), '+/', '-_')
  where q.id = regenerate_qr_token.queue_id and q.user_id = app_public.current_user_id()
  returning q.* into queue;
  if queue.id is null then
    raise exception using errcode = 'WTNFD', message = 'File introuvable.';
  end if;
  return queue;
end;
$$;
comment on function app_public.regenerate_qr_token(uuid) is
  E'@resultFieldName queue\nGives the queue a new QR token; the old QR code stops working.';
grant execute on function app_public.regenerate_qr_token(uuid) to waitify_merchant;

-- (id, user_id) serves foreign keys only; a queue is not updated "by its QR token".
comment on constraint queues_id_user_id_key on app_public.queues is E'@behavior -single -update -delete';
comment on constraint queues_qr_code_token_key on app_public.queues is E'@behavior -update -delete';

--! split: 150-identity-reference.sql
-- Reference data: plans and configuration. Not tenant data: everyone may read
-- the active plans (the pricing page) and the public configuration; the admin
-- reads all of it. Changes are migrations (or the future back office).

grant select on app_public.subscription_plans to waitify_anonymous, waitify_admin;
drop policy if exists select_active on app_public.subscription_plans;
create policy select_active on app_public.subscription_plans for select to waitify_anonymous
  using (is_active);
drop policy if exists select_all on app_public.subscription_plans;
create policy select_all on app_public.subscription_plans for select to waitify_admin using (true);
comment on column app_public.subscription_plans.max_businesses is 'Active businesses allowed; -1 = unlimited.';

grant select on app_public.system_configs to waitify_anonymous, waitify_admin;
drop policy if exists select_public on app_public.system_configs;
create policy select_public on app_public.system_configs for select to waitify_anonymous
  using (is_public);
drop policy if exists select_all on app_public.system_configs;
create policy select_all on app_public.system_configs for select to waitify_admin using (true);
create index if not exists system_configs_is_public_idx on app_public.system_configs (is_public);
create index if not exists subscription_plans_is_active_idx on app_public.subscription_plans (is_active);

--! split: 200-queue-phone.sql
-- Customer phone numbers: whatever a customer types on the QR page becomes
-- E.164 (+33612345678) or is refused. France is the default country and
-- Senegal (+221) the second one; the business's country picks how a number
-- without an international prefix is read.
--
-- Which numbers are valid follows google-libphonenumber's metadata (v3.2) for
-- FR and SN, restricted to numbers a person holds and that can receive an SMS
-- (mobile, fixed line, VoIP); toll-free, premium-rate and shared-cost service
-- numbers are refused. test/db/queue-phone.test.ts checks a table of inputs
-- against libphonenumber itself, so a metadata change shows up there.

-- The national significant number (without the trunk 0) is a French number.
create or replace function app_hidden.is_french_number(nsn text) returns boolean
  language plpgsql immutable parallel safe strict
  set search_path to pg_catalog
as $$
begin
  return nsn ~ ('^(?:'
    -- fixed line
    || '(?:26[013-9]|59[1-35-9])\d{6}|(?:[13]\d|2[0-57-9]|4[1-9]|5[0-8])\d{7}'
    -- mobile
    || '|(?:6(?:[0-24-8]\d|3[0-8]|9[589])|7[3-9]\d)\d{6}'
    -- VoIP (09)
    || '|9\d{8}'
    || ')$');
end;
$$;

-- The national significant number is a Senegalese number (no trunk prefix there).
create or replace function app_hidden.is_senegalese_number(nsn text) returns boolean
  language plpgsql immutable parallel safe strict
  set search_path to pg_catalog
as $$
begin
  return nsn ~ ('^(?:'
    -- fixed line
    || '3(?:[026]\d|3[89])\d{6}'
    -- mobile
    || '|7(?:[015-8]\d|21|90)\d{6}'
    -- VoIP
    || '|(?:39|93)\d{7}'
    || ')$');
end;
$$;

-- E.164 for a typed number, or null when it is not a valid FR/SN number.
-- Accepts spaces, dots, dashes, slashes and brackets as separators, the
-- "+33 (0)6…" habit, 00 as international prefix, and a national number with
-- or without its trunk 0.
create or replace function app_hidden.phone_to_e164(raw text, country text) returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, app_hidden
as $$
declare
  v_text text;
  v_digits text;
  v_nsn text;
begin
  if raw is null or length(raw) > 40 then
    return null;
  end if;
  -- "+33 (0)6 12 34 56 78": the bracketed trunk prefix is not dialled.
  v_text := replace(raw, '(0)', '');
  -- Digits and separators only; a + only in front.
  if v_text !~ '^[[:space:]\u00a0]*\+?[0-9[:space:]\u00a0.()/-]+$' then
    return null;
  end if;
  v_digits := regexp_replace(v_text, '[^0-9]', '', 'g');

  if v_text ~ '^[[:space:]\u00a0]*\+' or v_digits ~ '^00' then
    -- International form: +CC… or 00CC…
    if v_digits ~ '^00' and v_text !~ '^[[:space:]\u00a0]*\+' then
      v_digits := substr(v_digits, 3);
    end if;
    if v_digits ~ '^33' then
      v_nsn := substr(v_digits, 3);
      -- "+33 06…": the trunk 0 typed after the country code.
      if v_nsn ~ '^0' then v_nsn := substr(v_nsn, 2); end if;
      if is_french_number(v_nsn) then return '+33' || v_nsn; end if;
    elsif v_digits ~ '^221' then
      v_nsn := substr(v_digits, 4);
      if is_senegalese_number(v_nsn) then return '+221' || v_nsn; end if;
    end if;
    return null;
  end if;

  -- National form, read in the business's country; "33…"/"221…" typed
  -- without the + is read as international when it is not a national number.
  if coalesce(country, 'FR') = 'SN' then
    if is_senegalese_number(v_digits) then return '+221' || v_digits; end if;
    if v_digits ~ '^221' and is_senegalese_number(substr(v_digits, 4)) then
      return '+221' || substr(v_digits, 4);
    end if;
  else
    v_nsn := case when v_digits ~ '^0' then substr(v_digits, 2) else v_digits end;
    if is_french_number(v_nsn) then return '+33' || v_nsn; end if;
    if v_digits ~ '^33' and is_french_number(substr(v_digits, 3)) then
      return '+33' || substr(v_digits, 3);
    end if;
  end if;
  return null;
end;
$$;
comment on function app_hidden.phone_to_e164(text, text) is
  'E.164 for a typed FR/SN phone number, or null when invalid (join_queue raises INVALID_PHONE in the business''s language).';

-- Public: the QR page can check a number before joining.
create or replace function app_public.normalize_phone(raw text, country text default 'FR') returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, app_hidden
as $$
declare
  v_e164 text := app_hidden.phone_to_e164(raw, coalesce(country, 'FR'));
begin
  if v_e164 is null then
    raise exception using errcode = 'WTPHN', message = 'Numéro de téléphone invalide.';
  end if;
  return v_e164;
end;
$$;
comment on function app_public.normalize_phone(text, text) is
  E'A phone number as typed (06 12 34 56 78, +33 6…, 0033…, +33 (0)6…, 77 123 45 67 for Senegal) in E.164, or the INVALID_PHONE error. `country` (FR by default, or SN) reads numbers typed without an international prefix.';
grant execute on function app_public.normalize_phone(text, text) to waitify_anonymous;
-- Pure helpers in app_hidden (not exposed, usable by the request roles) so
-- normalize_phone needs no SECURITY DEFINER.
grant execute on function app_hidden.is_french_number(text), app_hidden.is_senegalese_number(text),
  app_hidden.phone_to_e164(text, text) to waitify_anonymous;

--! split: 210-queue-tables.sql
-- The queue engine's tables: customers in queues (queue_entries) and the
-- append-only log of every state change (queue_events), the input of SMS and
-- analytics. Nobody writes them directly: the functions in 230/240/250-*.sql
-- do, under a lock on the queue row (see 220-queue-helpers.sql).

create table if not exists app_public.queue_entries (
  id uuid primary key default gen_random_uuid(),
  queue_id uuid not null,
  business_id uuid not null,
  -- Tenant key: the business owner (RLS, and a future distribution by tenant).
  user_id uuid not null,
  -- E.164, from app_hidden.phone_to_e164.
  phone text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  client_name text check (length(client_name) between 1 and 100),
  status text not null default 'waiting'
    check (status in ('waiting', 'called', 'served', 'missed', 'cancelled')),
  -- The number on the customer's screen: 1, 2, 3… per queue and local day.
  ticket_day date not null,
  ticket_number integer not null check (ticket_number > 0),
  -- Ordering key: position = waiting entries of the queue with a smaller
  -- joined_seq + 1. Computed on read, never rewritten row by row.
  joined_seq bigint generated always as identity,
  -- What the customer was told at join time (analytics compare it with reality).
  quoted_wait_minutes integer not null check (quoted_wait_minutes >= 0),
  position_at_join integer not null check (position_at_join > 0),
  joined_at timestamptz not null default now(),
  called_at timestamptz,
  served_at timestamptz,
  missed_at timestamptz,
  cancelled_at timestamptz,
  -- Seconds from call to served; feeds the learned service time.
  actual_service_time integer check (actual_service_time >= 0),
  -- Maintained by the SMS feature.
  sms_sent_count integer not null default 0 check (sms_sent_count >= 0),
  last_sms_sent_at timestamptz,
  -- The customer's secret (192 random bits, URL-safe): sees and cancels their own place.
  entry_token text not null
    default translate(encode(gen_random_bytes(24), 'base64'), '+/', '-_')
    check (entry_token ~ '^[A-Za-z0-9_-]{32}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Each timestamp belongs to its status, so a row cannot tell two stories.
  constraint queue_entries_called_at_check check ((status = 'waiting') = (called_at is null) or status = 'cancelled'),
  constraint queue_entries_served_check check ((status = 'served') = (served_at is not null)),
  constraint queue_entries_missed_check check ((status = 'missed') = (missed_at is not null)),
  constraint queue_entries_cancelled_check check ((status = 'cancelled') = (cancelled_at is not null)),
  constraint queue_entries_served_after_called check (served_at is null or served_at >= called_at),
  -- The tenant key cannot drift from the queue's / business's.
  constraint queue_entries_queue_fkey foreign key (queue_id, user_id)
    references app_public.queues (id, user_id) on delete cascade,
  constraint queue_entries_business_fkey foreign key (business_id, user_id)
    references app_public.businesses (id, user_id) on delete cascade
);

-- A unique index, not a constraint: PostGraphile would otherwise generate a
-- lookup by token for the merchant, who must never see tokens.
create unique index if not exists queue_entries_entry_token_key on app_public.queue_entries (entry_token);
-- Daily ticket numbers; max() + 1 under the queue lock reads it backwards.
create unique index if not exists queue_entries_ticket_key
  on app_public.queue_entries (queue_id, ticket_day, ticket_number);
-- Positions, capacity and "call next": the waiting part of a queue, in order.
-- Small (only waiting rows) so its cost follows the waiting count, not history.
create index if not exists queue_entries_waiting_idx
  on app_public.queue_entries (queue_id, joined_seq) where status = 'waiting';
-- The same phone at most once among the active entries of a queue (backstop
-- of the check done under the queue lock in join_queue).
create unique index if not exists queue_entries_active_phone_key
  on app_public.queue_entries (queue_id, phone) where status in ('waiting', 'called');
-- The learned service time reads the last services of a queue.
create index if not exists queue_entries_served_idx
  on app_public.queue_entries (queue_id, served_at) where status = 'served';
-- RLS (user_id), the merchant's reads of one queue by status in join order,
-- and the queue → entries relation (PostGraphile wants an index on both FK columns).
create index if not exists queue_entries_user_queue_idx
  on app_public.queue_entries (user_id, queue_id, status, joined_seq);
-- Per-business day reports, and the business FK's cascade.
create index if not exists queue_entries_business_idx on app_public.queue_entries (business_id, joined_at);

drop trigger if exists _100_timestamps on app_public.queue_entries;
create trigger _100_timestamps before update on app_public.queue_entries
  for each row execute function app_private.tg__set_updated_at();

create table if not exists app_public.queue_events (
  id bigint generated always as identity primary key,
  queue_id uuid not null,
  business_id uuid not null,
  -- Tenant key.
  user_id uuid not null,
  -- No foreign key: the log outlives the entries that retention removes.
  entry_id uuid,
  event_type text not null check (event_type in (
    'entry_joined', 'entry_called', 'entry_served', 'entry_missed', 'entry_cancelled',
    'queue_opened', 'queue_closed', 'queue_paused', 'queue_resumed')),
  actor text not null check (actor in ('customer', 'merchant', 'system')),
  actor_user_id uuid,
  -- Waiting entries in the queue right after this change.
  waiting_count integer not null check (waiting_count >= 0),
  created_at timestamptz not null default now(),
  constraint queue_events_entry_check check ((event_type like 'entry\_%') = (entry_id is not null)),
  constraint queue_events_merchant_actor_check check (actor <> 'merchant' or actor_user_id is not null),
  constraint queue_events_queue_fkey foreign key (queue_id, user_id)
    references app_public.queues (id, user_id) on delete cascade
);
-- RLS and the queue → events relation, newest last.
create index if not exists queue_events_user_queue_idx on app_public.queue_events (user_id, queue_id, id);
create index if not exists queue_events_business_idx on app_public.queue_events (business_id, created_at);
create index if not exists queue_events_entry_idx on app_public.queue_events (entry_id);

alter table app_public.queue_entries enable row level security;
alter table app_public.queue_events enable row level security;

-- A merchant reads the entries and events of their own queues. Anonymous
-- customers have no table access at all: they go through join_queue /
-- entry_status / cancel_entry / queue_status, which show only their own entry.
drop policy if exists select_own on app_public.queue_entries;
create policy select_own on app_public.queue_entries for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists select_own on app_public.queue_events;
create policy select_own on app_public.queue_events for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

-- Read-only for the merchant, every column but the customer's secret token.
-- No insert/update/delete for any request role: changes go through functions,
-- and queue_events is append-only for everyone but the owner (retention).
revoke all on app_public.queue_entries, app_public.queue_events from waitify_anonymous, waitify_merchant, waitify_admin;
grant select (id, queue_id, business_id, user_id, phone, client_name, status, ticket_day, ticket_number, joined_seq,
  quoted_wait_minutes, position_at_join, joined_at, called_at, served_at, missed_at, cancelled_at,
  actual_service_time, sms_sent_count, last_sms_sent_at, created_at, updated_at)
  on app_public.queue_entries to waitify_merchant;
grant select on app_public.queue_events to waitify_merchant;

comment on table app_public.queue_entries is
  E'@behavior -insert -update -delete\nA customer in a queue. Changed only through joinQueue, cancelEntry, callNext, markServed, markMissed and the timeout.';
comment on column app_public.queue_entries.entry_token is
  E'@behavior -*\nThe customer''s secret; never shown to the merchant.';
comment on column app_public.queue_entries.joined_seq is
  'Join order within the queue (position = waiting entries with a smaller joined_seq + 1).';
comment on column app_public.queue_entries.quoted_wait_minutes is 'The wait estimate given to the customer when they joined.';
comment on column app_public.queue_entries.actual_service_time is 'Seconds from being called to being served.';
comment on constraint queue_entries_queue_fkey on app_public.queue_entries is
  E'@fieldName queue\n@foreignFieldName entries';
comment on constraint queue_entries_business_fkey on app_public.queue_entries is
  E'@fieldName business\n@foreignFieldName queueEntries';
comment on table app_public.queue_events is
  E'@behavior -insert -update -delete\nAppend-only log of every queue and entry state change, written in the same transaction as the change.';
comment on column app_public.queue_events.waiting_count is 'Waiting entries in the queue right after the change.';
comment on constraint queue_events_queue_fkey on app_public.queue_events is
  E'@fieldName queue\n@foreignFieldName events';

--! split: 220-queue-helpers.sql
-- Shared internals of the queue engine (app_private: not reachable by the
-- request roles; called from the SECURITY DEFINER functions of 230–250).
-- The helpers on the hot path are plpgsql rather than SQL: PostgreSQL < 18
-- plans a non-inlined SQL function's body again on every call, plpgsql keeps
-- its plans for the session (measured: 0.4 ms → 0.05 ms per estimate).
--
-- Concurrency protocol: every change to a queue or its entries first locks
-- the queue row (FOR NO KEY UPDATE: it does not block the foreign-key checks
-- of inserted entries), then the entry. One order everywhere, so no
-- deadlocks; capacity, duplicate phones, ticket numbers and "call next" are
-- decided by one transaction at a time per queue while other queues run in
-- parallel.

-- Business-rule errors with their SQLSTATE (lib/errors.ts maps them to
-- extensions.code / number) and a message in the business's language.
create or replace function app_private.queue_error(code text, lang text, detail text default null) returns void
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_state text;
  v_fr text;
  v_en text;
begin
  case code
    when 'QUEUE_CLOSED' then
      v_state := 'WT401'; v_fr := 'La file d''attente est fermée.'; v_en := 'The queue is closed.';
    when 'QUEUE_PAUSED' then
      v_state := 'WT411';
      v_fr := 'La file d''attente est en pause : les inscriptions reprendront bientôt.';
      v_en := 'The queue is paused: joining will resume shortly.';
    when 'QUEUE_PAUSED_CALL' then
      v_state := 'WT411';
      v_fr := 'La file d''attente est en pause : reprenez-la pour appeler le client suivant.';
      v_en := 'The queue is paused: resume it to call the next customer.';
    when 'QUEUE_FULL' then
      v_state := 'WT402'; v_fr := 'La file d''attente est complète.'; v_en := 'The queue is full.';
    when 'ALREADY_IN_QUEUE' then
      v_state := 'WT403';
      v_fr := 'Ce numéro est déjà inscrit dans cette file d''attente.';
      v_en := 'This phone number is already in this queue.';
    when 'BUSINESS_SUSPENDED' then
      v_state := 'WT404';
      v_fr := 'Cet établissement n''accepte pas de clients pour le moment.';
      v_en := 'This business is not accepting customers at the moment.';
    when 'INVALID_PHONE' then
      v_state := 'WTPHN'; v_fr := 'Numéro de téléphone invalide.'; v_en := 'Invalid phone number.';
    when 'INVALID_NAME' then
      v_state := 'WTVAL'; v_fr := 'Le nom doit faire au plus 100 caractères.'; v_en := 'The name must be at most 100 characters.';
    when 'INVALID_TRANSITION' then
      v_state := 'WTTRN';
      v_fr := format('Action impossible : %s.', coalesce(detail, 'état actuel'));
      v_en := format('This action is not possible: %s.', coalesce(detail, 'current state'));
    when 'QUEUE_NOT_FOUND' then
      v_state := 'WTNFD'; v_fr := 'File d''attente introuvable.'; v_en := 'Queue not found.';
    when 'ENTRY_NOT_FOUND' then
      v_state := 'WTNFD'; v_fr := 'Inscription introuvable.'; v_en := 'Queue entry not found.';
    when 'UNAUTHENTICATED' then
      v_state := 'WTUNA'; v_fr := 'Connexion requise.'; v_en := 'You must be signed in.';
    else
      raise exception 'unknown queue error code %', code;
  end case;
  raise exception using errcode = v_state, message = case when lang = 'en' then v_en else v_fr end;
end;
$$;

-- Why a transition is refused, in the business's language.
create or replace function app_private.transition_detail(status text, lang text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog
as $$
  select case when lang = 'en' then
    case status
      when 'waiting' then 'the customer has not been called'
      when 'called' then 'the customer has been called'
      when 'served' then 'the customer has already been served'
      when 'missed' then 'the customer has been marked missed'
      when 'cancelled' then 'this place has been cancelled'
      when 'closed' then 'the queue is closed'
      else status end
  else
    case status
      when 'waiting' then 'le client n''a pas encore été appelé'
      when 'called' then 'le client a déjà été appelé'
      when 'served' then 'le client a déjà été servi'
      when 'missed' then 'le client a été marqué absent'
      when 'cancelled' then 'cette inscription est annulée'
      when 'closed' then 'la file d''attente est fermée'
      else status end
  end;
$$;

-- Customers may join when the business is active and its owner's account is
-- active and not suspended/cancelled (BUSINESS_SUSPENDED, 4004).
create or replace function app_private.business_accepts_customers(business_id uuid) returns boolean
  language plpgsql stable
  set search_path to pg_catalog
as $$
begin
  return coalesce((
    select b.is_active and u.is_active and u.subscription_status not in ('suspended', 'cancelled')
      from app_public.businesses b
      join app_public.users u on u.id = b.user_id
     where b.id = business_accepts_customers.business_id
  ), false);
end;
$$;

-- "Today" for ticket numbers, in the business's country.
create or replace function app_private.local_date(country text) returns date
  language plpgsql stable
  set search_path to pg_catalog
as $$
begin
  return (now() at time zone case country when 'SN' then 'Africa/Dakar' else 'Europe/Paris' end)::date;
end;
$$;

create or replace function app_private.waiting_count(queue_id uuid) returns integer
  language plpgsql stable
  set search_path to pg_catalog
as $$
begin
  return (select count(*)::integer from app_public.queue_entries e
           where e.queue_id = waiting_count.queue_id and e.status = 'waiting');
end;
$$;

-- Seconds per customer for the estimates of one queue. Learned: the mean of
-- the last 20 actual service times of the last 12 hours once there are at
-- least 3 (fewer is noise); before that the queue's configured average; the
-- business type's default (system_configs.default_service_times) if a queue
-- had none; 15 minutes as the last resort.
create or replace function app_private.queue_service_seconds(queue_id uuid) returns numeric
  language plpgsql stable
  set search_path to pg_catalog
as $$
begin
  return (
  with recent as (
    select e.actual_service_time
      from app_public.queue_entries e
     where e.queue_id = queue_service_seconds.queue_id
       and e.status = 'served'
       and e.served_at > now() - interval '12 hours'
       and e.actual_service_time is not null
     order by e.served_at desc
     limit 20
  ), learned as (
    select avg(actual_service_time) as seconds from recent having count(*) >= 3
  )
  select coalesce(
    (select seconds from learned),
    q.average_service_time::numeric,
    (select (c.value::jsonb ->> b.business_type::text)::numeric
       from app_public.system_configs c where c.key = 'default_service_times'),
    900)
    from app_public.queues q
    join app_public.businesses b on b.id = q.business_id
   where q.id = queue_service_seconds.queue_id);
end;
$$;

-- Minutes of wait for someone with `ahead` people in front of them.
create or replace function app_private.wait_minutes(ahead integer, service_seconds numeric) returns integer
  language plpgsql immutable parallel safe
  set search_path to pg_catalog
as $$
begin
  return ceil(greatest(ahead, 0) * service_seconds / 60.0)::integer;
end;
$$;

create or replace function app_private.log_queue_event(
  queue app_public.queues, entry_id uuid, event_type text, actor text, actor_user_id uuid, waiting_count integer
) returns void
  language plpgsql volatile
  set search_path to pg_catalog
as $$
begin
  insert into app_public.queue_events (queue_id, business_id, user_id, entry_id, event_type, actor, actor_user_id, waiting_count)
  values ((queue).id, (queue).business_id, (queue).user_id, log_queue_event.entry_id, log_queue_event.event_type,
          log_queue_event.actor, log_queue_event.actor_user_id, log_queue_event.waiting_count);
end;
$$;

-- The queue of the signed-in merchant, locked for a change. Someone else's
-- queue is NOT_FOUND, like a queue that does not exist: no existence leak.
create or replace function app_private.lock_merchant_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_user uuid := app_public.current_user_id();
  v_queue app_public.queues;
begin
  if v_user is null then
    perform app_private.queue_error('UNAUTHENTICATED', 'fr');
  end if;
  select q.* into v_queue from app_public.queues q
   where q.id = lock_merchant_queue.queue_id and q.user_id = v_user
     for no key update;
  if not found then
    perform app_private.queue_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  return v_queue;
end;
$$;

create or replace function app_private.business_language(business_id uuid) returns text
  language plpgsql stable
  set search_path to pg_catalog
as $$
begin
  return coalesce((select b.language from app_public.businesses b where b.id = business_language.business_id), 'fr');
end;
$$;

-- The timeout of a called customer: a graphile-worker job at run_at, one per
-- entry (job_key), so rescheduling replaces it. plpgsql, so the body is only
-- resolved when it runs (graphile_worker's schema is installed outside these
-- migrations, by db/install-worker-schema.ts). SECURITY DEFINER: the owner
-- owns graphile_worker; callers are our own functions (app_private is out of
-- reach of the request roles).
create or replace function app_private.schedule_entry_timeout(p_entry_id uuid, p_run_at timestamptz) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
begin
  perform graphile_worker.add_job(
    'queue_timeout',
    json_build_object('entry_id', p_entry_id),
    run_at => p_run_at,
    max_attempts => 10,
    job_key => 'queue_timeout:' || p_entry_id::text
  );
end;
$$;

-- Served, missed or cancelled before the timeout: drop the job (if it is
-- already running, it finds the entry no longer 'called' and does nothing).
create or replace function app_private.cancel_entry_timeout(p_entry_id uuid) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
begin
  perform graphile_worker.remove_job('queue_timeout:' || p_entry_id::text);
end;
$$;

-- Calls the first waiting entry of a locked queue (or returns null when
-- nobody waits): status, event, timeout job. Used by call_next and by the
-- timeout's auto-advance.
create or replace function app_private.call_first_waiting(
  queue app_public.queues, actor text, actor_user_id uuid
) returns app_public.queue_entries
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_entry app_public.queue_entries;
begin
  -- Plain FOR UPDATE, not SKIP LOCKED: the queue lock already serialises the
  -- desks, and skipping a row that something else (an SMS counter update)
  -- holds for a moment would call customers out of order.
  select e.* into v_entry from app_public.queue_entries e
   where e.queue_id = (queue).id and e.status = 'waiting'
   order by e.joined_seq
   limit 1
     for update;
  if not found then
    return null;
  end if;
  update app_public.queue_entries e set status = 'called', called_at = now()
   where e.id = v_entry.id
  returning e.* into v_entry;
  perform app_private.log_queue_event(queue, v_entry.id, 'entry_called', actor, actor_user_id,
    app_private.waiting_count((queue).id));
  perform app_private.schedule_entry_timeout(v_entry.id,
    v_entry.called_at + make_interval(mins => (queue).client_timeout_minutes));
  return v_entry;
end;
$$;

--! split: 230-queue-customer.sql
-- What an anonymous customer can do: join by QR token, see their own place by
-- its secret entry token, cancel it, and see a queue's public status. These
-- are SECURITY DEFINER (anonymous has no table access at all) and return
-- only the caller's own entry or aggregate counts: never another customer's
-- phone, name or token.

-- Re-runnable: dropping the types drops the functions below, recreated here.
drop type if exists app_public.customer_entry cascade;
create type app_public.customer_entry as (
  entry_token text,
  status text,
  ticket_number integer,
  position integer,
  people_ahead integer,
  estimated_wait_minutes integer,
  client_name text,
  business_name text,
  queue_name text,
  language text,
  custom_message text,
  joined_at timestamptz,
  called_at timestamptz,
  call_expires_at timestamptz
);
comment on type app_public.customer_entry is
  'A customer''s own place in a queue: position and estimate while waiting, the deadline once called.';
comment on column app_public.customer_entry.entry_token is
  'The customer''s secret for entryStatus and cancelEntry (keep it in the status page URL).';
comment on column app_public.customer_entry.position is '1 = next to be called; null unless waiting.';
comment on column app_public.customer_entry.estimated_wait_minutes is 'People ahead × learned service time; null unless waiting.';
comment on column app_public.customer_entry.call_expires_at is 'When a called customer who has not come is marked missed.';

drop type if exists app_public.queue_public_status cascade;
create type app_public.queue_public_status as (
  business_name text,
  queue_name text,
  language text,
  custom_message text,
  is_open boolean,
  is_paused boolean,
  is_full boolean,
  can_join boolean,
  waiting_count integer,
  max_queue_size integer,
  estimated_wait_minutes integer
);
comment on type app_public.queue_public_status is 'What the QR page shows before joining.';
comment on column app_public.queue_public_status.estimated_wait_minutes is 'The wait of someone joining now.';

-- The customer's view of an entry. `ahead` and `service_seconds`, when the
-- caller already knows them (join_queue), save computing them again.
create or replace function app_private.customer_view(
  entry app_public.queue_entries, ahead integer default null, service_seconds numeric default null)
  returns app_public.customer_entry
  language plpgsql stable
  set search_path to pg_catalog
as $$
declare
  v_queue app_public.queues;
  v_business app_public.businesses;
  v_ahead integer := ahead;
  v_view app_public.customer_entry;
begin
  select q.* into v_queue from app_public.queues q where q.id = (entry).queue_id;
  select b.* into v_business from app_public.businesses b where b.id = (entry).business_id;
  if (entry).status = 'waiting' and v_ahead is null then
    select count(*)::integer into v_ahead from app_public.queue_entries e
     where e.queue_id = (entry).queue_id and e.status = 'waiting' and e.joined_seq < (entry).joined_seq;
  end if;
  v_view.entry_token := (entry).entry_token;
  v_view.status := (entry).status;
  v_view.ticket_number := (entry).ticket_number;
  if (entry).status = 'waiting' then
    v_view.position := v_ahead + 1;
    v_view.people_ahead := v_ahead;
    v_view.estimated_wait_minutes :=
      app_private.wait_minutes(v_ahead, coalesce(service_seconds, app_private.queue_service_seconds(v_queue.id)));
  end if;
  v_view.client_name := (entry).client_name;
  v_view.business_name := v_business.name;
  v_view.queue_name := v_queue.name;
  v_view.language := v_business.language;
  v_view.custom_message := v_business.custom_message;
  v_view.joined_at := (entry).joined_at;
  v_view.called_at := (entry).called_at;
  if (entry).status = 'called' then
    v_view.call_expires_at := (entry).called_at + make_interval(mins => v_queue.client_timeout_minutes);
  end if;
  return v_view;
end;
$$;

create or replace function app_public.join_queue(qr_token text, phone text, client_name text default null)
  returns app_public.customer_entry
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues;
  v_business app_public.businesses;
  v_phone text;
  v_name text := nullif(btrim(join_queue.client_name), '');
  v_waiting integer;
  v_service numeric;
  v_entry app_public.queue_entries;
begin
  -- Anyone may join (anonymous or signed in): the QR token is the credential.
  -- The queue lock makes the capacity and duplicate checks below exact under
  -- concurrent joins.
  select q.* into v_queue from app_public.queues q where q.qr_code_token = join_queue.qr_token
     for no key update;
  if not found then
    perform app_private.queue_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  select b.* into v_business from app_public.businesses b where b.id = v_queue.business_id;

  if not app_private.business_accepts_customers(v_business.id) then
    perform app_private.queue_error('BUSINESS_SUSPENDED', v_business.language);
  end if;
  if not v_queue.is_queue_active then
    perform app_private.queue_error('QUEUE_CLOSED', v_business.language);
  end if;
  if v_queue.is_queue_paused then
    perform app_private.queue_error('QUEUE_PAUSED', v_business.language);
  end if;
  v_phone := app_hidden.phone_to_e164(join_queue.phone, v_business.country);
  if v_phone is null then
    perform app_private.queue_error('INVALID_PHONE', v_business.language);
  end if;
  if length(v_name) > 100 then
    perform app_private.queue_error('INVALID_NAME', v_business.language);
  end if;
  if exists (select 1 from app_public.queue_entries e
              where e.queue_id = v_queue.id and e.phone = v_phone and e.status in ('waiting', 'called')) then
    perform app_private.queue_error('ALREADY_IN_QUEUE', v_business.language);
  end if;
  v_waiting := app_private.waiting_count(v_queue.id);
  if v_waiting >= v_queue.max_queue_size then
    perform app_private.queue_error('QUEUE_FULL', v_business.language);
  end if;

  v_service := app_private.queue_service_seconds(v_queue.id);
  insert into app_public.queue_entries (
    queue_id, business_id, user_id, phone, client_name, ticket_day, ticket_number,
    quoted_wait_minutes, position_at_join)
  select v_queue.id, v_queue.business_id, v_queue.user_id, v_phone, v_name, d.day,
    coalesce((select max(e.ticket_number) from app_public.queue_entries e
               where e.queue_id = v_queue.id and e.ticket_day = d.day), 0) + 1,
    app_private.wait_minutes(v_waiting, v_service),
    v_waiting + 1
    from (select app_private.local_date(v_business.country) as day) d
  returning * into v_entry;

  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_joined', 'customer', null, v_waiting + 1);
  return app_private.customer_view(v_entry, v_waiting, v_service);
end;
$$;
comment on function app_public.join_queue(text, text, text) is
  E'Joins the queue of a QR code with a phone number (06 12 34 56 78, +33…, or +221… for Senegal) and an optional name. Returns the customer''s place, estimate and secret entry token. Errors: QUEUE_CLOSED / QUEUE_PAUSED (4001), QUEUE_FULL (4002), ALREADY_IN_QUEUE (4003), BUSINESS_SUSPENDED (4004), INVALID_PHONE, NOT_FOUND.';

create or replace function app_public.entry_status(entry_token text) returns app_public.customer_entry
  language plpgsql stable security definer
  set search_path to pg_catalog, public
as $$
declare
  v_entry app_public.queue_entries;
begin
  -- The secret token is the only credential: it shows that one entry.
  select e.* into v_entry from app_public.queue_entries e where e.entry_token = entry_status.entry_token;
  if not found then
    perform app_private.queue_error('ENTRY_NOT_FOUND', 'fr');
  end if;
  return app_private.customer_view(v_entry);
end;
$$;
comment on function app_public.entry_status(text) is
  'A customer''s own place (status, position, estimate) from their secret entry token.';

create or replace function app_public.cancel_entry(entry_token text) returns app_public.customer_entry
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  v_entry app_public.queue_entries;
  v_queue app_public.queues;
  v_lang text;
  v_was_called boolean;
begin
  select e.* into v_entry from app_public.queue_entries e where e.entry_token = cancel_entry.entry_token;
  if not found then
    perform app_private.queue_error('ENTRY_NOT_FOUND', 'fr');
  end if;
  -- Queue first, then the entry: the one lock order of the engine.
  select q.* into v_queue from app_public.queues q where q.id = v_entry.queue_id for no key update;
  select e.* into v_entry from app_public.queue_entries e where e.id = v_entry.id for update;
  v_lang := app_private.business_language(v_entry.business_id);
  if v_entry.status not in ('waiting', 'called') then
    perform app_private.queue_error('INVALID_TRANSITION', v_lang, app_private.transition_detail(v_entry.status, v_lang));
  end if;
  v_was_called := v_entry.status = 'called';
  update app_public.queue_entries e set status = 'cancelled', cancelled_at = now()
   where e.id = v_entry.id
  returning e.* into v_entry;
  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_cancelled', 'customer', null,
    app_private.waiting_count(v_queue.id));
  if v_was_called then
    perform app_private.cancel_entry_timeout(v_entry.id);
  end if;
  return app_private.customer_view(v_entry);
end;
$$;
comment on function app_public.cancel_entry(text) is
  'Gives up a place (waiting or called) with the secret entry token. INVALID_TRANSITION once served, missed or cancelled.';

create or replace function app_public.queue_status(qr_token text) returns app_public.queue_public_status
  language plpgsql stable security definer
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues;
  v_business app_public.businesses;
  v_status app_public.queue_public_status;
  v_accepts boolean;
begin
  -- The QR token is the credential; only counts are shown, never entries.
  select q.* into v_queue from app_public.queues q where q.qr_code_token = queue_status.qr_token;
  if not found then
    perform app_private.queue_error('QUEUE_NOT_FOUND', 'fr');
  end if;
  select b.* into v_business from app_public.businesses b where b.id = v_queue.business_id;
  v_accepts := app_private.business_accepts_customers(v_business.id);
  v_status.business_name := v_business.name;
  v_status.queue_name := v_queue.name;
  v_status.language := v_business.language;
  v_status.custom_message := v_business.custom_message;
  -- A suspended business shows as closed: the reason is the merchant's business.
  v_status.is_open := v_queue.is_queue_active and v_accepts;
  v_status.is_paused := v_queue.is_queue_paused;
  v_status.waiting_count := app_private.waiting_count(v_queue.id);
  v_status.max_queue_size := v_queue.max_queue_size;
  v_status.is_full := v_status.waiting_count >= v_queue.max_queue_size;
  v_status.can_join := v_status.is_open and not v_status.is_paused and not v_status.is_full;
  v_status.estimated_wait_minutes :=
    app_private.wait_minutes(v_status.waiting_count, app_private.queue_service_seconds(v_queue.id));
  return v_status;
end;
$$;
comment on function app_public.queue_status(text) is
  'The public status of a queue from its QR token: open, paused, full, how many wait and the wait of a newcomer.';

grant execute on function
  app_public.join_queue(text, text, text),
  app_public.entry_status(text),
  app_public.cancel_entry(text),
  app_public.queue_status(text)
  to waitify_anonymous;

--! split: 240-queue-merchant.sql
-- The merchant's counter: open, pause, resume and close a queue; call the
-- next customer; mark them served or missed. SECURITY DEFINER (merchants
-- cannot write these tables directly) with the ownership check in
-- app_private.lock_merchant_queue: someone else's queue or entry is NOT_FOUND.
--
-- Re-applying the state a queue is already in (open an open queue, pause a
-- paused one…) is a no-op that logs nothing, so a double click is harmless;
-- pausing or resuming a closed queue is INVALID_TRANSITION.

create or replace function app_public.open_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(open_queue.queue_id);
begin
  if v_queue.is_queue_active then
    return v_queue;
  end if;
  if not app_private.business_accepts_customers(v_queue.business_id) then
    perform app_private.queue_error('BUSINESS_SUSPENDED', app_private.business_language(v_queue.business_id));
  end if;
  update app_public.queues q set is_queue_active = true, is_queue_paused = false
   where q.id = v_queue.id
  returning q.* into v_queue;
  perform app_private.log_queue_event(v_queue, null, 'queue_opened', 'merchant', app_public.current_user_id(),
    app_private.waiting_count(v_queue.id));
  return v_queue;
end;
$$;
comment on function app_public.open_queue(uuid) is
  'Opens one of your queues to new customers. BUSINESS_SUSPENDED (4004) while the business or account is suspended.';

create or replace function app_public.close_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(close_queue.queue_id);
  v_user uuid := app_public.current_user_id();
  v_waiting integer;
  v_entry_id uuid;
begin
  if not v_queue.is_queue_active then
    return v_queue;
  end if;
  -- Everyone still waiting is cancelled, one event each (each gets its SMS),
  -- in join order. Called customers stay called: the desk serves or misses them.
  v_waiting := app_private.waiting_count(v_queue.id);
  for v_entry_id in
    select e.id from app_public.queue_entries e
     where e.queue_id = v_queue.id and e.status = 'waiting'
     order by e.joined_seq
       for update
  loop
    update app_public.queue_entries e set status = 'cancelled', cancelled_at = now() where e.id = v_entry_id;
    v_waiting := v_waiting - 1;
    perform app_private.log_queue_event(v_queue, v_entry_id, 'entry_cancelled', 'merchant', v_user, v_waiting);
  end loop;
  update app_public.queues q set is_queue_active = false, is_queue_paused = false
   where q.id = v_queue.id
  returning q.* into v_queue;
  perform app_private.log_queue_event(v_queue, null, 'queue_closed', 'merchant', v_user, 0);
  return v_queue;
end;
$$;
comment on function app_public.close_queue(uuid) is
  'Closes one of your queues: waiting customers are cancelled (and told), called customers stay to be served or missed.';

create or replace function app_public.pause_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(pause_queue.queue_id);
  v_lang text;
begin
  if not v_queue.is_queue_active then
    v_lang := app_private.business_language(v_queue.business_id);
    perform app_private.queue_error('INVALID_TRANSITION', v_lang, app_private.transition_detail('closed', v_lang));
  end if;
  if v_queue.is_queue_paused then
    return v_queue;
  end if;
  update app_public.queues q set is_queue_paused = true where q.id = v_queue.id returning q.* into v_queue;
  perform app_private.log_queue_event(v_queue, null, 'queue_paused', 'merchant', app_public.current_user_id(),
    app_private.waiting_count(v_queue.id));
  return v_queue;
end;
$$;
comment on function app_public.pause_queue(uuid) is
  'Pauses an open queue: no new customers (QUEUE_PAUSED), no calls, places kept.';

create or replace function app_public.resume_queue(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(resume_queue.queue_id);
  v_lang text;
begin
  if not v_queue.is_queue_active then
    v_lang := app_private.business_language(v_queue.business_id);
    perform app_private.queue_error('INVALID_TRANSITION', v_lang, app_private.transition_detail('closed', v_lang));
  end if;
  if not v_queue.is_queue_paused then
    return v_queue;
  end if;
  update app_public.queues q set is_queue_paused = false where q.id = v_queue.id returning q.* into v_queue;
  perform app_private.log_queue_event(v_queue, null, 'queue_resumed', 'merchant', app_public.current_user_id(),
    app_private.waiting_count(v_queue.id));
  return v_queue;
end;
$$;
comment on function app_public.resume_queue(uuid) is 'Resumes a paused queue.';

create or replace function app_public.call_next(queue_id uuid) returns app_public.queue_entries
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
declare
  v_queue app_public.queues := app_private.lock_merchant_queue(call_next.queue_id);
begin
  -- The queue lock makes two desks calling at once get two different customers.
  if not v_queue.is_queue_active then
    perform app_private.queue_error('QUEUE_CLOSED', app_private.business_language(v_queue.business_id));
  end if;
  if v_queue.is_queue_paused then
    perform app_private.queue_error('QUEUE_PAUSED_CALL', app_private.business_language(v_queue.business_id));
  end if;
  return app_private.call_first_waiting(v_queue, 'merchant', app_public.current_user_id());
end;
$$;
comment on function app_public.call_next(uuid) is
  E'Calls the first waiting customer of one of your queues and starts their timeout; null when nobody waits. QUEUE_CLOSED / QUEUE_PAUSED (4001) when the queue is closed or paused.';

-- The entry of the signed-in merchant and its queue, locked in the engine's
-- order (queue, then entry); NOT_FOUND when it is not theirs.
create or replace function app_private.lock_merchant_entry(entry_id uuid, out queue app_public.queues, out entry app_public.queue_entries)
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_queue_id uuid;
begin
  select e.queue_id into v_queue_id from app_public.queue_entries e
   where e.id = lock_merchant_entry.entry_id and e.user_id = app_public.current_user_id();
  if not found then
    if app_public.current_user_id() is null then
      perform app_private.queue_error('UNAUTHENTICATED', 'fr');
    end if;
    perform app_private.queue_error('ENTRY_NOT_FOUND', 'fr');
  end if;
  queue := app_private.lock_merchant_queue(v_queue_id);
  select e.* into entry from app_public.queue_entries e where e.id = lock_merchant_entry.entry_id for update;
end;
$$;

-- Ends a called entry as served or missed (by the merchant).
create or replace function app_private.finish_called_entry(entry_id uuid, outcome text) returns app_public.queue_entries
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_locked record := app_private.lock_merchant_entry(finish_called_entry.entry_id);
  v_queue app_public.queues := v_locked.queue;
  v_entry app_public.queue_entries := v_locked.entry;
  v_lang text;
begin
  if v_entry.status <> 'called' then
    v_lang := app_private.business_language(v_entry.business_id);
    perform app_private.queue_error('INVALID_TRANSITION', v_lang, app_private.transition_detail(v_entry.status, v_lang));
  end if;
  if outcome = 'served' then
    update app_public.queue_entries e
       set status = 'served', served_at = now(),
           actual_service_time = greatest(0, round(extract(epoch from now() - e.called_at)))::integer
     where e.id = v_entry.id
    returning e.* into v_entry;
  else
    update app_public.queue_entries e set status = 'missed', missed_at = now()
     where e.id = v_entry.id
    returning e.* into v_entry;
  end if;
  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_' || outcome, 'merchant', app_public.current_user_id(),
    app_private.waiting_count(v_queue.id));
  perform app_private.cancel_entry_timeout(v_entry.id);
  return v_entry;
end;
$$;

create or replace function app_public.mark_served(entry_id uuid) returns app_public.queue_entries
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
begin
  -- Ownership is checked by lock_merchant_entry.
  return app_private.finish_called_entry(mark_served.entry_id, 'served');
end;
$$;
comment on function app_public.mark_served(uuid) is
  'A called customer has been served (records the actual service time). INVALID_TRANSITION unless called.';

create or replace function app_public.mark_missed(entry_id uuid) returns app_public.queue_entries
  language plpgsql volatile security definer
  set search_path to pg_catalog, public
as $$
begin
  -- Ownership is checked by lock_merchant_entry.
  return app_private.finish_called_entry(mark_missed.entry_id, 'missed');
end;
$$;
comment on function app_public.mark_missed(uuid) is
  'A called customer did not come. INVALID_TRANSITION unless called.';

grant execute on function
  app_public.open_queue(uuid),
  app_public.close_queue(uuid),
  app_public.pause_queue(uuid),
  app_public.resume_queue(uuid),
  app_public.call_next(uuid),
  app_public.mark_served(uuid),
  app_public.mark_missed(uuid)
  to waitify_merchant;

--! split: 250-queue-timeout.sql
-- The timeout of a called customer, run by the graphile-worker task
-- `queue_timeout` (tasks/queue_timeout.ts) that call_next scheduled for
-- called_at + client_timeout_minutes. Everything is decided here, under the
-- queue lock, so the job is safe to run late, twice, or after the merchant
-- already served or missed the customer.
--
-- Returns what happened: 'missed' (and the next customer was called when
-- auto-advance is on and the queue open), 'not_due' (rescheduled: the timeout
-- was lengthened since the call), or 'noop' (no longer called, or gone).
create or replace function app_private.expire_called_entry(entry_id uuid) returns text
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_queue_id uuid;
  v_queue app_public.queues;
  v_entry app_public.queue_entries;
  v_due timestamptz;
begin
  select e.queue_id into v_queue_id from app_public.queue_entries e where e.id = expire_called_entry.entry_id;
  if not found then
    return 'noop';
  end if;
  select q.* into v_queue from app_public.queues q where q.id = v_queue_id for no key update;
  select e.* into v_entry from app_public.queue_entries e where e.id = expire_called_entry.entry_id for update;
  if v_entry.status <> 'called' then
    return 'noop';
  end if;
  -- The queue row says how long a customer has: a test (or a merchant who
  -- shortened it) can rely on the current setting.
  v_due := v_entry.called_at + make_interval(mins => v_queue.client_timeout_minutes);
  if v_due > now() then
    perform app_private.schedule_entry_timeout(v_entry.id, v_due);
    return 'not_due';
  end if;

  update app_public.queue_entries e set status = 'missed', missed_at = now()
   where e.id = v_entry.id;
  perform app_private.log_queue_event(v_queue, v_entry.id, 'entry_missed', 'system', null,
    app_private.waiting_count(v_queue.id));
  if v_queue.auto_advance_enabled and v_queue.is_queue_active and not v_queue.is_queue_paused then
    perform app_private.call_first_waiting(v_queue, 'system', null);
  end if;
  return 'missed';
end;
$$;
comment on function app_private.expire_called_entry(uuid) is
  'The queue_timeout job: marks a still-called entry missed once its timeout has passed and, with auto-advance, calls the next.';

--! split: 300-sms-tables.sql
-- SMS notifications, part 1: the message templates and the outbox.
-- Every SMS is first a row of app_public.sms_logs, written in the same
-- transaction as the queue change that causes it (triggers in 320-sms-*.sql),
-- then sent by the send_sms task (tasks/send_sms.ts). Functions: 310-sms-*.sql.

-- Settings SQL needs when it renders and enqueues messages. public_url is
-- upserted by every API/worker process at start from PUBLIC_URL
-- (lib/sms/settings.ts), so SQL renders links without the job carrying them.
insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('public_url', 'http://localhost:3000', 'string', 'Base URL of the links in SMS (PUBLIC_URL, set at start)', false),
  ('sms_max_attempts', '6', 'integer', 'Attempts per SMS before it is marked failed (5001); backoff e^n s: about 4 minutes in all', false)
on conflict (key) do nothing;

-- Texts of the messages, per language. Rows with business_id null are the
-- defaults; a business's own row (merchant editing comes later) wins.
-- Placeholders: {business} {position} {ticket} {wait} {ahead} {custom_message} {link}.
create table if not exists app_public.sms_templates (
  id uuid primary key default gen_random_uuid(),
  business_id uuid,
  user_id uuid,
  language text not null check (language in ('fr', 'en')),
  message_type text not null check (message_type in ('confirmation', 'reminder', 'your_turn', 'missed', 'cancelled')),
  body text not null check (length(btrim(body)) between 1 and 480),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- An override belongs to a business and to its owner (tenant key), or to nobody (default).
  check ((business_id is null) = (user_id is null)),
  constraint sms_templates_business_id_user_id_fkey
    foreign key (business_id, user_id) references app_public.businesses (id, user_id) on delete cascade,
  -- PostgreSQL 15+: one default per (language, type) as well as one override per business.
  unique nulls not distinct (business_id, language, message_type)
);
create index if not exists sms_templates_user_id_idx on app_public.sms_templates (user_id);

-- Default texts. Kept in the GSM-7 alphabet (é è à ù are in it; ê ç ’ are
-- not) so that a message without a long custom message is one part.
insert into app_public.sms_templates (language, message_type, body) values
  ('fr', 'confirmation', 'Votre place #{position} chez {business} est confirmée, temps d''attente: {wait}min. {custom_message} Suivi: {link}'),
  ('fr', 'reminder', 'Plus que {ahead} clients devant vous chez {business}. Suivi: {link}'),
  ('fr', 'your_turn', 'C''est votre tour chez {business} ! Présentez-vous au comptoir. {custom_message} {link}'),
  ('fr', 'missed', 'Votre tour chez {business} est passé. Rescannez le QR code. {link}'),
  ('fr', 'cancelled', 'Votre place chez {business} a été annulée. {link}'),
  ('en', 'confirmation', 'Your place #{position} at {business} is confirmed, estimated wait: {wait}min. {custom_message} Status: {link}'),
  ('en', 'reminder', 'Only {ahead} customers ahead of you at {business}. Status: {link}'),
  ('en', 'your_turn', 'It''s your turn at {business}! Please come to the counter. {custom_message} {link}'),
  ('en', 'missed', 'Your turn at {business} has passed. Scan the QR code again. {link}'),
  ('en', 'cancelled', 'Your place at {business} has been cancelled. {link}')
on conflict (business_id, language, message_type) do nothing;

create table if not exists app_public.sms_logs (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null,
  -- Tenant key (the business owner): RLS and billing per user need no join.
  user_id uuid not null,
  -- Kept when retention deletes the entry: the log is what billing counts.
  queue_entry_id uuid constraint sms_logs_queue_entry_id_fkey references app_public.queue_entries (id) on delete set null,
  phone text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  message_type text not null check (message_type in ('confirmation', 'reminder', 'your_turn', 'missed', 'cancelled')),
  -- The exact text sent, rendered when the change happened.
  message_content text not null check (length(message_content) between 1 and 1600),
  status text not null default 'pending' check (status in ('pending', 'sent', 'delivered', 'failed')),
  provider_message_id text,
  -- Billed parts (GSM-7 160/153, UCS-2 70/67), known once sent.
  parts integer check (parts >= 1),
  cost_cents integer not null default 0 check (cost_cents >= 0),
  -- Send attempts started (one per job attempt that found the log pending).
  attempts integer not null default 0 check (attempts >= 0),
  -- 5001 SMS_FAILURE once the log is failed.
  error_code integer check (error_code in (5001)),
  provider_response jsonb,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  delivered_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint sms_logs_business_id_user_id_fkey
    foreign key (business_id, user_id) references app_public.businesses (id, user_id) on delete cascade,
  -- At most one message of each type per entry (a retried job, a replayed
  -- event or a concurrent trigger cannot add a second one).
  constraint sms_logs_one_per_type unique (queue_entry_id, message_type),
  check (status not in ('sent', 'delivered') or (sent_at is not null and provider_message_id is not null and parts is not null)),
  check (status <> 'failed' or error_code is not null),
  check (status <> 'delivered' or delivered_at is not null)
);
-- Usage per business and per user per month count by sent_at.
create index if not exists sms_logs_business_id_sent_at_idx on app_public.sms_logs (business_id, sent_at);
create index if not exists sms_logs_user_id_sent_at_idx on app_public.sms_logs (user_id, sent_at);
-- Monitoring: what is still waiting to go out.
create index if not exists sms_logs_pending_idx on app_public.sms_logs (created_at) where status = 'pending';

drop trigger if exists _100_timestamps on app_public.sms_templates;
create trigger _100_timestamps before update on app_public.sms_templates
  for each row execute function app_private.tg__set_updated_at();
drop trigger if exists _100_timestamps on app_public.sms_logs;
create trigger _100_timestamps before update on app_public.sms_logs
  for each row execute function app_private.tg__set_updated_at();

alter table app_public.sms_templates enable row level security;
alter table app_public.sms_logs enable row level security;

-- A merchant reads the default texts and their own; nobody writes through the
-- API yet (editing is a later feature: it will add grants and a policy).
drop policy if exists select_own_or_default on app_public.sms_templates;
create policy select_own_or_default on app_public.sms_templates for select to waitify_merchant
  using (user_id is null or user_id = (select app_public.current_user_id()));
grant select on app_public.sms_templates to waitify_merchant;

-- The owner reads the logs of their businesses; the back office reads all;
-- customers (anonymous) read nothing: their status page shows the entry itself.
-- Rows are written only by SECURITY DEFINER functions and the worker (owner).
drop policy if exists select_own on app_public.sms_logs;
create policy select_own on app_public.sms_logs for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists select_all_admin on app_public.sms_logs;
create policy select_all_admin on app_public.sms_logs for select to waitify_admin using (true);
grant select on app_public.sms_logs to waitify_merchant, waitify_admin;

comment on table app_public.sms_logs is E'@behavior -insert -update -delete\nEvery SMS: pending until the worker sends it, then sent (or failed, 5001).';
comment on table app_public.sms_templates is E'@behavior -insert -update -delete\nTexts of the SMS per language; rows without a business are the defaults.';
comment on constraint sms_logs_business_id_user_id_fkey on app_public.sms_logs is
  E'@fieldName business\n@foreignFieldName smsLogs';
comment on constraint sms_logs_queue_entry_id_fkey on app_public.sms_logs is
  E'@fieldName queueEntry\n@foreignFieldName smsLogs';
comment on constraint sms_templates_business_id_user_id_fkey on app_public.sms_templates is
  E'@fieldName business\n@foreignFieldName smsTemplates';

--! split: 310-sms-functions.sql
-- SMS notifications, part 2: rendering, the outbox helper, the worker's
-- record of a send, and usage. Tables: 300-sms-tables.sql.

-- Drop the previous signature (entry id, type) of render_sms.
drop function if exists app_private.render_sms(uuid, text);

-- Replaces {name} placeholders from a JSON object. An empty value (no custom
-- message) must not leave a double space behind.
create or replace function app_private.sms_fill(template text, vars jsonb) returns text
  language plpgsql immutable strict parallel safe
  set search_path to pg_catalog
as $$
declare
  k text;
  v text;
  result text := template;
begin
  for k, v in select key, value from jsonb_each_text(vars) loop
    result := replace(result, '{' || k || '}', coalesce(v, ''));
  end loop;
  return btrim(regexp_replace(result, '[ ]{2,}', ' ', 'g'));
end;
$$;

-- The text of one message for one entry, in the business's language: the
-- business's own template if it has one, else the default (French if the
-- language has none). The link is PUBLIC_URL/e/<entry token>: the customer's
-- status page, from which they can cancel. Takes the rows the caller already
-- read (enqueue_sms runs in the transaction of every queue change).
create or replace function app_private.render_sms(
  e app_public.queue_entries,
  b app_public.businesses,
  message_type text
) returns text
  -- plpgsql, not sql: PostgreSQL before 18 plans a non-inlined SQL function
  -- at every call, and this one runs in the transaction of every queue change.
  language plpgsql stable
  set search_path to pg_catalog, public, app_public, app_private
as $$
declare
  body_template text;
  base_url text;
begin
  select t.body into body_template
    from app_public.sms_templates t
   where t.message_type = render_sms.message_type
     and (t.business_id = b.id or t.business_id is null)
   order by t.business_id nulls last, (t.language = b.language) desc, (t.language = 'fr') desc
   limit 1;
  select rtrim(c.value, '/') into base_url from app_public.system_configs c where c.key = 'public_url';
  return app_private.sms_fill(body_template, jsonb_build_object(
    'business', b.name,
    'position', e.position_at_join,
    'ticket', e.ticket_number,
    'wait', coalesce(e.quoted_wait_minutes, 0),
    'ahead', 2,
    'custom_message', nullif(btrim(coalesce(b.custom_message, '')), ''),
    'link', coalesce(base_url, 'http://localhost:3000') || '/e/' || e.entry_token
  ));
end;
$$;

-- The outbox: records one SMS for an entry and enqueues its send_sms job in
-- the caller's transaction, so a rolled-back change sends nothing and a
-- committed one is never forgotten. Returns the sms_logs id, or null when
-- nothing is to be sent: SMS turned off by the business, this type already
-- recorded for the entry, or the entry's cap of 5 reached.
-- SECURITY DEFINER: called from triggers that fire in a customer's or a
-- merchant's request; EXECUTE is granted to nobody (the committed migration
-- revokes it from PUBLIC), and the body refuses any direct call but the
-- owner's.
create or replace function app_private.enqueue_sms(entry_id uuid, message_type text) returns uuid
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, app_public, app_private
as $$
declare
  e app_public.queue_entries;
  b app_public.businesses;
  log_id uuid;
  attempts_allowed integer;
begin
  if pg_trigger_depth() = 0 and session_user <> current_user
     and not (select rolsuper from pg_roles where rolname = session_user) then
    raise exception using errcode = 'WTFRB', message = 'enqueue_sms is internal';
  end if;
  select * into e from app_public.queue_entries where id = enqueue_sms.entry_id;
  if not found then
    return null;
  end if;
  select * into b from app_public.businesses where id = e.business_id;
  if not coalesce(b.sms_notifications_enabled, false) then
    -- The customer's status page still shows the change; only the SMS is skipped.
    return null;
  end if;
  -- Five types, one of each: the cap is also structural, this keeps it explicit.
  if (select count(*) from app_public.sms_logs l where l.queue_entry_id = e.id) >= 5 then
    return null;
  end if;
  insert into app_public.sms_logs (business_id, user_id, queue_entry_id, phone, message_type, message_content)
    values (e.business_id, e.user_id, e.id, e.phone, enqueue_sms.message_type,
            app_private.render_sms(e, b, enqueue_sms.message_type))
    on conflict on constraint sms_logs_one_per_type do nothing
    returning id into log_id;
  if log_id is null then
    return null;
  end if;
  select value::integer into attempts_allowed from app_public.system_configs where key = 'sms_max_attempts';
  -- Keyed by the log id: adding the same log twice never makes two jobs.
  perform graphile_worker.add_job(
    'send_sms',
    json_build_object('sms_log_id', log_id),
    max_attempts := coalesce(attempts_allowed, 6),
    job_key := 'sms:' || log_id
  );
  return log_id;
end;
$$;

-- The worker's side (tasks/send_sms.ts, connected as the owner; no grants).
-- sms_claim starts a send: it returns the log if it is still pending and
-- counts the attempt. Its row lock lasts until the task's transaction ends,
-- after the provider answered, so two jobs for one log never both send: the
-- second waits, then finds the log sent and gets no row.
create or replace function app_private.sms_claim(sms_log_id uuid) returns setof app_public.sms_logs
  language plpgsql volatile
  set search_path to pg_catalog, public, app_public, app_private
as $$
begin
  return query
    update app_public.sms_logs l
       set attempts = l.attempts + 1
     where l.id = sms_claim.sms_log_id and l.status = 'pending'
    returning l.*;
end;
$$;

-- A message the provider accepted: sent, its parts and cost (parts ×
-- system_configs.sms_cost_cents), and the entry's SMS counters.
create or replace function app_private.sms_mark_sent(
  sms_log_id uuid,
  provider_message_id text,
  parts integer,
  provider_response jsonb
) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, app_public, app_private
as $$
declare
  entry_id uuid;
  unit_cost integer;
begin
  select coalesce(value::integer, 3) into unit_cost from app_public.system_configs where key = 'sms_cost_cents';
  update app_public.sms_logs l
    set status = 'sent',
        provider_message_id = sms_mark_sent.provider_message_id,
        parts = sms_mark_sent.parts,
        cost_cents = sms_mark_sent.parts * coalesce(unit_cost, 3),
        provider_response = sms_mark_sent.provider_response,
        sent_at = now()
    where l.id = sms_mark_sent.sms_log_id and l.status = 'pending'
    returning l.queue_entry_id into entry_id;
  if entry_id is not null then
    update app_public.queue_entries
      set sms_sent_count = sms_sent_count + 1, last_sms_sent_at = now()
      where id = entry_id;
  end if;
end;
$$;

-- A refused send. With final (a permanent refusal, or the last attempt) the
-- log is failed with 5001; otherwise only the answer is kept and the job is
-- retried.
create or replace function app_private.sms_mark_failed(sms_log_id uuid, provider_response jsonb, final boolean)
  returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, app_public, app_private
as $$
begin
  update app_public.sms_logs l
     set provider_response = sms_mark_failed.provider_response,
         status = case when sms_mark_failed.final then 'failed' else l.status end,
         error_code = case when sms_mark_failed.final then 5001 else l.error_code end
   where l.id = sms_mark_failed.sms_log_id and l.status = 'pending';
end;
$$;

-- Usage for billing: SMS parts of the current user's businesses in a calendar
-- month (UTC), counting every successful status (sent and delivered), zero for
-- a business that sent none. Invoker's rights: RLS shows a merchant only
-- their own businesses and logs.
create or replace function app_public.sms_usage_by_business(month date default null)
  returns table (business_id uuid, business_name text, messages integer, parts integer)
  language sql stable
  set search_path to pg_catalog, public, app_public
as $$
  with bounds as (
    select date_trunc('month', coalesce(month, (now() at time zone 'UTC')::date))::timestamp at time zone 'UTC' as start
  )
  select b.id, b.name, count(l.id)::integer, coalesce(sum(l.parts), 0)::integer
    from bounds
    cross join app_public.businesses b
    left join app_public.sms_logs l
      on l.business_id = b.id
     and l.user_id = b.user_id
     and l.status in ('sent', 'delivered')
     and l.sent_at >= bounds.start
     and l.sent_at < bounds.start + interval '1 month'
    where b.user_id = (select app_public.current_user_id())
    group by b.id, b.name, b.created_at
    order by b.created_at, b.id;
$$;

create or replace function app_public.sms_usage_total(month date default null) returns integer
  language sql stable
  set search_path to pg_catalog, public, app_public
as $$
  select coalesce(sum(u.parts), 0)::integer from app_public.sms_usage_by_business(month) u;
$$;

comment on function app_public.sms_usage_by_business(date) is
  'SMS messages and parts per business of the signed-in merchant for the month containing `month` (UTC; default: this month).';
comment on function app_public.sms_usage_total(date) is
  'SMS parts of all the signed-in merchant''s businesses for the month containing `month` (UTC; default: this month).';
grant execute on function app_public.sms_usage_by_business(date) to waitify_merchant;
grant execute on function app_public.sms_usage_total(date) to waitify_merchant;

--! split: 320-sms-triggers.sql
-- SMS notifications, part 3: which queue events text whom. The queue engine
-- (200-*.sql) appends one app_public.queue_events row per change in the
-- change's own transaction; these triggers turn them into sms_logs rows and
-- send_sms jobs in that same transaction (the transactional outbox).

-- One message per entry event: joined → confirmation, called → your_turn,
-- missed → missed, cancelled (by the customer, or by closing the queue) →
-- cancelled. SECURITY DEFINER: the event is inserted by a customer's or a
-- merchant's request, which may not read sms_logs nor enqueue jobs itself.
-- A trigger function cannot be called directly, which is the caller check.
create or replace function app_private.tg_queue_events__sms() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, app_public, app_private
as $$
begin
  if new.entry_id is not null then
    case new.event_type
      when 'entry_joined' then perform app_private.enqueue_sms(new.entry_id, 'confirmation');
      when 'entry_called' then perform app_private.enqueue_sms(new.entry_id, 'your_turn');
      when 'entry_missed' then perform app_private.enqueue_sms(new.entry_id, 'missed');
      when 'entry_cancelled' then perform app_private.enqueue_sms(new.entry_id, 'cancelled');
      else null;
    end case;
  end if;
  return null;
end;
$$;

drop trigger if exists _300_sms on app_public.queue_events;
create trigger _300_sms after insert on app_public.queue_events
  for each row execute function app_private.tg_queue_events__sms();

-- The reminder: when someone leaves the waiting set (called, cancelled,
-- missed, served), the waiting entry that now has exactly two people ahead is
-- told so, once, unless it joined with two or fewer ahead (its confirmation
-- already said so). Deferred to commit so that it looks at the final state of
-- the transaction: closing a queue cancels every waiting entry one event at a
-- time, and must not remind people whose place is cancelled a moment later.
-- Joins only add at the end of the line, so they never change anyone's count.
create or replace function app_private.tg_queue_events__sms_reminder() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, app_public, app_private
as $$
declare
  third app_public.queue_entries;
begin
  select * into third
    from app_public.queue_entries e
    where e.queue_id = new.queue_id and e.status = 'waiting'
    order by e.joined_seq
    offset 2 limit 1;
  if found and third.position_at_join > 3 then
    perform app_private.enqueue_sms(third.id, 'reminder');
  end if;
  return null;
end;
$$;

drop trigger if exists _310_sms_reminder on app_public.queue_events;
create constraint trigger _310_sms_reminder after insert on app_public.queue_events
  deferrable initially deferred
  for each row
  when (new.event_type in ('entry_called', 'entry_cancelled', 'entry_missed', 'entry_served'))
  execute function app_private.tg_queue_events__sms_reminder();
