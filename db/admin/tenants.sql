-- Back office, tenants (reads): the list of merchant accounts with their
-- figures, the search, and one account's detail. The writes (suspend,
-- reactivate, change of plan) are in tenants-actions.sql.
--
-- Shape: the list is app_public.admin_accounts(), a setof users function
-- (a GraphQL connection: cursors, totalCount, the server's default and
-- maximum page sizes); the figures are computed columns of users (and
-- businesses) granted to waitify_admin alone, so PostGraphile computes them
-- for the rows of the page only, never for every account. The detail is the
-- same User, found by admin_account() (NOT_FOUND when unknown), with its
-- businesses, statements, payments, account events and audit entries.
--
-- Every function here is SECURITY DEFINER and starts with
-- app_private.assert_admin(): a disabled admin, or a token of the admin role
-- without an admin row, reads nothing (FORBIDDEN). Definer because the
-- figures come from app_private (MRR, SMS usage, invoices, the suspension
-- hold), and so that the list and the figures check the same thing.

-- ---------------------------------------------------------------------------
-- The list.

-- The pattern for a case-insensitive substring search: the admin's text
-- taken literally (\, % and _ escaped for LIKE ... escape '\'), lowercased
-- like the indexed expression; null for an empty search (no filter).
create or replace function app_private.account_search_pattern(search text) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case when nullif(btrim(search), '') is not null then
    '%' || replace(replace(replace(lower(btrim(search) collate "und-x-icu"), '\', '\\'), '%', '\%'), '_', '\_') || '%'
  end;
$$;

-- The accounts, newest first (created_at, then id: a stable order for the
-- cursors), filtered by a search in email and name, status and plan. The
-- function's rows are all produced before PostGraphile takes its page (a
-- plpgsql set is materialised), so the cost is one pass over the matching
-- accounts (the trigram index for a search, a scan of users otherwise: one
-- row per merchant, tens of thousands at most) and a sort; the figures, the
-- expensive part (about 0.8 ms an account), only for the page the client asks
-- for: `@behavior +order` and `@defaultOrderBy` (lib/graphql/
-- function-default-order.ts) make the connection ordered by
-- [CREATED_AT_DESC, PRIMARY_KEY_DESC] (this function's own order) unless the
-- client asks otherwise, so the next page is a WHERE on (created_at, id).
-- Only `offset`, or orderBy NATURAL, numbers the rows, and then PostgreSQL
-- computes the figures of the rows skipped too (README, "Tenants"). No btree
-- index on created_at or status: it would not bound that pass.
create or replace function app_public.admin_accounts(
  search text default null,
  status app_public.subscription_status default null,
  plan text default null
) returns setof app_public.users
  language plpgsql stable security definer
  rows 50
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_pattern text := app_private.account_search_pattern(admin_accounts.search);
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  -- Only the filters asked for, planned for these values (EXECUTE): one
  -- cached plan with "$1 is null or …" would never use the trigram index.
  -- The text is made of constants only; the values are parameters.
  return query execute format(
    'select u.* from app_public.users u where %s order by u.created_at desc, u.id desc',
    concat_ws(' and ', 'true',
      -- The expression of users_search_idx (migrations): keep the two identical.
      case when v_pattern is not null then
        $q$lower((u.email::text || ' ' || coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')) collate "und-x-icu") like $1 escape '\'$q$
      end,
      case when admin_accounts.status is not null then 'u.subscription_status = $2' end,
      case when admin_accounts.plan is not null then
        'u.subscription_plan_id = (select p.id from app_public.subscription_plans p where p.name = $3)'
      end))
    using v_pattern, admin_accounts.status, admin_accounts.plan;
end;
$$;
comment on function app_public.admin_accounts(text, app_public.subscription_status, text) is
  E'@behavior +order\n@defaultOrderBy CREATED_AT_DESC,PRIMARY_KEY_DESC\nBack office: merchant accounts, newest first. `search`: a part of the email or name (case-insensitive, taken literally: % and _ are not wildcards); `status`, `plan` (basic, pro, enterprise): exact filters.';
grant execute on function app_public.admin_accounts(text, app_public.subscription_status, text) to waitify_admin;

-- One account, for its detail page. NOT_FOUND when there is none.
create or replace function app_public.admin_account(user_id uuid) returns app_public.users
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user app_public.users;
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  select u.* into v_user from app_public.users u where u.id = admin_account.user_id;
  if v_user.id is null then
    perform app_hidden.raise_error('ACCOUNT_NOT_FOUND');
  end if;
  return v_user;
end;
$$;
comment on function app_public.admin_account(uuid) is
  'Back office: one merchant account (its businesses, statements, payments, events and audit entries are fields of it). NOT_FOUND when unknown.';
grant execute on function app_public.admin_account(uuid) to waitify_admin;

-- ---------------------------------------------------------------------------
-- An account's figures (computed columns of User, admin only).

create or replace function app_public.users_business_count(u app_public.users) returns integer
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return (select count(*) from app_public.businesses b where b.user_id = u.id);
end;
$$;
comment on function app_public.users_business_count(app_public.users) is
  'Back office: the account''s businesses, deleted ones included.';
grant execute on function app_public.users_business_count(app_public.users) to waitify_admin;

create or replace function app_public.users_active_business_count(u app_public.users) returns integer
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return (select count(*) from app_public.businesses b where b.user_id = u.id and b.is_active);
end;
$$;
comment on function app_public.users_active_business_count(app_public.users) is
  'Back office: the account''s active businesses (what the plan''s limit counts).';
grant execute on function app_public.users_active_business_count(app_public.users) to waitify_admin;

-- What billing counts (app_private.sms_usage_of: parts sent or delivered,
-- this calendar month in UTC), so the list and the statement agree.
create or replace function app_public.users_sms_parts_this_month(u app_public.users) returns integer
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return (select coalesce(sum(s.parts), 0)::integer from app_private.sms_usage_of(u.id, null) s);
end;
$$;
comment on function app_public.users_sms_parts_this_month(app_public.users) is
  'Back office: SMS parts sent or delivered this calendar month (UTC), as the monthly statement counts them.';
grant execute on function app_public.users_sms_parts_this_month(app_public.users) to waitify_admin;

-- The one definition of MRR (app_private.account_mrr_cents, db/admin/).
create or replace function app_public.users_mrr_cents(u app_public.users) returns integer
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return app_private.account_mrr_cents(u.id);
end;
$$;
comment on function app_public.users_mrr_cents(app_public.users) is
  'Back office: the account''s monthly recurring revenue now, in cents (normalised licensed price; overage excluded).';
grant execute on function app_public.users_mrr_cents(app_public.users) to waitify_admin;

-- The latest of the last sign-in and the last change in any queue of the
-- account's businesses (queue_events: joins, calls, openings…; one backward
-- step of queue_events_business_idx per business).
create or replace function app_public.users_last_activity_at(u app_public.users) returns timestamptz
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return greatest(u.last_login, (
    select max(e.last_at) from app_public.businesses b
      cross join lateral (select max(qe.created_at) as last_at from app_public.queue_events qe
                           where qe.business_id = b.id) e
     where b.user_id = u.id));
end;
$$;
comment on function app_public.users_last_activity_at(app_public.users) is
  'Back office: the latest of the last sign-in and the last queue activity of the account''s businesses; null if neither.';
grant execute on function app_public.users_last_activity_at(app_public.users) to waitify_admin;

-- Why the account is held suspended by an admin, and since when; null when
-- it is not (a suspension by the dunning has no reason here).
create or replace function app_public.users_admin_suspension_reason(u app_public.users) returns text
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return (select s.reason from app_private.admin_suspensions s where s.user_id = u.id);
end;
$$;
comment on function app_public.users_admin_suspension_reason(app_public.users) is
  'Back office: the reason an admin gave when suspending the account; null unless an admin holds it suspended.';
grant execute on function app_public.users_admin_suspension_reason(app_public.users) to waitify_admin;

-- ---------------------------------------------------------------------------
-- One account's detail (computed columns of User, admin only). The account
-- events and the statements are the relations PostGraphile already gives
-- User (accountEventsByUserId, billingStatementsByUserId).

create or replace function app_public.users_admin_businesses(u app_public.users) returns setof app_public.businesses
  language plpgsql stable security definer
  rows 5
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return query select b.* from app_public.businesses b where b.user_id = u.id order by b.created_at, b.id;
end;
$$;
comment on function app_public.users_admin_businesses(app_public.users) is
  'Back office: the account''s businesses, deleted ones included, oldest first.';
grant execute on function app_public.users_admin_businesses(app_public.users) to waitify_admin;

-- The payments: Stripe's invoices as mirrored (app_private.invoices), newest
-- first, in the shape the merchant reads their own (my_invoices).
create or replace function app_public.users_admin_payments(u app_public.users) returns setof app_public.invoice_summary
  language plpgsql stable security definer
  rows 12
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return query
    select i.number, i.status, i.currency, i.amount_due_cents, i.amount_paid_cents, i.period_start, i.period_end,
           i.due_date, i.paid_at, i.hosted_invoice_url, i.invoice_pdf_url, i.stripe_created
      from app_private.invoices i
     where i.user_id = u.id and i.status <> 'draft'
     order by i.stripe_created desc, i.stripe_invoice_id desc;
end;
$$;
comment on function app_public.users_admin_payments(app_public.users) is
  'Back office: the account''s Stripe invoices (payments), newest first.';
grant execute on function app_public.users_admin_payments(app_public.users) to waitify_admin;

-- What admins did to this account, newest first.
create or replace function app_public.users_admin_audit_entries(u app_public.users) returns setof app_public.admin_audit_log
  language plpgsql stable security definer
  rows 10
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  return query
    select l.* from app_public.admin_audit_log l
     where l.target_type = 'account' and l.target_id = u.id::text
     order by l.id desc;
end;
$$;
comment on function app_public.users_admin_audit_entries(app_public.users) is
  'Back office: the audit log''s entries about this account (suspensions, reactivations, plan changes), newest first.';
grant execute on function app_public.users_admin_audit_entries(app_public.users) to waitify_admin;

-- A business's queues: how many, how many open, how many customers waiting.
create or replace function app_public.businesses_admin_queue_counts(b app_public.businesses,
    out queues integer, out open_queues integer, out waiting integer)
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()).
  perform app_private.assert_admin();
  select count(*)::integer, (count(*) filter (where q.is_queue_active))::integer
    into queues, open_queues
    from app_public.queues q where q.business_id = b.id and q.user_id = b.user_id;
  -- Through the queues: the waiting part of each (queue_entries_waiting_idx), not the business's history.
  select count(*)::integer into waiting
    from app_public.queues q
    join app_public.queue_entries e on e.queue_id = q.id and e.status = 'waiting'
   where q.business_id = b.id and q.user_id = b.user_id;
end;
$$;
comment on function app_public.businesses_admin_queue_counts(app_public.businesses) is
  'Back office: the business''s queues, the open ones, and the customers waiting in them now.';
grant execute on function app_public.businesses_admin_queue_counts(app_public.businesses) to waitify_admin;
