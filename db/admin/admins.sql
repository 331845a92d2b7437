-- Administrators (the back office): who they are, how they sign in, and the
-- check every admin operation starts with. Admins are not merchant accounts
-- (app_private.admins, not app_public.users): they have no plan or business
-- and never count as tenants. No API operation creates one: only a DBA, with
-- `npm run admin:create -- <email>` (lib/admin/cli.ts → create_admin).

drop trigger if exists _100_timestamps on app_private.admins;
create trigger _100_timestamps before update on app_private.admins
  for each row execute function app_private.tg__set_updated_at();

-- The administrator of the request: the verified token's admin_id claim
-- (lib/auth/request.ts sets it only from a signed admin token), or null.
create or replace function app_public.current_admin_id() returns uuid
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select nullif(current_setting('jwt.claims.admin_id', true), '')::uuid;
$$;
comment on function app_public.current_admin_id() is
  '@omit\nThe signed-in administrator''s id (null for anyone else).';
grant execute on function app_public.current_admin_id() to waitify_admin;

-- The check every admin operation starts with: the request runs as the admin
-- role AND its token names an administrator who exists and is not disabled
-- (a token signed for a removed admin, or a role-only token, cannot write).
-- Returns the admin's id; FORBIDDEN otherwise.
create or replace function app_private.assert_admin() returns uuid
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_admin uuid;
begin
  if coalesce(current_setting('role', true), 'none') <> 'waitify_admin' then
    perform app_hidden.raise_error('FORBIDDEN');
  end if;
  select a.id into v_admin from app_private.admins a
   where a.id = app_public.current_admin_id() and a.disabled_at is null;
  if v_admin is null then
    perform app_hidden.raise_error('FORBIDDEN');
  end if;
  return v_admin;
end;
$$;
comment on function app_private.assert_admin() is
  'The acting administrator''s id; FORBIDDEN unless the request is an enabled admin''s.';

-- The session token of an administrator who just proved who they are
-- (called by app_public.authenticate for an admin's address). Same errors and
-- the same bcrypt work as a merchant's sign-in.
create or replace function app_private.admin_session(email text, password text) returns app_public.jwt_token
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_admin app_private.admins;
begin
  select a.* into v_admin from app_private.admins a
   where a.email = lower(btrim(coalesce(admin_session.email, '')))::citext;
  if v_admin.password_hash is null or admin_session.password is null then
    perform crypt(coalesce(admin_session.password, ''), gen_salt('bf', 10));
    perform app_hidden.raise_error('INVALID_CREDENTIALS');
  end if;
  if crypt(admin_session.password, v_admin.password_hash) <> v_admin.password_hash then
    perform app_hidden.raise_error('INVALID_CREDENTIALS');
  end if;
  if v_admin.disabled_at is not null then
    perform app_hidden.raise_error('ACCOUNT_DISABLED');
  end if;
  return app_private.session_token(null, v_admin.id);
end;
$$;

-- Creates an administrator, or sets the password of an existing one (the
-- DBA's recovery path; a disabled admin stays disabled). An address that is a
-- merchant account is refused: one address, one way to sign in.
-- Returns the admin's id and whether it was created.
create or replace function app_private.create_admin(email text, password text, out admin_id uuid, out created boolean)
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_email text := lower(btrim(coalesce(create_admin.email, '')));
begin
  if v_email !~ '^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$' or length(v_email) > 255 then
    perform app_hidden.raise_error('INVALID_EMAIL', 'en');
  end if;
  if create_admin.password is null or length(create_admin.password) < 12 then
    perform app_hidden.raise_error('ADMIN_PASSWORD_TOO_SHORT', 'en');
  end if;
  if octet_length(create_admin.password) > 72 then
    perform app_hidden.raise_error('PASSWORD_TOO_LONG', 'en');
  end if;
  if exists (select 1 from app_public.users u where u.email = v_email::citext) then
    perform app_hidden.raise_error('EMAIL_TAKEN', 'en');
  end if;
  insert into app_private.admins as a (email, password_hash)
  values (v_email, crypt(create_admin.password, gen_salt('bf', 10)))
  on conflict on constraint admins_email_key
    do update set password_hash = excluded.password_hash
  returning a.id, (xmax = 0) into admin_id, created;
end;
$$;
comment on function app_private.create_admin(text, text) is
  'A DBA''s command (npm run admin:create): creates an administrator or replaces its password.';
