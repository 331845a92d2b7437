-- Merchant accounts: the users table's access rules, sign-up, sign-in, the session token.

drop trigger if exists _100_timestamps on app_public.users;
create trigger _100_timestamps before update on app_public.users
  for each row execute function app_private.tg__set_updated_at();

drop trigger if exists _100_timestamps on app_private.user_secrets;
create trigger _100_timestamps before update on app_private.user_secrets
  for each row execute function app_private.tg__set_updated_at();

comment on type app_public.jwt_token is
  'A session: the request role and who signed in — a merchant account (user_id, sub the same id) or an administrator (admin_id, sub the same id) — and when (auth_time, seconds since the epoch, kept when the session is refreshed).';

-- Merchant accounts: registration, password and Google sign-in, the current
-- user, what a merchant may see and change of its own account, and the plan
-- rules that live on the account (trial, downgrade). Idempotent.
comment on table app_public.users is 'A merchant account. Secrets live in app_private.user_secrets.';

comment on column app_public.users.email is 'Unique, case-insensitive (citext).';
-- Orderable without an index: the back office's list (db/admin/tenants.sql)
-- pages newest first with cursors on it, which keeps deep pages cheap.
comment on column app_public.users.created_at is E'@behavior +orderBy\nWhen the account was created.';

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
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.phone_number := app_hidden.normalize_e164(new.phone_number, 'FR');
  return new;
end;
$$;

drop trigger if exists _200_normalize on app_public.users;
create trigger _200_normalize before insert or update of phone_number on app_public.users
  for each row execute function app_private.tg_users__normalize();

-- Plans: moving to a plan that allows fewer active businesses than the
-- account has is refused. The row being updated is locked, and business
-- creation locks the same row (identity/businesses.sql), so the check
-- and a concurrent creation cannot both pass. A plan that Stripe reports
-- (the merchant changed it in the billing portal) is what they pay for and is
-- recorded as it is: the limit then only stops new businesses.
create or replace function app_private.tg_users__check_plan_change() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_plan app_public.subscription_plans;
  v_active_count integer;
begin
  select p.* into v_plan from app_public.subscription_plans p where p.id = new.subscription_plan_id;
  if v_plan.max_businesses = -1 or app_private.current_actor() = 'stripe' then
    return new;
  end if;
  select count(*) into v_active_count from app_public.businesses b where b.user_id = new.id and b.is_active;
  if v_active_count > v_plan.max_businesses then
    perform app_hidden.raise_error('PLAN_LIMIT_DOWNGRADE', null, v_plan.name, v_plan.max_businesses::text, v_active_count::text);
  end if;
  return new;
end;
$$;

drop trigger if exists _300_check_plan_change on app_public.users;
create trigger _300_check_plan_change before update of subscription_plan_id on app_public.users
  for each row when (new.subscription_plan_id is distinct from old.subscription_plan_id)
  execute function app_private.tg_users__check_plan_change();

-- Account creation, shared by password and Google sign-up: the basic plan
-- with a trial whose length comes from system_configs.
create or replace function app_private.create_account(
  email text,
  first_name text,
  last_name text,
  auth_provider text
) returns app_public.users
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_account app_public.users;
  v_email text := lower(btrim(coalesce(email, '')));
begin
  if v_email !~ '^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$' or length(v_email) > 255 then
    perform app_hidden.raise_error('INVALID_EMAIL');
  end if;
  if length(first_name) > 100 or length(last_name) > 100 then
    perform app_hidden.raise_error('PERSON_NAME_TOO_LONG');
  end if;
  -- An administrator's address cannot become a merchant account: one address, one way to sign in.
  if exists (select 1 from app_public.users u where u.email = v_email::citext)
     or exists (select 1 from app_private.admins a where a.email = v_email::citext) then
    perform app_hidden.raise_error('EMAIL_TAKEN');
  end if;
  insert into app_public.users as u (email, first_name, last_name, auth_provider, subscription_status,
                                     subscription_plan_id, trial_ends_at)
  values (
    v_email,
    nullif(btrim(first_name), ''),
    nullif(btrim(last_name), ''),
    auth_provider,
    'trial',
    (select p.id from app_public.subscription_plans p where p.name = 'basic'),
    now() + make_interval(days => coalesce(app_private.config_value('trial_duration_days')::integer, 14))
  )
  returning u.* into v_account;
  return v_account;
exception when unique_violation then
  -- Two sign-ups with the same address at the same moment.
  perform app_hidden.raise_error('EMAIL_TAKEN');
end;
$$;
comment on function app_private.create_account(text, text, text, text) is
  'Creates a merchant account on the basic plan with a trial (system_configs.trial_duration_days).';

-- The session token of an account that just proved who it is; auth_time is
-- now, and stays with the session through refresh_session (session-refresh.sql).
create or replace function app_private.session_for(account app_public.users) returns app_public.jwt_token
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.session_token(account.id);
$$;

-- register(email, password, first_name, last_name) → a session token.
create or replace function app_public.register(
  email text,
  password text,
  first_name text default null,
  last_name text default null
) returns app_public.jwt_token
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_account app_public.users;
begin
  -- Caller: anyone not signed in (signing up is the public door; a signed-in
  -- merchant has an account already).
  if app_public.current_user_id() is not null then
    perform app_hidden.raise_error('ALREADY_SIGNED_IN');
  end if;
  if password is null or length(password) < 8 then
    perform app_hidden.raise_error('PASSWORD_TOO_SHORT');
  end if;
  -- bcrypt reads at most 72 bytes: refuse rather than silently ignore the rest.
  if octet_length(password) > 72 then
    perform app_hidden.raise_error('PASSWORD_TOO_LONG');
  end if;
  v_account := app_private.create_account(email, first_name, last_name, 'password');
  insert into app_private.user_secrets (user_id, password_hash)
  values (v_account.id, crypt(password, gen_salt('bf', 10)));
  update app_public.users u set last_login = now() where u.id = v_account.id;
  return app_private.session_for(v_account);
end;
$$;
comment on function app_public.register(text, text, text, text) is
  E'@resultFieldName jwtToken\nCreates a merchant account (14-day trial on the basic plan) and returns its session token.';
grant execute on function app_public.register(text, text, text, text) to waitify_anonymous;

-- authenticate(email, password) → a session token. A wrong password and an
-- unknown address give the same error and cost the same bcrypt work, so
-- neither the answer nor its timing tells which addresses have accounts
-- (nor which are administrators').
create or replace function app_public.authenticate(email text, password text) returns app_public.jwt_token
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_account app_public.users;
  v_stored_hash text;
begin
  -- Caller: anyone; the credentials are the check.
  -- An administrator signs in at the same door (admin/admins.sql); the
  -- addresses of admins and merchants never overlap (create_account, create_admin).
  if exists (select 1 from app_private.admins a where a.email = lower(btrim(coalesce(authenticate.email, '')))::citext) then
    return app_private.admin_session(authenticate.email, authenticate.password);
  end if;
  select u.* into v_account
  from app_public.users u
  where u.email = lower(btrim(coalesce(authenticate.email, '')))::citext;
  select s.password_hash into v_stored_hash from app_private.user_secrets s where s.user_id = v_account.id;
  -- The same bcrypt work whether or not there is a hash to compare with.
  if v_stored_hash is null or password is null then
    perform crypt(coalesce(password, ''), gen_salt('bf', 10));
    perform app_hidden.raise_error('INVALID_CREDENTIALS');
  end if;
  if crypt(password, v_stored_hash) <> v_stored_hash then
    perform app_hidden.raise_error('INVALID_CREDENTIALS');
  end if;
  if not v_account.is_active then
    perform app_hidden.raise_error('ACCOUNT_DISABLED');
  end if;
  update app_public.users u set last_login = now() where u.id = v_account.id;
  return app_private.session_for(v_account);
end;
$$;
comment on function app_public.authenticate(text, text) is
  E'@resultFieldName jwtToken\nSigns in with email and password; returns a session token.';

grant execute on function app_public.authenticate(text, text) to waitify_anonymous;

-- current_user() → the signed-in merchant's account (null for anyone else).
-- SECURITY INVOKER: row-level security already limits it to one's own row.
create or replace function app_public.current_user() returns app_public.users
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select u.* from app_public.users u where u.id = app_public.current_user_id();
$$;
comment on function app_public.current_user() is 'The signed-in merchant account.';
grant execute on function app_public.current_user() to waitify_merchant, waitify_admin;
