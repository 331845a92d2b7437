-- Queues as merchant settings: access, defaults from the business type, the QR token.
-- Opening, pausing, calling: queue/merchant.sql.

drop trigger if exists _100_timestamps on app_public.queues;
create trigger _100_timestamps before update on app_public.queues
  for each row execute function app_private.tg__set_updated_at();

-- Seconds a customer of this kind of business usually takes, from
-- system_configs.default_service_times (fallback: "other", then 5 minutes).
create or replace function app_private.default_service_time(kind app_public.business_type) returns integer
  language sql stable
  set search_path to pg_catalog, public, pg_temp
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

comment on table app_public.queues is
  'A queue of a business (a counter, a service). One is created with each business.';

comment on constraint queues_business_id_user_id_fkey on app_public.queues is
  E'@fieldName business\n@foreignFieldName queues';

comment on column app_public.queues.user_id is 'The owner (tenant key); set from the business.';

comment on column app_public.queues.qr_code_token is
  'Unguessable (192 random bits), URL-safe; printed in the QR code. Changes only with regenerateQrToken.';

comment on column app_public.queues.is_queue_active is 'Open to new customers. Changes only through the queue functions.';

comment on column app_public.queues.is_queue_paused is 'No new customers, places kept. Changes only through the queue functions.';

comment on column app_public.queues.average_service_time is
  E'@hasDefault\nSeconds per customer; defaults from the business type (system_configs.default_service_times).';

grant select on app_public.queues to waitify_merchant, waitify_admin;

grant insert (business_id, name, max_queue_size, client_timeout_minutes, auto_advance_enabled, average_service_time)
  on app_public.queues to waitify_merchant;

grant update (name, max_queue_size, client_timeout_minutes, auto_advance_enabled, average_service_time)
  on app_public.queues to waitify_merchant;

drop policy if exists select_own on app_public.queues;
create policy select_own on app_public.queues for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

drop policy if exists insert_own on app_public.queues;
create policy insert_own on app_public.queues for insert to waitify_merchant
  with check (user_id = (select app_public.current_user_id()));

drop policy if exists update_own on app_public.queues;
create policy update_own on app_public.queues for update to waitify_merchant
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));

drop policy if exists select_all on app_public.queues;
create policy select_all on app_public.queues for select to waitify_admin using (true);

-- A new queue (beyond the first) gets its business's default service time,
-- and only for an active business of the caller. SECURITY DEFINER to read the
-- business and configuration; it changes nothing but NEW.
create or replace function app_private.tg_queues__defaults() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_business app_public.businesses;
begin
  -- Caller: a trigger (never called directly); the business must belong to NEW.user_id, the session's by the insert policy.
  select b.* into v_business from app_public.businesses b
  where b.id = new.business_id and b.user_id = new.user_id;
  if v_business.id is null then
    perform app_hidden.raise_error('BUSINESS_NOT_FOUND');
  end if;
  if not v_business.is_active then
    perform app_hidden.raise_error('BUSINESS_DELETED', v_business.language);
  end if;
  if new.average_service_time is null then
    new.average_service_time := app_private.default_service_time(v_business.business_type);
  end if;
  return new;
end;
$$;

drop trigger if exists _100_defaults on app_public.queues;
create trigger _100_defaults before insert on app_public.queues
  for each row execute function app_private.tg_queues__defaults();

-- A queue never moves to another business (its tenant key follows the business).
create or replace function app_private.tg_queues__keep_business() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.business_id is distinct from old.business_id or new.user_id is distinct from old.user_id then
    perform app_hidden.raise_error('QUEUE_BUSINESS_FIXED');
  end if;
  return new;
end;
$$;

drop trigger if exists _100_keep_business on app_public.queues;
create trigger _100_keep_business before update on app_public.queues
  for each row execute function app_private.tg_queues__keep_business();

-- A new QR token, e.g. after a printed code leaked: the old one stops working.
create or replace function app_public.regenerate_qr_token(queue_id uuid) returns app_public.queues
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_queue app_public.queues;
begin
  -- Caller: the queue's owner only; other ids are "not found".
  update app_public.queues q
  set qr_code_token = translate(encode(gen_random_bytes(24), 'base64'), '+/', '-_')
  where q.id = regenerate_qr_token.queue_id and q.user_id = app_public.current_user_id()
  returning q.* into v_queue;
  if v_queue.id is null then
    perform app_hidden.raise_error('QUEUE_NOT_FOUND');
  end if;
  return v_queue;
end;
$$;
comment on function app_public.regenerate_qr_token(uuid) is
  E'@resultFieldName queue\nGives the queue a new QR token; the old QR code stops working.';

grant execute on function app_public.regenerate_qr_token(uuid) to waitify_merchant;

-- (id, user_id) serves foreign keys only; a queue is not updated "by its QR token".
comment on constraint queues_id_user_id_key on app_public.queues is E'@behavior -single -update -delete';

comment on constraint queues_qr_code_token_key on app_public.queues is E'@behavior -update -delete';
