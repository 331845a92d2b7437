-- The session: who is calling, as PostGraphile set it per request.

-- Who is calling: the user id the server put in the JWT claims, or null for
-- anonymous requests (missing_ok: an anonymous request sees nothing, it does
-- not error). Policies call it as (select app_public.current_user_id()).
create or replace function app_public.current_user_id() returns uuid
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select nullif(current_setting('jwt.claims.user_id', true), '')::uuid;
$$;

-- Used by policies and defaults; not an API field (currentUser is).
comment on function app_public.current_user_id() is
  E'@behavior -queryField -mutationField -typeField\nThe id of the user making the request, or null when anonymous.';
grant execute on function app_public.current_user_id() to waitify_anonymous, waitify_merchant, waitify_admin;

-- Who is changing things, for audit trails (account events): `waitify.actor`
-- when the caller set it for its transaction (the Stripe task sets 'stripe'),
-- else the signed-in merchant, else the system (jobs, migrations).
create or replace function app_private.current_actor() returns text
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(
    nullif(current_setting('waitify.actor', true), ''),
    case when app_public.current_user_id() is not null then 'merchant' else 'system' end);
$$;
comment on function app_private.current_actor() is
  'stripe, system, merchant or admin: who is changing the account (waitify.actor, else the session).';

-- Refuses any caller but the server's own connection: the authenticator
-- with no request role (SET ROLE) and no session claims. For the functions
-- granted to the authenticator alone (Google sign-in, the Stripe webhook log,
-- the billing operations), which trust the user id the server verified.
create or replace function app_private.assert_server_connection() returns void
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if coalesce(current_setting('role', true), 'none') <> 'none' or app_public.current_user_id() is not null then
    perform app_hidden.raise_error('FORBIDDEN');
  end if;
end;
$$;

-- The session token (app_public.jwt_token, which PostGraphile signs) of a
-- merchant account (user_id) or an administrator (admin_id): the one place
-- that knows its fields and their order. sub names whoever signed in;
-- auth_time is when they did (seconds since the epoch): now for a sign-in,
-- the session's own for a refresh (identity/session-refresh.sql).
create or replace function app_private.session_token(
  user_id uuid, admin_id uuid default null, auth_time double precision default null
) returns app_public.jwt_token
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select (case when session_token.admin_id is null then 'waitify_merchant' else 'waitify_admin' end,
          session_token.user_id,
          coalesce(session_token.admin_id, session_token.user_id)::text,
          session_token.admin_id,
          coalesce(session_token.auth_time, floor(extract(epoch from now()))))::app_public.jwt_token;
$$;
comment on function app_private.session_token(uuid, uuid, double precision) is
  'The session token of a merchant (user_id) or an administrator (admin_id); auth_time defaults to now.';
