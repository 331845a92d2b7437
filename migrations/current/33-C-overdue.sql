-- Back office, overdue accounts (issue 10 item 4): the row the admin's list
-- reads (db/admin/overdue.sql computes it), and a manual reminder kind.
-- Idempotent: graphile-migrate re-runs current/ on every change.

-- A reminder an admin sends by hand ("send a reminder now") is recorded
-- beside the scheduled ones, under its own kind: its reference (the UTC day)
-- never takes one of the ladder's (account, kind, reference) keys, so the
-- J+1 / J+7 / J+30 reminders still go out on schedule.
do $$
begin
  if not exists (
    select 1 from pg_constraint c
     where c.conrelid = 'app_private.billing_reminders'::regclass and c.conname = 'billing_reminders_kind_check'
       and pg_get_constraintdef(c.oid) like '%manual%'
  ) then
    alter table app_private.billing_reminders drop constraint if exists billing_reminders_kind_check;
    alter table app_private.billing_reminders add constraint billing_reminders_kind_check check (kind in (
      'trial_ending', 'invoice_due', 'unpaid_1d', 'unpaid_7d', 'suspended_30d', 'payment_failed', 'manual'));
  end if;
end
$$;
-- "When was this account last reminded": the newest row of one account.
create index if not exists billing_reminders_user_id_sent_at_idx on app_private.billing_reminders (user_id, sent_at desc);

-- What accounts owe (db/admin/overdue.sql, app_private.overdue_invoices):
-- a few rows beside the paid history, read for all accounts or for one.
create index if not exists invoices_owed_idx on app_private.invoices (user_id)
  where status in ('open', 'uncollectible') and amount_due_cents > amount_paid_cents;

-- One overdue account as the back office lists it: what is owed, the
-- account's record, and the risk score with each rule's points beside it.
drop type if exists app_public.overdue_account cascade;
create type app_public.overdue_account as (
  user_id uuid,
  email text,
  plan_name text,
  subscription_status app_public.subscription_status,
  unpaid_invoices integer,
  amount_due_cents bigint,
  currency text,
  oldest_due_date timestamptz,
  days_overdue integer,
  failed_attempts integer,
  paid_invoices integer,
  paid_amount_cents bigint,
  failed_payments_ever integer,
  usual_invoice_cents integer,
  tenure_months integer,
  last_reminder_at timestamptz,
  last_reminder_kind text,
  days_points integer,
  amount_points integer,
  attempt_points integer,
  history_points integer,
  past_failure_points integer,
  tenure_points integer,
  status_points integer,
  risk_score integer
);
