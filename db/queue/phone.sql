-- Phone numbers: parsing typed French and Senegalese numbers into E.164 for
-- customers (normalize_phone, checked against libphonenumber in the tests),
-- accounts and businesses.

-- Phone numbers of accounts and businesses are stored in E.164, parsed by the
-- same rules as customers' (app_public.normalize_phone,
-- below). Blank means none.
create or replace function app_hidden.normalize_e164(raw text, country text default 'FR') returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
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
  set search_path to pg_catalog, public, pg_temp
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
  set search_path to pg_catalog, public, pg_temp
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
  set search_path to pg_catalog, public, pg_temp
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
      if app_hidden.is_french_number(v_nsn) then return '+33' || v_nsn; end if;
    elsif v_digits ~ '^221' then
      v_nsn := substr(v_digits, 4);
      if app_hidden.is_senegalese_number(v_nsn) then return '+221' || v_nsn; end if;
    end if;
    return null;
  end if;

  -- National form, read in the business's country; "33…"/"221…" typed
  -- without the + is read as international when it is not a national number.
  if coalesce(country, 'FR') = 'SN' then
    if app_hidden.is_senegalese_number(v_digits) then return '+221' || v_digits; end if;
    if v_digits ~ '^221' and app_hidden.is_senegalese_number(substr(v_digits, 4)) then
      return '+221' || substr(v_digits, 4);
    end if;
  else
    v_nsn := case when v_digits ~ '^0' then substr(v_digits, 2) else v_digits end;
    if app_hidden.is_french_number(v_nsn) then return '+33' || v_nsn; end if;
    if v_digits ~ '^33' and app_hidden.is_french_number(substr(v_digits, 3)) then
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
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_e164 text := app_hidden.phone_to_e164(raw, coalesce(country, 'FR'));
begin
  if v_e164 is null then
    perform app_hidden.raise_error('INVALID_PHONE');
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
