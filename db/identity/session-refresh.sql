-- Keeping a session: refresh_session() gives the caller a new token for the
-- session the request carries, so that a screen left open all day (the
-- counter, web/counter.js) stays signed in without keeping a password around.
--
-- A stolen token must not live for ever through it, so a session is extended
-- only while
--   - it began (auth_time, set at sign-in and kept by every refresh) less than
--     system_configs.session_max_hours ago (12 by default: a working day);
--   - the account (or administrator) still exists and is not disabled;
--   - the password or Google link has not changed since it began (changing the
--     password is how a merchant ends the sessions it no longer trusts: they
--     then end at their token's expiry, JWT_EXPIRES_IN).
-- A token without auth_time (issued before it existed) is not extended.
-- Timestamps are compared to the second: auth_time has no fraction, and the
-- sign-in that set a password (register) must not count as a later change.

create or replace function app_public.refresh_session() returns app_public.jwt_token
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_auth_time double precision;
  v_began timestamptz;
  v_max_hours integer := coalesce(app_private.config_value('session_max_hours')::integer, 12);
  v_account app_public.users;
  v_admin_id uuid;
begin
  -- Caller: a signed-in merchant or administrator. Who, and since when, come
  -- from the verified token's claims (lib/auth/request.ts); only that session
  -- is renewed, for the same person and the same auth_time.
  v_auth_time := nullif(current_setting('jwt.claims.auth_time', true), '')::double precision;
  v_began := to_timestamp(v_auth_time);
  if v_auth_time is null or v_began < now() - make_interval(hours => v_max_hours) then
    perform app_hidden.raise_error('SESSION_TOO_OLD', null, v_max_hours::text);
  end if;

  if coalesce(current_setting('role', true), 'none') = 'waitify_admin' then
    -- An enabled administrator named by the token, as for any admin write.
    v_admin_id := app_private.assert_admin();
    -- updated_at moves when the password is set again (create_admin).
    if (select date_trunc('second', a.updated_at) > v_began from app_private.admins a where a.id = v_admin_id) then
      perform app_hidden.raise_error('SESSION_CREDENTIALS_CHANGED');
    end if;
    return app_private.session_token(null, v_admin_id, v_auth_time);
  end if;

  select u.* into v_account from app_public.users u where u.id = app_public.current_user_id();
  if v_account.id is null then
    perform app_hidden.raise_error('UNAUTHENTICATED');
  end if;
  if not v_account.is_active then
    perform app_hidden.raise_error('ACCOUNT_DISABLED');
  end if;
  if exists (select 1 from app_private.user_secrets s
              where s.user_id = v_account.id and date_trunc('second', s.updated_at) > v_began) then
    perform app_hidden.raise_error('SESSION_CREDENTIALS_CHANGED');
  end if;
  return app_private.session_token(v_account.id, null, v_auth_time);
end;
$$;
comment on function app_public.refresh_session() is
  E'@resultFieldName jwtToken\nA new token for the signed-in session (same account, same sign-in time), so a screen stays signed in. Refused (UNAUTHENTICATED) once the session began more than session_max_hours (12) ago, or after the password changed.';
grant execute on function app_public.refresh_session() to waitify_merchant, waitify_admin;
