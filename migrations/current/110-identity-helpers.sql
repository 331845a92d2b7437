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

-- Phone numbers are stored in E.164. Accepts the national forms people type
-- (06 12 34 56 78 in France, 77 123 45 67 in Senegal), "00" international
-- prefixes, spaces, dots, dashes and brackets; anything else is an
-- INVALID_PHONE error rather than a value nobody can send SMS to.
create or replace function app_hidden.normalize_e164(raw text, country text default 'FR') returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public
as $$
declare
  digits text;
begin
  if raw is null or btrim(raw) = '' then
    return null;
  end if;
  digits := regexp_replace(raw, '[[:space:].()/-]', '', 'g');
  if digits ~ '^00' then
    digits := '+' || substr(digits, 3);
  end if;
  if digits !~ '^\+' then
    if country = 'FR' and digits ~ '^0[1-9][0-9]{8}$' then
      digits := '+33' || substr(digits, 2);
    elsif country = 'SN' and digits ~ '^[0-9]{9}$' then
      digits := '+221' || digits;
    else
      raise exception using errcode = 'WTPHN',
        message = 'Numéro de téléphone invalide : utilisez le format international (+33…, +221…).';
    end if;
  end if;
  -- "+33 (0)6…" written without the brackets.
  if digits ~ '^\+330[1-9][0-9]{8}$' then
    digits := '+33' || substr(digits, 5);
  end if;
  if (digits ~ '^\+33' and digits !~ '^\+33[1-9][0-9]{8}$')
     or (digits ~ '^\+221' and digits !~ '^\+221[0-9]{9}$')
     or digits !~ '^\+[1-9][0-9]{7,14}$' then
    raise exception using errcode = 'WTPHN',
      message = 'Numéro de téléphone invalide : utilisez le format international (+33…, +221…).';
  end if;
  return digits;
end;
$$;
comment on function app_hidden.normalize_e164(text, text) is
  'A phone number in E.164 (+33612345678), from national or international input; raises INVALID_PHONE (WTPHN).';
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
