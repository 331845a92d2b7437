-- SMS texts: the templates (French and English) and how a message is rendered.

drop trigger if exists _100_timestamps on app_public.sms_templates;
create trigger _100_timestamps before update on app_public.sms_templates
  for each row execute function app_private.tg__set_updated_at();

-- A merchant reads the default texts and their own; nobody writes through the
-- API yet (editing is a later feature: it will add grants and a policy).
drop policy if exists select_own_or_default on app_public.sms_templates;
create policy select_own_or_default on app_public.sms_templates for select to waitify_merchant
  using (user_id is null or user_id = (select app_public.current_user_id()));

grant select on app_public.sms_templates to waitify_merchant;

comment on table app_public.sms_templates is E'@behavior -insert -update -delete\nTexts of the SMS per language; rows without a business are the defaults.';

comment on constraint sms_templates_business_id_user_id_fkey on app_public.sms_templates is
  E'@fieldName business\n@foreignFieldName smsTemplates';

-- Replaces {name} placeholders from a JSON object. An empty value (no custom
-- message) must not leave a double space behind.
create or replace function app_private.sms_fill(template text, vars jsonb) returns text
  language plpgsql immutable strict parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_key text;
  v_value text;
  v_result text := template;
begin
  for v_key, v_value in select key, value from jsonb_each_text(vars) loop
    v_result := replace(v_result, '{' || v_key || '}', coalesce(v_value, ''));
  end loop;
  return btrim(regexp_replace(v_result, '[ ]{2,}', ' ', 'g'));
end;
$$;

-- The text of one message for one entry, in the business's language: the
-- business's own template if it has one, else the default (French if the
-- language has none). The link is PUBLIC_URL/e/<entry token>: the customer's
-- status page, from which they can cancel. Takes the rows the caller already
-- read (enqueue_sms runs in the transaction of every queue change).
create or replace function app_private.render_sms(
  e app_public.queue_entries,
  b app_public.businesses,
  message_type text
) returns text
  -- plpgsql, not sql: PostgreSQL before 18 plans a non-inlined SQL function
  -- at every call, and this one runs in the transaction of every queue change.
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_template text;
begin
  select t.body into v_template
    from app_public.sms_templates t
   where t.message_type = render_sms.message_type
     and (t.business_id = b.id or t.business_id is null)
   order by t.business_id nulls last, (t.language = b.language) desc, (t.language = 'fr') desc
   limit 1;
  return app_private.sms_fill(v_template, jsonb_build_object(
    'business', b.name,
    'position', e.position_at_join,
    'ticket', e.ticket_number,
    'wait', coalesce(e.quoted_wait_minutes, 0),
    'ahead', 2,
    'custom_message', nullif(btrim(coalesce(b.custom_message, '')), ''),
    'link', app_private.public_url() || '/e/' || e.entry_token
  ));
end;
$$;
