-- Businesses: access, validation, the plan's limit, soft delete and restore.

drop trigger if exists _100_timestamps on app_public.businesses;
create trigger _100_timestamps before update on app_public.businesses
  for each row execute function app_private.tg__set_updated_at();

-- Opening hours: {"monday": {"open": "08:00", "close": "18:00", "closed": false}, …,
-- "sunday": {"closed": true}}. Returns what is wrong, or null when valid, so
-- the trigger can say it in the error message.
create or replace function app_hidden.opening_hours_problem(hours jsonb) returns text
  language plpgsql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_day_name text;
  v_day jsonb;
  v_key_name text;
begin
  if hours is null then
    return null;
  end if;
  if jsonb_typeof(hours) <> 'object' then
    return 'un objet par jour de la semaine est attendu';
  end if;
  for v_day_name, v_day in select * from jsonb_each(hours) loop
    if v_day_name not in ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday') then
      return format('jour inconnu « %s » (monday … sunday)', v_day_name);
    end if;
    if jsonb_typeof(v_day) <> 'object' then
      return format('%s : un objet {"open", "close", "closed"} est attendu', v_day_name);
    end if;
    for v_key_name in select jsonb_object_keys(v_day) loop
      if v_key_name not in ('open', 'close', 'closed') then
        return format('%s : clé inconnue « %s »', v_day_name, v_key_name);
      end if;
    end loop;
    if v_day ? 'closed' and jsonb_typeof(v_day -> 'closed') <> 'boolean' then
      return format('%s : "closed" doit être true ou false', v_day_name);
    end if;
    if coalesce((v_day ->> 'closed')::boolean, false) then
      continue;
    end if;
    if coalesce(v_day ->> 'open', '') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
       or coalesce(v_day ->> 'close', '') !~ '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' then
      return format('%s : "open" et "close" au format HH:MM sont attendus', v_day_name);
    end if;
    if (v_day ->> 'open') >= (v_day ->> 'close') then
      return format('%s : l''ouverture doit précéder la fermeture', v_day_name);
    end if;
  end loop;
  return null;
end;
$$;
comment on function app_hidden.opening_hours_problem(jsonb) is
  'Null when the opening hours JSON is valid, else what is wrong (French).';
grant execute on function app_hidden.opening_hours_problem(jsonb) to waitify_anonymous, waitify_merchant, waitify_admin;

-- Soft-deleted businesses stay readable by id (to be restored) but the default
-- list is my_businesses(), which hides them; the generated allBusinesses and
-- user.businesses lists would show them, so they are not generated.
comment on table app_public.businesses is
  E'@behavior -query:resource:connection -query:resource:list\nAn establishment of a merchant (a bakery, a pharmacy…). Deleting one is a soft delete (is_active = false).';

comment on constraint businesses_user_id_fkey on app_public.businesses is
  E'@behavior -manyRelation:resource:connection -manyRelation:resource:list';

comment on column app_public.businesses.user_id is 'The owner; set from the session.';

comment on column app_public.businesses.is_active is
  'False once deleted (soft delete); deleteBusiness / restoreBusiness change it.';

comment on column app_public.businesses.opening_hours is
  E'By weekday: {"monday": {"open": "08:00", "close": "18:00", "closed": false}, …, "sunday": {"closed": true}}.';

comment on column app_public.businesses.phone_number is 'E.164; national input is normalised with the country.';

grant select on app_public.businesses to waitify_merchant, waitify_admin;

grant insert (name, business_type, phone_number, address, city, zip_code, country, language, opening_hours,
              custom_message, sms_notifications_enabled, sms_daily_cap_override)
  on app_public.businesses to waitify_merchant;

grant update (name, business_type, phone_number, address, city, zip_code, country, language, opening_hours,
              custom_message, sms_notifications_enabled, sms_daily_cap_override)
  on app_public.businesses to waitify_merchant;

drop policy if exists select_own on app_public.businesses;
create policy select_own on app_public.businesses for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

drop policy if exists insert_own on app_public.businesses;
create policy insert_own on app_public.businesses for insert to waitify_merchant
  with check (user_id = (select app_public.current_user_id()));

drop policy if exists update_own on app_public.businesses;
create policy update_own on app_public.businesses for update to waitify_merchant
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));

drop policy if exists select_all on app_public.businesses;
create policy select_all on app_public.businesses for select to waitify_admin using (true);

-- Validation with messages a merchant can act on (CHECKs would only say
-- "out of range"): phone in E.164 for the business's country, opening hours.
create or replace function app_private.tg_businesses__validate() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_problem text;
begin
  new.phone_number := app_hidden.normalize_e164(new.phone_number, new.country);
  v_problem := app_hidden.opening_hours_problem(new.opening_hours);
  if v_problem is not null then
    perform app_hidden.raise_error('INVALID_OPENING_HOURS', new.language, v_problem);
  end if;
  if new.name is null or btrim(new.name) = '' then
    perform app_hidden.raise_error('BUSINESS_NAME_REQUIRED', new.language);
  end if;
  new.name := btrim(new.name);
  return new;
end;
$$;

drop trigger if exists _200_validate on app_public.businesses;
create trigger _200_validate before insert or update on app_public.businesses
  for each row execute function app_private.tg_businesses__validate();

-- Plan limit: at most max_businesses active businesses (-1 = unlimited),
-- checked when one is created or restored. The account row is locked first
-- (FOR UPDATE), so two creations at once are serialised and the second one
-- counts the first: both cannot pass. SECURITY DEFINER: a merchant may not
-- lock or read plan data itself; the trigger acts on NEW.user_id only.
create or replace function app_private.tg_businesses__enforce_plan_limit() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_plan app_public.subscription_plans;
  v_active_count integer;
begin
  -- Caller: a trigger (never called directly); it acts on NEW.user_id, which the insert policy ties to the session.
  perform 1 from app_public.users u where u.id = new.user_id for update;
  select p.* into v_plan
  from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id
  where u.id = new.user_id;
  if v_plan.id is null or v_plan.max_businesses = -1 then
    return new;
  end if;
  select count(*) into v_active_count
  from app_public.businesses b
  where b.user_id = new.user_id and b.is_active and b.id <> new.id;
  if v_active_count >= v_plan.max_businesses then
    perform app_hidden.raise_error('PLAN_LIMIT', new.language, v_plan.name, v_plan.max_businesses::text);
  end if;
  return new;
end;
$$;

drop trigger if exists _100_enforce_plan_limit on app_public.businesses;
create trigger _100_enforce_plan_limit before insert on app_public.businesses
  for each row when (new.is_active)
  execute function app_private.tg_businesses__enforce_plan_limit();

drop trigger if exists _100_enforce_plan_limit_on_restore on app_public.businesses;
create trigger _100_enforce_plan_limit_on_restore before update of is_active on app_public.businesses
  for each row when (new.is_active and not old.is_active)
  execute function app_private.tg_businesses__enforce_plan_limit();

-- Every business is born with one queue, its service time defaulting from the
-- business type. SECURITY DEFINER: the merchant may not set queues.user_id
-- itself; the queue gets exactly the business's owner.
create or replace function app_private.tg_businesses__create_queue() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: a trigger (never called directly), after the merchant's own insert passed RLS.
  insert into app_public.queues (business_id, user_id, average_service_time)
  values (new.id, new.user_id, app_private.default_service_time(new.business_type));
  return null;
end;
$$;

drop trigger if exists _900_create_queue on app_public.businesses;
create trigger _900_create_queue after insert on app_public.businesses
  for each row execute function app_private.tg_businesses__create_queue();

-- The default list: the caller's businesses, without the deleted ones unless
-- asked for. SECURITY INVOKER: RLS keeps it to one's own rows.
create or replace function app_public.my_businesses(include_deleted boolean default false)
  returns setof app_public.businesses
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select b.*
  from app_public.businesses b
  where b.user_id = app_public.current_user_id()
    and (b.is_active or coalesce(include_deleted, false))
  order by b.created_at, b.id;
$$;
comment on function app_public.my_businesses(boolean) is
  E'@sortable\nThe signed-in merchant''s businesses; deleted ones only with includeDeleted.';

grant execute on function app_public.my_businesses(boolean) to waitify_merchant;

-- Two mends of the queue's state changes.
--
-- 1. Deleting a business closes its queues through close_queue, like a merchant
--    would: waiting customers are cancelled with one event each (and so get
--    their "cancelled" SMS) and a queue_closed event is written. Before, the
--    queues were switched off in place, leaving customers "waiting" in a
--    closed queue with no news.
create or replace function app_public.delete_business(business_id uuid) returns app_public.businesses
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses;
  v_queue_id uuid;
begin
  -- Caller: the business's owner; another id is NOT_FOUND (the update filters on current_user_id()).
  update app_public.businesses b set is_active = false
  where b.id = delete_business.business_id and b.user_id = app_public.current_user_id()
  returning b.* into v_business;
  if v_business.id is null then
    perform app_hidden.raise_error('BUSINESS_NOT_FOUND');
  end if;
  -- A deleted business takes no customers. close_queue checks ownership again
  -- (same caller) and locks each queue in the engine's order.
  for v_queue_id in
    select q.id from app_public.queues q
     where q.business_id = v_business.id and q.user_id = v_business.user_id and q.is_queue_active
     order by q.id
  loop
    perform app_public.close_queue(v_queue_id);
  end loop;
  return v_business;
end;
$$;
comment on function app_public.delete_business(uuid) is
  E'@resultFieldName business\nDeletes a business softly (is_active = false) and closes its queues; restoreBusiness undoes it.';

grant execute on function app_public.delete_business(uuid) to waitify_merchant;

create or replace function app_public.restore_business(business_id uuid) returns app_public.businesses
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses;
begin
  -- Caller: the business's owner; another id is NOT_FOUND (the update filters on current_user_id()).
  -- The plan limit trigger runs on this update (restoring counts as creating).
  update app_public.businesses b set is_active = true
  where b.id = restore_business.business_id and b.user_id = app_public.current_user_id()
  returning b.* into v_business;
  if v_business.id is null then
    perform app_hidden.raise_error('BUSINESS_NOT_FOUND');
  end if;
  return v_business;
end;
$$;
comment on function app_public.restore_business(uuid) is
  E'@resultFieldName business\nUndoes deleteBusiness, within the plan''s limit of active businesses.';
grant execute on function app_public.restore_business(uuid) to waitify_merchant;

-- (id, user_id) exists for the queues' composite foreign key, not as a way to
-- look a business up: no businessByRowIdAndUserId / update…ByRowIdAndUserId.
comment on constraint businesses_id_user_id_key on app_public.businesses is E'@behavior -single -update -delete';
