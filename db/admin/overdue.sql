-- Back office: overdue accounts with a risk score (issue 10 item 4, seed 003
-- "overdue invoices with risk scoring", "automatic payment reminders").
-- What is overdue, the score's rule (one pure function, each rule's points
-- beside the total), the admin's list sorted by it, and "send a reminder
-- now". Suspending is admin_suspend_account (db/admin/, the tenants' file).

-- An overdue invoice: one the account still owes (open, or marked
-- uncollectible — still owed, as the dunning ladder counts it), with
-- something left to pay, and either past its due date or refused at least
-- once. Days overdue are whole days of 24 h since the due date (0 while the
-- due date is ahead or unknown: a refused payment before its due date).
-- The owed invoices are few beside the paid ones: invoices_owed_idx holds
-- exactly them, by account.
create or replace function app_private.overdue_invoices(at timestamptz, only_user uuid default null)
  returns table (
    stripe_invoice_id text,
    user_id uuid,
    number text,
    currency text,
    remaining_cents integer,
    attempt_count integer,
    due_date timestamptz,
    days_overdue integer,
    hosted_invoice_url text
  )
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select i.stripe_invoice_id, i.user_id, i.number, i.currency, i.amount_due_cents - i.amount_paid_cents,
         i.attempt_count, i.due_date,
         coalesce(greatest(0, floor(extract(epoch from overdue_invoices.at - i.due_date) / 86400)), 0)::integer,
         i.hosted_invoice_url
    from app_private.invoices i
   where i.status in ('open', 'uncollectible')
     and i.amount_due_cents > i.amount_paid_cents
     and (i.due_date < overdue_invoices.at or i.attempt_count > 0)
     and (overdue_invoices.only_user is null or i.user_id = overdue_invoices.only_user);
$$;
comment on function app_private.overdue_invoices(timestamptz, uuid) is
  'Invoices owed at `at` (open or uncollectible, something left to pay) past their due date or refused at least once; one account''s with only_user.';

-- THE RISK SCORE: how likely an overdue account is never to pay, 0 (low) to
-- 100 (high), as a sum of points, each rule written here and nowhere else:
--
--   days overdue (oldest invoice)   1 point per 2 whole days, at most 30 (reached at 60 days)
--   amount owed                     10 points per usual invoice owed (10 × owed ÷ usual,
--                                   rounded down), at most 20; the usual invoice is the
--                                   account's average paid invoice, else its plan's price
--                                   for its billing interval; unknown (a free plan): 10
--   failed attempts (unpaid)        8 per refused attempt on the unpaid invoices, at most 24
--   payment history                 15 − 3 per paid invoice: 15 with none, 0 from 5 paid,
--                                   down to −15 from 10 paid (a long record lowers the risk)
--   past failures                   3 per refused attempt on invoices no longer owed, at most 9
--   tenure                          10 under 3 months since sign-up, 5 under 12, else 0
--   status                          past_due 5, read_only 10, suspended or cancelled 15
--
-- The total is clamped to 0..100 (at most 123 before clamping, at least −15
-- plus what the amount gives). Integer arithmetic only: the same inputs give
-- the same score on any server. The list (overdue_accounts) breaks ties by
-- amount owed, then days overdue (both descending), then email.
create or replace function app_private.overdue_risk(
  days_overdue integer,
  amount_due_cents bigint,
  usual_invoice_cents integer,
  failed_attempts integer,
  paid_invoices integer,
  past_failures integer,
  tenure_months integer,
  status app_public.subscription_status,
  out days_points integer,
  out amount_points integer,
  out attempt_points integer,
  out history_points integer,
  out past_failure_points integer,
  out tenure_points integer,
  out status_points integer,
  out risk_score integer
)
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select p.d, p.a, p.f, p.h, p.pf, p.t, p.s, greatest(0, least(100, p.d + p.a + p.f + p.h + p.pf + p.t + p.s))
    from (select
      least(30, greatest(0, coalesce(overdue_risk.days_overdue, 0)) / 2) as d,
      case when coalesce(overdue_risk.usual_invoice_cents, 0) > 0
        then least(20, 10 * greatest(0, coalesce(overdue_risk.amount_due_cents, 0)) / overdue_risk.usual_invoice_cents)::integer
        else 10 end as a,
      least(24, 8 * greatest(0, coalesce(overdue_risk.failed_attempts, 0))) as f,
      greatest(-15, 15 - 3 * greatest(0, coalesce(overdue_risk.paid_invoices, 0))) as h,
      least(9, 3 * greatest(0, coalesce(overdue_risk.past_failures, 0))) as pf,
      case when coalesce(overdue_risk.tenure_months, 0) < 3 then 10
           when overdue_risk.tenure_months < 12 then 5 else 0 end as t,
      case overdue_risk.status when 'past_due' then 5 when 'read_only' then 10
           when 'suspended' then 15 when 'cancelled' then 15 else 0 end as s
    ) p;
$$;
comment on function app_private.overdue_risk(integer, bigint, integer, integer, integer, integer, integer, app_public.subscription_status) is
  'The overdue risk score''s rule: each rule''s points and their total clamped to 0..100 (rule in db/admin/overdue.sql).';

-- Every overdue account at `at` (or only `only_user`), its record and its
-- score, highest risk first. "Paid invoices" are the invoices paid with
-- something paid (a free first invoice is no payment record); a failure
-- "ever" is any refused attempt of any invoice (payment_failures); the
-- amount's currency is null when the unpaid invoices mix currencies.
create or replace function app_private.overdue_accounts(at timestamptz, only_user uuid default null)
  returns setof app_public.overdue_account
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  with owed as (
    select o.user_id,
           count(*)::integer as unpaid_invoices,
           sum(o.remaining_cents)::bigint as amount_due_cents,
           case when count(distinct o.currency) = 1 then min(o.currency) end as currency,
           min(o.due_date) as oldest_due_date,
           max(o.days_overdue) as days_overdue,
           sum(o.attempt_count)::integer as failed_attempts,
           array_agg(o.stripe_invoice_id) as invoice_ids
      from app_private.overdue_invoices(overdue_accounts.at, overdue_accounts.only_user) o
     group by o.user_id
  )
  select u.id, u.email::text, p.name, u.subscription_status,
         owed.unpaid_invoices, owed.amount_due_cents, owed.currency, owed.oldest_due_date, owed.days_overdue,
         owed.failed_attempts, paid.invoices, paid.amount_cents, failures.ever, usual.cents, tenure.months,
         reminder.sent_at, reminder.kind,
         risk.days_points, risk.amount_points, risk.attempt_points, risk.history_points, risk.past_failure_points,
         risk.tenure_points, risk.status_points, risk.risk_score
    from owed
    join app_public.users u on u.id = owed.user_id
    left join app_public.subscription_plans p on p.id = u.subscription_plan_id
    left join app_private.subscriptions s on s.user_id = u.id
    cross join lateral (
      select count(*)::integer as invoices, coalesce(sum(i.amount_paid_cents), 0)::bigint as amount_cents,
             round(avg(i.amount_paid_cents))::integer as average_cents
        from app_private.invoices i
       where i.user_id = u.id and i.status = 'paid' and i.amount_paid_cents > 0
    ) paid
    cross join lateral (
      select count(*)::integer as ever,
             (count(*) filter (where f.stripe_invoice_id <> all (owed.invoice_ids)))::integer as past
        from app_private.payment_failures f
       where f.user_id = u.id
    ) failures
    -- The usual invoice: the average paid one, else the plan's price for a
    -- month or a year (a yearly price is yearly_price_months months).
    cross join lateral (
      select coalesce(paid.average_cents,
        nullif(p.price_cents * case when s.billing_interval = 'year'
          then coalesce(app_private.config_value('yearly_price_months')::integer, 12) else 1 end, 0)) as cents
    ) usual
    cross join lateral (
      select greatest(0, (extract(year from a.age) * 12 + extract(month from a.age))::integer) as months
        from (select age(overdue_accounts.at at time zone 'UTC', u.created_at at time zone 'UTC') as age) a
    ) tenure
    left join lateral (
      select r.sent_at, r.kind from app_private.billing_reminders r
       where r.user_id = u.id
       order by r.sent_at desc, r.kind
       limit 1
    ) reminder on true
    cross join lateral app_private.overdue_risk(owed.days_overdue, owed.amount_due_cents, usual.cents,
      owed.failed_attempts, paid.invoices, failures.past, tenure.months, u.subscription_status) risk
   order by risk.risk_score desc, owed.amount_due_cents desc, owed.days_overdue desc, u.email, u.id;
$$;
comment on function app_private.overdue_accounts(timestamptz, uuid) is
  'Overdue accounts at `at` (or one of them) with their record and risk score, highest risk first.';

-- The admin's list. SECURITY DEFINER: the invoices, failures and reminders
-- live in app_private, which no request role reads.
create or replace function app_public.admin_overdue_accounts() returns setof app_public.overdue_account
  language plpgsql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- Caller: an admin (app_private.assert_admin()); a merchant has no EXECUTE, and a role-only admin token is refused.
  perform app_private.assert_admin();
  return query select * from app_private.overdue_accounts(now());
end;
$$;
comment on function app_public.admin_overdue_accounts() is
  'Accounts with an unpaid invoice past its due date or refused, highest risk score first (rule: README, back office).';
grant execute on function app_public.admin_overdue_accounts() to waitify_admin;

-- "Send a reminder now": the dunning email this account would get for its
-- oldest overdue invoice, today, whatever the schedule —
--   suspended account                 account_suspended (as at J+30)
--   7 days or more past the due date  invoice_unpaid_7d (as at J+7)
--   past the due date                 invoice_unpaid_1d (as at J+1)
--   refused before its due date       payment_failed, or payment_failed_read_only
--                                     when the account is read-only
-- with the texts and values of the ladder (app_private.billing_email), in
-- the invoice's currency. Recorded as kind 'manual' with the UTC day as
-- reference: the scheduled reminders' keys are untouched (J+1, J+7 and J+30
-- still go out), and one manual reminder per account and day at most
-- (REMINDER_ALREADY_SENT: a double click does not email twice). The account's
-- feed shows it (reminder_sent, actor admin; the admin's reason stays in the
-- audit log, which the merchant never reads). The account's row is locked
-- first, as every billing change does. Returns the account's row, updated.
create or replace function app_public.admin_send_payment_reminder(user_id uuid, reason text default null)
  returns app_public.overdue_account
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_status app_public.subscription_status;
  v_before app_public.overdue_account;
  v_invoice record;
  v_kind text;
  v_template text;
  v_vars jsonb;
  v_reference text := to_char(now() at time zone 'UTC', 'YYYY-MM-DD');
  v_new boolean;
  v_email_log_id uuid;
  v_after app_public.overdue_account;
begin
  -- Caller: an admin (app_private.assert_admin()), who may remind any account.
  perform app_private.assert_admin();
  select u.subscription_status into v_status from app_public.users u
   where u.id = admin_send_payment_reminder.user_id
     for update;
  if not found then
    perform app_hidden.raise_error('ACCOUNT_NOT_FOUND');
  end if;
  select o.* into v_invoice from app_private.overdue_invoices(now(), admin_send_payment_reminder.user_id) o
   order by o.days_overdue desc, o.due_date nulls last, o.remaining_cents desc, o.stripe_invoice_id
   limit 1;
  if v_invoice.stripe_invoice_id is null then
    perform app_hidden.raise_error('NOTHING_OVERDUE');
  end if;
  select * into v_before from app_private.overdue_accounts(now(), admin_send_payment_reminder.user_id);

  v_kind := case
    when v_status = 'suspended' then 'suspended_30d'
    when v_invoice.days_overdue >= 7 then 'unpaid_7d'
    when v_invoice.due_date < now() then 'unpaid_1d'
    else 'payment_failed' end;
  select e.template, e.vars || jsonb_build_object('currency', v_invoice.currency) into v_template, v_vars
    from app_private.billing_email(v_kind, jsonb_build_object(
      'invoice', v_invoice.number, 'dueDate', v_invoice.due_date, 'amountDueCents', v_invoice.remaining_cents,
      'hostedInvoiceUrl', v_invoice.hosted_invoice_url,
      'attempt', case when v_status = 'read_only' then 2 else 1 end)) e;

  insert into app_private.billing_reminders (user_id, kind, reference)
  values (admin_send_payment_reminder.user_id, 'manual', v_reference)
  on conflict do nothing
  returning true into v_new;
  if not coalesce(v_new, false) then
    perform app_hidden.raise_error('REMINDER_ALREADY_SENT');
  end if;
  insert into app_public.account_events (user_id, event_type, actor, detail)
  values (admin_send_payment_reminder.user_id, 'reminder_sent', 'admin', jsonb_build_object(
    'kind', 'manual', 'reference', v_reference, 'template', v_template, 'invoice', v_invoice.number,
    'amountDueCents', v_invoice.remaining_cents));
  v_email_log_id := app_private.enqueue_email(admin_send_payment_reminder.user_id, v_template, v_vars,
    format('billing:manual:%s:%s', v_reference, admin_send_payment_reminder.user_id));

  select * into v_after from app_private.overdue_accounts(now(), admin_send_payment_reminder.user_id);
  perform app_private.record_admin_action('send_payment_reminder', 'account', admin_send_payment_reminder.user_id::text,
    jsonb_build_object('lastReminderAt', v_before.last_reminder_at, 'lastReminderKind', v_before.last_reminder_kind,
      'riskScore', v_before.risk_score),
    jsonb_build_object('lastReminderAt', v_after.last_reminder_at, 'lastReminderKind', v_after.last_reminder_kind,
      'template', v_template, 'invoice', v_invoice.number, 'stripeInvoiceId', v_invoice.stripe_invoice_id,
      'amountDueCents', v_invoice.remaining_cents, 'currency', v_invoice.currency, 'emailLogId', v_email_log_id),
    admin_send_payment_reminder.reason);
  return v_after;
end;
$$;
comment on function app_public.admin_send_payment_reminder(uuid, text) is
  'Emails an overdue account its dunning reminder now (once a day at most), recorded in its feed and the audit log.';
grant execute on function app_public.admin_send_payment_reminder(uuid, text) to waitify_admin;

comment on type app_public.overdue_account is
  'An account with an unpaid invoice past its due date or refused: what it owes, its record and its risk score.';
comment on column app_public.overdue_account.user_id is 'The merchant account.';
comment on column app_public.overdue_account.email is 'Its email address.';
comment on column app_public.overdue_account.plan_name is 'Its plan (basic, pro, enterprise).';
comment on column app_public.overdue_account.subscription_status is 'Its billing state.';
comment on column app_public.overdue_account.unpaid_invoices is 'Overdue invoices (open or uncollectible, past due or refused).';
comment on column app_public.overdue_account.amount_due_cents is 'What is left to pay on them, in cents.';
comment on column app_public.overdue_account.currency is 'Their currency (null if they mix currencies).';
comment on column app_public.overdue_account.oldest_due_date is 'The earliest due date among them.';
comment on column app_public.overdue_account.days_overdue is 'Whole days since the oldest due date (0 for a refused payment not yet due).';
comment on column app_public.overdue_account.failed_attempts is 'Refused payment attempts on the overdue invoices.';
comment on column app_public.overdue_account.paid_invoices is 'Invoices paid so far (with an amount paid).';
comment on column app_public.overdue_account.paid_amount_cents is 'Their total paid, in cents.';
comment on column app_public.overdue_account.failed_payments_ever is 'Refused payment attempts on any invoice, ever.';
comment on column app_public.overdue_account.usual_invoice_cents is 'The usual invoice: average paid invoice, else the plan''s price for its interval.';
comment on column app_public.overdue_account.tenure_months is 'Whole months since the account signed up.';
comment on column app_public.overdue_account.last_reminder_at is 'When the last billing reminder was sent (scheduled or manual).';
comment on column app_public.overdue_account.last_reminder_kind is 'Its kind: trial_ending, invoice_due, unpaid_1d, unpaid_7d, suspended_30d, payment_failed or manual.';
comment on column app_public.overdue_account.days_points is 'Score: 1 per 2 days overdue, at most 30.';
comment on column app_public.overdue_account.amount_points is 'Score: 10 per usual invoice owed, at most 20 (10 when no usual invoice is known).';
comment on column app_public.overdue_account.attempt_points is 'Score: 8 per refused attempt on the overdue invoices, at most 24.';
comment on column app_public.overdue_account.history_points is 'Score: 15 − 3 per paid invoice, from 15 down to −15.';
comment on column app_public.overdue_account.past_failure_points is 'Score: 3 per refused attempt on invoices no longer owed, at most 9.';
comment on column app_public.overdue_account.tenure_points is 'Score: 10 under 3 months of tenure, 5 under 12, else 0.';
comment on column app_public.overdue_account.status_points is 'Score: past_due 5, read_only 10, suspended or cancelled 15.';
comment on column app_public.overdue_account.risk_score is 'The risk score: the points above summed and clamped to 0..100 (higher: riskier).';
