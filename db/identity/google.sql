-- Google sign-in: the SQL side of lib/auth/google.ts.

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
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_account app_public.users;
  v_linked_google_id text;
  v_user_id uuid;
begin
  -- Caller: only the server's own connection (no SET ROLE to a request role).
  perform app_private.assert_server_connection();
  if coalesce(google_id, '') = '' then
    perform app_hidden.raise_error('GOOGLE_TOKEN_INVALID');
  end if;

  select s.user_id into v_user_id from app_private.user_secrets s where s.google_id = google_sign_in.google_id;
  if v_user_id is null then
    -- Linking by address is only safe when Google vouches for the address.
    if not coalesce(email_verified, false) then
      perform app_hidden.raise_error('GOOGLE_EMAIL_UNVERIFIED');
    end if;
    select u.id into v_user_id from app_public.users u
    where u.email = lower(btrim(coalesce(google_sign_in.email, '')))::citext
    for update;
    if v_user_id is null then
      v_account := app_private.create_account(google_sign_in.email, first_name, last_name, 'google');
      v_user_id := v_account.id;
      insert into app_private.user_secrets (user_id, google_id) values (v_user_id, google_sign_in.google_id);
      if picture is not null and length(picture) <= 1000 then
        update app_public.users u set profile_picture = picture where u.id = v_user_id;
      end if;
    else
      select s.google_id into v_linked_google_id from app_private.user_secrets s where s.user_id = v_user_id;
      if v_linked_google_id is not null and v_linked_google_id <> google_sign_in.google_id then
        perform app_hidden.raise_error('GOOGLE_ACCOUNT_MISMATCH');
      end if;
      insert into app_private.user_secrets (user_id, google_id) values (v_user_id, google_sign_in.google_id)
      on conflict (user_id) do update set google_id = excluded.google_id;
    end if;
  end if;

  update app_public.users u set last_login = now() where u.id = v_user_id returning u.* into v_account;
  if not v_account.is_active then
    perform app_hidden.raise_error('ACCOUNT_DISABLED');
  end if;
  return app_private.session_for(v_account);
end;
$$;
comment on function app_private.google_sign_in(text, text, boolean, text, text, text) is
  'Creates or links the account of a verified Google identity; returns its session token. Server only.';

revoke all on function app_private.google_sign_in(text, text, boolean, text, text, text) from public;
grant execute on function app_private.google_sign_in(text, text, boolean, text, text, text) to :DATABASE_AUTHENTICATOR;
