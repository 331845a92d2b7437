-- SMS spend protection: parts counted in SQL, each business's daily cap of
-- parts, the atomic counter it is checked against, and the merchant told once
-- a day when messages start being capped. The outbox (outbox.sql) calls
-- sms_take_parts for every message it records.
--
-- Why a cap: joining needs only a QR token and a phone number, and every
-- join costs Waitify an SMS (several parts when a long custom message or an
-- accent outside GSM-7 makes it multi-part). Rate limits slow one client
-- down; the cap bounds what a whole day can cost, whoever sends.
--
-- Why the default is 30 % of the plan's monthly quota (system_configs
-- sms_daily_cap_quota_percent; basic 300 parts, pro 750, enterprise 1500 per
-- business and day): a busy legitimate day stays well under it (a basic
-- business's 300 parts are ~100 customers, each with a confirmation, a
-- reminder and "your turn"), while a flood stops at ~9 € of SMS a day on
-- basic (300 × 3 c) and needs more than three days to spend the month's
-- included quota — with the merchant told on the first. A merchant who
-- knows better sets their own cap per business, between 1 part and the
-- plan's monthly quota.

-- SMS parts of a text, counted the way lib/sms/parts.ts counts them (the
-- worker records that count when the provider accepts the message; a test
-- proves both agree): GSM-7 when every character is in the GSM 03.38 basic
-- or extension table (extension characters take two septets), else UCS-2
-- (a character beyond U+FFFF takes two units); 160 / 70 in one part, 153 / 67
-- per part once split, a two-unit character never split across parts.
create or replace function app_private.sms_parts(body text) returns integer
  language plpgsql immutable strict parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_basic constant text := '@£$¥èéùìòÇ' || chr(10) || 'Øø' || chr(13)
    || 'ÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&''()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
  v_extension constant text := chr(12) || '^{}\[~]|€';
  v_gsm boolean := translate(body, v_basic || v_extension, '') = '';
  v_doubles integer;
  v_units integer;
  v_single integer;
  v_per_part integer;
  v_parts integer := 1;
  v_used integer := 0;
  v_size integer;
  v_char text;
begin
  if v_gsm then
    v_doubles := length(body) - length(translate(body, v_extension, ''));
    v_single := 160;
    v_per_part := 153;
  else
    v_doubles := length(body) - length(regexp_replace(body, '[\U00010000-\U0010FFFF]', '', 'g'));
    v_single := 70;
    v_per_part := 67;
  end if;
  v_units := length(body) + v_doubles;
  if v_units <= v_single then
    return 1;
  end if;
  if v_doubles = 0 then
    return ceil(v_units / v_per_part::numeric)::integer;
  end if;
  foreach v_char in array regexp_split_to_array(body, '') loop
    v_size := case
      when v_gsm and strpos(v_extension, v_char) > 0 then 2
      when not v_gsm and ascii(v_char) > 65535 then 2
      else 1 end;
    if v_used + v_size > v_per_part then
      v_parts := v_parts + 1;
      v_used := 0;
    end if;
    v_used := v_used + v_size;
  end loop;
  return v_parts;
end;
$$;
comment on function app_private.sms_parts(text) is
  'SMS parts of a text (GSM-7 160/153, UCS-2 70/67), as lib/sms/parts.ts counts them.';

-- A business's daily cap of SMS parts: the merchant's own (sms_daily_cap_override,
-- never above the plan's monthly quota, even after a downgrade) or the plan's
-- default (sms_daily_cap_quota_percent of its monthly quota). The one rule,
-- behind the outbox's check and the merchant's smsDailyCap. SECURITY INVOKER:
-- everything it reads a merchant may read for their own business (their
-- account, the plans, a public setting); another merchant's business gives
-- null, as their account row is invisible.
create or replace function app_public.businesses_sms_daily_cap(b app_public.businesses) returns integer
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select case
           when (b).sms_daily_cap_override is not null then least((b).sms_daily_cap_override, p.sms_quota_monthly)
           else greatest(1, ceil(p.sms_quota_monthly
             * coalesce((select c.value::numeric from app_public.system_configs c where c.key = 'sms_daily_cap_quota_percent'), 30)
             / 100))::integer
         end
    from app_public.users u
    join app_public.subscription_plans p on p.id = u.subscription_plan_id
   where u.id = (b).user_id;
$$;
comment on function app_public.businesses_sms_daily_cap(app_public.businesses) is
  'SMS parts this business may send per day (its local day): your own cap (smsDailyCapOverride), else your plan''s default. Beyond it, SMS are recorded as capped: not sent, not billed.';
grant execute on function app_public.businesses_sms_daily_cap(app_public.businesses) to waitify_merchant, waitify_admin;

create or replace function app_public.businesses_sms_parts_today(b app_public.businesses) returns integer
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: the business's owner; the row passed in is checked against the stored business (someone else's gives null).
  select coalesce(u.parts, 0)
    from app_public.businesses o
    left join app_private.sms_daily_usage u on u.business_id = o.id and u.day = app_private.local_date(o.country)
   where o.id = (b).id and o.user_id = app_public.current_user_id();
$$;
comment on function app_public.businesses_sms_parts_today(app_public.businesses) is
  'SMS parts this business has sent or queued today (its local day), counted against smsDailyCap.';
grant execute on function app_public.businesses_sms_parts_today(app_public.businesses) to waitify_merchant;

comment on column app_public.businesses.sms_daily_cap_override is
  'Your own daily SMS cap for this business, in parts (1 to your plan''s monthly quota); null: the plan''s default (smsDailyCap).';

-- The override's bounds depend on the owner's plan: checked here with a
-- message that says them, when it is set or changed.
create or replace function app_private.tg_businesses__validate_sms_cap() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_quota integer;
begin
  if new.sms_daily_cap_override is null
     or (tg_op = 'UPDATE' and new.sms_daily_cap_override is not distinct from old.sms_daily_cap_override) then
    return new;
  end if;
  select p.sms_quota_monthly into v_quota
    from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id
   where u.id = new.user_id;
  if new.sms_daily_cap_override < 1 or new.sms_daily_cap_override > coalesce(v_quota, 1) then
    perform app_hidden.raise_error('SMS_DAILY_CAP_OUT_OF_RANGE', new.language, '1', coalesce(v_quota, 1)::text);
  end if;
  return new;
end;
$$;

drop trigger if exists _210_validate_sms_cap on app_public.businesses;
create trigger _210_validate_sms_cap before insert or update of sms_daily_cap_override on app_public.businesses
  for each row execute function app_private.tg_businesses__validate_sms_cap();

-- Takes `parts` from a business's allowance of today (its local day); false
-- when they would go beyond the cap. The counter row of (business, day) is
-- updated with the cap in its WHERE: a concurrent transaction waits for the
-- row, then re-checks the cap against the committed count, so joins at the
-- same moment can never overshoot it; a rolled-back change gives its parts
-- back with everything else. Lock order: callers hold their queue lock
-- first; nothing takes a queue lock after this row, so no deadlock.
-- The first refusal of the day tells the merchant (account event and email),
-- once: cap_reached_at is set by one transaction only.
create or replace function app_private.sms_take_parts(business app_public.businesses, parts integer) returns boolean
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_day date := app_private.local_date((business).country);
  v_cap integer := app_public.businesses_sms_daily_cap(business);
  v_taken boolean;
  v_first boolean;
begin
  insert into app_private.sms_daily_usage (business_id, user_id, day)
  values ((business).id, (business).user_id, v_day)
  on conflict (business_id, day) do nothing;
  update app_private.sms_daily_usage u set parts = u.parts + sms_take_parts.parts
   where u.business_id = (business).id and u.day = v_day and u.parts + sms_take_parts.parts <= v_cap
  returning true into v_taken;
  if v_taken then
    return true;
  end if;
  update app_private.sms_daily_usage u set cap_reached_at = now()
   where u.business_id = (business).id and u.day = v_day and u.cap_reached_at is null
  returning true into v_first;
  if v_first then
    insert into app_public.account_events (user_id, event_type, actor, detail)
    values ((business).user_id, 'sms_cap_reached', 'system',
            jsonb_build_object('businessId', (business).id, 'date', v_day, 'capParts', v_cap));
    perform app_private.enqueue_email((business).user_id, 'sms_cap_reached',
      jsonb_build_object('business', (business).name, 'cap_parts', v_cap, 'cap_date', v_day, 'link', app_private.public_url()),
      format('sms_cap_reached:%s:%s', (business).id, v_day));
  end if;
  return false;
end;
$$;
comment on function app_private.sms_take_parts(app_public.businesses, integer) is
  'Counts SMS parts against the business''s daily cap; false (and the merchant told once that day) when over it.';
