-- The CSV of payments (lib/http/payments-export.ts): a payment is a Stripe
-- invoice as mirrored in app_private.invoices. One row per invoice, oldest
-- first, dates as ISO 8601 in UTC, amounts in the currency's major unit
-- ("31.80"). The merchant's export (GET /billing/payments.csv) is here; the
-- administrator's (GET /admin/payments.csv, every account, with filters) is
-- in db/admin/payments-export.sql. Both filter on the day Stripe created the
-- invoice (UTC), from and to included; each bound is optional.

-- 2026-11-01T00:00:00Z; empty for no time.
create or replace function app_private.csv_time(value timestamptz) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select to_char(csv_time.value at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
$$;
comment on function app_private.csv_time(timestamptz) is 'A time as ISO 8601 in UTC (…Z), for CSV cells.';

-- Cents as the major unit with a dot ("31.80"); currencies without cents
-- (Stripe's zero-decimal ones we may meet: XOF, XAF) as they are.
create or replace function app_private.csv_amount(amount_cents integer, currency text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case when lower(csv_amount.currency) in ('xof', 'xaf') then csv_amount.amount_cents::text
              else to_char(csv_amount.amount_cents / 100.0, 'FM999999999990.00') end;
$$;
comment on function app_private.csv_amount(integer, text) is 'An amount in cents as the currency''s major unit ("31.80"), for CSV cells.';

-- The rows, for whichever callers the SECURITY DEFINER functions below
-- have checked. Private: no request role reaches it.
create or replace function app_private.payment_csv_rows(
  only_user uuid, "from" date, "to" date, only_status text, with_drafts boolean
) returns table (
  number text, account_email text, status text, currency text, amount_due text, amount_paid text,
  period_start text, period_end text, due_date text, paid_at text, attempts integer,
  hosted_invoice_url text, created_at text
)
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select i.number, u.email::text, i.status, upper(i.currency),
         app_private.csv_amount(i.amount_due_cents, i.currency), app_private.csv_amount(i.amount_paid_cents, i.currency),
         app_private.csv_time(i.period_start), app_private.csv_time(i.period_end), app_private.csv_time(i.due_date),
         app_private.csv_time(i.paid_at), i.attempt_count, i.hosted_invoice_url, app_private.csv_time(i.stripe_created)
    from app_private.invoices i
    join app_public.users u on u.id = i.user_id
   where (payment_csv_rows.only_user is null or i.user_id = payment_csv_rows.only_user)
     and (payment_csv_rows."from" is null or i.stripe_created >= payment_csv_rows."from"::timestamp at time zone 'UTC')
     and (payment_csv_rows."to" is null or i.stripe_created < (payment_csv_rows."to" + 1)::timestamp at time zone 'UTC')
     and (payment_csv_rows.only_status is null or i.status = payment_csv_rows.only_status)
     and (payment_csv_rows.with_drafts or i.status <> 'draft')
   order by i.stripe_created, i.stripe_invoice_id;
$$;
comment on function app_private.payment_csv_rows(uuid, date, date, text, boolean) is
  'Mirrored Stripe invoices as CSV cells: one account or all, created within [from, to] (UTC days), of one status or all.';

-- A date filter of the exports: null or empty = no bound; else YYYY-MM-DD (INVALID_DATE).
create or replace function app_hidden.parse_optional_date(value text) returns date
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case when nullif(parse_optional_date.value, '') is null then null
              else app_hidden.parse_analytics_date(parse_optional_date.value) end;
$$;
comment on function app_hidden.parse_optional_date(text) is
  'Null for an empty value, else the date of a YYYY-MM-DD string (INVALID_DATE otherwise).';
grant execute on function app_hidden.parse_optional_date(text) to waitify_merchant, waitify_admin;

-- The signed-in merchant's payments (drafts, not yet sent, left out).
create or replace function app_hidden.my_payments_csv_rows("from" text, "to" text)
returns table (
  number text, account_email text, status text, currency text, amount_due text, amount_paid text,
  period_start text, period_end text, due_date text, paid_at text, attempts integer,
  hosted_invoice_url text, created_at text
)
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_public.current_user_id();
  v_from date := app_hidden.parse_optional_date(my_payments_csv_rows."from");
  v_to date := app_hidden.parse_optional_date(my_payments_csv_rows."to");
begin
  -- Caller: a signed-in merchant; only their own invoices (user_id = current_user_id()).
  if v_user is null then
    perform app_hidden.raise_error('UNAUTHENTICATED', null);
  end if;
  if v_from > v_to then
    perform app_hidden.raise_error('INVALID_DATE_RANGE', null, v_from::text, v_to::text);
  end if;
  return query select * from app_private.payment_csv_rows(v_user, v_from, v_to, null, false);
end;
$$;
comment on function app_hidden.my_payments_csv_rows(text, text) is
  'The CSV export''s rows for the signed-in merchant: their invoices created within [from, to] (YYYY-MM-DD, each optional).';
grant execute on function app_hidden.my_payments_csv_rows(text, text) to waitify_merchant;
