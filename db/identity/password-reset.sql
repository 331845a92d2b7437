-- Password reset by email: the request (anonymous), the token and its email
-- (the worker), and the reset itself (anonymous, with the token).
--
-- The request answers the same, in the same time, whether or not the address
-- has an account: it only adds a password_reset job, one row for any
-- address, and returns. Whether an account exists is looked at by the worker
-- (app_private.issue_password_reset), out of the request's sight: doing it
-- in the request would give the two cases different work, and a transaction
-- that writes (a token, an email) commits measurably slower than one that
-- does not.

-- request_password_reset(email): always the same empty answer. A malformed
-- address is refused (no account can have it, so this says nothing). The job
-- is keyed by the address: a burst of requests for one address is one job.
create or replace function app_public.request_password_reset(email text) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_email text := lower(btrim(coalesce(request_password_reset.email, '')));
begin
  -- Caller: anyone (a forgotten password is the public door); the account is
  -- only looked up by the worker, and the link only reaches the address.
  if v_email !~ '^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$' or length(v_email) > 255 then
    perform app_hidden.raise_error('INVALID_EMAIL');
  end if;
  perform graphile_worker.add_job(
    'password_reset',
    json_build_object('email', v_email),
    max_attempts := 5,
    job_key := 'password_reset:' || v_email,
    job_key_mode := 'preserve_run_at'
  );
end;
$$;
comment on function app_public.request_password_reset(text) is
  'Emails a password reset link (valid one hour, single use) if the address has an account. The answer is the same either way.';
grant execute on function app_public.request_password_reset(text) to waitify_anonymous;

-- The worker's half of a request (task password_reset, as the owner): for an
-- active account with this address, a token valid password_reset_ttl_minutes
-- (60) of which only the sha256 is stored, and the email with the link
-- PUBLIC_URL/reset-password#token=… (a fragment: it never reaches a server's
-- logs nor a Referer). At most password_reset_max_per_hour (3) per account
-- and hour; beyond, and for an unknown or disabled account, nothing happens,
-- silently. Returns the email_logs id, or null.
create or replace function app_private.issue_password_reset(email text) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_account app_public.users;
  v_token text;
  v_token_id uuid;
  v_ttl integer := coalesce(app_private.config_value('password_reset_ttl_minutes')::integer, 60);
  v_max integer := coalesce(app_private.config_value('password_reset_max_per_hour')::integer, 3);
begin
  -- The account row is locked so that concurrent jobs count each other's tokens.
  select u.* into v_account
    from app_public.users u
   where u.email = lower(btrim(coalesce(issue_password_reset.email, '')))::citext
   for no key update;
  if not found or not v_account.is_active then
    return null;
  end if;
  if (select count(*) from app_private.password_reset_tokens t
       where t.user_id = v_account.id and t.created_at > now() - interval '1 hour') >= v_max then
    return null;
  end if;
  -- 256 random bits, base64url without padding (43 characters).
  v_token := rtrim(translate(encode(gen_random_bytes(32), 'base64'), '+/', '-_'), '=');
  insert into app_private.password_reset_tokens (user_id, token_hash, expires_at)
  values (v_account.id, sha256(convert_to(v_token, 'UTF8')), now() + make_interval(mins => v_ttl))
  returning id into v_token_id;
  return app_private.enqueue_email(
    v_account.id,
    'password_reset',
    jsonb_build_object(
      'link', app_private.public_url()
              || '/reset-password#token=' || v_token,
      'minutes', v_ttl
    ),
    'password_reset:' || v_token_id
  );
end;
$$;
comment on function app_private.issue_password_reset(text) is
  'Creates a reset token for the active account with this address (rate-limited) and queues its email; null otherwise. Worker only.';

-- reset_password(token, new_password): sets the password of the token's
-- account. The token must be unused and unexpired (INVALID_RESET_TOKEN
-- otherwise, whatever the reason); once used, it and every other token of
-- the account are spent. The new password follows register's rules.
create or replace function app_public.reset_password(token text, new_password text) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_token app_private.password_reset_tokens;
  v_account app_public.users;
  v_lang text;
begin
  -- Caller: anyone; the token is the check (only its sha256 is stored, and
  -- the row is locked, so two resets with one token cannot both pass).
  if reset_password.token is null or length(reset_password.token) not between 20 and 200 then
    perform app_hidden.raise_error('INVALID_RESET_TOKEN');
  end if;
  select t.* into v_token
    from app_private.password_reset_tokens t
   where t.token_hash = sha256(convert_to(reset_password.token, 'UTF8'))
   for update;
  if not found or v_token.used_at is not null or v_token.expires_at <= now() then
    perform app_hidden.raise_error('INVALID_RESET_TOKEN');
  end if;
  select u.* into v_account from app_public.users u where u.id = v_token.user_id;
  v_lang := app_private.email_language(v_account.id);
  if not v_account.is_active then
    perform app_hidden.raise_error('ACCOUNT_DISABLED', v_lang);
  end if;
  -- The rules of register: a failure here leaves the token usable (rolled back).
  if new_password is null or length(new_password) < 8 then
    perform app_hidden.raise_error('PASSWORD_TOO_SHORT', v_lang);
  end if;
  if octet_length(new_password) > 72 then
    perform app_hidden.raise_error('PASSWORD_TOO_LONG', v_lang);
  end if;
  insert into app_private.user_secrets (user_id, password_hash)
  values (v_account.id, crypt(new_password, gen_salt('bf', 10)))
  on conflict (user_id) do update set password_hash = excluded.password_hash;
  update app_private.password_reset_tokens t
     set used_at = now()
   where t.user_id = v_account.id and t.used_at is null;
end;
$$;
comment on function app_public.reset_password(text, text) is
  'Sets a new password (8 characters to 72 bytes) with the token of a reset email; the token works once, for one hour.';
grant execute on function app_public.reset_password(text, text) to waitify_anonymous;
