-- Reference data: plans and configuration. Not tenant data: everyone may read
-- the active plans (the pricing page) and the public configuration; the admin
-- reads all of it. Changes are migrations (or the future back office).

grant select on app_public.subscription_plans to waitify_anonymous, waitify_admin;
drop policy if exists select_active on app_public.subscription_plans;
create policy select_active on app_public.subscription_plans for select to waitify_anonymous
  using (is_active);
drop policy if exists select_all on app_public.subscription_plans;
create policy select_all on app_public.subscription_plans for select to waitify_admin using (true);
comment on column app_public.subscription_plans.max_businesses is 'Active businesses allowed; -1 = unlimited.';

grant select on app_public.system_configs to waitify_anonymous, waitify_admin;
drop policy if exists select_public on app_public.system_configs;
create policy select_public on app_public.system_configs for select to waitify_anonymous
  using (is_public);
drop policy if exists select_all on app_public.system_configs;
create policy select_all on app_public.system_configs for select to waitify_admin using (true);
create index if not exists system_configs_is_public_idx on app_public.system_configs (is_public);
create index if not exists subscription_plans_is_active_idx on app_public.subscription_plans (is_active);
