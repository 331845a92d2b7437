-- Invoice documents: what the PDF of a monthly statement prints
-- (GET /billing/statements/<id>.pdf, lib/http/statement-pdf.ts lays it out)
-- and the Stripe invoice a statement is linked to (its hosted page and PDF,
-- also on BillingStatement in GraphQL). The figures are computed here, once;
-- TypeScript only places them on the page.
--
-- Amounts are in cents (euros). A statement's figures are amounts excluding
-- VAT; the VAT is computed on the subtotal at system_configs.vat_rate_percent
-- (default 20) and rounded to the nearest cent, halves away from zero
-- (PostgreSQL's round(numeric)): 26.50 € at 20 % → 5.30 €, 0.025 € → 0.03 €.

-- Who may read an account's billing documents: the account itself, or an
-- administrator — an enabled one named by the token (app_private.assert_admin:
-- a role-only or disabled admin's token is FORBIDDEN, not read). Anyone else:
-- false, which the callers turn into "not found".
create or replace function app_private.may_read_billing_of(user_id uuid) returns boolean
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if may_read_billing_of.user_id = app_public.current_user_id() then
    return true;
  end if;
  if coalesce(current_setting('role', true), '') = 'waitify_admin' then
    perform app_private.assert_admin();
    return true;
  end if;
  return false;
end;
$$;
comment on function app_private.may_read_billing_of(uuid) is
  'True for the account itself or an enabled administrator (FORBIDDEN for another admin token); false otherwise.';

-- The Stripe invoice a statement is linked to (app_private.statement_invoices), if any.
create or replace function app_private.statement_stripe_invoice(statement_id uuid) returns app_private.invoices
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select i.* from app_private.statement_invoices si
    join app_private.invoices i on i.stripe_invoice_id = si.stripe_invoice_id
   where si.statement_id = statement_stripe_invoice.statement_id;
$$;
comment on function app_private.statement_stripe_invoice(uuid) is
  'The mirrored Stripe invoice linked to a statement, or null.';

-- Which Stripe invoice bills a statement's month. Periods are anchored on the
-- 1st (db/billing/statements.sql), and a subscription invoice's period is the
-- usage period it looks back on (Stripe: "period_end: end of the usage
-- period… looks back one period for a subscription invoice"): the invoice
-- created on the 1st of month M+1 has the period [M (or the subscription's
-- start within M), M+1[ and bills M's SMS overage — it is statement M's.
-- Void invoices are skipped; among several matches the latest created wins.
-- A statement, once linked, keeps its invoice. Run when either side appears
-- or changes (the trigger below, compute_statement); a statement and its
-- invoice written at the very same moment by two transactions link on the
-- invoice's next update (finalized, paid…), which always follows.
create or replace function app_private.link_statement_invoices(user_id uuid) returns integer
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  with linked as (
    insert into app_private.statement_invoices (statement_id, stripe_invoice_id)
    select distinct on (s.id) s.id, i.stripe_invoice_id
      from app_public.billing_statements s
      join app_private.invoices i on i.user_id = s.user_id
     where s.user_id = link_statement_invoices.user_id
       and i.status <> 'void'
       and i.period_end = (s.period_start + interval '1 month')::timestamp at time zone 'UTC'
       and i.period_start >= s.period_start::timestamp at time zone 'UTC'
       and i.period_start < i.period_end
       and not exists (select 1 from app_private.statement_invoices l where l.statement_id = s.id)
     order by s.id, i.stripe_created desc, i.stripe_invoice_id
    on conflict (statement_id) do nothing
    returning 1
  )
  select count(*)::integer from linked;
$$;
comment on function app_private.link_statement_invoices(uuid) is
  'Links the account''s unlinked statements to the Stripe invoice that bills their month (period ending at the month''s end); returns how many.';

-- A statement's status follows the Stripe invoice that bills it: pending
-- until linked (or while that invoice is a draft), then invoiced (open), failed
-- (open after a failed payment attempt, or uncollectible), paid, or void.
-- Once it is no longer pending, a recomputed month leaves its figures alone
-- (compute_statement): what was invoiced stays what the statement says.
create or replace function app_private.sync_statement_statuses(user_id uuid) returns integer
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  with followed as (
    update app_public.billing_statements s set status = v.status
      from (select l.statement_id,
                   case
                     when i.status = 'paid' then 'paid'
                     when i.status = 'void' then 'void'
                     when i.status = 'uncollectible' then 'failed'
                     when i.status = 'open' and i.attempt_count > 0 then 'failed'
                     when i.status = 'open' then 'invoiced'
                   end as status
              from app_private.statement_invoices l
              join app_private.invoices i on i.stripe_invoice_id = l.stripe_invoice_id
             where i.user_id = sync_statement_statuses.user_id) v
     where s.id = v.statement_id and s.user_id = sync_statement_statuses.user_id
       and v.status is not null and s.status <> v.status
    returning 1
  )
  select count(*)::integer from followed;
$$;
comment on function app_private.sync_statement_statuses(uuid) is
  'Sets the status of the account''s linked statements from their Stripe invoices (invoiced, failed, paid, void); returns how many changed.';

create or replace function app_private.tg_invoices__link_statement() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.link_statement_invoices(new.user_id);
  perform app_private.sync_statement_statuses(new.user_id);
  return null;
end;
$$;
comment on function app_private.tg_invoices__link_statement() is
  'After a Stripe invoice is mirrored: links it to the statement of the month it bills, whose status follows it.';
drop trigger if exists _900_link_statement on app_private.invoices;
create trigger _900_link_statement after insert or update of status, attempt_count, period_start, period_end on app_private.invoices
  for each row execute function app_private.tg_invoices__link_statement();

-- Everything the PDF of one statement prints, as one JSON document:
--   number, status, language (the account's: app_private.email_language),
--   periodStart / periodEnd (the calendar month, end inclusive), issuedOn, dueDate,
--   seller {name, address, vatNumber, legalMentions} (system_configs invoice_seller_*),
--   buyer {name, email, businesses [{name, address}]},
--   lines [{kind: plan | sms_overage, description, quantity, unitPriceCents, amountCents}]
--     (the overage line also carries smsUsed and smsIncluded),
--   subtotalCents (excl. VAT), vatRatePercent, vatCents, totalCents (incl. VAT), currency,
--   hostedInvoiceUrl, invoicePdfUrl (null unless linked to a Stripe invoice).
-- SECURITY DEFINER: the Stripe links and the settings are private. Someone
-- else's statement is STATEMENT_NOT_FOUND, like one that does not exist.
create or replace function app_hidden.statement_document(statement_id uuid) returns jsonb
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_statement app_public.billing_statements;
  v_user app_public.users;
  v_plan app_public.subscription_plans;
  v_invoice app_private.invoices;
  v_interval text;
  v_unit_price numeric;
  v_rate numeric := coalesce(app_private.config_value('vat_rate_percent')::numeric, 20);
  v_vat integer;
begin
  -- Caller: the statement's owner or an administrator (app_private.may_read_billing_of); anyone else gets NOT_FOUND.
  select s.* into v_statement from app_public.billing_statements s where s.id = statement_document.statement_id;
  if v_statement.id is null or not app_private.may_read_billing_of(v_statement.user_id) then
    perform app_hidden.raise_error('STATEMENT_NOT_FOUND', null);
  end if;
  select u.* into v_user from app_public.users u where u.id = v_statement.user_id;
  select p.* into v_plan from app_public.subscription_plans p where p.id = v_statement.plan_id;
  select s.billing_interval into v_interval from app_private.subscriptions s where s.user_id = v_statement.user_id;
  v_invoice := app_private.statement_stripe_invoice(v_statement.id);
  -- The unit price the overage was billed at (the statement keeps the product,
  -- exact since it is parts × an integer price); with no overage, today's price.
  v_unit_price := case when v_statement.sms_overage > 0
    then v_statement.overage_cost_cents::numeric / v_statement.sms_overage
    else coalesce(app_private.config_value('sms_cost_cents')::numeric, 3) end;
  v_vat := round(v_statement.total_cents * v_rate / 100)::integer;
  return jsonb_build_object(
    'number', v_statement.number,
    'status', v_statement.status,
    'language', app_private.email_language(v_statement.user_id),
    'periodStart', v_statement.period_start,
    'periodEnd', (v_statement.period_start + interval '1 month' - interval '1 day')::date,
    'issuedOn', (v_statement.created_at at time zone 'UTC')::date,
    'dueDate', v_statement.due_date,
    'seller', jsonb_build_object(
      'name', coalesce(app_private.config_value('invoice_seller_name'), ''),
      'address', coalesce(app_private.config_value('invoice_seller_address'), ''),
      'vatNumber', coalesce(app_private.config_value('invoice_seller_vat_number'), ''),
      'legalMentions', coalesce(app_private.config_value('invoice_seller_legal_mentions'), '')),
    'buyer', jsonb_build_object(
      'name', nullif(btrim(concat_ws(' ', v_user.first_name, v_user.last_name)), ''),
      'email', v_user.email,
      'businesses', (select coalesce(jsonb_agg(jsonb_build_object(
                        'name', b.name,
                        'address', nullif(concat_ws(', ', nullif(b.address, ''), nullif(concat_ws(' ', b.zip_code, b.city), '')), ''))
                        order by b.created_at, b.id), '[]')
                       from app_public.businesses b where b.user_id = v_statement.user_id and b.is_active)),
    'lines', jsonb_build_array(
      jsonb_build_object('kind', 'plan', 'description', v_plan.name, 'interval', coalesce(v_interval, 'month'),
                         'quantity', 1, 'unitPriceCents', v_statement.plan_price_cents,
                         'amountCents', v_statement.plan_price_cents),
      jsonb_build_object('kind', 'sms_overage', 'description', 'sms_overage',
                         'quantity', v_statement.sms_overage, 'unitPriceCents', v_unit_price,
                         'amountCents', v_statement.overage_cost_cents,
                         'smsUsed', v_statement.sms_used, 'smsIncluded', v_statement.sms_included)),
    'subtotalCents', v_statement.total_cents,
    'vatRatePercent', v_rate,
    'vatCents', v_vat,
    'totalCents', v_statement.total_cents + v_vat,
    'currency', 'eur',
    'hostedInvoiceUrl', v_invoice.hosted_invoice_url,
    'invoicePdfUrl', v_invoice.invoice_pdf_url);
end;
$$;
comment on function app_hidden.statement_document(uuid) is
  'What the PDF of a monthly statement prints: seller, buyer, period, number, lines, subtotal, VAT, total, Stripe links.';
grant execute on function app_hidden.statement_document(uuid) to waitify_merchant, waitify_admin;

-- The Stripe links beside a statement, as computed columns of
-- BillingStatement (hostedInvoiceUrl, invoicePdfUrl). The row was read
-- through RLS; a row built by hand for another account gets null.
create or replace function app_public.billing_statements_hosted_invoice_url(statement app_public.billing_statements) returns text
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: the statement's owner or an administrator (app_private.may_read_billing_of), else null.
  select (app_private.statement_stripe_invoice(statement.id)).hosted_invoice_url
   where app_private.may_read_billing_of(statement.user_id);
$$;
comment on function app_public.billing_statements_hosted_invoice_url(app_public.billing_statements) is
  'Stripe''s page where the invoice of this statement can be read and paid; null until the statement is linked to a Stripe invoice.';
grant execute on function app_public.billing_statements_hosted_invoice_url(app_public.billing_statements) to waitify_merchant, waitify_admin;

create or replace function app_public.billing_statements_invoice_pdf_url(statement app_public.billing_statements) returns text
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: the statement's owner or an administrator (app_private.may_read_billing_of), else null.
  select (app_private.statement_stripe_invoice(statement.id)).invoice_pdf_url
   where app_private.may_read_billing_of(statement.user_id);
$$;
comment on function app_public.billing_statements_invoice_pdf_url(app_public.billing_statements) is
  'Stripe''s PDF of the invoice of this statement; null until the statement is linked to a Stripe invoice. Our own statement PDF: GET /billing/statements/<id>.pdf.';
grant execute on function app_public.billing_statements_invoice_pdf_url(app_public.billing_statements) to waitify_merchant, waitify_admin;
