-- system_configs: the product's settings (public ones readable by anyone) and their typed reader.

drop trigger if exists _100_timestamps on app_public.system_configs;
create trigger _100_timestamps before update on app_public.system_configs
  for each row execute function app_private.tg__set_updated_at();

-- Typed reads of app_public.system_configs. Private: only SECURITY DEFINER
-- functions (which run as the owner) read configuration through it.
create or replace function app_private.config_value(config_key text) returns text
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select c.value from app_public.system_configs c where c.key = config_key;
$$;
comment on function app_private.config_value(text) is
  'The value of a system_configs key, or null.';

grant select on app_public.system_configs to waitify_anonymous, waitify_admin;

drop policy if exists select_public on app_public.system_configs;
create policy select_public on app_public.system_configs for select to waitify_anonymous
  using (is_public);

drop policy if exists select_all on app_public.system_configs;
create policy select_all on app_public.system_configs for select to waitify_admin using (true);

-- The base of every link Waitify sends (SMS status page, emails, billing
-- pages): PUBLIC_URL, stored at each start (lib/sms/settings.ts), without a
-- trailing slash; the development default when never set.
create or replace function app_private.public_url() returns text
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(rtrim(app_private.config_value('public_url'), '/'), 'http://localhost:3000');
$$;
