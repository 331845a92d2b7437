-- SMS usage per month, for the merchant and for billing.

-- SMS parts of an account's businesses sent in [from, until), counting every
-- successful status (sent and delivered: the source counted only sent), zero
-- for a business that sent none (the source's LEFT JOIN … SUM(1) counted
-- one). The one query behind the merchant's usage, the monthly statement and
-- its first, partial month.
create or replace function app_private.sms_usage_between(user_id uuid, "from" timestamptz, until timestamptz)
  returns table (business_id uuid, business_name text, messages integer, parts integer)
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select b.id, b.name, count(l.id)::integer, coalesce(sum(l.parts), 0)::integer
    from app_public.businesses b
    left join app_public.sms_logs l
      on l.business_id = b.id
     and l.user_id = b.user_id
     and l.status in ('sent', 'delivered')
     and l.sent_at >= sms_usage_between."from"
     and l.sent_at < sms_usage_between.until
    where b.user_id = sms_usage_between.user_id
    group by b.id, b.name, b.created_at
    order by b.created_at, b.id;
$$;
comment on function app_private.sms_usage_between(uuid, timestamptz, timestamptz) is
  'SMS messages and parts (sent or delivered) per business of an account, sent in [from, until).';

-- The same for the calendar month (UTC) containing `month` (null: this month).
create or replace function app_private.sms_usage_of(user_id uuid, month date)
  returns table (business_id uuid, business_name text, messages integer, parts integer)
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  with bounds as (
    select date_trunc('month', coalesce(month, (now() at time zone 'UTC')::date))::timestamp at time zone 'UTC' as start
  )
  select u.* from bounds, app_private.sms_usage_between(sms_usage_of.user_id, bounds.start, bounds.start + interval '1 month') u;
$$;
comment on function app_private.sms_usage_of(uuid, date) is
  'SMS messages and parts per business of an account for the month containing `month` (UTC; null: this month).';

create or replace function app_public.sms_usage_by_business(month date default null)
  returns table (business_id uuid, business_name text, messages integer, parts integer)
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: a signed-in merchant, for their own account only (current_user_id()).
  select * from app_private.sms_usage_of(app_public.current_user_id(), month)
   where app_public.current_user_id() is not null;
$$;
comment on function app_public.sms_usage_by_business(date) is
  'SMS messages and parts per business of the signed-in merchant for the month containing `month` (UTC; default: this month).';
grant execute on function app_public.sms_usage_by_business(date) to waitify_merchant;

create or replace function app_public.sms_usage_total(month date default null) returns integer
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(u.parts), 0)::integer from app_public.sms_usage_by_business(month) u;
$$;
comment on function app_public.sms_usage_total(date) is
  'SMS parts of all the signed-in merchant''s businesses for the month containing `month` (UTC; default: this month).';
grant execute on function app_public.sms_usage_total(date) to waitify_merchant;
