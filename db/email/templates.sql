-- Email texts: the account's language, and how a template becomes a subject
-- and a body (placeholders, amounts and dates in that language).

drop trigger if exists _100_timestamps on app_private.email_templates;
create trigger _100_timestamps before update on app_private.email_templates
  for each row execute function app_private.tg__set_updated_at();

-- The language of an account's emails. Accounts have no language of their
-- own; the merchant chose one for each business. Rule: the language of the
-- account's first active business (the earliest created; its customers read
-- that language, so the merchant does), else French, the product's default.
create or replace function app_private.email_language(user_id uuid) returns text
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(
    (select b.language from app_public.businesses b
      where b.user_id = email_language.user_id and b.is_active
      order by b.created_at, b.id
      limit 1),
    'fr');
$$;
comment on function app_private.email_language(uuid) is
  'The language of an account''s emails: its first active business''s, else French.';

-- An amount as a reader of that language writes it: "1 234,50 €" in French
-- (no-break spaces), "€1,234.50" in English. CFA francs have no cents (Stripe
-- counts them in units), so amount_cents is the amount itself for them.
create or replace function app_private.format_money(amount_cents bigint, currency text, lang text) returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_currency text := lower(coalesce(currency, 'eur'));
  v_zero_decimal boolean := v_currency in ('xof', 'xaf');
  v_units bigint := case when v_zero_decimal then abs(amount_cents) else abs(amount_cents) / 100 end;
  v_number text := to_char(v_units, 'FM999,999,999,999,990');
  v_symbol text := case v_currency when 'eur' then '€' when 'usd' then '$' when 'gbp' then '£'
                                   when 'xof' then 'FCFA' when 'xaf' then 'FCFA' else upper(v_currency) end;
  v_sign text := case when amount_cents < 0 then '-' else '' end;
begin
  if lang = 'en' then
    if not v_zero_decimal then
      v_number := v_number || '.' || lpad((abs(amount_cents) % 100)::text, 2, '0');
    end if;
    if length(v_symbol) = 1 then
      return v_sign || v_symbol || v_number;
    end if;
    return v_sign || v_number || ' ' || v_symbol;
  end if;
  v_number := replace(v_number, ',', U&'\00A0');
  if not v_zero_decimal then
    v_number := v_number || ',' || lpad((abs(amount_cents) % 100)::text, 2, '0');
  end if;
  return v_sign || v_number || U&'\00A0' || v_symbol;
end;
$$;
comment on function app_private.format_money(bigint, text, text) is
  'An amount in cents (units for XOF/XAF) written for a French or English reader.';

-- A date as a reader of that language writes it: "1er mars 2026", "3 March 2026".
create or replace function app_private.format_date(on_date date, lang text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case when lang = 'en' then
      extract(day from on_date)::int || ' '
      || (array['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
                'October', 'November', 'December'])[extract(month from on_date)::int]
      || ' ' || extract(year from on_date)::int
    else
      case when extract(day from on_date) = 1 then '1er' else extract(day from on_date)::int::text end || ' '
      || (array['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre',
                'octobre', 'novembre', 'décembre'])[extract(month from on_date)::int]
      || ' ' || extract(year from on_date)::int
    end;
$$;
comment on function app_private.format_date(date, text) is
  'A date written for a French ("1er mars 2026") or English ("1 March 2026") reader.';

-- Fills a text's {name} placeholders from vars in one pass: a value is never
-- scanned again, so a merchant whose first name is "{link}" gets their name,
-- not a link. A placeholder without a value is a caller's bug: it raises
-- (plainly, not as a business error) rather than email a "{link}" to anyone.
create or replace function app_private.email_fill(template text, vars jsonb) returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_rest text := template;
  v_result text := '';
  v_name text;
  v_at integer;
begin
  loop
    v_name := (regexp_match(v_rest, '\{([a-z][a-z0-9_]*)\}'))[1];
    exit when v_name is null;
    if vars ->> v_name is null then
      raise exception 'app_private.email_fill: no value for {%}', v_name;
    end if;
    v_at := strpos(v_rest, '{' || v_name || '}');
    v_result := v_result || left(v_rest, v_at - 1) || (vars ->> v_name);
    v_rest := substr(v_rest, v_at + length(v_name) + 2);
  end loop;
  return v_result || v_rest;
end;
$$;

-- One email in one language: the template's subject and body with vars
-- filled in. Beside the caller's own values it derives, for that language:
-- {greeting} from first_name ("Bonjour Eve," / "Hello,"), {amount} from
-- amount_cents (and currency, default eur), and every *_date given as an ISO
-- date ("2026-03-01") written out ("1er mars 2026"). A template missing in
-- the language falls back to French; an unknown template raises.
create or replace function app_private.render_email(
  template text,
  language text,
  vars jsonb,
  out subject text,
  out body text
)
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_template app_private.email_templates;
  v_lang text;
  v_vars jsonb := coalesce(vars, '{}');
  v_first_name text := nullif(btrim(v_vars ->> 'first_name'), '');
  v_key text;
  v_value text;
begin
  select t.* into v_template
    from app_private.email_templates t
   where t.template = render_email.template and t.language in (render_email.language, 'fr')
   order by (t.language = render_email.language) desc
   limit 1;
  if not found then
    raise exception 'app_private.render_email: unknown template %', render_email.template;
  end if;
  v_lang := v_template.language;
  v_vars := v_vars || jsonb_build_object('greeting',
    case when v_lang = 'en' then 'Hello' else 'Bonjour' end || coalesce(' ' || v_first_name, '') || ',');
  if v_vars ? 'amount_cents' then
    v_vars := v_vars || jsonb_build_object('amount',
      app_private.format_money((v_vars ->> 'amount_cents')::bigint, v_vars ->> 'currency', v_lang));
  end if;
  for v_key, v_value in select e.key, e.value from jsonb_each_text(v_vars) e loop
    if v_key like '%\_date' and v_value ~ '^\d{4}-\d{2}-\d{2}' then
      v_vars := v_vars || jsonb_build_object(v_key, app_private.format_date(left(v_value, 10)::date, v_lang));
    end if;
  end loop;
  -- A subject is a header: a value never brings a line break into it.
  subject := regexp_replace(app_private.email_fill(v_template.subject, v_vars), '\s*[\r\n]+\s*', ' ', 'g');
  body := app_private.email_fill(v_template.body, v_vars);
end;
$$;
comment on function app_private.render_email(text, text, jsonb) is
  'The subject and body of an email template in a language, placeholders filled (greeting, amount and dates derived).';
