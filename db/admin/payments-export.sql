-- The administrator's CSV of payments (GET /admin/payments.csv): every
-- account's mirrored Stripe invoices, drafts included, filtered by creation
-- day (from, to: YYYY-MM-DD, each optional), status and account (a user id or
-- an email). Rows and cells: app_private.payment_csv_rows (db/billing/payments-export.sql).
create or replace function app_hidden.admin_payments_csv_rows("from" text, "to" text, only_status text, only_account text)
  returns table (
    number text, account_email text, status text, currency text, amount_due text, amount_paid text,
    period_start text, period_end text, due_date text, paid_at text, attempts integer,
    hosted_invoice_url text, created_at text
  )
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_from date;
  v_to date;
  v_status text := nullif(admin_payments_csv_rows.only_status, '');
  v_account text := nullif(btrim(admin_payments_csv_rows.only_account), '');
  v_user uuid;
begin
  -- Caller: an administrator (app_private.assert_admin(); EXECUTE is granted to waitify_admin alone).
  perform app_private.assert_admin();
  v_from := app_hidden.parse_optional_date(admin_payments_csv_rows."from");
  v_to := app_hidden.parse_optional_date(admin_payments_csv_rows."to");
  if v_from > v_to then
    perform app_hidden.raise_error('INVALID_DATE_RANGE', null, v_from::text, v_to::text);
  end if;
  if v_status is not null and v_status not in ('draft', 'open', 'paid', 'uncollectible', 'void') then
    perform app_hidden.raise_error('INVALID_PAYMENT_STATUS', null, left(v_status, 40));
  end if;
  if v_account is not null then
    if v_account ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      v_user := v_account::uuid;
    elsif v_account ~ '^[^@\s]+@[^@\s]+$' and length(v_account) <= 255 then
      select u.id into v_user from app_public.users u where u.email = v_account::citext;
    else
      perform app_hidden.raise_error('INVALID_ACCOUNT_FILTER', null, left(v_account, 40));
    end if;
    -- An account that does not exist: no rows (not an error: a filter matched nothing).
    if v_user is null then
      return;
    end if;
  end if;
  return query select * from app_private.payment_csv_rows(v_user, v_from, v_to, v_status, true);
end;
$$;
comment on function app_hidden.admin_payments_csv_rows(text, text, text, text) is
  'The administrator''s CSV export rows: every account''s invoices, filtered by creation day, status and account (id or email).';
grant execute on function app_hidden.admin_payments_csv_rows(text, text, text, text) to waitify_admin;
