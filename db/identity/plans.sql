-- subscription_plans: who reads the plans (anyone: the pricing page).

drop trigger if exists _100_timestamps on app_public.subscription_plans;
create trigger _100_timestamps before update on app_public.subscription_plans
  for each row execute function app_private.tg__set_updated_at();

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
