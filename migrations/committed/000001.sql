--! Previous: -
--! Hash: sha1:7db854a6c56c8def3b217bae66f51c1c8eed0a53

-- Foundation: schemas, default privileges, identity helper, timestamps trigger.
-- Roles come from db/setup.ts: waitify_anonymous, waitify_merchant (member of
-- anonymous), waitify_admin (member of anonymous), and the authenticator.

-- app_public: exposed by PostGraphile. app_hidden: same grants, not exposed.
-- app_private: secrets, reached only through SECURITY DEFINER functions.
create schema if not exists app_public;
create schema if not exists app_hidden;
create schema if not exists app_private;

revoke all on schema app_public, app_hidden, app_private from public;
grant usage on schema app_public, app_hidden to waitify_anonymous, waitify_merchant, waitify_admin;

-- Nothing the owner creates is usable by anyone until a migration grants it:
-- functions are EXECUTE-able by PUBLIC by default in PostgreSQL.
alter default privileges revoke all on sequences from public;
alter default privileges revoke all on functions from public;
alter default privileges revoke all on tables from public;

-- Who is calling: the user id the server put in the JWT claims, or null for
-- anonymous requests (missing_ok: an anonymous request sees nothing, it does
-- not error). Policies call it as (select app_public.current_user_id()).
create or replace function app_public.current_user_id() returns uuid
  language sql stable parallel safe
  set search_path to pg_catalog, public
as $$
  select nullif(current_setting('jwt.claims.user_id', true), '')::uuid;
$$;
comment on function app_public.current_user_id() is
  E'@omit\nThe id of the user making the request, or null when anonymous.';
grant execute on function app_public.current_user_id() to waitify_anonymous, waitify_merchant, waitify_admin;

-- Keeps updated_at honest whatever the client sends.
create or replace function app_private.tg__set_updated_at() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public
as $$
begin
  new.updated_at := greatest(now(), coalesce(old.updated_at, now()) + interval '1 millisecond');
  return new;
end;
$$;
comment on function app_private.tg__set_updated_at() is
  'BEFORE UPDATE trigger: sets updated_at to now (strictly increasing, so optimistic checks work).';
