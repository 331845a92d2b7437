-- The dates and periods analytics are asked for: a malformed date, a period
-- that ends before it begins or is longer than 366 days are coded errors
-- (INVALID_DATE, INVALID_DATE_RANGE, DATE_RANGE_TOO_LONG), raised before
-- anything is computed.

-- A date written YYYY-MM-DD (a query string, a command line), or INVALID_DATE.
create or replace function app_hidden.parse_analytics_date(value text, lang text default 'fr') returns date
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_date date;
begin
  if value is null or value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    perform app_hidden.raise_error('INVALID_DATE', lang, coalesce(left(value, 40), ''));
  end if;
  begin
    v_date := value::date;
  exception when datetime_field_overflow or invalid_datetime_format then
    -- 2026-02-30, 2026-13-01: the right shape, no such day.
    perform app_hidden.raise_error('INVALID_DATE', lang, value);
  end;
  return v_date;
end;
$$;
comment on function app_hidden.parse_analytics_date(text, text) is
  'The date of a YYYY-MM-DD string; INVALID_DATE otherwise.';
grant execute on function app_hidden.parse_analytics_date(text, text) to waitify_merchant, waitify_admin;

-- Checks a period [from, to] of analytics: both given, in order, 366 days at most.
create or replace function app_hidden.check_analytics_range("from" date, "to" date, lang text default 'fr') returns void
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if check_analytics_range."from" is null or check_analytics_range."to" is null
     or check_analytics_range."from" > check_analytics_range."to" then
    perform app_hidden.raise_error('INVALID_DATE_RANGE', lang,
      coalesce(check_analytics_range."from"::text, '?'), coalesce(check_analytics_range."to"::text, '?'));
  end if;
  if check_analytics_range."to" - check_analytics_range."from" + 1 > 366 then
    perform app_hidden.raise_error('DATE_RANGE_TOO_LONG', lang,
      (check_analytics_range."to" - check_analytics_range."from" + 1)::text);
  end if;
end;
$$;
comment on function app_hidden.check_analytics_range(date, date, text) is
  'INVALID_DATE_RANGE for a missing or backwards period, DATE_RANGE_TOO_LONG beyond 366 days.';
grant execute on function app_hidden.check_analytics_range(date, date, text) to waitify_merchant, waitify_admin;
