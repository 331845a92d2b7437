-- The business's settings for analytics and privacy: its time zone (when its
-- days begin), how long its customers' phone numbers are kept, its average
-- ticket. The columns are in migrations/current/5-analytics.sql.

-- The zone of a country's businesses unless they say otherwise.
create or replace function app_hidden.default_time_zone(country text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case default_time_zone.country when 'SN' then 'Africa/Dakar' else 'Europe/Paris' end;
$$;
comment on function app_hidden.default_time_zone(text) is
  'The time zone of a business in this country unless it chose another: Africa/Dakar for SN, else Europe/Paris.';
grant execute on function app_hidden.default_time_zone(text) to waitify_anonymous, waitify_merchant, waitify_admin;

-- A zone PostgreSQL knows by its IANA name (Europe/Paris, exact case).
-- Abbreviations (CEST) and POSIX offsets (UTC+3) are refused: their offset
-- never changes with summer time, so a day would not begin at the business's
-- midnight half the year. pg_timezone_names reads the zone files (a few ms):
-- only a zone the merchant chose is looked up, never the default.
create or replace function app_hidden.is_time_zone(zone text) returns boolean
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select zone !~ '^(posix|right)/' and zone not in ('localtime', 'posixrules', 'Factory')
     and exists (select 1 from pg_catalog.pg_timezone_names n where n.name = zone);
$$;
comment on function app_hidden.is_time_zone(text) is
  'True for an IANA time zone name PostgreSQL knows (Europe/Paris, Africa/Dakar…).';
grant execute on function app_hidden.is_time_zone(text) to waitify_anonymous, waitify_merchant, waitify_admin;

-- The time zone follows the country unless the merchant chose one: filled on
-- insert (or when set back to null), switched when the country changes and
-- the zone was the old country's default, checked when chosen.
create or replace function app_private.tg_businesses__time_zone() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.time_zone is null then
    new.time_zone := app_hidden.default_time_zone(new.country);
  elsif tg_op = 'UPDATE' and new.country is distinct from old.country
        and new.time_zone = old.time_zone and old.time_zone = app_hidden.default_time_zone(old.country) then
    new.time_zone := app_hidden.default_time_zone(new.country);
  end if;
  if (tg_op = 'INSERT' or new.time_zone is distinct from old.time_zone)
     and new.time_zone <> app_hidden.default_time_zone(new.country)
     and not app_hidden.is_time_zone(new.time_zone) then
    perform app_hidden.raise_error('INVALID_TIME_ZONE', new.language, left(new.time_zone, 64));
  end if;
  return new;
end;
$$;

drop trigger if exists _200_time_zone on app_public.businesses;
create trigger _200_time_zone before insert or update of country, time_zone on app_public.businesses
  for each row execute function app_private.tg_businesses__time_zone();

grant insert (time_zone, phone_retention_hours, average_ticket_cents),
      update (time_zone, phone_retention_hours, average_ticket_cents)
  on app_public.businesses to waitify_merchant;

comment on column app_public.businesses.time_zone is
  E'@hasDefault\nIANA time zone of the business (Europe/Paris, Africa/Dakar…): its days, for analytics, begin at its midnight. Defaults from the country (Africa/Dakar for SN, else Europe/Paris) and follows a change of country unless another zone was chosen.';
comment on column app_public.businesses.phone_retention_hours is
  'Customers'' phone numbers and names are erased this many hours after their visit ends (1–720, default 24); the counts stay.';
comment on column app_public.businesses.average_ticket_cents is
  'What a customer spends on average, in cents: an abandoned visit costs this much in "revenue potential lost". Null: system_configs.default_average_ticket_cents.';
